"""WaveSpeedAI client against a loopback fake of its API (tests/fakes/wavespeed.py).

Contract: for every WaveSpeed model x single/multi-shot (x first frame where the model takes one),
the request the fake RECORDS is the compiled request, sent the documented way. Then the flow
(upload, submit, follow, download), each failure's sentence and flags, the key staying where it
belongs, and the real JobRunner driving the client for whole takes. Nothing leaves 127.0.0.1: every
client here goes through a transport that refuses any other host.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
from fakes.base import Fault
from fakes.wavespeed import FakeWaveSpeed, validation_fault, wavespeed_fault
from PIL import Image
from waiting import wait_until

from storyboard.catalog import PROVIDERS, offer
from storyboard.compile import CompiledRequest, compile_request
from storyboard.jobs import JobRunner
from storyboard.media import probe_video
from storyboard.models import FirstFrame, JobState, ModelId, Options, ProviderId, Shot, Storyboard
from storyboard.providers.base import ProviderError, RemoteStatus, Submission
from storyboard.providers.wavespeed import WaveSpeedClient
from storyboard.store import Store

KEY = "ws-test-key-0123456789abcdef"
DASHBOARD = PROVIDERS[ProviderId.WAVESPEED].dashboard_url
TURBO_MODELS = (ModelId.TURBO_PRO_T2V, ModelId.TURBO_PRO_I2V)

SINGLE = Storyboard(
    name="Bottle",
    shots=[Shot(prompt="  A glass bottle on wet sand, waves roll in, golden hour. ", duration=5)],
    options=Options(aspect_ratio="9:16", negative_prompt="blurry", cfg_scale=0.7, sound=False),
)
MULTI = Storyboard(
    name="Lighthouse",
    shots=[
        Shot(prompt="Wide: a lighthouse on a cliff at dawn.", duration=3),
        Shot(prompt="Medium: the keeper climbs the stairs.", duration=5),
        Shot(prompt="Close-up: the lamp flares to life.", duration=4),
    ],
    options=Options(aspect_ratio="16:9", sound=True, shot_type="intelligent"),
)
CASES = [(model, kind) for model in ModelId for kind in ("single", "multi")]


# ---- fixtures -------------------------------------------------------------------------------


class LoopbackOnly(httpx.HTTPTransport):
    """Every request the client makes is recorded; any host but 127.0.0.1 is refused outright."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: list[httpx.Request] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.seen.append(request)
        if request.url.host != "127.0.0.1":
            raise AssertionError(f"a test request left this machine: {request.url}")
        return super().handle_request(request)


@pytest.fixture
def fake(tiny_mp4: Path) -> Iterator[FakeWaveSpeed]:
    server = FakeWaveSpeed(key=KEY, job_seconds=0.05)
    server.video_bytes = tiny_mp4.read_bytes()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def transport() -> Iterator[LoopbackOnly]:
    guard = LoopbackOnly()
    yield guard
    assert all(r.url.host == "127.0.0.1" for r in guard.seen)


def _client(fake: FakeWaveSpeed, transport: LoopbackOnly, key: str = KEY) -> WaveSpeedClient:
    http = httpx.Client(transport=transport, timeout=httpx.Timeout(5.0, connect=2.0), follow_redirects=True)
    client = WaveSpeedClient(key, base_url=fake.url, http=http)
    client.poll_interval = 0.01
    return client


@pytest.fixture
def client(fake: FakeWaveSpeed, transport: LoopbackOnly) -> Iterator[WaveSpeedClient]:
    c = _client(fake, transport)
    yield c
    c.close()
    c._http.close()


@pytest.fixture
def photo(tmp_path: Path) -> Path:
    path = tmp_path / "frames" / "first.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (320, 320), (200, 120, 40)).save(path)
    return path


def _storyboard(kind: str, model: ModelId) -> Storyboard:
    base = SINGLE if kind == "single" else MULTI
    return base.model_copy(update={"provider": ProviderId.WAVESPEED, "model": model})


def _compile(kind: str, model: ModelId, image_url: str | None = None) -> CompiledRequest:
    return compile_request(_storyboard(kind, model), offer(ProviderId.WAVESPEED, model), image_url)


