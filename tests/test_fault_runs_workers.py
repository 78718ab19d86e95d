"""The hosted providers' fault runs (test_fault_runs.py) with takes driven by 3 `storyboard-worker`
processes on a real PostgreSQL, the busiest of them SIGKILLed every 1.5 s (and a new one started
in its place; the second stop is a SIGTERM, the graceful kind).

Takes of all three providers at once against their loopback fakes, each fake misbehaving as in
test_fault_runs: 20 % of status requests and downloads fail (errors in the provider's own shape,
dropped connections), one submit's answer is lost after the fake made the job, one submit is
refused with a 503. Every take must end finished (DONE with its video in the data dir, FAILED or
UNKNOWN with a sentence saying why); none lost; the fake made at most one job per take (no submit
processed twice, however often the take changed worker); at least one take was handed on by a
killed worker; and no provider ever had more takes running at once than its setting allows
(settings.takes_at_once, enforced by the queue across all workers).
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import warm_start
from fakes.base import Fault
from fakes.evolink import FakeEvoLink
from servers.postgres import PostgresServer
from test_fault_runs import PASS, PROVIDERS, Provider, _marker, _schedule, _storyboard

from storyboard.jobs import JobRunner
from storyboard.models import Job, JobState, ProviderId
from storyboard.store import Store

ROOT = Path(__file__).resolve().parent.parent
WORKERS = 3
TAKES = 6  # per provider
JOB_SECONDS = 1.2  # long enough for a kill to land in the middle of takes
AT_ONCE = {ProviderId.WAVESPEED: 3, ProviderId.FAL: 2, ProviderId.EVOLINK: 3}
HEARTBEAT = 0.5  # seconds: a killed worker's takes are handed on ~1.5-2 s after the kill
KILL_EVERY = 1.5  # seconds between stops (fal alone needs 3 rounds of 1.2 s jobs)
MAX_STOPS = 4  # each replacement worker costs ~1 s of CPU to start
HANG_GUARD = 120.0  # only ends a run that hangs; never a measure of speed


def _environment(fakes: dict[ProviderId, Any], database: str, data_dir: Path) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("STORYBOARD_", "WAVESPEED", "FAL", "EVOLINK"))
    }
    wavespeed, fal, evolink = fakes[ProviderId.WAVESPEED], fakes[ProviderId.FAL], fakes[ProviderId.EVOLINK]
    env.update(
        PYTHONPATH=str(ROOT),
        STORYBOARD_DATABASE_URL=database,
        STORYBOARD_DATA_DIR=str(data_dir),
        STORYBOARD_WORKER_HEARTBEAT=str(HEARTBEAT),
        STORYBOARD_TAKES_AT_ONCE=",".join(f"{p.value}={n}" for p, n in AT_ONCE.items()),
        WAVESPEED_API_KEY=wavespeed.key,
        WAVESPEED_BASE_URL=wavespeed.url,
        FAL_KEY=fal.key,
        FAL_QUEUE_BASE_URL=fal.url,
        FAL_REST_BASE_URL=fal.url,
        EVOLINK_API_KEY=evolink.key,
        EVOLINK_BASE_URL=evolink.url,
        EVOLINK_FILES_BASE_URL=evolink.url,
    )
    return env


class Workers:
    """The worker processes: started, stopped (SIGKILL or SIGTERM), replaced; their logs kept."""

    def __init__(self, env: dict[str, str], logs: Path) -> None:
        self.env = env
        self.logs = logs
        self.alive: list[tuple[warm_start.Started, Path]] = []
        self.all: list[warm_start.Started] = []
        self.kills = self.terms = 0

    def start(self) -> None:
        path = self.logs / f"worker-{len(self.all)}.log"
        # `python tests/worker_process.py`, forked from a process that has imported it (~1-2 s a start)
        process = warm_start.start([str(ROOT / "tests" / "worker_process.py")], self.env, self.logs, path)
        self.alive.append((process, path))
        self.all.append(process)

    def stop_one(self, how: signal.Signals) -> bool:
        """Stop the worker driving the most takes now (as its log says), and start another; False
        (nothing done) while no worker is driving any (they may still be starting, on a busy machine)."""

        def running(path: Path) -> int:
            text = path.read_text(errors="replace")
            return text.count("Starting job") - text.count("ended with status")

        victim = max(self.alive, key=lambda worker: running(worker[1]))
        if running(victim[1]) <= 0:
            return False
        self.alive.remove(victim)
        victim[0].send_signal(how)
        if how == signal.SIGKILL:
            victim[0].wait()
            self.kills += 1
        else:
            self.terms += 1  # it finishes stopping in its own time
        self.start()
        return True

    def stop(self) -> None:
        for process in self.all:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.all:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    def log_text(self) -> str:
        return "".join(path.read_text(errors="replace") for path in sorted(self.logs.glob("worker-*.log")))


@pytest.fixture
def fakes(tiny_mp4: Path) -> Iterator[dict[ProviderId, Any]]:
    made: dict[ProviderId, Any] = {}
    for provider in PROVIDERS.values():
        fake = provider.make_fake()
        fake.job_seconds = JOB_SECONDS  # type: ignore[attr-defined]
        fake.start()
        fake.video_bytes = tiny_mp4.read_bytes()  # type: ignore[attr-defined]
        made[provider.id] = fake
    yield made
    for fake in made.values():
        fake.stop()


def _script_faults(provider: Provider, fake: Any, seed: int) -> None:
    """test_fault_runs' faults: 20 % of status requests and downloads; one lost answer, one 503."""
    for n, route in enumerate((*provider.status_routes, provider.download_route)):
        _schedule(fake, route, provider, seed + n)
    submits = [Fault(lose_answer=True), provider.error(503)] + [PASS] * (TAKES - 2)
    random.Random(seed).shuffle(submits)
    for fault in submits:
        fake.fail_next(provider.submit_route, fault)


