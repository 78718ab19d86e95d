"""The JobRunner's money and data rules, driven through a scripted provider client."""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from waiting import wait_until

from storyboard.compile import CompiledRequest
from storyboard.jobs import GenerateRefused, JobRunner
from storyboard.models import Job, JobState, ModelId, ProviderId, Shot, Storyboard
from storyboard.pricing import priced_take
from storyboard.providers.base import ProviderClient, ProviderError, RemoteStatus, Submission
from storyboard.store import Store


class ScriptedClient(ProviderClient):
    """Speaks the client protocol; records every call; its answers are set by each test."""

    provider = ProviderId.FAL
    free = False
    poll_interval = 0.01
    cancellable = True

    def __init__(self, video: Path, store: Store | None = None) -> None:
        self.video = video
        self.store = store
        self.submits: list[tuple[CompiledRequest, str]] = []
        self.status_calls = 0
        self.downloads = 0
        self.uploads: list[Path] = []
        self.submit_error: ProviderError | None = None
        self.statuses: list[RemoteStatus | ProviderError] = []
        self.remote_id_seen_in_store: list[str | None] = []
        self.release = threading.Event()
        self.release.set()
        self.download_bytes: bytes | None = None
        self.download_error: ProviderError | None = None

    def upload_image(self, path: Path) -> str:
        self.uploads.append(path)
        return f"https://files.example/{path.name}"

    def submit(self, request: CompiledRequest, idempotency_key: str) -> Submission:
        self.submits.append((request, idempotency_key))
        if self.submit_error:
            raise self.submit_error
        return Submission(remote_id=f"req-{len(self.submits)}", data={"status_url": "https://q/status"})

    def status(self, submission: Submission) -> RemoteStatus:
        self.release.wait(10)
        self.status_calls += 1
        if self.store is not None:
            job = self.store.list_jobs(limit=1)[0]
            self.remote_id_seen_in_store.append(job.remote_id)
        if self.statuses:
            answer = self.statuses.pop(0)
            if isinstance(answer, ProviderError):
                raise answer
            return answer
        return RemoteStatus(state="completed", video_url="https://cdn.example/out.mp4")

    def download(self, url: str, dest: Path) -> None:
        self.downloads += 1
        if self.download_error is not None:
            raise self.download_error
        if self.download_bytes is not None:
            dest.write_bytes(self.download_bytes)
        else:
            shutil.copyfile(self.video, dest)

    def cancel(self, submission: Submission) -> bool:
        return True


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store(tmp_path / "studio.db")


@pytest.fixture
def client(tiny_mp4: Path, store: Store) -> ScriptedClient:
    return ScriptedClient(tiny_mp4, store)


@pytest.fixture
def runner(store: Store, client: ScriptedClient, tmp_path: Path):
    r = JobRunner(store, tmp_path, {ProviderId.FAL: client}, backoff=0.001)
    yield r
    r.shutdown()


def _storyboard(**changes: object) -> Storyboard:
    sb = Storyboard(
        provider=ProviderId.FAL,
        shots=[Shot(prompt="a bottle on sand", duration=5), Shot(prompt="waves", duration=5)],
    )
    return sb.model_copy(update=changes)


def test_a_take_ends_with_the_video_in_the_data_dir(
    runner: JobRunner, client: ScriptedClient, tmp_path: Path
) -> None:
    job = runner.wait(runner.generate(_storyboard()).id, timeout=20)
    assert job.state == JobState.DONE, job.message
    assert (tmp_path / job.video_path).stat().st_size > 0
    assert (tmp_path / job.poster_path).exists()
    assert job.duration_seconds == pytest.approx(1.0, abs=0.05)
    assert not list((tmp_path / "videos").glob("*.part"))
    assert len(client.submits) == 1


def test_the_request_sent_is_the_compiled_storyboard(runner: JobRunner, client: ScriptedClient) -> None:
    runner.wait(runner.generate(_storyboard()).id, timeout=20)
    request, _ = client.submits[0]
    assert request.body["multi_prompt"] == [
        {"prompt": "a bottle on sand", "duration": "5"},
        {"prompt": "waves", "duration": "5"},
    ]


