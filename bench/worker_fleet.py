"""Many takes in flight at once, driven by `storyboard-worker` processes on PostgreSQL.

A throwaway PostgreSQL (tests/servers/postgres.py), the WaveSpeed fake whose jobs take T seconds,
N takes admitted and enqueued by the app's JobRunner at once, W workers (`python -m
storyboard.worker`, the real poll plan) with the provider's limit set to N so that all are in
flight together. Prints: how long until every take was collected, duplicates (paid jobs beyond one
per take), status requests per take against the polling goal (T/3 + 5), and each worker's CPU
seconds and peak memory (from /proc, read before it is stopped). With --callbacks the workers ask
the fake to call back (STORYBOARD_PUBLIC_URL) into the app's real route (tests/callback_server.py),
which wakes the take in its worker through PostgreSQL NOTIFY. Asserts nothing.

    .venv/bin/python -m bench.worker_fleet [--takes 1000] [--seconds 30] [--workers 4] [--callbacks]
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.provider_fakes import ROOT, CallbackServer, FakeWaveSpeed, write_mp4
from storyboard.jobs import JobRunner
from storyboard.models import Job, JobState, ProviderId, Shot, Storyboard
from storyboard.providers.wavespeed import WaveSpeedClient
from storyboard.store import Store

TICKS = os.sysconf("SC_CLK_TCK")
PUBLIC = "https://studio.example"


def cpu_and_peak(pid: int) -> tuple[float, int]:
    """(CPU seconds, peak resident MB) of a live process."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    cpu = (int(fields[11]) + int(fields[12])) / TICKS
    peak = next(
        int(line.split()[1]) // 1024
        for line in Path(f"/proc/{pid}/status").read_text().splitlines()
        if line.startswith("VmHWM:")
    )
    return cpu, peak


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--takes", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--callbacks", action="store_true")
    args = parser.parse_args()
    from servers.postgres import PostgresServer  # tests/ is on the path once bench.provider_fakes is in

    root = Path(tempfile.mkdtemp(prefix="worker-fleet-"))
    data_dir = root / "data"
    with PostgresServer() as server, FakeWaveSpeed(job_seconds=args.seconds) as fake:
        fake.video_bytes = write_mp4(root / "result.mp4", frames=24).read_bytes()
        database = server.create_database("fleet")
        app = CallbackServer() if args.callbacks else None
        if app is not None:
            fake.callback_origins[PUBLIC] = app.url
        env = {k: v for k, v in os.environ.items() if not k.startswith(("STORYBOARD_", "WAVESPEED"))}
        env.update(
            PYTHONPATH=str(ROOT),
            STORYBOARD_DATABASE_URL=database,
            STORYBOARD_DATA_DIR=str(data_dir),
            STORYBOARD_TAKES_AT_ONCE=f"wavespeed={args.takes}",
            WAVESPEED_API_KEY=fake.key,
            WAVESPEED_BASE_URL=fake.url,
        )
        if app is not None:
            env["STORYBOARD_PUBLIC_URL"] = PUBLIC
        os.environ["STORYBOARD_TAKES_AT_ONCE"] = env["STORYBOARD_TAKES_AT_ONCE"]
        per_worker = -(-args.takes // args.workers) + 5
        workers = [
            subprocess.Popen(
                [sys.executable, "-m", "storyboard.worker", "--concurrency", str(per_worker)],
                env=env,
                cwd=root,
                stdout=(root / f"worker-{i}.log").open("wb"),
                stderr=subprocess.STDOUT,
            )
            for i in range(args.workers)
        ]
        store = Store(database)
        runner = JobRunner(store, data_dir, {ProviderId.WAVESPEED: WaveSpeedClient(fake.key, fake.url)})
        if app is not None:
            app.runner = runner
        began = time.monotonic()
        for i in range(args.takes):
            board = Storyboard(
                provider=ProviderId.WAVESPEED, shots=[Shot(prompt=f"Take {i}: a wave.", duration=5)]
            )
            runner.generate(board)
        admitted = time.monotonic() - began
        while store.unfinished_jobs() and time.monotonic() - began < args.seconds * 10 + 120:
            time.sleep(0.5)
        took = time.monotonic() - began
        usage = [cpu_and_peak(w.pid) for w in workers]
        for w in workers:
            w.send_signal(signal.SIGTERM)
        for w in workers:
            w.wait(timeout=30)
        jobs = store.list_jobs(limit=args.takes + 10)
        done = sum(j.state == JobState.DONE for j in jobs)
        polls = len(fake.calls("result"))
        called = sum(call.status == 200 for call in fake.callbacks)
        before, after = _around_the_call(jobs, fake) if args.callbacks else (0, 0)
        runner.shutdown()
        store.close()
        if app is not None:
            app.stop()
    print(
        f"{args.takes} takes, T = {args.seconds:g} s, {args.workers} workers ({per_worker} threads each):"
        f" admitted and enqueued in {admitted:.1f} s; all collected after {took:.1f} s;"
        f" done {done}/{args.takes}; paid jobs {fake.jobs_created} (duplicates {fake.jobs_created - args.takes});"
        f" submits {len(fake.calls('submit'))}"
    )
    print(
        f"status requests per take: {polls / args.takes:.1f} (goal T/3 + 5 = {args.seconds / 3 + 5:.1f})"
        + (f"; calls back answered 200: {called}/{args.takes}" if args.callbacks else "")
    )
    if args.callbacks:
        print(
            f"of which, for takes whose call came: polls before the call {before / max(called, 1):.2f} a take;"
            f" after it {after / max(called, 1):.2f} a take (the result read with the key: a call only wakes the take)"
        )
    for i, (cpu, peak) in enumerate(usage):
        print(f"worker {i}: {cpu:.1f} s CPU, peak {peak} MB resident")


def _around_the_call(jobs: list[Job], fake: FakeWaveSpeed) -> tuple[int, int]:
    """Status requests made before and after each take's call came, over the takes whose call the
    app answered 200: polls the call made needless, and the read the call wakes."""
    called_at = {}
    for call in fake.callbacks:
        if call.status == 200:
            take = call.url.split("?")[0].rstrip("/").rsplit("/", 1)[-1]
            called_at.setdefault(take, call.sent_at)
    remote = {j.remote_id: j.id for j in jobs if j.remote_id}
    before = after = 0
    for req in fake.calls("result"):
        parts = req.path.rstrip("/").split("/")  # /api/v3/predictions/<id>/result
        take = remote.get(parts[-2]) if len(parts) >= 2 else None
        if take is None or take not in called_at:
            continue
        if req.at < called_at[take]:
            before += 1
        else:
            after += 1
    return before, after


if __name__ == "__main__":
    main()
