"""How soon a finished hosted job is DONE in the app, and how many status requests it cost.

For each provider, against its loopback fake (tests/fakes), the real JobRunner and the real client,
with the clients' real poll intervals, runs takes whose job completes T seconds after the submit
(T = 10 s and 30 s; `--quick`: 3 s and 6 s; the full run adds fal at T = 45 s, past the 30 s a
status stream may stay silent). Several takes per case run side by side, staggered.

(a) latency: the store's DONE time minus the fake's completion time (its job record's start plus
    its job_seconds, on the same monotonic clock); "seen" is the same for DOWNLOADING, i.e. when
    the runner learned the job was complete.
(b) requests: the fake's recorded status requests for that job (fal: status polls plus status
    stream opens; the one result fetch after COMPLETED is shown apart).

Goals (from the issue): fal seen within 0.3 s with <= 3 status requests; WaveSpeed and EvoLink
within 0.6 s on average with <= T/3 + 5 requests. Prints figures; asserts nothing.

    .venv/bin/python -m bench.hosted_latency [--quick] [--runs N]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
STAGGER = 0.37  # seconds between the takes of one case


@dataclass
class Case:
    provider: str
    seconds: float
    note: str = ""
    latencies: list[float] = field(default_factory=list)  # DONE - completion
    seen: list[float] = field(default_factory=list)  # DOWNLOADING - completion
    polls: list[int] = field(default_factory=list)
    streams: list[int] = field(default_factory=list)
    results: list[int] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="T = 3 s and 6 s instead of 10 s and 30 s")
    parser.add_argument("--runs", type=int, default=3, help="takes per provider and T (default 3)")
    args = parser.parse_args()

    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(ROOT / "tests"))  # the fakes and the sample MP4 writer live with the tests
    from samples import write_mp4

    scratch = Path(tempfile.mkdtemp(prefix="bench-hosted-"))
    try:
        video = write_mp4(scratch / "tiny.mp4", frames=24).read_bytes()
        times = (3.0, 6.0) if args.quick else (10.0, 30.0)
        cases = [Case(p, t) for p in ("fal", "wavespeed", "evolink") for t in times]
        if not args.quick:
            cases.append(Case("fal", 45.0, note=" [extra: longer than a 30 s silent stream]"))
        started = time.monotonic()
        threads = [
            threading.Thread(target=_run_case, args=(case, args.runs, video, scratch / f"case-{i}"))
            for i, case in enumerate(cases)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        wall = time.monotonic() - started
    finally:
        shutil.rmtree(scratch, ignore_errors=True)

    print(f"Hosted job latency, {args.runs} take(s) per case, real poll intervals ({wall:.0f} s wall):")
    for case in cases:
        print(_line(case))
    print()
    print(_schedule_note(times))


def _run_case(case: Case, runs: int, video: bytes, data_dir: Path) -> None:
    from fakes.evolink import FakeEvoLink
    from fakes.fal import FakeFal
    from fakes.wavespeed import FakeWaveSpeed

    from storyboard.jobs import JobRunner
    from storyboard.models import JobState, ProviderId, Shot, Storyboard
    from storyboard.providers.evolink import EvoLinkClient
    from storyboard.providers.fal import FalClient
    from storyboard.providers.wavespeed import WaveSpeedClient

    fake: Any
    client: Any
    if case.provider == "fal":
        fake = FakeFal().start()
        fake.job_seconds = case.seconds
        client = FalClient(fake.key, queue_base=fake.url, rest_base=fake.url)
        provider = ProviderId.FAL
    elif case.provider == "wavespeed":
        fake = FakeWaveSpeed(job_seconds=case.seconds).start()
        client = WaveSpeedClient(fake.key, base_url=fake.url)
        provider = ProviderId.WAVESPEED
    else:
        fake = FakeEvoLink(job_seconds=case.seconds).start()
        client = EvoLinkClient(fake.key, base_url=fake.url, files_base_url=fake.url)
        provider = ProviderId.EVOLINK
    fake.video_bytes = video

    store = _timed_store(data_dir / "studio.db")
    runner = JobRunner(store, data_dir, {provider: client})  # real poll intervals, default backoff
    job_ids: list[str] = []
    try:
        for i in range(runs):
            if i:
                time.sleep(STAGGER)
            storyboard = Storyboard(
                provider=provider,
                shots=[Shot(prompt=f"A bottle on wet sand, T={case.seconds:g}, take {i}", duration=5)],
            )
            job_ids.append(runner.generate(storyboard).id)
        jobs = [runner.wait(job_id, timeout=case.seconds + 60) for job_id in job_ids]
    finally:
        runner.shutdown()
        fake.stop()

    records = fake.tasks if case.provider == "evolink" else fake.jobs
    for job in jobs:
        if job.state != JobState.DONE or job.remote_id not in records:
            case.problems.append(f"{job.state}: {job.message}")
            continue
        record = records[job.remote_id]
        completed = record.started + record.job_seconds
        marks = store.marks[job.id]  # type: ignore[attr-defined]
        case.latencies.append(marks[JobState.DONE] - completed)
        case.seen.append(marks[JobState.DOWNLOADING] - completed)

        def count(route: str, remote_id: str = job.remote_id) -> int:
            return sum(remote_id in r.path for r in fake.calls(route))

        if case.provider == "fal":
            case.polls.append(count("status"))
            case.streams.append(count("stream"))
            case.results.append(count("result"))
        else:
            case.polls.append(count("result" if case.provider == "wavespeed" else "task"))


def _timed_store(path: Path) -> Any:
    """A Store that notes (monotonic) when each job first enters each state."""
    from storyboard.store import Store

    class TimedStore(Store):
        def __init__(self, path: Path) -> None:
            super().__init__(path)
            self.marks: dict[str, dict[Any, float]] = {}

        def transition(self, job_id: str, from_states: Any, details: Any = None, **changes: Any) -> Any:
            job = super().transition(job_id, from_states, details, **changes)
            if job is not None and "state" in changes:
                self.marks.setdefault(job_id, {}).setdefault(changes["state"], time.monotonic())
            return job

    return TimedStore(path)


def _line(case: Case) -> str:
    head = f"{case.provider} T={case.seconds:g}s{case.note}:"
    if not case.latencies:
        return f"{head} no take finished ({'; '.join(case.problems)})"
    mean = statistics.mean(case.latencies)
    worst = max(case.latencies)
    seen = statistics.mean(case.seen)
    timing = f"DONE {mean:.2f} s after completion (mean; worst {worst:.2f} s; seen at {seen:.2f} s)"
    if case.provider == "fal":
        requests = [p + s for p, s in zip(case.polls, case.streams, strict=True)]
        counts = (
            f"{_span(case.polls)} status polls + {_span(case.streams)} stream(s), "
            f"{_span(case.results)} result fetch"
        )
        goal_s, goal_n = 0.3, 3.0
    else:
        requests = case.polls
        counts = f"{_span(case.polls)} status polls"
        goal_s, goal_n = 0.6, case.seconds / 3 + 5
    verdict = []
    if mean > goal_s:
        verdict.append(f"misses time by {mean - goal_s:.2f} s")
    if max(requests) > goal_n:
        verdict.append(f"misses requests by {max(requests) - goal_n:.3g}")
    goal = f"(goal: <={goal_s:g} s, <={goal_n:.3g})"
    problems = f"; {len(case.problems)} take(s) did not finish" if case.problems else ""
    return f"{head} {timing}, {counts} {goal} -> {', '.join(verdict) or 'meets both'}{problems}"


def _span(values: list[int]) -> str:
    low, high = min(values), max(values)
    return f"{low}" if low == high else f"{low}-{high}"


def _schedule_note(times: tuple[float, ...]) -> str:
    """Where the runner's polls fall for a polled provider: 1 s, growing x1.25 to 5 s."""
    from storyboard.jobs import MAX_POLL_INTERVAL

    parts = []
    for t in times:
        at, interval, polls = 0.0, 1.0, 1
        while at < t:
            at += interval
            interval = min(MAX_POLL_INTERVAL, interval * 1.25)
            polls += 1
        parts.append(
            f"T={t:g}s -> first poll after completion at {at:.2f} s ({at - t:.2f} s late, {polls} polls)"
        )
    return "Polled providers' schedule (first poll at submit, then 1 s growing x1.25 to 5 s): " + "; ".join(
        parts
    )


if __name__ == "__main__":
    main()