def test_generate_twice_while_running_submits_once(
    runner: JobRunner, client: ScriptedClient, store: Store
) -> None:
    client.release.clear()  # hold the job in "running"
    sb = _storyboard()
    first = runner.generate(sb)
    second = runner.generate(sb)
    client.release.set()
    runner.wait(first.id, timeout=20)
    assert second.id == first.id
    assert len(client.submits) == 1
    assert len(store.list_jobs()) == 1


def test_generate_again_after_a_take_finished_makes_a_new_take(
    runner: JobRunner, client: ScriptedClient
) -> None:
    sb = _storyboard()
    first = runner.wait(runner.generate(sb).id, timeout=20)
    second = runner.wait(runner.generate(sb).id, timeout=20)
    assert first.id != second.id and second.state == JobState.DONE
    assert len(client.submits) == 2


def test_the_remote_id_is_stored_before_the_first_status_call(
    runner: JobRunner, client: ScriptedClient
) -> None:
    runner.wait(runner.generate(_storyboard()).id, timeout=20)
    assert client.remote_id_seen_in_store[0] == "req-1"


def test_a_submit_with_unknown_outcome_is_never_resent(
    runner: JobRunner, client: ScriptedClient, store: Store
) -> None:
    client.submit_error = ProviderError("fal.ai did not answer in time.", sent=None, retryable=True)
    job = runner.wait(runner.generate(_storyboard()).id, timeout=20)
    assert job.state == JobState.UNKNOWN
    assert "not charged twice" in job.message and "dashboard" in job.message
    runner.resume_unfinished()
    assert len(client.submits) == 1


def test_a_refused_submit_says_why_and_that_nothing_was_charged(
    runner: JobRunner, client: ScriptedClient
) -> None:
    client.submit_error = ProviderError("Could not reach fal.ai. Check your connection.", sent=False)
    job = runner.wait(runner.generate(_storyboard()).id, timeout=20)
    assert job.state == JobState.FAILED
    assert job.message == "Could not reach fal.ai. Check your connection. Nothing was charged."


def test_status_hiccups_are_retried_and_the_take_completes(runner: JobRunner, client: ScriptedClient) -> None:
    client.statuses = [
        ProviderError("busy", retryable=True, status_code=429),
        RemoteStatus(state="queued"),
        ProviderError("bad gateway", retryable=True, status_code=502),
        RemoteStatus(state="running", progress=0.5),
    ]
    job = runner.wait(runner.generate(_storyboard()).id, timeout=30)
    assert job.state == JobState.DONE
    assert len(client.submits) == 1


def test_a_failed_generation_keeps_the_providers_reason(runner: JobRunner, client: ScriptedClient) -> None:
    client.statuses = [
        RemoteStatus(state="failed", error="The provider refused the prompt (content policy).")
    ]
    job = runner.wait(runner.generate(_storyboard()).id, timeout=20)
    assert job.state == JobState.FAILED
    assert job.message == "The provider refused the prompt (content policy)."


def test_a_file_that_is_not_a_video_is_not_marked_done(runner: JobRunner, client: ScriptedClient) -> None:
    client.download_bytes = b"<html>expired</html>"
    job = runner.wait(runner.generate(_storyboard()).id, timeout=20)
    assert job.state == JobState.FAILED
    assert "not a playable video" in job.message
    assert job.video_path is None


def test_an_invalid_storyboard_is_refused_before_anything_is_sent(
    runner: JobRunner, client: ScriptedClient
) -> None:
    with pytest.raises(GenerateRefused, match="Shot 2 is 2 s"):
        runner.generate(_storyboard(shots=[Shot(prompt="a", duration=5), Shot(prompt="b", duration=2)]))
    assert client.submits == []


def test_a_provider_without_a_client_is_refused_in_words(runner: JobRunner) -> None:
    with pytest.raises(GenerateRefused, match="EvoLink"):
        runner.generate(_storyboard(provider=ProviderId.EVOLINK))