def _follow(client: WaveSpeedClient, submission: Submission, timeout: float = 5.0) -> list[RemoteStatus]:
    seen: list[RemoteStatus] = []

    def finished() -> bool:
        seen.append(client.status(submission))
        return seen[-1].state in ("completed", "failed", "cancelled")

    wait_until(finished, timeout=timeout, every=client.poll_interval, what="the job to finish")
    return seen


def _submit_error(client: WaveSpeedClient, request: CompiledRequest | None = None) -> ProviderError:
    with pytest.raises(ProviderError) as failed:
        client.submit(request or _compile("single", ModelId.TURBO_PRO_T2V), "take-1")
    return failed.value


# ---- contract: what reaches WaveSpeed is exactly the compiled request -------------------------


@pytest.mark.parametrize(("model", "kind"), CASES)
def test_the_recorded_request_is_the_compiled_request(
    fake: FakeWaveSpeed, client: WaveSpeedClient, photo: Path, tmp_path: Path, model: ModelId, kind: str
) -> None:
    chosen = offer(ProviderId.WAVESPEED, model)
    image_url = client.upload_image(photo) if chosen.takes_image else None
    request = _compile(kind, model, image_url)

    submission = client.submit(request, f"take-{model}-{kind}")

    sent = fake.calls("submit")
    assert len(sent) == 1
    recorded = sent[0]
    assert recorded.method == "POST"
    assert recorded.path == chosen.endpoint == request.endpoint
    assert recorded.headers["authorization"] == f"Bearer {KEY}"
    assert recorded.headers["content-type"] == "application/json"
    assert recorded.json == request.body
    body = recorded.json
    # The facts that matter, pinned on what WaveSpeed really receives [Seed 000-002].
    if model in TURBO_MODELS:
        assert isinstance(body["duration"], str)
    else:
        assert isinstance(body["duration"], int) and not isinstance(body["duration"], bool)
        assert body["shot_type"] == ("customize" if kind == "multi" else SINGLE.options.shot_type)
        assert isinstance(body["sound"], bool)
    if kind == "multi":
        assert [s["prompt"] for s in body["multi_prompt"]] == [s.prompt.strip() for s in MULTI.shots]
        if model in TURBO_MODELS:
            assert "prompt" not in body and body["duration"] == "3"  # billed on top of the shots
        else:
            assert body["prompt"] and body["duration"] == MULTI.total_seconds
    else:
        assert "multi_prompt" not in body and body["prompt"] == SINGLE.shots[0].prompt.strip()
    if chosen.takes_image:
        assert body["image"] == image_url and image_url.startswith(f"{fake.url}/media/")
        assert "aspect_ratio" not in body
    else:
        assert "image" not in body and not fake.calls("upload")

    # ...and the rest of the flow: follow it to the end, then download a playable video.
    assert submission.remote_id in fake.jobs
    assert submission.data["get_url"] == f"{fake.url}/api/v3/predictions/{submission.remote_id}/result"
    states = [s.state for s in _follow(client, submission)]
    assert states[0] == "queued" and "running" in states and states[-1] == "completed"
    final = client.status(submission)
    assert final.video_url == f"{fake.url}/files/{submission.remote_id}.mp4"
    dest = tmp_path / "out.mp4"
    client.download(final.video_url, dest)
    assert probe_video(dest).codec == "h264"
    assert fake.jobs_created == 1


def test_status_follows_the_documented_result_path(fake: FakeWaveSpeed, client: WaveSpeedClient) -> None:
    submission = client.submit(_compile("single", ModelId.TURBO_PRO_T2V), "take-1")
    _follow(client, submission)
    paths = {r.path for r in fake.calls("result")}
    assert paths == {f"/api/v3/predictions/{submission.remote_id}/result"}
    assert all(r.headers["authorization"] == f"Bearer {KEY}" for r in fake.calls("result"))


def test_without_urls_get_the_result_path_is_built_from_the_id(
    fake: FakeWaveSpeed, client: WaveSpeedClient
) -> None:
    submission = client.submit(_compile("single", ModelId.TURBO_PRO_T2V), "take-1")
    bare = Submission(remote_id=submission.remote_id)  # e.g. stored by an older version
    assert _follow(client, bare)[-1].state == "completed"


