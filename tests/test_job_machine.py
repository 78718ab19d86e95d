"""The job state table, the driver's steps without threads, and the runner's answers to issue 9's
defects: the price shown is the price charged (2), an expired result link (3), a submit whose
answer was lost found in the provider's history (5), the poll plan for varied durations (7) and a
status stream followed as an iterator (8)."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Callable, Iterator
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
from fakes.base import Fault
from fakes.wavespeed import FakeWaveSpeed

from storyboard.catalog import PROVIDERS, offer
from storyboard.compile import CompiledRequest
from storyboard.job_states import ALLOWED, IllegalTransition
from storyboard.jobs import GenerateRefused, JobRunner, PriceChanged
from storyboard.models import Job, JobState, ProviderId, Shot, Storyboard, format_usd
from storyboard.pricing import priced_take, quote
from storyboard.providers.base import ProviderClient, ProviderError, RemoteStatus, Submission
from storyboard.providers.wavespeed import WaveSpeedClient
from storyboard.runner.driver import Driver
from storyboard.runner.policies import LINK_ATTEMPTS, SEARCH_ATTEMPTS, STEADY, Policies, poll_wait
from storyboard.store import Store

URL = "https://cdn.example/out.mp4"


class Client(ProviderClient):
    """A paid provider's client whose answers each test sets; it records every call."""

    provider = ProviderId.FAL
    free = False
    poll_interval = 0.001
    cancellable = True

    def __init__(self, video: Path) -> None:
        self.video = video
        self.submits: list[str] = []
        self.submit_error: ProviderError | None = None
        self.status_calls = 0
        self.found: Submission | None = None
        self.searches: list[tuple[CompiledRequest, datetime, datetime]] = []

    def upload_image(self, path: Path) -> str:
        return f"https://files.example/{path.name}"

    def submit(self, request: CompiledRequest, idempotency_key: str) -> Submission:
        self.submits.append(idempotency_key)
        if self.submit_error is not None:
            raise self.submit_error
        return Submission(remote_id=f"req-{len(self.submits)}")

    def status(self, submission: Submission) -> RemoteStatus:
        self.status_calls += 1
        return RemoteStatus(state="completed", video_url=URL)

    def download(self, url: str, dest: Path) -> None:
        shutil.copyfile(self.video, dest)

    def cancel(self, submission: Submission) -> bool:
        return True

    def find_submission(
        self, request: CompiledRequest, sent_after: datetime, sent_before: datetime
    ) -> Submission | None:
        self.searches.append((request, sent_after, sent_before))
        return self.found


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store(tmp_path / "studio.db")


@pytest.fixture
def client(tiny_mp4: Path) -> Client:
    return Client(tiny_mp4)


@pytest.fixture
def runner(store: Store, client: Client, tmp_path: Path) -> Iterator[JobRunner]:
    r = JobRunner(store, tmp_path, {ProviderId.FAL: client}, backoff=0.001)
    yield r
    r.shutdown()


def _storyboard(provider: ProviderId = ProviderId.FAL, prompt: str = "a bottle on sand") -> Storyboard:
    return Storyboard(provider=provider, shots=[Shot(prompt=prompt, duration=5)])


def _take(store: Store, state: JobState = JobState.QUEUED, **fields: object) -> Job:
    return store.create_job(priced_take(_storyboard(), state=state, **fields))[0]


# ---- the state table ---------------------------------------------------------------------------


def test_a_finished_take_never_moves_again(store: Store) -> None:
    done = _take(store, JobState.DONE)
    with pytest.raises(IllegalTransition, match="from done to running"):
        store.transition(done.id, None, state=JobState.RUNNING)
    assert store.get_job(done.id).state == JobState.DONE  # type: ignore[union-attr]
    assert all(not ALLOWED[s] for s in JobState if s.finished)


def test_a_take_is_claimed_for_sending_once(store: Store) -> None:
    job = _take(store)
    assert store.transition(job.id, (JobState.QUEUED,), state=JobState.SUBMITTING) is not None
    assert store.transition(job.id, (JobState.QUEUED, JobState.UPLOADING), state=JobState.SUBMITTING) is None
    with pytest.raises(IllegalTransition):  # not even without a from-state
        store.transition(job.id, None, state=JobState.SUBMITTING)


