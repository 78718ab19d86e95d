"""FalClient against a loopback fal.ai that speaks the real queue protocol (tests/fakes/fal.py).

Contract: what goes on the wire for every fal model x single/multi-shot (x first frame) is exactly
what `compile_request` built. Flow: upload -> submit -> follow (SSE; a broken stream is the
runner's to reopen) -> download a real H.264 file. Errors: one sentence each, with the right flags, and never
the key. Last, one whole take through the real JobRunner.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from fakes.base import Fault
from fakes.fal import BAD_KEY, EXHAUSTED_BALANCE, FakeFal, busy, invalid, server_error
from PIL import Image
from waiting import wait_until

from storyboard.catalog import offer
from storyboard.compile import CompiledRequest, compile_request
from storyboard.jobs import JobRunner
from storyboard.media import probe_video
from storyboard.models import FirstFrame, JobState, ModelId, Options, ProviderId, Shot, Storyboard
from storyboard.providers.base import ProviderError, RemoteStatus, Submission
from storyboard.providers.fal import FalClient
from storyboard.store import Store

KEY = "fal-test-id:fal-test-secret"

SINGLE = Storyboard(
    provider=ProviderId.FAL,
    shots=[Shot(prompt="  A glass bottle on wet sand, waves roll in, golden hour.  ", duration=5)],
    options=Options(aspect_ratio="9:16", negative_prompt="blurry", cfg_scale=0.7, sound=False),
)
MULTI = Storyboard(
    provider=ProviderId.FAL,
    shots=[
        Shot(prompt="Wide: a lighthouse on a cliff at dawn.", duration=3),
        Shot(prompt="Medium: the keeper climbs the stairs. ", duration=5),
        Shot(prompt="Close-up: the lamp flares to life.", duration=4),
    ],
    options=Options(aspect_ratio="16:9", sound=True, shot_type="intelligent"),
)


@pytest.fixture
def fake(tiny_mp4: Path) -> Iterator[FakeFal]:
    server = FakeFal(KEY)
    server.start()
    server.video_bytes = tiny_mp4.read_bytes()
    yield server
    server.stop()


@pytest.fixture
def client(fake: FakeFal) -> Iterator[FalClient]:
    c = FalClient(KEY, queue_base=fake.url, rest_base=fake.url, api_base=fake.url)
    c.poll_interval = 0.02
    yield c
    c.close()


@pytest.fixture
def png(tmp_path: Path) -> Path:
    path = tmp_path / "first-frame.png"
    Image.new("RGB", (640, 360), (30, 90, 160)).save(path)
    return path


def _request(
    model: ModelId, storyboard: Storyboard = SINGLE, image_url: str | None = None
) -> CompiledRequest:
    sb = storyboard.model_copy(update={"model": model})
    return compile_request(sb, offer(ProviderId.FAL, model), image_url)


def _no_key(exc: ProviderError) -> None:
    assert KEY not in exc.message and KEY not in str(exc) and KEY not in json.dumps(exc.raw, default=str)


def _wait_for(fake: FakeFal, job_id: str, status: str, timeout: float = 5.0) -> None:
    wait_until(lambda: fake.status_of(job_id) == status, timeout=timeout, what=f"the fake to reach {status}")


# ---- contract: the request on the wire ---------------------------------------------------------


@pytest.mark.parametrize("kind", ["single", "multi"])
@pytest.mark.parametrize("model", list(ModelId))
def test_the_request_on_the_wire_is_the_compiled_body(
    fake: FakeFal, client: FalClient, png: Path, model: ModelId, kind: str
) -> None:
    chosen = offer(ProviderId.FAL, model)
    storyboard = MULTI if kind == "multi" else SINGLE
    image_url = client.upload_image(png) if chosen.takes_image else None
    request = _request(model, storyboard, image_url)

    submission = client.submit(request, "take-1")

    [sent] = fake.calls("submit")
    assert sent.method == "POST" and sent.path == f"/{chosen.endpoint}"
    assert sent.headers["authorization"] == f"Key {KEY}"
    assert sent.headers["content-type"] == "application/json"
    assert sent.json == request.body
    assert sent.json["duration"] == str(storyboard.total_seconds)
    if kind == "multi":
        assert sent.json["multi_prompt"] == [
            {"prompt": s.prompt.strip(), "duration": str(s.duration)} for s in storyboard.shots
        ]
        assert "prompt" not in sent.json  # mutually exclusive with multi_prompt [Seed 004]
    else:
        assert sent.json["prompt"] == storyboard.shots[0].prompt.strip() and "multi_prompt" not in sent.json
    if chosen.takes_image:
        assert sent.json["image_url"] == image_url and image_url.startswith(f"{fake.url}/files/uploads/")
        assert "aspect_ratio" not in sent.json
    else:
        assert "image_url" not in sent.json and sent.json["aspect_ratio"] == storyboard.options.aspect_ratio
    if model == ModelId.V3_PRO_T2V:
        assert sent.json["generate_audio"] is storyboard.options.sound  # always sent: fal defaults to true
    else:
        assert "generate_audio" not in sent.json

    # The follow-up URLs are fal's, kept as given: owner/app only, no model subpath.
    job_id = submission.remote_id
    assert fake.jobs_created == 1 and job_id in fake.jobs
    base = f"{fake.url}/fal-ai/kling-video/requests/{job_id}"
    assert submission.data["request_id"] == job_id
    assert submission.data["status_url"] == f"{base}/status"
    assert submission.data["response_url"] == base
    assert submission.data["cancel_url"] == f"{base}/cancel"


def test_a_first_frame_goes_to_fal_storage_with_a_token_not_the_key(
    fake: FakeFal, client: FalClient, png: Path
) -> None:
    url = client.upload_image(png)

    [token] = fake.calls("token")
    assert token.path == "/storage/auth/token" and token.query == {"storage_type": ["fal-cdn-v3"]}
    assert token.json == {} and token.headers["authorization"] == f"Key {KEY}"
    [upload] = fake.calls("upload")
    assert upload.headers["authorization"] == f"Bearer {next(iter(fake.tokens))}"
    assert KEY not in json.dumps(upload.headers)
    assert upload.headers["content-type"] == "image/png"
    assert upload.headers["x-fal-file-name"] == "first-frame.png"
    assert upload.body == png.read_bytes()
    assert fake.uploads[url.removeprefix(fake.url)] == ("image/png", png.read_bytes())


def test_a_storage_host_on_plain_http_elsewhere_is_refused(
    fake: FakeFal, client: FalClient, png: Path
) -> None:
    fake.storage_base_url = "http://storage.example.com"
    with pytest.raises(ProviderError, match="only https") as refused:
        client.upload_image(png)
    assert refused.value.sent is False
    assert fake.calls("upload") == []


# ---- following a job ---------------------------------------------------------------------------


def _until_final(
    client: FalClient, submission: Submission, opens: int = 10
) -> list[RemoteStatus | ProviderError]:
    """What the runner's policy does with `follow`: open the stream again after a retryable error,
    until a final status. Returns every status and error seen, in order."""
    seen: list[RemoteStatus | ProviderError] = []
    for _ in range(opens):
        try:
            for status in client.follow(submission, lambda: False):
                seen.append(status)
        except ProviderError as broken:
            assert broken.retryable, broken.message
            seen.append(broken)
            continue
        break
    return seen


def test_upload_submit_follow_download_gives_a_playable_video(
    fake: FakeFal, client: FalClient, png: Path, tmp_path: Path
) -> None:
    fake.queue_seconds, fake.job_seconds = 0.3, 0.5
    image_url = client.upload_image(png)
    submission = client.submit(_request(ModelId.TURBO_PRO_I2V, MULTI, image_url), "take-1")

    seen = list(client.follow(submission, lambda: False))

    final = seen[-1]
    assert final.state == "completed" and final.video_url == f"{fake.url}/files/{submission.remote_id}.mp4"
    assert [s.state for s in seen] == ["queued", "running", "completed"]
    assert seen[0].raw["queue_position"] == 0
    # Completion came over the stream: no polling, one result fetch.
    assert len(fake.calls("stream")) == 1 and fake.calls("status") == []
    assert len(fake.calls("result")) == 1
    assert fake.calls("result")[0].headers["authorization"] == f"Key {KEY}"

    dest = tmp_path / "out.mp4"
    client.download(final.video_url, dest)
    assert "authorization" not in fake.calls("files")[-1].headers  # a public CDN link: no key
    info = probe_video(dest)
    assert info.codec == "h264" and info.duration == pytest.approx(1.0, abs=0.05)


def test_a_stream_broken_midway_raises_a_retryable_error_and_reopening_completes(
    fake: FakeFal, client: FalClient
) -> None:
    fake.stream_breaks_after = 1  # each stream: one event, then the connection ends mid-event
    fake.queue_seconds, fake.job_seconds = 0.3, 0.5
    submission = client.submit(_request(ModelId.TURBO_PRO_T2V), "take-1")

    seen = _until_final(client, submission, opens=50)

    statuses = [s for s in seen if isinstance(s, RemoteStatus)]
    breaks = [s for s in seen if isinstance(s, ProviderError)]
    assert statuses[0].state == "queued" and statuses[-1].state == "completed" and statuses[-1].video_url
    assert breaks and all(
        b.message
        in (
            "fal.ai's status stream broke off; following the job again shortly.",
            "fal.ai's status stream ended before the job did; following it again shortly.",
        )
        for b in breaks
    )
    # Each break was one stream: the client opened nothing on its own and never polled.
    assert len(fake.calls("stream")) == len(breaks) + 1 and fake.calls("status") == []


@pytest.mark.parametrize("fault", [server_error(500), Fault(drop=True)])
def test_a_stream_that_cannot_open_raises_once_without_retrying(
    fake: FakeFal, client: FalClient, fault: Fault
) -> None:
    fake.fail_next("stream", fault)
    submission = client.submit(_request(ModelId.V3_PRO_T2V), "take-1")

    with pytest.raises(ProviderError) as broken:
        list(client.follow(submission, lambda: False))

    assert broken.value.retryable and len(fake.calls("stream")) == 1  # no retry loop of its own
    seen = list(client.follow(submission, lambda: False))  # the runner opens it again
    assert seen[-1].state == "completed" and seen[-1].video_url and fake.calls("status") == []


def test_a_stream_that_stays_silent_raises_a_retryable_error(
    fake: FakeFal, client: FalClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    import storyboard.providers.fal as fal_module

    monkeypatch.setattr(fal_module, "STREAM_READ_TIMEOUT", 0.2)
    fake.fail_next("stream", Fault(delay=1.0, status=200, body={"status": "IN_QUEUE"}))
    submission = client.submit(_request(ModelId.TURBO_PRO_T2V), "take-1")

    with pytest.raises(ProviderError, match="status stream broke off") as silent:
        list(client.follow(submission, lambda: False))
    assert silent.value.retryable


def test_a_stream_refused_for_good_is_not_retryable(fake: FakeFal, client: FalClient) -> None:
    submission = client.submit(_request(ModelId.TURBO_PRO_T2V), "take-1")
    fake.fail_next("stream", BAD_KEY)  # e.g. the key was revoked mid-job
    with pytest.raises(ProviderError, match="did not accept the API key") as failed:
        list(client.follow(submission, lambda: False))
    assert not failed.value.retryable and failed.value.status_code == 401


def test_a_result_fetch_that_fails_after_the_stream_completes_is_retryable(
    fake: FakeFal, client: FalClient
) -> None:
    fake.fail_next("result", server_error(502))
    submission = client.submit(_request(ModelId.TURBO_PRO_T2V), "take-1")
    seen = _until_final(client, submission)
    assert isinstance(seen[-1], RemoteStatus) and seen[-1].state == "completed" and seen[-1].video_url
    assert any(isinstance(s, ProviderError) for s in seen)
    assert len(fake.calls("result")) == 2


def test_a_key_echoed_in_a_status_is_scrubbed(fake: FakeFal, client: FalClient) -> None:
    fake.fail_with = (f"Rejected request from Key {KEY}", "bad_request")
    fake.job_seconds = 0.01
    submission = client.submit(_request(ModelId.TURBO_PRO_T2V), "take-1")
    _wait_for(fake, submission.remote_id, "COMPLETED")
    for status in (client.status(submission), list(client.follow(submission, lambda: False))[-1]):
        assert status.state == "failed" and KEY not in status.model_dump_json()
        assert status.error and "[key hidden]" in status.error


def test_follow_stops_when_asked(fake: FakeFal, client: FalClient) -> None:
    fake.job_seconds = 30
    submission = client.submit(_request(ModelId.TURBO_PRO_T2V), "take-1")
    seen: list[RemoteStatus] = []

    for status in client.follow(submission, lambda: bool(seen)):
        seen.append(status)

    assert [s.state for s in seen] == ["queued"]  # the job runs on; the generator simply ended


def test_status_reads_the_queue_then_the_result(fake: FakeFal, client: FalClient) -> None:
    fake.queue_seconds, fake.job_seconds = 0.3, 0.5
    submission = client.submit(_request(ModelId.TURBO_PRO_T2V), "take-1")
    job_id = submission.remote_id

    queued = client.status(submission)
    assert queued.state == "queued" and queued.raw["queue_position"] == 0 and queued.video_url is None
    _wait_for(fake, job_id, "IN_PROGRESS")
    assert client.status(submission).state == "running"
    assert fake.calls("result") == []
    _wait_for(fake, job_id, "COMPLETED")
    done = client.status(submission)
    assert done.state == "completed" and done.video_url == f"{fake.url}/files/{job_id}.mp4"
    assert done.raw["response"]["video"]["content_type"] == "video/mp4"
    assert all(r.path == f"/fal-ai/kling-video/requests/{job_id}/status" for r in fake.calls("status"))


def test_a_completed_job_carrying_an_error_is_failed_in_one_sentence(
    fake: FakeFal, client: FalClient
) -> None:
    fake.fail_with = ("The prompt was flagged by the content checker.", "content_policy_violation")
    fake.job_seconds = 0.05
    submission = client.submit(_request(ModelId.TURBO_PRO_T2V), "take-1")
    _wait_for(fake, submission.remote_id, "COMPLETED")

    for status in (client.status(submission), list(client.follow(submission, lambda: False))[-1]):
        assert status.state == "failed" and status.video_url is None
        assert status.error == (
            "fal.ai could not make this video (The prompt was flagged by the content checker). "
            "Change the storyboard if it says why, then generate again."
        )
        assert status.raw["error_type"] == "content_policy_violation"
    assert fake.calls("result") == []


def test_a_failure_on_fals_side_says_to_try_later(fake: FakeFal, client: FalClient) -> None:
    fake.fail_with = ("Runner failed to start.", "runner_scheduling_failure")
    fake.job_seconds = 0.05
    submission = client.submit(_request(ModelId.TURBO_PRO_T2V), "take-1")
    _wait_for(fake, submission.remote_id, "COMPLETED")
    assert client.status(submission).error == (
        "fal.ai could not make this video (Runner failed to start); the problem was on its side, "
        "so generate again later."
    )


def test_cancel(fake: FakeFal, client: FalClient) -> None:
    fake.job_seconds = 30
    submission = client.submit(_request(ModelId.TURBO_PRO_T2V), "take-1")

    assert client.cancel(submission) is True
    [sent] = fake.calls("cancel")
    assert sent.method == "PUT" and sent.headers["authorization"] == f"Key {KEY}"
    assert client.status(submission).state == "cancelled"
    assert client.cancel(submission) is True  # ALREADY_COMPLETED: nothing left to stop
    gone = Submission(remote_id="x", data={**submission.data, "cancel_url": f"{fake.url}/nowhere"})
    assert client.cancel(gone) is False  # NOT_FOUND: a definite answer, not an exception


def test_cancel_retries_only_passing_trouble(fake: FakeFal, client: FalClient) -> None:
    fake.job_seconds = 30
    submission = client.submit(_request(ModelId.TURBO_PRO_T2V), "take-1")
    fake.fail_next("cancel", server_error(503))
    with pytest.raises(ProviderError) as failed:
        client.cancel(submission)
    assert failed.value.retryable


# ---- errors ------------------------------------------------------------------------------------


def test_a_wrong_key_is_named_without_being_shown(fake: FakeFal) -> None:
    wrong = "wrong-id:wrong-secret"
    client = FalClient(wrong, queue_base=fake.url, rest_base=fake.url)
    with pytest.raises(ProviderError) as failed:
        client.submit(_request(ModelId.TURBO_PRO_T2V), "take-1")
    error = failed.value
    assert error.message == (
        "fal.ai did not accept the API key (No user found for Key ID and Secret). Check the key on the Settings page."
    )
    assert error.status_code == 401 and not error.retryable and error.sent is False
    assert wrong not in error.message and wrong not in json.dumps(error.raw)
    assert fake.jobs_created == 0
    with pytest.raises(ProviderError, match="did not accept the API key"):
        client.upload_image(Path(__file__))
    client.close()


def test_an_exhausted_balance_says_where_to_top_up(fake: FakeFal, client: FalClient) -> None:
    fake.fail_next("submit", EXHAUSTED_BALANCE)
    with pytest.raises(ProviderError) as failed:
        client.submit(_request(ModelId.TURBO_PRO_T2V), "take-1")
    error = failed.value
    assert error.message == (
        "fal.ai says the account has no balance left (User is locked. Reason: Exhausted balance. Top up your "
        "balance at fal.ai/dashboard/billing). Top up at https://fal.ai/dashboard/billing, then generate again."
    )
    assert error.status_code == 403 and not error.retryable and error.sent is False
    assert fake.jobs_created == 0
    _no_key(error)


def test_a_validation_error_names_the_field(fake: FakeFal, client: FalClient) -> None:
    fake.fail_next("submit", invalid("duration"))
    with pytest.raises(ProviderError) as failed:
        client.submit(_request(ModelId.TURBO_PRO_T2V), "take-1")
    error = failed.value
    assert error.message == (
        "fal.ai rejected the request (duration: unexpected value; permitted: '3', '4', '5'). "
        "Change that setting and generate again."
    )
    assert error.status_code == 422 and not error.retryable and error.sent is False
    _no_key(error)


def test_too_many_requests_is_retryable_after_what_fal_asks(fake: FakeFal, client: FalClient) -> None:
    submission = client.submit(_request(ModelId.TURBO_PRO_T2V), "take-1")
    fake.fail_next("status", busy(retry_after=7))
    with pytest.raises(ProviderError) as failed:
        client.status(submission)
    error = failed.value
    assert error.message == "fal.ai is busy (too many requests); retrying shortly."
    assert error.retryable and error.retry_after == 7.0 and error.status_code == 429
    fake.fail_next("submit", busy())
    with pytest.raises(ProviderError) as refused:
        client.submit(_request(ModelId.TURBO_PRO_T2V), "take-2")
    assert refused.value.retryable and refused.value.sent is False
    assert fake.jobs_created == 1


@pytest.mark.parametrize("route", ["submit", "status", "result"])
def test_trouble_on_fals_side_is_retryable(fake: FakeFal, client: FalClient, route: str) -> None:
    fake.job_seconds = 0.01
    submission = None if route == "submit" else client.submit(_request(ModelId.TURBO_PRO_T2V), "take-1")
    if submission:
        _wait_for(fake, submission.remote_id, "COMPLETED")
    fake.fail_next(route, server_error(503))
    with pytest.raises(ProviderError) as failed:
        if submission is None:
            client.submit(_request(ModelId.TURBO_PRO_T2V), "take-1")
        else:
            client.status(submission)
    error = failed.value
    assert error.message == "fal.ai had a problem on its side (HTTP 503); retrying shortly."
    assert error.retryable and error.status_code == 503
    assert error.sent is (route != "submit")  # a refused submit was not billed
    if submission:  # and the next look succeeds
        assert client.status(submission).video_url


def test_a_submit_that_cannot_connect_was_not_sent(fake: FakeFal) -> None:
    fake.stop()  # connection refused from now on
    client = FalClient(KEY, queue_base=fake.url, rest_base=fake.url)
    with pytest.raises(ProviderError) as failed:
        client.submit(_request(ModelId.TURBO_PRO_T2V), "take-1")
    error = failed.value
    assert error.message == "Could not reach fal.ai. Check your internet connection and try again."
    assert error.sent is False and error.retryable
    client.close()


def test_a_submit_processed_but_answer_lost_is_of_unknown_outcome(fake: FakeFal, client: FalClient) -> None:
    fake.fail_next("submit", Fault(lose_answer=True))
    with pytest.raises(ProviderError) as failed:
        client.submit(_request(ModelId.TURBO_PRO_T2V), "take-1")
    error = failed.value
    assert error.message == "fal.ai did not answer in time."
    assert error.sent is None  # never resend: the fake did create the job
    assert fake.jobs_created == 1 and len(fake.calls("submit")) == 1


def test_a_submit_answer_without_a_request_id_is_of_unknown_outcome(fake: FakeFal, client: FalClient) -> None:
    fake.fail_next("submit", Fault(status=200, body={"status": "IN_QUEUE"}))
    with pytest.raises(ProviderError) as failed:
        client.submit(_request(ModelId.TURBO_PRO_T2V), "take-1")
    assert failed.value.sent is None and not failed.value.retryable


def test_a_result_link_serving_a_web_page_is_refused(
    fake: FakeFal, client: FalClient, tmp_path: Path
) -> None:
    fake.video_bytes, fake.video_content_type = b"<html>Access denied</html>", "text/html"
    fake.job_seconds = 0.01
    submission = client.submit(_request(ModelId.TURBO_PRO_T2V), "take-1")
    final = list(client.follow(submission, lambda: False))[-1]
    assert final.video_url
    with pytest.raises(ProviderError, match=r"^fal\.ai's result link returned text/html, not a video\.$"):
        client.download(final.video_url, tmp_path / "out.mp4")
    assert not (tmp_path / "out.mp4").exists()


def test_a_key_echoed_by_the_server_is_scrubbed(fake: FakeFal, client: FalClient) -> None:
    fake.fail_next("submit", Fault(status=400, body={"detail": f"Bad header: Key {KEY}"}))
    with pytest.raises(ProviderError) as failed:
        client.submit(_request(ModelId.TURBO_PRO_T2V), "take-1")
    _no_key(failed.value)
    assert "[key hidden]" in failed.value.message
    assert KEY not in repr(client)


# ---- a whole take through the runner -----------------------------------------------------------


@pytest.mark.parametrize("model", [ModelId.TURBO_PRO_I2V, ModelId.V3_PRO_T2V])
def test_a_whole_take_through_the_job_runner(
    fake: FakeFal, client: FalClient, png: Path, tmp_path: Path, model: ModelId
) -> None:
    (tmp_path / "images").mkdir()
    shutil.copyfile(png, tmp_path / "images" / "first.png")
    frame = FirstFrame(
        path="images/first.png",
        width=640,
        height=360,
        format="PNG",
        size_bytes=png.stat().st_size,
        sha256="0" * 64,
    )
    storyboard = MULTI.model_copy(
        update={"model": model, "first_frame": frame if model == ModelId.TURBO_PRO_I2V else None}
    )
    runner = JobRunner(Store(tmp_path / "studio.db"), tmp_path, {ProviderId.FAL: client}, backoff=0.001)
    try:
        job = runner.wait(runner.generate(storyboard).id, timeout=20)
    finally:
        runner.shutdown()

    assert job.state == JobState.DONE, job.message
    video = tmp_path / job.video_path
    assert video.parent == tmp_path / "videos" and probe_video(video).codec == "h264"
    assert fake.jobs_created == 1 and len(fake.calls("submit")) == 1
    assert job.remote_id in fake.jobs
    assert len(fake.calls("upload")) == (1 if model == ModelId.TURBO_PRO_I2V else 0)
    # the runner follows fal over its status stream: completion seen without polling
    assert len(fake.calls("stream")) == 1 and len(fake.calls("status")) == 0


# ---- prices --------------------------------------------------------------------------------------


def test_fal_prices_a_request_from_its_platform_api(fake: FakeFal, client: FalClient) -> None:
    fake.unit_prices["fal-ai/kling-video/v3/pro/text-to-video"] = 0.112
    request = _request(ModelId.V3_PRO_T2V)  # SINGLE: 5 s, sound off

    price = client.price(request)

    assert price is not None and price.usd == Decimal("0.560")
    asked = fake.calls("pricing")[0]
    assert asked.query == {"endpoint_id": ["fal-ai/kling-video/v3/pro/text-to-video"]}
    assert asked.headers["authorization"] == f"Key {KEY}"
    assert fake.jobs_created == 0


def test_fal_does_not_confirm_a_price_with_sound(fake: FakeFal, client: FalClient) -> None:
    # One rate per endpoint; audio is billed on top [providers.md §2.5]: nothing to compare.
    assert client.price(_request(ModelId.V3_PRO_T2V, MULTI)) is None
    assert fake.calls("pricing") == []


def test_a_fal_price_that_is_not_per_second_is_not_used(fake: FakeFal, client: FalClient) -> None:
    body = {
        "prices": [
            {
                "endpoint_id": "fal-ai/kling-video/v3/turbo/pro/text-to-video",
                "unit_price": 0.7,
                "unit": "video",
                "currency": "USD",
            }
        ],
        "next_cursor": None,
        "has_more": False,
    }
    fake.fail_next("pricing", Fault(status=200, body=body))
    assert client.price(_request(ModelId.TURBO_PRO_T2V)) is None
