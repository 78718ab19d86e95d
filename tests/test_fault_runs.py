"""Many takes per provider through the real JobRunner, against a fake that misbehaves at random.

For each provider, 12 distinct storyboards are generated at once against its loopback fake while:
- 20 % of status requests (fal: status polls, status streams and result fetches) and 20 % of
  result downloads get a 500 / 502 / 503 / 429 in the provider's own body shape, or a dropped
  connection (seeded, so every run sees the same schedule of faults);
- 2 of the 12 submits are processed but their answer is lost, and 2 get a 503 before processing.

Every take must end finished (none stuck, none lost): DONE with an H.264 MP4 in data_dir/videos,
FAILED with a reason (the refused submits: nothing charged), or UNKNOWN saying it was not resent
(the lost answers). Each take sent exactly one submit, so the fake made at most one paid job per
take, and exactly as many jobs as submits that reached it. No `.part` file is left behind.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fakes.base import FakeServer, Fault
from fakes.evolink import FakeEvoLink, evolink_fault
from fakes.fal import FakeFal, busy, server_error
from fakes.wavespeed import FakeWaveSpeed, wavespeed_fault

from storyboard.jobs import JobRunner
from storyboard.media import probe_video
from storyboard.models import Job, JobState, ProviderId, Shot, Storyboard
from storyboard.providers.evolink import EvoLinkClient
from storyboard.providers.fal import FalClient
from storyboard.providers.wavespeed import WaveSpeedClient
from storyboard.runner.policies import SUBMIT_ATTEMPTS
from storyboard.store import Store

TAKES = 12
LOST_ANSWERS = 2  # submits processed by the fake whose answer never arrives
REFUSED = 2  # submits answered 503 before the fake processed them
FAULT_RATE = 0.2
JOB_SECONDS = 0.3
HANG_GUARD = 300.0  # only ends a run that hangs; speed is measured by bench/, never asserted here
PASS = Fault()  # a scripted "fault" that changes nothing: the request is answered normally
DROP = Fault(drop=True)


def _evolink_5xx(status: int) -> Fault:
    """EvoLink's error table has no 502/503 row; a gateway error in its `{"error": {...}}` shape."""
    if status == 500:
        return evolink_fault(500)
    words = {502: "Bad gateway", 503: "Service temporarily unavailable"}[status]
    return Fault(
        status=status, body={"error": {"code": "service_unavailable", "message": words, "type": "api_error"}}
    )


@dataclass
class Provider:
    id: ProviderId
    make_fake: Callable[[], FakeServer]
    make_client: Callable[[Any], Any]
    submit_route: str
    status_routes: tuple[str, ...]  # every request that follows a job's status
    download_route: str
    error: Callable[[int], Fault]  # an HTTP error in the provider's own body shape
    busy: Fault  # a 429 that asks for no wait (a real Retry-After would only slow the test)


def _fake_wavespeed() -> FakeServer:
    return FakeWaveSpeed(job_seconds=JOB_SECONDS)


def _fake_fal() -> FakeServer:
    fake = FakeFal()
    fake.queue_seconds = 0.05
    fake.job_seconds = JOB_SECONDS
    return fake


def _fake_evolink() -> FakeServer:
    return FakeEvoLink(job_seconds=JOB_SECONDS)


def _wavespeed_client(fake: Any) -> WaveSpeedClient:
    return WaveSpeedClient(fake.key, base_url=fake.url)


def _fal_client(fake: Any) -> FalClient:
    return FalClient(fake.key, queue_base=fake.url, rest_base=fake.url)


def _evolink_client(fake: Any) -> EvoLinkClient:
    return EvoLinkClient(fake.key, base_url=fake.url, files_base_url=fake.url)


PROVIDERS = {
    ProviderId.WAVESPEED: Provider(
        ProviderId.WAVESPEED,
        _fake_wavespeed,
        _wavespeed_client,
        submit_route="submit",
        status_routes=("result",),
        download_route="video",
        error=wavespeed_fault,
        busy=wavespeed_fault(429, retry_after=0),
    ),
    ProviderId.FAL: Provider(
        ProviderId.FAL,
        _fake_fal,
        _fal_client,
        submit_route="submit",
        status_routes=("status", "stream", "result"),
        download_route="files",
        error=server_error,
        busy=busy(0),
    ),
    ProviderId.EVOLINK: Provider(
        ProviderId.EVOLINK,
        _fake_evolink,
        _evolink_client,
        submit_route="generate",
        status_routes=("task",),
        download_route="video",
        error=_evolink_5xx,
        busy=evolink_fault(429, retry_after=0),
    ),
}


def _faults(p: Provider) -> list[Fault]:
    return [p.error(500), p.error(502), p.error(503), p.busy, DROP]


def _schedule(fake: FakeServer, route: str, p: Provider, seed: int, length: int = 3000) -> list[Fault]:
    """Script the next `length` answers of a route: 20 % faults at random (seeded). The first two
    are faults for sure, so every run exercises a drop and a 503 on the route whatever the timing."""
    rng = random.Random(seed)
    kinds = _faults(p)
    plan = [DROP, p.error(503)]
    plan += [rng.choice(kinds) if rng.random() < FAULT_RATE else PASS for _ in range(length - len(plan))]
    for fault in plan:
        fake.fail_next(route, fault)
    return plan