def _most_at_once(takes: list[Job], store: Store) -> int:
    """The most takes of these that were at the provider at one moment: from the claim before the
    submit to the take's end (a take whose worker died keeps its place until it is handed on)."""
    moments: list[tuple[float, int]] = []
    for take in takes:
        sent_after = store.details(take.id).get("sent_after")
        if sent_after is not None:
            moments += [(float(sent_after), 1), (take.updated_at.timestamp(), -1)]
    most = running = 0
    for _, change in sorted(moments):
        running += change
        most = max(most, running)
    return most


def test_takes_survive_workers_killed_mid_take_and_none_is_sent_twice(
    postgres_server: PostgresServer,
    fakes: dict[ProviderId, Any],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    database = postgres_server.create_database("worker_kills")
    data_dir = tmp_path / "data"
    for provider, seed in zip(PROVIDERS.values(), (11, 22, 33), strict=True):
        _script_faults(provider, fakes[provider.id], seed)
    store = Store(database)
    # The app's side: admits and enqueues (it needs the keys only to say Generate is possible).
    clients = {p.id: p.make_client(fakes[p.id]) for p in PROVIDERS.values()}
    env = _environment(fakes, database, data_dir)
    monkeypatch.setenv("STORYBOARD_TAKES_AT_ONCE", env["STORYBOARD_TAKES_AT_ONCE"])  # the app enqueues by it
    runner = JobRunner(store, data_dir, clients)
    assert runner.workers  # PostgreSQL: the app drives nothing itself
    logs = tmp_path / "logs"
    logs.mkdir()
    workers = Workers(env, logs)
    began = time.monotonic()
    try:
        for _ in range(WORKERS):
            workers.start()
        ids = [runner.generate(_storyboard(provider, i)).id for i in range(TAKES) for provider in PROVIDERS]
        next_kill = time.monotonic() + KILL_EVERY
        while store.unfinished_jobs() and time.monotonic() - began < HANG_GUARD:
            if workers.kills + workers.terms < MAX_STOPS and time.monotonic() >= next_kill:
                # the second stop is a graceful one (SIGTERM): its takes go back at once
                how = signal.SIGTERM if len(workers.all) == WORKERS + 1 else signal.SIGKILL
                if workers.stop_one(how):
                    next_kill = time.monotonic() + KILL_EVERY
            time.sleep(0.05)
        took = time.monotonic() - began
    finally:
        workers.stop()
        runner.shutdown()
    jobs = [store.get_job(job_id) for job_id in ids]
    text = workers.log_text()
    submits = {p: len(fakes[p].calls(PROVIDERS[p].submit_route)) for p in PROVIDERS}
    print(
        f"\n{len(ids)} takes, {WORKERS} workers, {workers.kills} SIGKILLs + {workers.terms} SIGTERM, "
        f"submits {submits}, "
        f"handed on {text.count('stopped beating')}, {took:.1f} s; "
        f"states {sorted((j.state.value, j.provider.value) for j in jobs if j is not None)}"
    )

    # None lost, none stuck: every take has finished, and says why when it is not DONE.
    assert all(job is not None for job in jobs)
    stuck = [(j.id, j.state, j.message) for j in jobs if j is not None and not j.state.finished]
    assert not stuck, (stuck, text[-3000:])
    finished = [j for j in jobs if j is not None]
    for job in finished:
        assert job.state in (JobState.DONE, JobState.FAILED, JobState.UNKNOWN), (job.state, job.message)
        if job.state != JobState.DONE:
            assert job.message, job.state

    # The queue's limit held across all workers: never more of a provider's takes at once.
    for provider in PROVIDERS:
        theirs = [j for j in finished if j.provider == provider]
        assert _most_at_once(theirs, store) <= AT_ONCE[provider], provider

    # The kills hit takes in flight: at least one take was handed from a dead worker to another.
    assert workers.kills >= 1 and workers.terms == 1
    assert "its worker stopped beating; back in the queue" in text
    assert "stopping: unfinished takes go back to the queue" in text

    # No submit processed twice: the fake made at most one job per take, and every take the
    # store says the provider has is that one job.
    for provider in PROVIDERS.values():
        fake = fakes[provider.id]
        records = fake.tasks if isinstance(fake, FakeEvoLink) else fake.jobs
        bodies = [json.dumps(record.body) for record in list(records.values())]
        for i in range(TAKES):
            made = sum(_marker(provider.id, i) in body for body in bodies)
            assert made <= 1, (provider.id, i, made)
        assert fake.jobs_created == len(bodies)
        theirs = [j for j in finished if j.provider == provider.id]
        for job in theirs:
            if job.remote_id is not None:
                assert job.remote_id in records
        assert sum(j.state == JobState.DONE for j in theirs) >= 1

    for job in finished:
        if job.state == JobState.DONE:
            assert job.video_path is not None
            assert (data_dir / job.video_path).read_bytes() == fakes[job.provider].video_bytes
    store.close()
