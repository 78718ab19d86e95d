"""EvoLinkClient against a loopback EvoLink (tests/fakes/evolink.py): what goes over the wire, what
each failure says, and one whole take through the real JobRunner. Only 127.0.0.1 is ever contacted."""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fakes.base import Fault
from fakes.evolink import FAILURE_MESSAGES, FakeEvoLink, evolink_fault
from PIL import Image
from waiting import wait_until

from storyboard import media
from storyboard.catalog import OFFERS, TURBO_IMAGE_RULES, offer
from storyboard.compile import CompiledRequest, compile_request
from storyboard.jobs import JobRunner
from storyboard.models import FirstFrame, JobState, ModelId, Options, ProviderId, Shot, Storyboard
from storyboard.providers.base import ProviderError, RemoteStatus, Submission
from storyboard.providers.evolink import EvoLinkClient, failure_sentence
from storyboard.store import Store
from storyboard.validate import validate

KEY = "evo-secret-key-7f3a9c21d4e8b6"
DASHBOARD = "https://evolink.ai/dashboard"
SHOT_SYNTAX = re.compile(r"镜头 (\d+), (\d+), ([^;]*);")

SINGLE_SHOTS = [Shot(prompt="A glass bottle on wet sand, waves roll in, golden hour.", duration=5)]
MULTI_SHOTS = [
    Shot(prompt="Wide: a lighthouse on a cliff at dawn, gulls circling.", duration=3),
    Shot(prompt="Medium: the keeper climbs the spiral stairs, lantern in hand.", duration=5),
    Shot(prompt="Close-up: the lamp flares to life and sweeps the sea.", duration=4),
]
FRAME = FirstFrame(
    path="images/frame.png", width=640, height=360, format="PNG", size_bytes=1, sha256="0" * 64
)
EVOLINK_MODELS = [m for (p, m) in OFFERS if p == ProviderId.EVOLINK]


# ---- fixtures -----------------------------------------------------------------------------------


@pytest.fixture
def fake(tiny_mp4: Path) -> Iterator[FakeEvoLink]:
    with FakeEvoLink(key=KEY, job_seconds=0.25) as server:
        server.video_bytes = tiny_mp4.read_bytes()
        yield server  # type: ignore[misc]


@pytest.fixture
def client(fake: FakeEvoLink) -> Iterator[EvoLinkClient]:
    c = EvoLinkClient(KEY, base_url=fake.url, files_base_url=fake.url)
    yield c
    c.close()


def _png(size: tuple[int, int] = (640, 360)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (30, 120, 200)).save(out, "PNG")
    return out.getvalue()


@pytest.fixture
def frame_file(tmp_path: Path) -> Path:
    path = tmp_path / "frame.png"
    path.write_bytes(_png())
    return path


def _storyboard(
    model: ModelId, shots: list[Shot], resolution: str = "1080p", sound: bool = False
) -> Storyboard:
    return Storyboard(
        provider=ProviderId.EVOLINK,
        model=model,
        shots=[s.model_copy() for s in shots],
        options=Options(aspect_ratio="9:16", resolution=resolution, sound=sound, negative_prompt="blurry"),
        first_frame=FRAME if model == ModelId.TURBO_PRO_I2V else None,
    )


def _request(model: ModelId = ModelId.TURBO_PRO_T2V, shots: list[Shot] = MULTI_SHOTS) -> CompiledRequest:
    return compile_request(_storyboard(model, shots), offer(ProviderId.EVOLINK, model))


def _follow(client: EvoLinkClient, submission: Submission, timeout: float = 5.0) -> list[RemoteStatus]:
    seen: list[RemoteStatus] = []

    def finished() -> bool:
        seen.append(client.status(submission))
        return seen[-1].state in ("completed", "failed", "cancelled")

    wait_until(finished, timeout=timeout, every=0.03, what="the job to finish")
    return seen


def _no_key(error: ProviderError) -> None:
    assert KEY not in error.message and KEY not in str(error)
    assert KEY not in json.dumps(error.raw, default=str)


def _submit_error(client: EvoLinkClient, request: CompiledRequest | None = None) -> ProviderError:
    with pytest.raises(ProviderError) as caught:
        client.submit(request or _request(), "take-1")
    _no_key(caught.value)
    return caught.value


# ---- the contract: what is sent ------------------------------------------------------------------