def test_a_urls_get_on_another_host_is_not_given_the_key(
    fake: FakeWaveSpeed, client: WaveSpeedClient
) -> None:
    submission = client.submit(_compile("single", ModelId.TURBO_PRO_T2V), "take-1")
    submission.data["get_url"] = "https://collector.example/api/v3/predictions/x/result"
    assert client.status(submission).state == "queued"  # asked the base URL instead (transport checks)
    assert fake.calls("result")[0].path == f"/api/v3/predictions/{submission.remote_id}/result"


def test_the_upload_is_multipart_with_the_key(
    fake: FakeWaveSpeed, client: WaveSpeedClient, photo: Path
) -> None:
    url = client.upload_image(photo)
    recorded = fake.calls("upload")[0]
    assert recorded.method == "POST" and recorded.path == "/api/v3/media/upload/binary"
    assert recorded.headers["authorization"] == f"Bearer {KEY}"
    assert recorded.headers["content-type"].startswith("multipart/form-data")
    assert b'name="file"; filename="first.png"' in recorded.body
    assert fake.uploads[url.rsplit("/", 1)[1]][0] == photo.read_bytes()


def test_an_upload_the_envelope_refuses_is_an_error(client: WaveSpeedClient, tmp_path: Path) -> None:
    not_an_image = tmp_path / "notes.png"
    not_an_image.write_bytes(b"just text")
    with pytest.raises(ProviderError) as failed:
        client.upload_image(not_an_image)  # HTTP 200, body code 500
    assert failed.value.message == (
        "WaveSpeedAI did not take the first frame (Upload failed: invalid file type). "
        "Try another image (JPEG or PNG), or try again later."
    )
    assert not failed.value.retryable


def test_the_download_carries_no_key(fake: FakeWaveSpeed, client: WaveSpeedClient, tmp_path: Path) -> None:
    submission = client.submit(_compile("single", ModelId.TURBO_PRO_T2V), "take-1")
    url = _follow(client, submission)[-1].video_url
    assert url is not None
    client.download(url, tmp_path / "v.mp4")
    video = fake.calls("video")[0]
    assert "authorization" not in video.headers
    assert (tmp_path / "v.mp4").read_bytes() == fake.video_bytes


# ---- errors: one sentence each, with the right flags ----------------------------------------


def test_a_bad_key_says_to_check_settings(fake: FakeWaveSpeed, transport: LoopbackOnly) -> None:
    error = _submit_error(_client(fake, transport, key="ws-wrong-key"))
    assert error.message == (
        "WaveSpeedAI did not accept the API key (Unauthorized). Check the key on the Settings page."
    )
    assert error.status_code == 401 and error.sent is False and not error.retryable
    assert fake.jobs_created == 0


@pytest.mark.parametrize("status", [402, 403])
def test_no_balance_says_where_to_top_up(fake: FakeWaveSpeed, client: WaveSpeedClient, status: int) -> None:
    fake.fail_next("submit", wavespeed_fault(status, message="Insufficient balance, please top up"))
    error = _submit_error(client)
    assert error.message == (
        "WaveSpeedAI says the account has no balance left (Insufficient balance, please top up). "
        f"Top up at {DASHBOARD}, then generate again."
    )
    assert error.sent is False and not error.retryable and fake.jobs_created == 0


def test_a_validation_error_names_the_field(fake: FakeWaveSpeed, client: WaveSpeedClient) -> None:
    fake.fail_next("submit", validation_fault("duration", "must be one of 3..15"))
    error = _submit_error(client)
    assert error.message == (
        "WaveSpeedAI rejected the request (duration: must be one of 3..15). Change that setting and generate again."
    )
    assert error.status_code == 422 and error.sent is False and not error.retryable


def test_the_fake_itself_rejects_a_wrongly_typed_duration(
    fake: FakeWaveSpeed, client: WaveSpeedClient
) -> None:
    request = _compile("single", ModelId.TURBO_PRO_T2V)
    request.body["duration"] = 5  # Turbo wants the string "5" [Seed 001]
    error = _submit_error(client, request)
    assert error.message.startswith("WaveSpeedAI rejected the request (duration: must be one of")
    assert error.status_code == 400 and error.sent is False and fake.jobs_created == 0