def test_a_sessions_own_client_generates_without_making_the_provider_ready_for_others(
    store: Store, client: ScriptedClient, tmp_path: Path
) -> None:
    """A key typed in one browser session: its takes use it; no other session can spend it."""
    runner = JobRunner(store, tmp_path, {}, backoff=0.001)
    try:
        assert runner.can_generate(ProviderId.FAL) is not None
        assert runner.can_generate(ProviderId.FAL, client) is None
        job = runner.wait(runner.generate(_storyboard(), client).id, timeout=20)
        assert job.state == JobState.DONE and len(client.submits) == 1
        with pytest.raises(GenerateRefused, match="type its key on Settings"):
            runner.generate(_storyboard(shots=[Shot(prompt="another", duration=5)]))
    finally:
        runner.shutdown()


def _until(check: Callable[[], bool], timeout: float = 20) -> None:
    wait_until(check, timeout=timeout)


def test_a_paid_take_left_without_a_key_waits_and_is_collected_once_a_key_is_typed(
    store: Store, client: ScriptedClient, tmp_path: Path
) -> None:
    """The app restarted and the key had been typed in a session: the paid take is kept, not failed."""
    runner = JobRunner(store, tmp_path, {}, backoff=0.001)
    try:
        paid = _stranded(store, JobState.RUNNING, remote_id="req-9")
        store.update_job(paid.id, details={"submission": {"remote_id": "req-9", "data": {}}})
        unsent = _stranded(store, JobState.QUEUED)
        assert runner.resume_unfinished() == 2
        unsent = runner.wait(unsent.id, timeout=20)
        assert unsent.state == JobState.FAILED and "nothing was charged" in unsent.message
        waiting = "paid for and still on fal.ai: it is collected as soon as fal.ai accepts a key"
        _until(lambda: waiting in store.get_job(paid.id).message)  # type: ignore[union-attr]
        assert store.get_job(paid.id).state == JobState.RUNNING  # type: ignore[union-attr]

        assert runner.adopt(client) == 1
        paid = runner.wait(paid.id, timeout=20)
        assert paid.state == JobState.DONE
        assert client.submits == []  # followed, never sent again
    finally:
        runner.shutdown()


def test_a_typed_key_the_provider_refuses_never_fails_a_paid_take(
    store: Store, client: ScriptedClient, tiny_mp4: Path, tmp_path: Path
) -> None:
    """After a restart, a key with a typo (401), then another account's key (404): the take waits;
    the right key collects it."""
    runner = JobRunner(store, tmp_path, {}, backoff=0.001)
    try:
        paid = _stranded(store, JobState.RUNNING, remote_id="req-9")
        store.update_job(paid.id, details={"submission": {"remote_id": "req-9", "data": {}}})
        runner.resume_unfinished()
        wrong, other = ScriptedClient(tiny_mp4), ScriptedClient(tiny_mp4)
        wrong.statuses = [ProviderError("fal.ai did not accept the API key.", status_code=401)] * 50
        other.statuses = [ProviderError("fal.ai does not know this job.", status_code=404)] * 50
        for refusing in (wrong, other):
            assert runner.adopt(refusing) == 1
            _until(lambda c=refusing: c.status_calls >= 2)
            job = store.get_job(paid.id)
            assert job is not None and job.state == JobState.RUNNING
            assert "it is collected as soon as fal.ai accepts a key" in job.message
        assert runner.adopt(client) == 1
        assert runner.wait(paid.id, timeout=20).state == JobState.DONE
    finally:
        runner.shutdown()


def test_a_submit_refused_while_busy_is_tried_again_then_said_plainly(
    runner: JobRunner, client: ScriptedClient
) -> None:
    client.submit_error = ProviderError("fal.ai is busy.", retryable=True, sent=False, status_code=429)
    job = runner.wait(runner.generate(_storyboard()).id, timeout=20)
    assert len(client.submits) == 3  # SUBMIT_ATTEMPTS
    assert job.state == JobState.FAILED
    assert job.message == (
        "fal.ai was busy or could not be reached, so the take was not sent and nothing was charged. "
        "Generate again in a minute."
    )