@pytest.mark.parametrize("resolution, sound", [("1080p", False), ("720p", True)])
@pytest.mark.parametrize("shots", ["single", "multi"])
@pytest.mark.parametrize("model", EVOLINK_MODELS)
def test_each_model_and_shot_form_is_sent_as_compiled_and_accepted(
    fake: FakeEvoLink,
    client: EvoLinkClient,
    frame_file: Path,
    model: ModelId,
    shots: str,
    resolution: str,
    sound: bool,
) -> None:
    chosen = offer(ProviderId.EVOLINK, model)
    storyboard = _storyboard(model, SINGLE_SHOTS if shots == "single" else MULTI_SHOTS, resolution, sound)
    assert validate(storyboard, chosen) == []
    image_url = client.upload_image(frame_file) if chosen.takes_image else None
    request = compile_request(storyboard, chosen, image_url)

    submission = client.submit(request, "take-1")

    (sent,) = fake.calls("generate")
    assert (sent.method, sent.path) == ("POST", "/v1/videos/generations")
    assert sent.headers["authorization"] == f"Bearer {KEY}"
    assert sent.headers["content-type"].startswith("application/json")
    body = sent.json
    assert body == request.body
    assert body["model"] == chosen.endpoint
    assert type(body["duration"]) is int and body["duration"] == storyboard.total_seconds
    assert body["quality"] == resolution
    if model == ModelId.V3_PRO_T2V:
        assert body["sound"] == ("on" if sound else "off")
        assert body["negative_prompt"] == "blurry"
        params = body["model_params"]
        if shots == "multi":
            assert body["prompt"] == ""
            assert params == {
                "multi_shot": True,
                "shot_type": "customize",
                "multi_prompt": [
                    {"index": i, "prompt": s.prompt, "duration": str(s.duration)}
                    for i, s in enumerate(MULTI_SHOTS, 1)
                ],
            }
        else:
            assert params == {"multi_shot": False}
            assert body["prompt"] == SINGLE_SHOTS[0].prompt
    else:
        assert "sound" not in body and "model_params" not in body and "negative_prompt" not in body
        if shots == "multi":
            parsed = SHOT_SYNTAX.findall(body["prompt"])
            assert [(int(n), int(m), w) for n, m, w in parsed] == [
                (i, s.duration, s.prompt) for i, s in enumerate(MULTI_SHOTS, 1)
            ]
            assert sum(int(m) for _, m, _ in parsed) == body["duration"]
        else:
            assert body["prompt"] == SINGLE_SHOTS[0].prompt and "镜头" not in body["prompt"]
    if chosen.takes_image:
        assert body[chosen.image_field] == image_url and image_url.startswith(fake.url + "/uploads/")
        assert "aspect_ratio" not in body  # the image decides [E2]
    else:
        assert body["aspect_ratio"] == "9:16"

    assert re.fullmatch(r"task-unified-\d+-[a-z0-9]{8}", submission.remote_id)
    assert fake.tasks_created == 1
    assert submission.data["id"] == submission.remote_id
    assert submission.data["usage"]["billing_rule"] == "per_second"
    assert submission.data["usage"]["credits_reserved"] > 0
    assert isinstance(submission.data["estimated_time"], int)


def test_the_first_frame_is_uploaded_as_multipart_to_the_files_host(
    fake: FakeEvoLink, client: EvoLinkClient, frame_file: Path
) -> None:
    url = client.upload_image(frame_file)
    (sent,) = fake.calls("upload")
    assert (sent.method, sent.path) == ("POST", "/api/v1/files/upload/stream")
    assert sent.headers["authorization"] == f"Bearer {KEY}"
    assert sent.headers["content-type"].startswith("multipart/form-data; boundary=")
    assert b'name="file"; filename="frame.png"' in sent.body
    ((stored, mime),) = fake.uploads.values()
    assert stored == frame_file.read_bytes() and mime == "image/png"
    assert url.startswith(f"{fake.url}/uploads/file_")


def test_the_files_host_is_its_own_setting(fake: FakeEvoLink, frame_file: Path) -> None:
    # The task API is unreachable; only the files host is this fake.
    with FakeEvoLink(key=KEY) as gone:
        dead = gone.url
    c = EvoLinkClient(KEY, base_url=dead, files_base_url=fake.url)
    assert c.upload_image(frame_file).startswith(fake.url)
    c.close()


# ---- the whole flow -----------------------------------------------------------------------------