def test_an_error_code_inside_an_http_200_envelope_is_an_error(
    fake: FakeWaveSpeed, client: WaveSpeedClient
) -> None:
    fake.fail_next("submit", Fault(status=200, body={"code": 400, "message": "prompt: is required"}))
    error = _submit_error(client)
    assert error.message == (
        "WaveSpeedAI rejected the request (prompt: is required). Change that setting and generate again."
    )
    assert error.sent is False and error.status_code == 400


def test_too_many_requests_is_retried_after_what_wavespeed_asks(
    fake: FakeWaveSpeed, client: WaveSpeedClient
) -> None:
    fake.fail_next("submit", wavespeed_fault(429, retry_after=7))
    error = _submit_error(client)
    assert error.message == "WaveSpeedAI is busy (too many requests); retrying shortly."
    assert error.retryable and error.retry_after == 7.0 and error.sent is False

    submission = client.submit(_compile("single", ModelId.TURBO_PRO_T2V), "take-2")
    fake.fail_next("result", wavespeed_fault(429, retry_after=2))
    with pytest.raises(ProviderError) as polled:
        client.status(submission)
    assert polled.value.retryable and polled.value.retry_after == 2.0 and polled.value.sent is True


def test_server_trouble_is_retryable(fake: FakeWaveSpeed, client: WaveSpeedClient) -> None:
    fake.fail_next("submit", wavespeed_fault(503))
    error = _submit_error(client)
    assert error.message == "WaveSpeedAI had a problem on its side (HTTP 503); retrying shortly."
    assert error.retryable and error.sent is False

    submission = client.submit(_compile("single", ModelId.TURBO_PRO_T2V), "take-2")
    fake.fail_next("result", wavespeed_fault(503))
    with pytest.raises(ProviderError) as polled:
        client.status(submission)
    assert polled.value.retryable
    assert _follow(client, submission)[-1].state == "completed"  # and then it carries on


def test_a_submit_that_cannot_connect_was_not_sent(fake: FakeWaveSpeed) -> None:
    fake.stop()  # nothing listens any more: connection refused
    client = WaveSpeedClient(KEY, base_url=fake.url)  # its own httpx client, as the app builds it
    try:
        error = _submit_error(client)
    finally:
        client.close()
    assert error.message == "Could not reach WaveSpeedAI. Check your internet connection and try again."
    assert error.sent is False and error.retryable


def test_a_submit_whose_answer_is_lost_is_unknown_and_made_one_job(
    fake: FakeWaveSpeed, client: WaveSpeedClient
) -> None:
    fake.fail_next("submit", Fault(lose_answer=True))
    with pytest.raises(ProviderError) as failed:
        client.submit(_compile("multi", ModelId.TURBO_PRO_T2V), "take-lost")
    assert failed.value.sent is None  # never resend: it may be running and billed
    assert failed.value.message == "WaveSpeedAI did not answer in time."
    assert fake.jobs_created == 1 and len(fake.calls("submit")) == 1
    assert fake.submits_by_key["take-lost"] == 1


def _lose_a_submit(
    client: WaveSpeedClient, fake: FakeWaveSpeed, request: CompiledRequest
) -> tuple[datetime, datetime]:
    """Send `request` with its answer lost; the window the runner knows it was sent in."""
    fake.fail_next("submit", Fault(lose_answer=True))
    before = datetime.now(UTC)
    with pytest.raises(ProviderError):
        client.submit(request, "take-lost")
    return before, datetime.now(UTC)