def test_a_submit_told_to_wait_long_is_not_held_in_sending(runner: JobRunner, client: ScriptedClient) -> None:
    client.submit_error = ProviderError(
        "fal.ai is busy.", retryable=True, sent=False, status_code=429, retry_after=600
    )
    job = runner.wait(runner.generate(_storyboard()).id, timeout=20)
    assert len(client.submits) == 1 and job.state == JobState.FAILED
    assert "nothing was charged" in job.message


def test_the_first_frame_is_uploaded_and_sent(
    runner: JobRunner, client: ScriptedClient, tmp_path: Path
) -> None:
    from storyboard.models import FirstFrame

    (tmp_path / "images").mkdir()
    (tmp_path / "images" / "abc.jpg").write_bytes(b"jpeg")
    frame = FirstFrame(
        path="images/abc.jpg", width=1280, height=720, format="JPEG", size_bytes=4, sha256="abc"
    )
    sb = _storyboard(model=ModelId.TURBO_PRO_I2V, first_frame=frame)
    runner.wait(runner.generate(sb).id, timeout=20)
    assert client.uploads == [tmp_path / "images" / "abc.jpg"]
    assert client.submits[0][0].body["image_url"] == "https://files.example/abc.jpg"


def _stranded(store: Store, state: JobState, **changes: object) -> Job:
    """A take left in `state` by an app that stopped (written as such: no legal path is replayed)."""
    job, _ = store.create_job(priced_take(_storyboard(), state=state, **changes))
    return job


def test_after_a_crash_mid_submit_a_paid_job_is_marked_unknown_not_resent(
    runner: JobRunner, client: ScriptedClient, store: Store
) -> None:
    job = _stranded(store, JobState.SUBMITTING)
    runner.resume_unfinished()
    job = runner.wait(job.id, timeout=20)
    assert job.state == JobState.UNKNOWN
    assert client.submits == []


def test_after_a_restart_a_running_job_is_followed_not_resubmitted(
    runner: JobRunner, client: ScriptedClient, store: Store
) -> None:
    job = _stranded(store, JobState.RUNNING, remote_id="req-77")
    store.update_job(job.id, details={"submission": {"remote_id": "req-77", "data": {}}})
    assert runner.resume_unfinished() == 1
    job = runner.wait(job.id, timeout=20)
    assert job.state == JobState.DONE
    assert client.submits == [] and client.status_calls >= 1


def test_a_take_stopped_after_its_video_was_saved_finishes_without_the_providers_link(
    runner: JobRunner, client: ScriptedClient, store: Store, tiny_mp4: Path, tmp_path: Path
) -> None:
    """The app stopped between saving the MP4 and marking the take done; the link has expired since."""
    job = _stranded(store, JobState.DOWNLOADING, remote_id="req-5", remote_url="https://cdn.example/gone.mp4")
    store.update_job(job.id, details={"submission": {"remote_id": "req-5", "data": {}}})
    (tmp_path / "videos").mkdir()
    shutil.copyfile(tiny_mp4, tmp_path / "videos" / f"{job.id}.mp4")
    runner.resume_unfinished()
    job = runner.wait(job.id, timeout=20)
    assert job.state == JobState.DONE and job.poster_path is not None
    assert client.downloads == 0 and client.submits == []


def test_a_link_that_expired_before_the_video_was_saved_is_said_plainly(
    runner: JobRunner, client: ScriptedClient, store: Store
) -> None:
    from datetime import timedelta

    from storyboard.models import utcnow

    gone = utcnow() - timedelta(hours=1)
    job = _stranded(
        store,
        JobState.DOWNLOADING,
        remote_id="req-5",
        remote_url="https://cdn.example/x.mp4",
        link_expires_at=gone,
    )
    store.update_job(job.id, details={"submission": {"remote_id": "req-5", "data": {}}})
    client.download_error = ProviderError("fal.ai does not know this job or address.", status_code=404)
    runner.resume_unfinished()
    job = runner.wait(job.id, timeout=20)
    assert job.state == JobState.FAILED
    assert job.message.startswith(f"fal.ai's link to this video expired ({gone:%Y-%m-%d %H:%M} UTC)")