def test_upload_submit_follow_download_gives_a_playable_video(
    fake: FakeEvoLink, client: EvoLinkClient, frame_file: Path, tmp_path: Path
) -> None:
    image_url = client.upload_image(frame_file)
    request = compile_request(
        _storyboard(ModelId.TURBO_PRO_I2V, MULTI_SHOTS),
        offer(ProviderId.EVOLINK, ModelId.TURBO_PRO_I2V),
        image_url,
    )
    submission = client.submit(request, "take-1")
    seen = _follow(client, submission)

    states = [s.state for s in seen]
    assert states[0] == "queued" and states[-1] == "completed" and "running" in states
    assert states == sorted(states, key=["queued", "running", "completed"].index)
    progress = [s.progress for s in seen]
    assert progress == sorted(progress) and any(0 < p < 1 for p in progress) and progress[-1] == 1.0
    assert all("estimated_seconds" in s.raw for s in seen)
    assert seen[-1].video_url == f"{fake.url}/files/{submission.remote_id}.mp4"

    dest = tmp_path / "take.mp4"
    client.download(seen[-1].video_url, dest)
    assert dest.read_bytes() == fake.video_bytes
    info = media.probe_video(dest)
    assert info.codec == "h264" and info.duration == pytest.approx(1.0, abs=0.05)
    (fetched,) = fake.calls("video")
    assert "authorization" not in fetched.headers  # public link: the key is never sent with it


def test_an_expired_result_link_says_links_last_24_hours(
    client: EvoLinkClient, fake: FakeEvoLink, tmp_path: Path
) -> None:
    with pytest.raises(ProviderError) as caught:
        client.download(f"{fake.url}/files/task-unified-1-gone.mp4", tmp_path / "v.mp4")
    assert caught.value.message == (
        "EvoLink's video link no longer works (HTTP 404); its links last 24 hours, so this take would have "
        "to be generated again."
    )
    assert not caught.value.retryable and not (tmp_path / "v.mp4").exists()


def test_cancel_sends_nothing_because_evolink_documents_no_cancel_endpoint(
    fake: FakeEvoLink, client: EvoLinkClient
) -> None:
    submission = client.submit(_request(), "take-1")
    before = len(fake.requests)
    assert client.cancel(submission) is False
    assert len(fake.requests) == before


# ---- errors: one sentence, the right flags, never the key ----------------------------------------


def test_a_wrong_key_says_to_check_settings(fake: FakeEvoLink, frame_file: Path) -> None:
    wrong = EvoLinkClient("not-the-key-000000", base_url=fake.url, files_base_url=fake.url)
    error = _submit_error(wrong)
    assert (
        error.message
        == "EvoLink did not accept the API key (Invalid API key). Check the key on the Settings page."
    )
    assert (error.status_code, error.retryable, error.sent) == (401, False, False)
    with pytest.raises(ProviderError, match="did not accept the API key"):
        wrong.upload_image(frame_file)
    assert fake.tasks_created == 0
    wrong.close()


def test_no_quota_says_to_top_up_on_the_dashboard(fake: FakeEvoLink, client: EvoLinkClient) -> None:
    fake.fail_next("generate", evolink_fault(402))
    error = _submit_error(client)
    assert error.message == (
        "EvoLink says the account has no balance left (Insufficient quota. Please top up your account). "
        f"Top up at {DASHBOARD}, then generate again."
    )
    assert (error.status_code, error.retryable, error.sent) == (402, False, False)
    assert fake.tasks_created == 0


def _tamper_seconds(body: dict[str, Any]) -> None:
    body["duration"] = 10


def _tamper_words(body: dict[str, Any]) -> None:
    body["prompt"] = body["prompt"].replace(MULTI_SHOTS[0].prompt, "g" * 513)


def _tamper_duration_type(body: dict[str, Any]) -> None:
    body["duration"] = str(body["duration"])


def _tamper_model(body: dict[str, Any]) -> None:
    body["model"] = "kling-v3-turbo-pro"