def test_a_lost_submit_is_found_in_wavespeeds_history_and_collected(
    fake: FakeWaveSpeed, client: WaveSpeedClient, tmp_path: Path
) -> None:
    request = _compile("multi", ModelId.TURBO_PRO_T2V)
    sent_after, sent_before = _lose_a_submit(client, fake, request)
    (job,) = fake.jobs.values()

    found = client.find_submission(request, sent_after, sent_before)

    assert found is not None and found.remote_id == job.id
    history = fake.calls("history")[0]
    assert history.headers["authorization"] == f"Bearer {KEY}"
    assert history.json["model"] == "kwaivgi/kling-v3-turbo-pro/text-to-video"
    assert history.json["page"] == 1 and history.json["page_size"] == 20
    final = _follow(client, found)[-1]  # and the video it made is collected like any other
    assert final.state == "completed" and final.video_url
    client.download(final.video_url, tmp_path / "found.mp4")
    assert probe_video(tmp_path / "found.mp4").codec == "h264"


def test_history_is_not_matched_on_another_model_or_outside_the_window(
    fake: FakeWaveSpeed, client: WaveSpeedClient
) -> None:
    request = _compile("single", ModelId.V3_PRO_T2V)
    sent_after, sent_before = _lose_a_submit(client, fake, request)

    other_model = _compile("single", ModelId.TURBO_PRO_T2V)
    assert client.find_submission(other_model, sent_after, sent_before) is None
    later = sent_before + timedelta(minutes=10)
    assert client.find_submission(request, later, later + timedelta(minutes=1)) is None
    assert client.find_submission(request, sent_after, sent_before) is not None


def test_two_candidates_in_the_window_are_not_guessed_between(
    fake: FakeWaveSpeed, client: WaveSpeedClient
) -> None:
    request = _compile("single", ModelId.TURBO_PRO_T2V)
    sent_after = datetime.now(UTC)
    client.submit(request, "take-1")  # another take of the same storyboard, sent at the same moment
    _, sent_before = _lose_a_submit(client, fake, request)
    assert fake.jobs_created == 2

    assert client.find_submission(request, sent_after, sent_before) is None


def test_a_history_item_showing_another_body_is_not_ours(
    fake: FakeWaveSpeed, client: WaveSpeedClient
) -> None:
    request = _compile("single", ModelId.TURBO_PRO_T2V)
    sent_after, sent_before = _lose_a_submit(client, fake, request)
    (job,) = fake.jobs.values()
    item = {"id": job.id, "model": job.model, "status": "completed", "created_at": job.created_at}
    page = {"code": 200, "message": "success", "data": {"page": 1, "total": 1, "items": [item]}}

    fake.fail_next(
        "history",
        Fault(
            status=200, body=page | {"data": page["data"] | {"items": [item | {"input": {"prompt": "else"}}]}}
        ),
    )
    assert client.find_submission(request, sent_after, sent_before) is None
    fake.fail_next(
        "history",
        Fault(status=200, body=page | {"data": page["data"] | {"items": [item | {"input": request.body}]}}),
    )
    assert client.find_submission(request, sent_after, sent_before) is not None


@pytest.mark.parametrize(
    ("model", "kind", "usd"),
    [
        (ModelId.TURBO_PRO_T2V, "single", "0.70"),  # 5 s x $0.14 [Seed 000]
        (ModelId.TURBO_PRO_T2V, "multi", "2.10"),  # (3 + 3 + 5 + 4) s: duration billed on top [Seed 000]
        (ModelId.V3_PRO_T2V, "single", "0.56"),  # 5 s x $0.112 [Seed 002]
    ],
)
def test_wavespeed_prices_the_exact_request(
    fake: FakeWaveSpeed, client: WaveSpeedClient, model: ModelId, kind: str, usd: str
) -> None:
    request = _compile(kind, model)
    price = client.price(request)
    assert price is not None and price.usd == Decimal(usd)
    asked = fake.calls("pricing")[0]
    assert asked.json == {"model_id": request.path.removeprefix("/api/v3/"), "inputs": request.body}
    assert asked.headers["authorization"] == f"Bearer {KEY}"
    assert fake.jobs_created == 0  # a price is asked, nothing is submitted


def test_a_refused_price_check_says_so_in_one_sentence(fake: FakeWaveSpeed, client: WaveSpeedClient) -> None:
    fake.fail_next("pricing", wavespeed_fault(401))
    with pytest.raises(ProviderError, match="did not accept the API key") as failed:
        client.price(_compile("single", ModelId.TURBO_PRO_T2V))
    assert not failed.value.retryable