def test_cancel_before_submit_sends_nothing(store: Store, client: ScriptedClient, tmp_path: Path) -> None:
    runner = JobRunner(store, tmp_path, {ProviderId.FAL: client}, backoff=0.001)
    job = _stranded(store, JobState.QUEUED)
    runner.cancel(job.id)
    runner.start(job.id)
    job = runner.wait(job.id, timeout=20)
    assert job.state == JobState.CANCELLED
    assert client.submits == []


def test_a_long_outage_while_running_never_gives_up_on_a_paid_job(
    runner: JobRunner, client: ScriptedClient, store: Store
) -> None:
    outage = [ProviderError("fal.ai is not answering.", retryable=True, status_code=503) for _ in range(30)]
    client.statuses = [*outage, RemoteStatus(state="completed", video_url="https://cdn.example/out.mp4")]
    job = runner.wait(runner.generate(_storyboard()).id, timeout=60)
    assert job.state == JobState.DONE, job.message
    assert len(client.submits) == 1
    assert "fal.ai is not answering" in store.details(job.id)["last_error"]


def test_a_definite_no_from_the_provider_while_running_ends_the_job_with_its_reason(
    runner: JobRunner, client: ScriptedClient
) -> None:
    client.statuses = [ProviderError("fal.ai no longer knows this job.", retryable=False, status_code=404)]
    job = runner.wait(runner.generate(_storyboard()).id, timeout=20)
    assert job.state == JobState.FAILED
    assert job.message == "fal.ai no longer knows this job."


def test_an_unreadable_submit_answer_is_unknown_not_failed(runner: JobRunner, client: ScriptedClient) -> None:
    client.submit_error = ValueError("the answer was not JSON")  # type: ignore[assignment]
    job = runner.wait(runner.generate(_storyboard()).id, timeout=20)
    assert job.state == JobState.UNKNOWN  # it may have been received and billed
    assert "not charged twice" in job.message
    assert len(client.submits) == 1