@pytest.mark.parametrize(
    "tamper, problem",
    [
        (_tamper_seconds, "镜头 seconds add up to 12 but duration is 10"),
        (_tamper_words, "镜头 1 words are 513 characters; at most 512 are allowed"),
        (_tamper_duration_type, "duration must be an integer from 3 to 15"),
        (_tamper_model, "Invalid model: 'kling-v3-turbo-pro'"),
    ],
    ids=["seconds", "words", "duration-type", "model"],
)
def test_an_invalid_request_names_the_problem(
    fake: FakeEvoLink, client: EvoLinkClient, tamper: Any, problem: str
) -> None:
    request = _request()
    tamper(request.body)
    error = _submit_error(client, request)
    assert (
        error.message == f"EvoLink rejected the request ({problem}). Change that setting and generate again."
    )
    assert (error.status_code, error.retryable, error.sent) == (400, False, False)
    assert error.raw == {
        "error": {"code": "invalid_request", "message": problem, "type": "invalid_request_error"}
    }
    assert fake.tasks_created == 0


def test_the_fake_checks_v3_shots_add_up_too(fake: FakeEvoLink, client: EvoLinkClient) -> None:
    request = _request(ModelId.V3_PRO_T2V)
    request.body["model_params"]["multi_prompt"][0]["duration"] = 3  # an integer where EvoLink wants "3"
    assert "duration must be a string" in _submit_error(client, request).message
    request = _request(ModelId.V3_PRO_T2V)
    request.body["duration"] = 11
    assert "durations add up to 12 but duration is 11" in _submit_error(client, request).message


def test_too_many_requests_is_retryable_after_what_evolink_asks(
    fake: FakeEvoLink, client: EvoLinkClient
) -> None:
    fake.fail_next("generate", evolink_fault(429, retry_after=3))
    error = _submit_error(client)
    assert error.message == "EvoLink is busy (too many requests); retrying shortly."
    assert (error.status_code, error.retryable, error.sent, error.retry_after) == (429, True, False, 3.0)
    submission = client.submit(_request(), "take-1")  # nothing was created: sending again is safe
    fake.fail_next("task", evolink_fault(429, retry_after=2))
    with pytest.raises(ProviderError) as caught:
        client.status(submission)
    assert caught.value.retryable and caught.value.retry_after == 2.0
    assert fake.tasks_created == 1


def test_a_server_error_is_retryable(fake: FakeEvoLink, client: EvoLinkClient) -> None:
    fake.fail_next("generate", evolink_fault(500))
    error = _submit_error(client)  # a 500 may come after the task was made: unknown, never resent
    assert (
        error.message
        == "EvoLink had a problem on its side (HTTP 500) while taking the job, so it may or may not exist."
    )
    assert (error.status_code, error.retryable, error.sent) == (500, False, None)
    fake.fail_next("generate", evolink_fault(429))
    busy = _submit_error(client)  # refused while busy: not taken, safe to send again
    assert (busy.status_code, busy.retryable, busy.sent) == (429, True, False)
    submission = client.submit(_request(), "take-1")
    fake.fail_next("task", evolink_fault(500))
    with pytest.raises(ProviderError) as caught:
        client.status(submission)
    assert caught.value.retryable
    assert client.status(submission).state in ("queued", "running")


def test_a_submit_that_cannot_connect_was_not_sent() -> None:
    with FakeEvoLink(key=KEY) as gone:
        url = gone.url
    c = EvoLinkClient(KEY, base_url=url, files_base_url=url)
    error = _submit_error(c)
    assert error.message == "Could not reach EvoLink. Check your internet connection and try again."
    assert error.sent is False and error.retryable
    c.close()


def test_a_submit_whose_answer_is_lost_is_unknown_and_created_exactly_one_task(
    fake: FakeEvoLink, client: EvoLinkClient
) -> None:
    fake.fail_next("generate", Fault(lose_answer=True))
    error = _submit_error(client)
    assert error.message == "EvoLink did not answer in time."
    assert error.sent is None
    assert len(fake.calls("generate")) == 1 and fake.tasks_created == 1  # it exists, and was not resent


def test_an_accepted_submit_without_a_task_id_is_unknown(fake: FakeEvoLink, client: EvoLinkClient) -> None:
    fake.fail_next("generate", Fault(status=200, body={"status": "pending"}))
    error = _submit_error(client)
    assert error.message == "EvoLink accepted the job but its answer had no task id."
    assert error.sent is None and not error.retryable


def test_a_key_echoed_back_by_evolink_is_hidden(fake: FakeEvoLink, client: EvoLinkClient) -> None:
    fake.fail_next("generate", evolink_fault(401, message=f"API key {KEY} is disabled"))
    error = _submit_error(client)
    assert error.message == (
        "EvoLink did not accept the API key (API key [key hidden] is disabled). Check the key on the Settings page."
    )
    assert KEY not in repr(client)