def test_an_accepted_submit_without_an_id_is_unknown(fake: FakeWaveSpeed, client: WaveSpeedClient) -> None:
    fake.fail_next("submit", Fault(status=200, body={"code": 200, "message": "success", "data": {}}))
    error = _submit_error(client)
    assert error.sent is None and not error.retryable
    assert error.message == "WaveSpeedAI accepted the job but its answer had no prediction id."


def test_a_failed_job_gives_wavespeeds_reason(fake: FakeWaveSpeed, client: WaveSpeedClient) -> None:
    fake.fail_with = "The prompt was flagged by content moderation."
    submission = client.submit(_compile("single", ModelId.TURBO_PRO_T2V), "take-1")
    final = _follow(client, submission)[-1]
    assert final.state == "failed"
    assert (
        final.error == "WaveSpeedAI could not make this video: The prompt was flagged by content moderation."
    )
    assert final.raw["data"]["status"] == "failed"


@pytest.mark.parametrize(
    ("remote", "state", "error"),
    [
        ("cancelled", "cancelled", None),
        (
            "timeout",
            "failed",
            "WaveSpeedAI ran out of time making this video. Generate it again, or try again later.",
        ),
        (
            "failed",
            "failed",
            "WaveSpeedAI could not make this video and gave no reason. Try again, or change the prompt.",
        ),
        ("something-new", "running", None),
    ],
)
def test_every_final_status_ends_the_job(
    fake: FakeWaveSpeed, client: WaveSpeedClient, remote: str, state: str, error: str | None
) -> None:
    submission = client.submit(_compile("single", ModelId.TURBO_PRO_T2V), "take-1")
    body = {
        "code": 200,
        "message": "success",
        "data": {"id": submission.remote_id, "status": remote, "error": ""},
    }
    fake.fail_next("result", Fault(status=200, body=body))
    status = client.status(submission)
    assert (status.state, status.error) == (state, error)


def test_a_completed_job_without_outputs_has_no_video_url(
    fake: FakeWaveSpeed, client: WaveSpeedClient
) -> None:
    submission = client.submit(_compile("single", ModelId.TURBO_PRO_T2V), "take-1")
    body = {
        "code": 200,
        "message": "success",
        "data": {"id": submission.remote_id, "status": "completed", "outputs": []},
    }
    fake.fail_next("result", Fault(status=200, body=body))
    status = client.status(submission)
    assert status.state == "completed" and status.video_url is None  # the runner decides after a few


def test_a_status_we_cannot_read_is_retried_not_the_end(fake: FakeWaveSpeed, client: WaveSpeedClient) -> None:
    submission = client.submit(_compile("single", ModelId.TURBO_PRO_T2V), "take-1")
    fake.fail_next("result", Fault(status=200, body=["not", "an", "envelope"]))
    with pytest.raises(ProviderError) as failed:
        client.status(submission)
    assert (
        failed.value.retryable and failed.value.message == "WaveSpeedAI sent a job status we could not read."
    )
    fake.fail_next("result", Fault(status=200, body={"code": 500, "message": "busy"}))
    with pytest.raises(ProviderError) as refused:
        client.status(submission)
    assert refused.value.retryable and refused.value.status_code == 500


def test_an_unknown_prediction_is_a_definite_no(client: WaveSpeedClient) -> None:
    with pytest.raises(ProviderError) as failed:
        client.status(Submission(remote_id="nope"))
    assert failed.value.status_code == 404 and not failed.value.retryable


def test_a_result_link_answering_a_web_page_is_refused(
    fake: FakeWaveSpeed, client: WaveSpeedClient, tmp_path: Path
) -> None:
    submission = client.submit(_compile("single", ModelId.TURBO_PRO_T2V), "take-1")
    url = _follow(client, submission)[-1].video_url
    assert url is not None
    fake.result_page = b"<html><body>This link has expired</body></html>"
    with pytest.raises(ProviderError) as failed:
        client.download(url, tmp_path / "v.mp4")
    assert failed.value.message == "WaveSpeedAI's result link returned text/html, not a video."
    assert not (tmp_path / "v.mp4").exists()