def test_a_take_cannot_skip_saving_its_video_nor_go_back_to_sending(store: Store) -> None:
    running = _take(store, JobState.RUNNING)
    for illegal in (JobState.DONE, JobState.QUEUED, JobState.SUBMITTING):
        with pytest.raises(IllegalTransition):
            store.transition(running.id, (JobState.RUNNING,), state=illegal)


def test_update_job_changes_fields_but_never_the_state(store: Store) -> None:
    job = _take(store)
    with pytest.raises(TypeError, match="use transition"):
        store.update_job(job.id, state=JobState.DONE)
    assert store.update_job(job.id, title="Beach").title == "Beach"


# ---- the driver's steps, one at a time, no thread -----------------------------------------------


def _driver(store: Store, client: ProviderClient, data_dir: Path) -> Driver:
    stopping = threading.Event()
    return Driver(store, data_dir, client, Policies(0.001, stopping), stopping=stopping)


def test_each_step_returns_the_next_state(store: Store, client: Client, tmp_path: Path) -> None:
    driver = _driver(store, client, tmp_path)
    job = _take(store)
    assert driver.submit(job) == JobState.RUNNING
    job = store.get_job(job.id)
    assert job is not None and job.remote_id == "req-1" and client.submits == [job.idempotency_key]
    assert driver.follow(job) == JobState.DOWNLOADING
    job = store.get_job(job.id)
    assert job is not None and job.remote_url == URL
    assert driver.download(job) == JobState.DONE
    job = store.get_job(job.id)
    assert job is not None and (tmp_path / str(job.video_path)).exists()


def test_a_cancelled_take_is_not_sent_by_the_submit_step(
    store: Store, client: Client, tmp_path: Path
) -> None:
    job = _take(store)
    store.transition(job.id, (JobState.QUEUED,), state=JobState.CANCELLED)
    assert _driver(store, client, tmp_path).submit(job) == JobState.CANCELLED
    assert client.submits == []


def test_a_take_stopped_while_uploading_uploads_again_and_is_sent_once(
    runner: JobRunner, client: Client, store: Store, tmp_path: Path
) -> None:
    from storyboard.models import FirstFrame, ModelId

    (tmp_path / "images").mkdir()
    (tmp_path / "images" / "a.jpg").write_bytes(b"jpeg")
    frame = FirstFrame(path="images/a.jpg", width=1280, height=720, format="JPEG", size_bytes=4, sha256="a")
    sb = _storyboard().model_copy(update={"model": ModelId.TURBO_PRO_I2V, "first_frame": frame})
    job = store.create_job(priced_take(sb, state=JobState.UPLOADING))[0]
    runner.resume_unfinished()
    job = runner.wait(job.id, timeout=20)
    assert job.state == JobState.DONE, job.message
    assert len(client.submits) == 1 and store.details(job.id)["image_url"] == "https://files.example/a.jpg"


def test_a_refused_result_link_fails_the_take_as_paid_for(
    store: Store, client: Client, tmp_path: Path
) -> None:
    def gone(url: str, dest: Path) -> None:
        raise ProviderError("fal.ai refused access.", status_code=410)

    client.download = gone  # type: ignore[method-assign]
    job = _take(store, JobState.DOWNLOADING, remote_url=URL)
    assert _driver(store, client, tmp_path).download(job) == JobState.FAILED
    assert store.details(job.id)["charged"] is True
    assert store.spend_by_provider() == {ProviderId.FAL: job.quote.total}


# ---- defect 2: the price on the button is the price charged -----------------------------------