def test_a_refused_upload_says_so(fake: FakeEvoLink, client: EvoLinkClient, frame_file: Path) -> None:
    fake.fail_next("upload", Fault(status=200, body={"success": False, "code": 413, "msg": "File too large"}))
    with pytest.raises(ProviderError) as caught:
        client.upload_image(frame_file)
    assert (
        caught.value.message
        == "EvoLink did not take the first frame (File too large). Try another image, or try again later."
    )
    assert not caught.value.retryable
    _no_key(caught.value)


# ---- failed tasks: what the code asks the user to do ---------------------------------------------


@pytest.mark.parametrize(
    "code, sentence",
    [
        (
            "content_policy_violation",
            "EvoLink refused this take under its content policy (The prompt was flagged by the content safety "
            "system). Change the prompt (or the first frame) and generate again.",
        ),
        (
            "service_error",
            "EvoLink could not finish this take (Upstream service error); the problem is on its side. Try again later.",
        ),
    ],
)
def test_a_failed_task_says_what_to_do(
    fake: FakeEvoLink, client: EvoLinkClient, code: str, sentence: str
) -> None:
    fake.fail_with_code = code
    seen = _follow(client, client.submit(_request(), "take-1"))
    last = seen[-1]
    assert last.state == "failed" and last.video_url is None
    assert last.error == sentence
    assert last.raw["error"]["code"] == code
    assert KEY not in json.dumps(last.raw)


FIX_INPUT = [
    "content_policy_violation",
    "invalid_parameters",
    "image_processing_error",
    "image_dimension_mismatch",
]
RETRY_LATER = [
    "generation_failed_no_content",
    "service_error",
    "generation_timeout",
    "resource_exhausted",
    "quota_exceeded",
    "service_unavailable",
]


@pytest.mark.parametrize("code", sorted(FAILURE_MESSAGES))
def test_every_failure_code_gets_one_sentence_with_a_next_step(code: str) -> None:
    sentence = failure_sentence(
        {"status": "failed", "error": {"code": code, "message": FAILURE_MESSAGES[code]}}
    )
    assert sentence.startswith("EvoLink ") and f"({FAILURE_MESSAGES[code]})" in sentence
    if code in FIX_INPUT:
        assert "and generate again." in sentence and "Try again later" not in sentence
    elif code in RETRY_LATER:
        assert sentence.endswith("Try again later.")
    elif code == "resource_not_found":
        assert "dashboard" in sentence
    elif code == "request_cancelled":
        assert sentence.endswith("Generate again to start a new one.")
    else:
        assert "contact EvoLink support" in sentence


def test_a_failure_without_details_still_reads_as_a_sentence() -> None:
    assert failure_sentence({"status": "failed"}) == (
        "EvoLink says this take failed. Try again later; if it keeps failing, contact EvoLink support."
    )


# ---- one whole take through the real JobRunner ---------------------------------------------------


def test_a_take_through_the_job_runner_ends_done_with_one_submit(
    fake: FakeEvoLink, client: EvoLinkClient, tmp_path: Path
) -> None:
    checked = media.check_image(_png(), "frame.png", TURBO_IMAGE_RULES)
    frame = media.save_first_frame(checked, tmp_path, "frame.png")
    storyboard = _storyboard(ModelId.TURBO_PRO_I2V, MULTI_SHOTS).model_copy(update={"first_frame": frame})
    landscape = storyboard.options.model_copy(update={"aspect_ratio": "16:9"})  # the frame's own shape
    storyboard = storyboard.model_copy(update={"options": landscape})
    client.poll_interval = 0.05
    store = Store(tmp_path / "studio.db")
    runner = JobRunner(store, tmp_path, {ProviderId.EVOLINK: client}, backoff=0.001)
    try:
        job = runner.wait(runner.generate(storyboard).id, timeout=20)
    finally:
        runner.shutdown()

    assert job.state == JobState.DONE, job.message
    video = tmp_path / job.video_path
    assert video.parent == tmp_path / "videos" and video.suffix == ".mp4"
    assert media.probe_video(video).codec == "h264"
    assert len(fake.calls("generate")) == 1 and fake.tasks_created == 1
    assert len(fake.calls("upload")) == 1 and job.remote_id in fake.tasks
    sent = fake.calls("generate")[0].json
    assert sent["image_start"].startswith(f"{fake.url}/uploads/")
    assert KEY not in json.dumps(store.details(job.id), default=str)