def test_cancel_is_not_offered(fake: FakeWaveSpeed, client: WaveSpeedClient) -> None:
    submission = client.submit(_compile("single", ModelId.TURBO_PRO_T2V), "take-1")
    before = len(fake.requests)
    assert client.cancel(submission) is False
    assert len(fake.requests) == before


# ---- the key stays in the Authorization header, to our base URL only ------------------------


def test_the_key_never_appears_in_an_error(fake: FakeWaveSpeed, client: WaveSpeedClient, photo: Path) -> None:
    echo = f"Invalid key {KEY}"
    errors: list[ProviderError] = []
    for status in (401, 402, 422, 429, 500):
        fake.fail_next("submit", wavespeed_fault(status, message=echo))
        errors.append(_submit_error(client))
    fake.fail_next("submit", Fault(status=200, body={"code": 400, "message": echo}))
    errors.append(_submit_error(client))
    fake.fail_next("upload", Fault(status=200, body={"code": 500, "message": echo}))
    with pytest.raises(ProviderError) as upload:
        client.upload_image(photo)
    errors.append(upload.value)
    fake.fail_next("submit", Fault(lose_answer=True))
    errors.append(_submit_error(client))

    fake.fail_with = echo
    submission = client.submit(_compile("single", ModelId.TURBO_PRO_T2V), "take-echo")
    failed = _follow(client, submission)[-1]

    for error in errors:
        shown = f"{error} {error.message} {error.args} {error.raw!r}"
        assert KEY not in shown, shown
    assert KEY not in f"{failed.error} {failed.raw!r}"
    assert "[key hidden]" in failed.error
    assert KEY not in repr(client)


@pytest.mark.parametrize("base", ["http://example.com", "http://10.0.0.5:8080"])
def test_no_key_goes_over_plain_http_to_another_machine(base: str, photo: Path) -> None:
    seen: list[httpx.Request] = []
    http = httpx.Client(transport=httpx.MockTransport(lambda r: seen.append(r) or httpx.Response(500)))
    client = WaveSpeedClient(KEY, base_url=base, http=http)
    with pytest.raises(ProviderError, match="only https") as submit:
        client.submit(_compile("single", ModelId.TURBO_PRO_T2V), "take-1")
    assert submit.value.sent is False
    with pytest.raises(ProviderError, match="only https"):
        client.upload_image(photo)
    with pytest.raises(ProviderError, match="only https"):
        client.status(Submission(remote_id="abc"))
    assert seen == []  # refused before anything was sent


def test_a_key_that_would_break_the_header_is_refused_without_echoing_it() -> None:
    with pytest.raises(ValueError) as refused:
        WaveSpeedClient("ws-key\nX-Evil: 1", base_url="http://127.0.0.1:9")
    assert "ws-key" not in str(refused.value)
    with pytest.raises(ValueError):
        WaveSpeedClient("   ")


def test_a_request_compiled_for_another_provider_is_not_sent(
    client: WaveSpeedClient, fake: FakeWaveSpeed
) -> None:
    request = compile_request(SINGLE, offer(ProviderId.FAL, ModelId.TURBO_PRO_T2V))
    error = _submit_error(client, request)
    assert error.sent is False and not fake.calls("submit")


# ---- the real JobRunner drives the client ---------------------------------------------------


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store(tmp_path / "studio.db")


@pytest.fixture
def runner(store: Store, client: WaveSpeedClient, tmp_path: Path) -> Iterator[JobRunner]:
    r = JobRunner(store, tmp_path, {ProviderId.WAVESPEED: client}, backoff=0.001)
    yield r
    r.shutdown()


def _first_frame(photo: Path, data_dir: Path) -> FirstFrame:
    data = photo.read_bytes()
    return FirstFrame(
        path=str(photo.relative_to(data_dir)),
        width=320,
        height=320,
        format="PNG",
        size_bytes=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
    )


def _nothing_stored_holds_the_key(data_dir: Path) -> None:
    for path in data_dir.glob("studio.db*"):
        assert KEY.encode() not in path.read_bytes(), path