def _served(fake: FakeServer, route: str, plan: list[Fault]) -> int:
    """How many real faults the route has answered so far."""
    used = min(len(fake.calls(route)), len(plan))
    return sum(1 for fault in plan[:used] if fault is not PASS)


def _marker(provider: ProviderId, i: int) -> str:
    return f"take-{provider.value}-{i:03d}"


def _storyboard(provider: ProviderId, i: int) -> Storyboard:
    return Storyboard(
        provider=provider,
        shots=[
            Shot(prompt=f"A glass bottle on wet sand, waves roll in ({_marker(provider, i)})", duration=3)
        ],
    )


@pytest.fixture(params=list(PROVIDERS), ids=lambda p: p.value)
def provider(request: pytest.FixtureRequest) -> Provider:
    return PROVIDERS[request.param]


@pytest.fixture
def fake(provider: Provider, tiny_mp4: Path) -> Iterator[Any]:
    server = provider.make_fake()
    server.start()
    server.video_bytes = tiny_mp4.read_bytes()  # type: ignore[attr-defined]
    yield server
    server.stop()


def test_many_takes_ride_out_random_faults_and_none_is_sent_twice(
    provider: Provider, fake: Any, tmp_path: Path
) -> None:
    seed = {ProviderId.WAVESPEED: 11, ProviderId.FAL: 22, ProviderId.EVOLINK: 33}[provider.id]
    plans = {
        route: _schedule(fake, route, provider, seed + n)
        for n, route in enumerate((*provider.status_routes, provider.download_route))
    }
    submits = [Fault(lose_answer=True)] * LOST_ANSWERS + [provider.error(503)] * REFUSED
    submits += [PASS] * (TAKES - len(submits))
    random.Random(seed).shuffle(submits)
    for fault in submits:
        fake.fail_next(provider.submit_route, fault)

    client = provider.make_client(fake)
    client.poll_interval = 0.05
    data_dir = tmp_path / "data"
    store = Store(data_dir / "studio.db")
    runner = JobRunner(store, data_dir, {provider.id: client}, backoff=0.001)
    try:
        ids = [runner.generate(_storyboard(provider.id, i)).id for i in range(TAKES)]
        jobs: list[Job] = [runner.wait(job_id, timeout=HANG_GUARD) for job_id in ids]
    finally:
        runner.shutdown()

    # None stuck, none lost: every take is a row, and every row has finished.
    stuck = [(j.id, j.state, j.message) for j in jobs if not j.state.finished]
    assert not stuck, stuck
    assert not store.unfinished_jobs()
    rows = store.list_jobs()
    assert len(rows) == TAKES and len({j.idempotency_key for j in rows}) == TAKES

    # The faults really happened: while following jobs (whichever way the client follows: fal
    # streams and only polls when streams keep failing) and while downloading.
    assert sum(_served(fake, route, plans[route]) for route in provider.status_routes) >= 1
    assert _served(fake, provider.download_route, plans[provider.download_route]) >= 1

    # Each take sent exactly one submit; the fake made one job per submit it processed, never two
    # for a take (counted by the marker in each request, and by idempotency key where sent).
    records = fake.tasks if isinstance(fake, FakeEvoLink) else fake.jobs
    bodies = [json.dumps(record.body) for record in list(records.values())]
    sent = [r.body.decode() for r in fake.calls(provider.submit_route)]
    assert len(sent) == TAKES + REFUSED  # a submit refused with 503 was surely not taken: sent again
    for i, job in enumerate(jobs):
        marker = _marker(provider.id, i)
        assert sum(marker in body for body in bodies) == 1, (marker, job.state, job.message)
        assert 1 <= sum(marker in body for body in sent) <= SUBMIT_ATTEMPTS, marker  # refusals only
    assert fake.jobs_created == TAKES  # one job per take, never two
    if isinstance(fake, FakeWaveSpeed):
        assert set(fake.submits_by_key) <= {j.idempotency_key for j in jobs}

    # The outcomes: lost answers are UNKNOWN and were not resent; everything else ended DONE
    # (refused submits included, once sent again).
    by_state: dict[JobState, list[Job]] = {}
    for job in jobs:
        by_state.setdefault(job.state, []).append(job)
    failed = by_state.get(JobState.FAILED, [])
    unknown = by_state.get(JobState.UNKNOWN, [])
    done = by_state.get(JobState.DONE, [])
    assert failed == [], [(j.state, j.message) for j in failed]
    assert len(unknown) == LOST_ANSWERS, [(j.state, j.message) for j in unknown]
    for job in unknown:
        assert "We did not resend it, so you are not charged twice" in job.message
    assert len(done) == TAKES - LOST_ANSWERS

    videos = data_dir / "videos"
    for job in done:
        assert job.remote_id in records
        assert job.video_path is not None
        video = data_dir / job.video_path
        assert video == videos / f"{job.id}.mp4"
        assert video.read_bytes() == fake.video_bytes
        assert probe_video(video).codec == "h264"
    assert sorted(p.name for p in videos.iterdir() if p.suffix == ".mp4") == sorted(
        f"{j.id}.mp4" for j in done
    )
    assert not list(data_dir.rglob("*.part"))