def test_a_price_that_changed_since_it_was_shown_sends_nothing_and_says_the_new_one(
    runner: JobRunner, client: Client, store: Store
) -> None:
    seen = _storyboard()  # the label was drawn for a 5 s shot, a step behind the slider
    longer = seen.model_copy(update={"shots": [Shot(prompt="a bottle on sand", duration=7)]})
    shown = quote(seen, offer(ProviderId.FAL, seen.model)).total * 2
    now = quote(longer, offer(ProviderId.FAL, longer.model)).total * 2
    assert shown != now
    with pytest.raises(PriceChanged) as refused:
        runner.generate_takes(longer, 2, shown_total=shown)
    assert isinstance(refused.value, GenerateRefused)
    assert f"{format_usd(now)} for 2 takes" in str(refused.value) and "press Generate again" in str(
        refused.value
    )
    assert store.list_jobs() == [] and client.submits == []

    jobs = runner.generate_takes(longer, 2, shown_total=now)  # pressed again at that price
    assert [runner.wait(j.id, timeout=20).quote.total for j in jobs] == [now / 2, now / 2]


def test_the_take_count_is_part_of_the_price_shown(runner: JobRunner, client: Client, store: Store) -> None:
    one = quote(_storyboard(), offer(ProviderId.FAL, _storyboard().model)).total
    with pytest.raises(PriceChanged, match="for 3 takes"):
        runner.generate_takes(_storyboard(), 3, shown_total=one * 2)
    assert store.list_jobs() == []


# ---- defect 3: an expired result link --------------------------------------------------------


@pytest.fixture
def wavespeed(tiny_mp4: Path) -> Iterator[FakeWaveSpeed]:
    server = FakeWaveSpeed(job_seconds=0.05)
    server.video_bytes = tiny_mp4.read_bytes()
    server.start()
    yield server
    server.stop()


def test_a_video_link_answering_403_fails_the_take_saying_the_link_expired_and_it_still_counts(
    wavespeed: FakeWaveSpeed, store: Store, tmp_path: Path
) -> None:
    ws = WaveSpeedClient(wavespeed.key, base_url=wavespeed.url, http=httpx.Client(timeout=5.0))
    ws.poll_interval = 0.01
    wavespeed.fail_next("video", Fault(status=403, body={"message": "Request has expired"}), times=50)
    runner = JobRunner(store, tmp_path, {ProviderId.WAVESPEED: ws}, backoff=0.001)
    try:
        sb = _storyboard(ProviderId.WAVESPEED)
        job = runner.wait(runner.generate(sb).id, timeout=60)
        info = PROVIDERS[ProviderId.WAVESPEED]
        assert job.state == JobState.FAILED, job.message
        assert "link to this video expired" in job.message and "key" not in job.message.lower()
        assert f"dashboard at {info.dashboard_url}" in job.message and "finished" in job.message
        assert len(wavespeed.calls("video")) == LINK_ATTEMPTS  # a few tries, not forever
        assert store.spend_by_provider()[ProviderId.WAVESPEED] == job.quote.total  # it was made: it counts
        # Generate is not held behind it: pressing again makes a new take.
        again = runner.generate(sb)
        assert again.id != job.id
        runner.wait(again.id, timeout=60)
    finally:
        runner.shutdown()


# ---- defect 5: a lost submit answer, found in the provider's history ----------------------------


def test_a_submit_whose_answer_was_lost_is_found_in_the_history_and_collected(
    runner: JobRunner, client: Client, store: Store
) -> None:
    client.submit_error = ProviderError("fal.ai did not answer in time.", sent=None, retryable=True)
    client.found = Submission(remote_id="req-found")
    job = runner.wait(runner.generate(_storyboard()).id, timeout=20)
    assert job.state == JobState.DONE, job.message
    assert job.remote_id == "req-found" and len(client.submits) == 1  # collected, never resent
    request, after, before = client.searches[0]
    assert request.body["prompt"] == "a bottle on sand" and after <= before
    assert store.details(job.id)["submission"]["remote_id"] == "req-found"


def test_a_submit_whose_answer_was_lost_and_is_not_in_the_history_stays_unknown(
    runner: JobRunner, client: Client
) -> None:
    client.submit_error = ProviderError("fal.ai did not answer in time.", sent=None, retryable=True)
    job = runner.wait(runner.generate(_storyboard()).id, timeout=20)
    assert job.state == JobState.UNKNOWN
    assert "We did not resend it, so you are not charged twice" in job.message
    assert len(client.searches) == SEARCH_ATTEMPTS and len(client.submits) == 1