def test_a_poster_failure_never_loses_the_saved_video(
    runner: JobRunner, client: ScriptedClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from storyboard import media

    def broken(*args: object, **kwargs: object) -> Path:
        raise OSError("disk full")

    monkeypatch.setattr(media, "save_poster", broken)
    job = runner.wait(runner.generate(_storyboard()).id, timeout=20)
    assert job.state == JobState.DONE
    assert (tmp_path / job.video_path).exists() and job.poster_path is None


def test_cancel_during_the_upload_sends_nothing(
    runner: JobRunner, client: ScriptedClient, store: Store, tmp_path: Path
) -> None:
    from storyboard.models import FirstFrame

    uploading, release = threading.Event(), threading.Event()
    original = client.upload_image

    def slow_upload(path: Path) -> str:
        uploading.set()
        release.wait(10)
        return original(path)

    client.upload_image = slow_upload  # type: ignore[method-assign]
    (tmp_path / "images").mkdir()
    (tmp_path / "images" / "a.jpg").write_bytes(b"jpeg")
    frame = FirstFrame(path="images/a.jpg", width=1280, height=720, format="JPEG", size_bytes=4, sha256="a")
    job = runner.generate(_storyboard(model=ModelId.TURBO_PRO_I2V, first_frame=frame))
    assert uploading.wait(10)
    runner.cancel(job.id)
    release.set()
    job = runner.wait(job.id, timeout=20)
    assert job.state == JobState.CANCELLED
    assert client.submits == []


def test_cancel_while_running_asks_the_provider_from_the_worker(
    runner: JobRunner, client: ScriptedClient, store: Store
) -> None:
    cancelled: list[str] = []
    client.cancel = lambda submission: cancelled.append(submission.remote_id) or True  # type: ignore[method-assign]
    client.statuses = [RemoteStatus(state="running", progress=0.1) for _ in range(5)] + [
        RemoteStatus(state="cancelled")
    ]
    client.release.clear()  # hold the first status call: the provider has the job by then
    job = runner.generate(_storyboard())
    _until(lambda: store.get_job(job.id).state == JobState.RUNNING)  # type: ignore[union-attr]
    runner.cancel(job.id)
    client.release.set()
    job = runner.wait(job.id, timeout=20)
    assert job.state == JobState.CANCELLED
    assert cancelled == ["req-1"]


def test_starting_a_job_twice_at_once_drives_it_with_one_thread(
    runner: JobRunner, client: ScriptedClient, store: Store
) -> None:
    client.release.clear()
    job = _stranded(store, JobState.QUEUED)
    starters = [threading.Thread(target=runner.start, args=(job.id,)) for _ in range(8)]
    for t in starters:
        t.start()
    for t in starters:
        t.join()
    client.release.set()
    runner.wait(job.id, timeout=20)
    assert len(client.submits) == 1


def test_a_second_runner_on_the_same_data_dir_is_refused(
    runner: JobRunner, store: Store, tmp_path: Path
) -> None:
    from storyboard.jobs import DataDirBusy

    with pytest.raises(DataDirBusy, match="Another copy of Storyboard Studio is using"):
        JobRunner(store, tmp_path, {})


def test_a_retry_waits_as_long_as_the_provider_asks(runner: JobRunner, client: ScriptedClient) -> None:
    client.statuses = [ProviderError("busy", retryable=True, status_code=429, retry_after=0.3)]
    started = time.monotonic()
    job = runner.wait(runner.generate(_storyboard()).id, timeout=20)
    assert job.state == JobState.DONE
    assert time.monotonic() - started >= 0.3  # a lower bound: the backoff alone would be ~1 ms here


def test_polls_are_sparse_early_and_dense_around_the_expected_finish() -> None:
    from storyboard.runner.policies import DENSE, MAX_POLL_INTERVAL, SPARSE_MAX, poll_wait

    # simulate a 30 s job the provider estimated at 30 s: when do we poll, and how late do we see it?
    t, wait, polls = 0.0, 1.0, [0.0]
    while t < 30:
        wait = poll_wait(t, wait, 1.0, estimate=30.0)
        t += wait
        polls.append(t)
    assert len(polls) <= 30 / 3 + 5  # the request budget
    assert polls[-1] - 30 <= DENSE  # seen within one dense gap of finishing
    assert max(b - a for a, b in zip(polls, polls[1:], strict=False)) <= SPARSE_MAX
    # running well past the estimate backs off again; with no estimate, the plain back-off
    assert poll_wait(60.0, DENSE, 1.0, estimate=30.0) == 1.0
    assert poll_wait(3.0, 4.5, 1.0) == MAX_POLL_INTERVAL


def test_recent_seconds_are_the_durations_of_finished_takes(store: Store) -> None:
    for took in (10.0, 30.0, 20.0):
        job = _stranded(store, JobState.DONE)
        store.update_job(job.id, details={"generation_seconds": took})
    _stranded(store, JobState.FAILED)
    sb = _storyboard()
    assert sorted(store.recent_seconds(sb.provider, sb.model)) == [10.0, 20.0, 30.0]
    assert store.recent_seconds(ProviderId.EVOLINK, sb.model) == []


def test_a_preview_take_is_saved_as_soon_as_its_render_ends_not_at_the_next_look(
    store: Store, tmp_path: Path
) -> None:
    from storyboard.providers.preview import PreviewClient

    preview = PreviewClient(tmp_path / "preview-work")
    preview.poll_interval = 60.0  # a look a minute: only the render's own end can wake the runner
    runner = JobRunner(store, tmp_path, {ProviderId.PREVIEW: preview}, backoff=0.001)
    try:
        sb = Storyboard(provider=ProviderId.PREVIEW, shots=[Shot(prompt="a lighthouse", duration=3)])
        sb = sb.model_copy(update={"options": sb.options.model_copy(update={"resolution": "720p"})})
        job = runner.wait(runner.generate(sb).id, timeout=40)
        assert job.state == JobState.DONE, job.message
        assert (tmp_path / job.video_path).stat().st_size > 0
    finally:
        runner.shutdown()
