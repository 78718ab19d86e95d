"""Provider callbacks (STORYBOARD_PUBLIC_URL): a hosted take is woken by its provider's call instead
of being polled, and polling stays the fallback.

Each provider's fake calls the URL its submit carried when the job ends, through the app's real
route (`components.callback_route` on uvicorn, tests/callback_server.py) to a real JobRunner. The public address is `https://studio.example`: the fake delivers it to the loopback
server, as DNS and a TLS proxy in front of the app would. Cost: about 0.5 s a test.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from callback_server import CallbackServer
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fakes.base import FakeServer
from fakes.evolink import FakeEvoLink
from fakes.fal import FakeFal
from fakes.wavespeed import FakeWaveSpeed
from waiting import wait_until

from storyboard import callbacks
from storyboard.jobs import JobRunner
from storyboard.models import JobState, ModelId, ProviderId, Shot, Storyboard
from storyboard.providers.base import ProviderClient
from storyboard.providers.evolink import EvoLinkClient
from storyboard.providers.fal import FalClient
from storyboard.providers.fal_webhook import FalKeys
from storyboard.providers.wavespeed import WaveSpeedClient
from storyboard.settings import HIDDEN, without_keys
from storyboard.store import Store

PUBLIC = "https://studio.example"


def _wavespeed(fake: FakeServer) -> ProviderClient:
    return WaveSpeedClient(fake.key, fake.url)  # type: ignore[attr-defined]


def _fal(fake: FakeServer) -> ProviderClient:
    return FalClient(fake.key, fake.url, fake.url, api_base=fake.url)  # type: ignore[attr-defined]


def _evolink(fake: FakeServer) -> ProviderClient:
    return EvoLinkClient(fake.key, fake.url, fake.url)  # type: ignore[attr-defined]


# provider -> (fake, client, the fake's submit route, its status route)
PROVIDERS: dict[ProviderId, tuple[type[FakeServer], Callable[[FakeServer], ProviderClient], str, str]] = {
    ProviderId.WAVESPEED: (FakeWaveSpeed, _wavespeed, "submit", "result"),
    ProviderId.FAL: (FakeFal, _fal, "submit", "status"),
    ProviderId.EVOLINK: (FakeEvoLink, _evolink, "generate", "task"),
}


def _sent_callback(provider: ProviderId, submit: Any) -> str | None:
    """The callback URL a recorded submit asked for, where that provider takes it [providers.md]."""
    if provider == ProviderId.EVOLINK:
        return submit.json.get("callback_url")
    name = "webhook" if provider == ProviderId.WAVESPEED else "fal_webhook"
    return (submit.query.get(name) or [None])[0]


@pytest.fixture(scope="module")
def app() -> Iterator[CallbackServer]:
    served = CallbackServer()
    yield served
    served.stop()


def _start(
    app: CallbackServer,
    provider: ProviderId,
    tmp_path: Path,
    tiny_mp4: Path,
    *,
    public_url: str | None = PUBLIC,
) -> tuple[FakeServer, ProviderClient, JobRunner]:
    make_fake, make_client, _, _ = PROVIDERS[provider]
    fake = make_fake()
    fake.video_bytes = tiny_mp4.read_bytes()  # type: ignore[attr-defined]
    fake.callback_origins[PUBLIC] = app.url
    fake.start()
    client = make_client(fake)
    keys = FalKeys(fake.jwks_url) if isinstance(fake, FakeFal) else None
    runner = JobRunner(
        Store(tmp_path / "studio.db"),
        tmp_path,
        {provider: client},
        backoff=0.001,
        public_url=public_url,
        fal_keys=keys,
    )
    app.runner = runner
    return fake, client, runner


def _storyboard(provider: ProviderId) -> Storyboard:
    return Storyboard(
        provider=provider, model=ModelId.TURBO_PRO_T2V, shots=[Shot(prompt="A wave rolls in.", duration=5)]
    )


@pytest.mark.parametrize("provider", list(PROVIDERS), ids=lambda p: p.value)
def test_a_take_ends_on_its_providers_call_with_one_status_request_and_one_submit(
    app: CallbackServer, provider: ProviderId, tmp_path: Path, tiny_mp4: Path
) -> None:
    fake, client, runner = _start(app, provider, tmp_path, tiny_mp4)
    _, _, submit_route, status_route = PROVIDERS[provider]
    try:
        # The first fallback poll would come 30 s after the submit (poll interval 1 s): a take done in
        # well under that was woken by the call, and the poll counts below say so too.
        job = runner.wait(runner.generate(_storyboard(provider)).id, timeout=20)
        details = runner.store.details(job.id)
        # the fake notes its call once the app has answered it, and the app answers after waking the
        # take: on a loaded machine the take can end first
        wait_until(lambda: fake.callbacks, timeout=10, what="the provider's call to be noted")
    finally:
        runner.shutdown()
        fake.stop()

    assert job.state == JobState.DONE, job.message
    (submit,) = fake.calls(submit_route)  # one submit ...
    assert fake.jobs_created == 1  # type: ignore[attr-defined]  # ... and one paid job
    token = details[callbacks.TOKEN]
    assert _sent_callback(provider, submit) == f"{PUBLIC}/api/callback/{provider.value}/{job.id}?t={token}"
    (call,) = fake.callbacks
    assert call.status == 200
    polls = fake.calls(status_route)
    assert len(polls) == 1 and polls[0].at >= call.sent_at  # the one status request came on the call
    assert not fake.calls("stream")  # fal: no status stream held open while the call is awaited
    assert without_keys(details)[callbacks.TOKEN] == HIDDEN  # the Details panel does not show it


@pytest.mark.parametrize("provider", list(PROVIDERS), ids=lambda p: p.value)
def test_a_call_that_never_comes_costs_time_not_the_take(
    app: CallbackServer, provider: ProviderId, tmp_path: Path, tiny_mp4: Path
) -> None:
    fake, client, runner = _start(app, provider, tmp_path, tiny_mp4)
    fake.calls_back = False
    client.poll_interval = 0.01  # the fallback's first poll after 30 of them: 0.3 s
    try:
        job = runner.wait(runner.generate(_storyboard(provider)).id, timeout=30)
    finally:
        runner.shutdown()
        fake.stop()
    assert job.state == JobState.DONE, job.message
    assert fake.jobs_created == 1 and not fake.callbacks  # type: ignore[attr-defined]


@pytest.mark.parametrize("provider", list(PROVIDERS), ids=lambda p: p.value)
def test_without_a_public_address_the_submit_is_the_documented_request(
    app: CallbackServer, provider: ProviderId, tmp_path: Path, tiny_mp4: Path
) -> None:
    fake, client, runner = _start(app, provider, tmp_path, tiny_mp4, public_url=None)
    client.poll_interval = 0.01
    try:
        job = runner.wait(runner.generate(_storyboard(provider)).id, timeout=30)
        details = runner.store.details(job.id)
    finally:
        runner.shutdown()
        fake.stop()
    assert job.state == JobState.DONE, job.message
    (submit,) = fake.calls(PROVIDERS[provider][2])
    assert submit.query == {} and submit.json == details["request"]["body"]
    assert callbacks.TOKEN not in details and not fake.callbacks


def _running(runner: JobRunner, provider: ProviderId) -> str:
    job_id = runner.generate(_storyboard(provider)).id
    wait_until(lambda: runner.store.get_job(job_id).remote_id, timeout=10, what="the take to be sent")  # type: ignore[union-attr]
    return job_id


def test_forged_or_misdirected_calls_are_refused_and_change_nothing(
    app: CallbackServer, tmp_path: Path, tiny_mp4: Path
) -> None:
    fake, client, runner = _start(app, ProviderId.FAL, tmp_path, tiny_mp4)
    assert isinstance(fake, FakeFal)
    fake.job_seconds = 600  # still running throughout; no call of its own
    fake.calls_back = False
    try:
        job_id = _running(runner, ProviderId.FAL)
        job = runner.store.get_job(job_id)
        assert job is not None and job.remote_id is not None
        token = runner.store.details(job_id)[callbacks.TOKEN]
        before = (job, runner.store.details(job_id))
        body = json.dumps({"request_id": job.remote_id, "status": "OK", "payload": {}}).encode()
        route = f"{app.url}/api/callback/fal/{job_id}"

        def post(url: str, headers: dict[str, str], sent: bytes = body) -> httpx.Response:
            return httpx.post(url, content=sent, headers=headers, timeout=10)

        good = fake.signed(job.remote_id, body)
        refused = {
            "a stranger's key": post(
                f"{route}?t={token}", fake.signed(job.remote_id, body, Ed25519PrivateKey.generate())
            ),
            "another body": post(f"{route}?t={token}", good, body + b" "),
            "another request": post(f"{route}?t={token}", fake.signed("another-request", body)),
            "no signature": post(f"{route}?t={token}", {}),
            "a wrong token": post(f"{route}?t=not-{token}", good),
            "no token": post(route, good),
        }
        unknown = {
            "an unknown take": post(f"{app.url}/api/callback/fal/no-such-take?t={token}", good),
            "another provider": post(f"{app.url}/api/callback/wavespeed/{job_id}?t={token}", good),
        }
        fetched = len(fake.calls("jwks"))
        woken: list[str] = []
        direct = callbacks.answer(
            runner.store,
            woken.append,
            lambda: FalKeys(fake.jwks_url),
            provider="fal",
            job_id=job_id,
            token=token,
            headers={
                k.lower(): v
                for k, v in fake.signed(job.remote_id, body, Ed25519PrivateKey.generate()).items()
            },
            body=body,
        )
        after = (runner.store.get_job(job_id), runner.store.details(job_id))
        genuine = post(f"{route}?t={token}", good)
        wait_until(lambda: fake.calls("status"), timeout=10, what="the status request the genuine call wakes")
    finally:
        runner.shutdown()
        fake.stop()

    assert {why: (r.status_code, r.content) for why, r in refused.items()} == {
        why: (403, b"") for why in refused
    }
    assert {why: (r.status_code, r.content) for why, r in unknown.items()} == {
        why: (404, b"") for why in unknown
    }
    assert direct == 403 and woken == []
    assert after == before  # nothing about the take changed
    assert genuine.status_code == 200
    assert fetched == 1  # forged calls do not make the app fetch fal's keys again and again
    assert fake.jobs_created == 1


def test_a_take_resumed_after_a_restart_is_looked_at_at_once(
    app: CallbackServer, tmp_path: Path, tiny_mp4: Path
) -> None:
    """Its call may have come while the app was down (providers do not call twice): the resumed
    take is asked about at once, not at the fallback's first poll 30 s after its submit."""
    fake, client, runner = _start(app, ProviderId.WAVESPEED, tmp_path, tiny_mp4)
    assert isinstance(fake, FakeWaveSpeed)
    fake.job_seconds, fake.every_phase = 600, False
    try:
        job_id = _running(runner, ProviderId.WAVESPEED)
        runner.shutdown()  # the app stops; the take ends meanwhile, its call unanswered
        remote_id = runner.store.get_job(job_id).remote_id  # type: ignore[union-attr]
        fake.jobs[remote_id].job_seconds = 0
        again = JobRunner(runner.store, tmp_path, {ProviderId.WAVESPEED: _wavespeed(fake)}, public_url=PUBLIC)
        app.runner = again
        again.resume_unfinished()
        job = again.wait(job_id, timeout=20)
        again.shutdown()
    finally:
        fake.stop()
    assert job.state == JobState.DONE, job.message
    assert len(fake.calls("result")) == 1 and fake.jobs_created == 1