def test_a_job_listed_late_in_the_history_is_still_found(runner: JobRunner, client: Client) -> None:
    client.submit_error = ProviderError("fal.ai did not answer in time.", sent=None, retryable=True)
    answers = [None, Submission(remote_id="req-late")]
    client.find_submission = lambda request, after, before: answers.pop(0)  # type: ignore[method-assign]
    job = runner.wait(runner.generate(_storyboard()).id, timeout=20)
    assert job.state == JobState.DONE and job.remote_id == "req-late" and len(client.submits) == 1


def test_after_a_crash_mid_submit_the_history_is_searched_too(
    runner: JobRunner, client: Client, store: Store
) -> None:
    job = _take(store, JobState.SUBMITTING)
    request = {
        "provider": "fal",
        "model": job.model.value,
        "endpoint": "x",
        "path": "x",
        "body": {"prompt": "p"},
    }
    store.update_job(job.id, details={"request": request, "sent_after": 0})
    client.found = Submission(remote_id="req-7")
    runner.resume_unfinished()
    job = runner.wait(job.id, timeout=20)
    assert job.state == JobState.DONE and job.remote_id == "req-7" and client.submits == []


# ---- defect 7: polls planned from the spread of past durations --------------------------------


def _seen_late(finish: float, history: list[float]) -> tuple[float, int]:
    """Simulate the poll plan for a job that finishes at `finish`: (seconds seen late, polls)."""
    t, wait, polls = 0.0, 1.0, 0
    while t < finish:
        wait = poll_wait(t, wait, 1.0, history=history)
        t += wait
        polls += 1
    return t - finish, polls


def test_a_job_as_quick_as_the_quickest_before_is_seen_soon_not_at_the_median() -> None:
    history = [10.0, 30.0, 12.0, 25.0, 15.0, 20.0]  # the median is 17.5 s
    late, polls = _seen_late(10.2, history)
    assert late <= 2.0 and polls <= 10.2 / 3 + 5  # a median plan first looks at ~15.75 s


def test_a_job_longer_than_any_before_is_polled_steadily_past_the_end() -> None:
    late, polls = _seen_late(13.0, [10.0])
    assert late <= STEADY and polls <= 13 / 3 + 5


# ---- defect 8: a status stream followed as an iterator ----------------------------------------


class Streaming(Client):
    streams_status = True

    def __init__(self, video: Path, streams: list[list[RemoteStatus | ProviderError]]) -> None:
        super().__init__(video)
        self.streams = streams
        self.opened = 0

    def follow(self, submission: Submission, should_stop: Callable[[], bool]) -> Iterator[RemoteStatus]:
        self.opened += 1
        for item in self.streams.pop(0):
            if isinstance(item, ProviderError):
                raise item
            yield item


def test_a_broken_status_stream_is_opened_again_and_the_take_completes(
    store: Store, tiny_mp4: Path, tmp_path: Path
) -> None:
    broken = ProviderError("fal.ai's status stream broke; reopening it.", retryable=True)
    client = Streaming(
        tiny_mp4,
        [
            [RemoteStatus(state="queued"), broken],
            [RemoteStatus(state="running", progress=0.5), RemoteStatus(state="completed", video_url=URL)],
        ],
    )
    runner = JobRunner(store, tmp_path, {ProviderId.FAL: client}, backoff=0.001)
    try:
        job = runner.wait(runner.generate(_storyboard()).id, timeout=20)
    finally:
        runner.shutdown()
    assert job.state == JobState.DONE, job.message
    assert client.opened == 2 and client.status_calls == 0  # streamed, never polled
    assert job.remote_url == URL


def test_a_price_shown_equal_to_the_quote_is_accepted(runner: JobRunner, client: Client) -> None:
    price = quote(_storyboard(), offer(ProviderId.FAL, _storyboard().model)).total
    job = runner.generate_takes(_storyboard(), 1, shown_total=price)[0]
    assert runner.wait(job.id, timeout=20).state == JobState.DONE
    assert Decimal(job.quote.total) == price
