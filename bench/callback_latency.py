"""A hosted take's latency with provider callbacks (STORYBOARD_PUBLIC_URL) against polling alone.

For each provider, against its loopback fake (tests/fakes), the real JobRunner, the real client and
the app's real callback route (components.callback_route on uvicorn, tests/callback_server.py),
takes whose job completes T seconds (plus a random part of a second) after the submit run one after
another on one store, in three modes, cases side by side:

- polling: no public address; the poll plan (fal: its status stream) as today;
- callback: the fake calls the URL its submit carried when the job ends; the call wakes the take;
- lost: callbacks asked for but the fake never calls (the fallback polls find it).

For each: seen = when the store went DOWNLOADING minus the fake's completion (same monotonic
clock), and the fake's status requests for the take (fal: polls plus stream opens). Prints
figures; asserts nothing.

    .venv/bin/python -m bench.callback_latency [--seconds T] [--runs N]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from bench.hosted_latency import timed_store
from bench.provider_fakes import HOSTED, CallbackServer, FakeFal, at_once, on_fake, write_mp4
from storyboard.jobs import JobRunner
from storyboard.models import JobState, ProviderId, Shot, Storyboard
from storyboard.providers.fal_webhook import FalKeys

PUBLIC = "https://studio.example"
MODES = ("polling", "callback", "lost")


@dataclass
class Case:
    provider: ProviderId
    mode: str
    seen: list[float] = field(default_factory=list)
    requests: list[int] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def run_case(case: Case, seconds: float, runs: int, video: bytes, data_dir: Path) -> None:
    hosted = on_fake(case.provider, seconds, video)
    store = timed_store(data_dir / "studio.db")
    server = CallbackServer() if case.mode != "polling" else None
    if server is not None:
        hosted.fake.callback_origins[PUBLIC] = server.url
        hosted.fake.calls_back = case.mode == "callback"
    keys = FalKeys(hosted.fake.jwks_url) if isinstance(hosted.fake, FakeFal) else None
    runner = JobRunner(
        store,
        data_dir,
        {case.provider: hosted.client},
        public_url=PUBLIC if server is not None else None,
        fal_keys=keys,
    )
    if server is not None:
        server.runner = runner
    try:
        for i in range(runs):
            storyboard = Storyboard(
                provider=case.provider, shots=[Shot(prompt=f"A bottle on wet sand, take {i}", duration=5)]
            )
            hosted.next_job_takes(seconds)
            job = runner.wait(runner.generate(storyboard).id, timeout=seconds * 3 + 150)
            if job.state != JobState.DONE or job.remote_id is None:
                case.problems.append(f"{job.state}: {job.message}")
                continue
            marks = store.marks[job.id]
            case.seen.append(marks[JobState.DOWNLOADING] - hosted.completed_at(job.remote_id))
            case.requests.append(hosted.status_requests(job.remote_id))
    finally:
        runner.shutdown()
        hosted.stop()
        if server is not None:
            server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="T, each job's length (default 10)")
    parser.add_argument("--runs", type=int, default=3, help="takes per provider and mode (default 3)")
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="bench-callback-"))
    try:
        video = write_mp4(scratch / "tiny.mp4", frames=24).read_bytes()
        cases = [Case(p, m) for p in HOSTED for m in MODES]
        wall = at_once(cases, lambda c, d: run_case(c, args.seconds, args.runs, video, d), scratch)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    print(f"Callback vs polling, T={args.seconds:g} s, {args.runs} takes per case ({wall:.0f} s wall):")
    for case in cases:
        head = f"  {case.provider.value:9} {case.mode:8}"
        if not case.seen:
            print(f"{head} no take finished ({'; '.join(case.problems)})")
            continue
        problems = f"; {len(case.problems)} did not finish" if case.problems else ""
        print(
            f"{head} seen {statistics.mean(case.seen):5.2f} s after completion (mean; worst "
            f"{max(case.seen):5.2f} s), status requests {min(case.requests)}-{max(case.requests)}{problems}"
        )


if __name__ == "__main__":
    main()