def test_the_runner_makes_a_take_from_upload_to_mp4(
    runner: JobRunner, fake: FakeWaveSpeed, photo: Path, tmp_path: Path
) -> None:
    storyboard = _storyboard("multi", ModelId.TURBO_PRO_I2V).model_copy(
        update={"first_frame": _first_frame(photo, tmp_path)}
    )
    square = storyboard.options.model_copy(update={"aspect_ratio": "1:1"})  # the photo's own shape
    storyboard = storyboard.model_copy(update={"options": square})
    job = runner.wait(runner.generate(storyboard).id, timeout=20)

    assert job.state == JobState.DONE, job.message
    video = tmp_path / "videos" / f"{job.id}.mp4"
    assert job.video_path == str(video.relative_to(tmp_path)) and probe_video(video).codec == "h264"
    assert video.read_bytes() == fake.video_bytes
    assert len(fake.calls("submit")) == 1 and fake.jobs_created == 1
    assert fake.submits_by_key[job.idempotency_key] == 1
    assert len(fake.calls("upload")) == 1
    uploaded = fake.calls("submit")[0].json["image"]
    assert uploaded.startswith(f"{fake.url}/media/")
    assert job.remote_id in fake.jobs
    _nothing_stored_holds_the_key(tmp_path)


def test_the_runner_sends_no_image_for_text_to_video(
    runner: JobRunner, fake: FakeWaveSpeed, photo: Path, tmp_path: Path
) -> None:
    storyboard = _storyboard("single", ModelId.V3_PRO_T2V).model_copy(
        update={"first_frame": _first_frame(photo, tmp_path)}
    )
    job = runner.wait(runner.generate(storyboard).id, timeout=20)
    assert job.state == JobState.DONE, job.message
    assert not fake.calls("upload") and "image" not in fake.calls("submit")[0].json


def test_the_runner_rides_out_busy_status_answers(runner: JobRunner, fake: FakeWaveSpeed) -> None:
    fake.fail_next("result", wavespeed_fault(503), times=2)
    fake.fail_next("result", wavespeed_fault(429, retry_after=0))
    job = runner.wait(runner.generate(_storyboard("single", ModelId.TURBO_PRO_T2V)).id, timeout=20)
    assert job.state == JobState.DONE, job.message
    assert len(fake.calls("submit")) == 1


def test_a_submit_whose_answer_was_lost_is_found_in_the_history_never_resent(
    runner: JobRunner, fake: FakeWaveSpeed, tmp_path: Path
) -> None:
    fake.fail_next("submit", Fault(lose_answer=True))
    job = runner.wait(runner.generate(_storyboard("single", ModelId.TURBO_PRO_T2V)).id, timeout=20)
    assert job.state == JobState.DONE, job.message
    assert fake.calls("history") and len(fake.calls("submit")) == 1 and fake.jobs_created == 1
    _nothing_stored_holds_the_key(tmp_path)


def test_a_lost_submit_the_history_cannot_show_stays_unknown_never_resent(
    runner: JobRunner, fake: FakeWaveSpeed, tmp_path: Path
) -> None:
    fake.fail_next("submit", Fault(lose_answer=True))
    for _ in range(5):  # every search of the history fails
        fake.fail_next("history", Fault(status=500, body={"message": "history down"}))
    job = runner.wait(runner.generate(_storyboard("single", ModelId.TURBO_PRO_T2V)).id, timeout=20)
    assert job.state == JobState.UNKNOWN
    assert DASHBOARD in job.message
    assert len(fake.calls("submit")) == 1 and fake.jobs_created == 1
    _nothing_stored_holds_the_key(tmp_path)


def test_the_runner_reports_a_failed_job_in_wavespeeds_words(runner: JobRunner, fake: FakeWaveSpeed) -> None:
    fake.fail_with = "Content moderation: the prompt was flagged"
    job = runner.wait(runner.generate(_storyboard("single", ModelId.TURBO_PRO_T2V)).id, timeout=20)
    assert job.state == JobState.FAILED
    assert job.message == "WaveSpeedAI could not make this video: Content moderation: the prompt was flagged."
    assert len(fake.calls("submit")) == 1 and not fake.calls("video")
