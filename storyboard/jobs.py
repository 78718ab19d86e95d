"""JobRunner: background threads that submit once, follow, download and persist every take.

The money rules are structural here:
- the job row (with its idempotency key) is written before anything is sent, and a second
  Generate for the same storyboard while it runs finds that row instead of sending again;
- only the thread that moves a job from QUEUED/UPLOADING to SUBMITTING (a compare-and-set in
  the store) may send it, so a cancel, a second thread or a second process cannot send it twice;
- the remote id and the provider's answer are stored in one transaction the moment it answers;
- a submit whose outcome is unknown is never resent (a free provider may start over);
- once the provider has a job, it is never given up on: status and download problems are retried
  until the job completes or the provider says it failed;
- the result is copied into the data dir (temp file, synced, checked, renamed) before it is done;
- on start-up every unfinished job is resumed. One runner per data dir (a file lock).
Worker threads never touch Streamlit: they write to the store, pages read it.
"""

from __future__ import annotations

import fcntl
import hashlib
import logging
import os
import random
import threading
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, TypeVar

from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception,
    stop_after_attempt,
    wait_random_exponential,
)

from storyboard import media
from storyboard.catalog import MAX_TAKES_PER_GENERATE, PROVIDERS, offer
from storyboard.compile import CompiledRequest, compile_request
from storyboard.layout import DataDir
from storyboard.models import Job, JobState, ProviderId, Storyboard, utcnow
from storyboard.pricing import quote
from storyboard.providers.base import ProviderClient, ProviderError, RemoteStatus, Submission, follow_to_end
from storyboard.store import CapRefused, Store
from storyboard.validate import validate

log = logging.getLogger(__name__)
T = TypeVar("T")

MAX_POLL_INTERVAL = 5.0
MAX_RECOVERY_WAIT = 60.0
RETRIES = 5  # quick retries of one call; after that the job waits and tries again, without end
SUBMIT_ATTEMPTS = 3  # a submit the provider surely did not take (busy, unreachable) is tried this often
SUBMIT_MAX_WAIT = 30.0  # ... unless it asks us to wait longer than this (seconds) before trying again
COMPLETED_WITHOUT_VIDEO = 5  # "completed" answers with no video link before we call it failed
UNSENT = (JobState.QUEUED, JobState.UPLOADING)
SPARSE_MAX = 10.0  # longest gap between polls while a job is far from its expected finish
DENSE = 0.5  # gap between polls around the expected finish
EARLY = 0.1  # dense polling starts this fraction of the expected time before it


def poll_wait(elapsed: float, expected: float | None, last_wait: float, first_wait: float) -> float:
    """Seconds until the next status poll of a job submitted `elapsed` seconds ago.

    With an expected duration (the provider's estimate, or how long this provider and model took
    before): sparse until just before it, dense around it, then backing off if the job runs long.
    Without one: from `first_wait`, growing x1.25 up to MAX_POLL_INTERVAL.
    """
    if expected is not None:
        remaining = expected - elapsed
        lead = max(DENSE / 2, EARLY * expected)  # jobs vary: start dense a little before the estimate
        if remaining > lead:
            return min(SPARSE_MAX, remaining - lead)
        if elapsed <= expected + max(5.0, expected / 4):
            return DENSE
    return min(MAX_POLL_INTERVAL, max(first_wait, last_wait * 1.25))


class KeyMissing(Exception):
    """A paid job's provider has no key in this app right now."""


class GenerateRefused(Exception):
    """Generate was refused before anything was sent; the message says why and what to do."""


class DataDirBusy(RuntimeError):
    """Another running copy of the app owns this data dir."""


class JobRunner:
    def __init__(
        self,
        store: Store,
        data_dir: Path,
        clients: Mapping[ProviderId, ProviderClient],
        *,
        backoff: float = 0.5,
    ) -> None:
        """`backoff`: the first wait before retrying a call, in seconds (doubling, with jitter)."""
        self.backoff = backoff
        self.store = store
        self.data_dir = data_dir
        self.clients = dict(clients)  # keys from the environment or secrets file: every session's
        self._job_clients: dict[str, ProviderClient] = {}  # a key typed in one session: its jobs only
        self._adopted: set[str] = set()  # paid jobs handed a typed key after the app restarted
        self._waiting_for_key: set[str] = set()  # paid jobs whose provider took no key: kept, retried
        self._wake: dict[str, threading.Event] = {}  # cuts a job's wait short (a key came, or shutdown)
        self._threads: dict[str, threading.Thread] = {}
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._cancel_requested: set[str] = set()
        self._lockfile = _lock_data_dir(data_dir)

    # ---- what the UI calls ---------------------------------------------------------------------

    def adopt(self, client: ProviderClient) -> int:
        """Hand this client (a key typed on Settings) the paid takes on its provider that wait for a
        key: left without one by a restart, or refused by the provider. Returns how many."""
        adopted = 0
        for job in self.store.unfinished_jobs():
            if job.provider != client.provider or job.state in UNSENT:
                continue
            with self._lock:
                keyless = job.id not in self._job_clients and job.provider not in self.clients
                if not (keyless or job.id in self._waiting_for_key):
                    continue
                self._adopted.add(job.id)
                self._start(job.id, client)
            adopted += 1
        return adopted

    def can_generate(self, provider: ProviderId, client: ProviderClient | None = None) -> str | None:
        """Why Generate is unavailable on a provider (for a session holding `client`), or None."""
        if client is not None or provider in self.clients:
            return None
        info = PROVIDERS[provider]
        return (
            f"To generate on {info.label}, type its key on Settings or set {info.key_env} in the environment "
            "or .streamlit/secrets.toml."
        )

    def cancellable(self, job: Job) -> bool:
        """Can the Cancel button do anything: nothing sent yet, or a provider that stops started jobs."""
        if job.state in UNSENT:
            return True
        client = self._job_clients.get(job.id) or self.clients.get(job.provider)
        return client is not None and client.cancellable

    def generate(self, storyboard: Storyboard, client: ProviderClient | None = None) -> Job:
        """Create (or find) the take for this storyboard and start it. Safe to call twice.
        `client`: the session's own (a key typed on Settings), else the app's for that provider.
        The saved spending caps refuse the take, before anything is written or sent, if it would pass one."""
        return self.generate_takes(storyboard, 1, client)[0]

    def generate_takes(
        self,
        storyboard: Storyboard,
        count: int,
        client: ProviderClient | None = None,
    ) -> list[Job]:
        """Create (or find) `count` takes of this storyboard and start them, each with its own key.
        While takes of the same storyboard run, pressing again finds those, never more."""
        if not 1 <= count <= MAX_TAKES_PER_GENERATE:
            raise GenerateRefused(f"Choose 1 to {MAX_TAKES_PER_GENERATE} takes at a time.")
        chosen = offer(storyboard.provider, storyboard.model)
        problems = validate(storyboard, chosen)
        if problems:
            raise GenerateRefused(problems[0].message)
        blocker = self.can_generate(storyboard.provider, client)
        if blocker:
            raise GenerateRefused(blocker)
        price = quote(storyboard, chosen)
        jobs: list[Job] = []
        created_ids: list[str] = []
        with self._lock:  # keys chosen and rows written together: a second press finds these takes
            keys = self._take_keys(storyboard, count)
            try:  # the saved caps checked and the rows written in one transaction; running takes are found
                made = self.store.create_jobs(
                    [
                        Job(
                            idempotency_key=key,
                            storyboard=storyboard,
                            provider=storyboard.provider,
                            model=storyboard.model,
                            quote=price,
                            message="Waiting to start…",
                        )
                        for key in keys
                    ]
                )
            except CapRefused as refused:
                raise GenerateRefused(str(refused)) from None
            for job, created in made:
                if created:
                    created_ids.append(job.id)
                jobs.append(job)
        for job_id in created_ids:
            self.start(job_id, client)
        return jobs

    def _take_keys(self, storyboard: Storyboard, count: int) -> list[str]:
        """The keys of the takes of this storyboard still running, if any (a second press finds
        them); else `count` new keys, numbered after every key this storyboard ever had, deleted
        takes' included, so no key (and no provider-side request id) is ever reused."""
        content = storyboard.model_dump_json(exclude={"name"})
        digest = hashlib.sha256(content.encode()).hexdigest()[:32]
        takes = self.store.jobs_with_key_prefix(digest)
        running = [take.idempotency_key for take in takes if not take.state.finished]
        if running:
            return running
        keys = [take.idempotency_key for take in takes] + self.store.retired_keys_with_prefix(digest)
        numbers = [int(n) for k in keys if (n := k.rpartition(":")[2]).isdigit()]
        first = max(numbers, default=-1) + 1
        return [f"{digest}:{first + i}" for i in range(count)]

    def start(self, job_id: str, client: ProviderClient | None = None) -> None:
        with self._lock:  # registered and started under the lock: a second start() sees it alive
            self._start(job_id, client)

    def _start(self, job_id: str, client: ProviderClient | None) -> None:
        if client is not None:
            self._job_clients[job_id] = client
        thread = self._threads.get(job_id)
        if thread is not None and thread.is_alive():
            self._wake.setdefault(job_id, threading.Event()).set()  # a new client: use it now
            return
        self._wake[job_id] = threading.Event()
        thread = threading.Thread(target=self._run, args=(job_id,), name=f"job-{job_id}", daemon=True)
        self._threads[job_id] = thread
        thread.start()

    def resume_unfinished(self) -> int:
        jobs = self.store.unfinished_jobs()
        for job in jobs:
            self.start(job.id)
        return len(jobs)

    def cancel(self, job_id: str) -> None:
        """Cancel now if nothing was sent; otherwise the job's own thread asks the provider."""
        self._cancel_requested.add(job_id)
        self.store.transition(
            job_id, UNSENT, state=JobState.CANCELLED, message="Cancelled before anything was sent."
        )

    def wait(self, job_id: str, timeout: float | None = None) -> Job:
        """Block until a job's thread ends (for tests and scripts; the UI never waits)."""
        with self._lock:
            thread = self._threads.get(job_id)
        if thread is not None:
            thread.join(timeout)
        job = self.store.get_job(job_id)
        assert job is not None
        return job

    def shutdown(self, timeout: float = 5.0) -> None:
        """Stop following jobs (they stay unfinished and resume next time) and free the data dir."""
        self._stopping.set()
        with self._lock:
            threads = list(self._threads.values())
            for wake in self._wake.values():
                wake.set()
        for thread in threads:
            thread.join(timeout)
        for client in {*self.clients.values(), *self._job_clients.values()}:
            close: Callable[[], None] | None = getattr(client, "close", None)
            if close is not None:
                close()
        self._lockfile.close()

    # ---- the worker ----------------------------------------------------------------------------

    def _run(self, job_id: str) -> None:
        wait = 2 * self.backoff
        try:
            while not self._stopping.is_set():
                try:
                    self._drive(job_id)
                    return
                except Exception as exc:
                    if self._stopping.is_set():  # shutting down: the job resumes next start
                        return
                    if not self._recover(job_id, exc):
                        return
                wake = self._wake.setdefault(job_id, threading.Event())
                if wake.wait(wait * random.uniform(0.8, 1.2)):
                    wake.clear()
                    wait = 2 * self.backoff  # a key came: try it at once
                else:
                    wait = min(MAX_RECOVERY_WAIT, wait * 2)
        finally:
            with self._lock:
                if self._threads.get(job_id) is threading.current_thread():
                    del self._threads[job_id]
                    self._job_clients.pop(job_id, None)
                    self._wake.pop(job_id, None)
                    self._adopted.discard(job_id)
                    self._waiting_for_key.discard(job_id)

    def _recover(self, job_id: str, exc: Exception) -> bool:
        """Decide what an error means for the job. True: wait and drive it again."""
        job = self.store.get_job(job_id)
        if job is None or job.state.finished:
            return False
        label = PROVIDERS[job.provider].label
        said = exc.message if isinstance(exc, ProviderError) else None
        if job.state in UNSENT:
            reason = said or f"Something went wrong before sending ({type(exc).__name__})."
            self.store.transition(
                job_id, UNSENT, state=JobState.FAILED, message=f"{reason} Nothing was charged."
            )
            return False
        if job.state == JobState.SUBMITTING:
            self._unknown(job, said or f"We could not read {label}'s answer ({type(exc).__name__}).")
            return False
        # RUNNING or DOWNLOADING: the provider has the job and it is paid for. Never give up on it
        # for a passing problem, nor for a key problem (no key, a key refused, or a typed key of an
        # account that does not know the job): keep it and wait for a working key. A definite "no"
        # about the job itself ends it with the provider's reason.
        if isinstance(exc, KeyMissing) or (
            isinstance(exc, ProviderError)
            and (exc.status_code in (401, 403) or (exc.status_code == 404 and job_id in self._adopted))
        ):
            with self._lock:
                self._waiting_for_key.add(job_id)
            info = PROVIDERS[job.provider]
            why = f"{said} " if said else ""
            self.store.update_job(
                job_id,
                message=f"{why}This take is paid for and still on {label}: it is collected as soon as {label} "
                f"accepts a key (type one on Settings, or set {info.key_env}).",
                details={"last_error": f"{type(exc).__name__}: {exc}"},
            )
            return True
        if isinstance(exc, ProviderError) and not exc.retryable:
            self.store.update_job(
                job_id,
                state=JobState.FAILED,
                message=exc.message,
                details={"failure": {"status": exc.status_code, "body": exc.raw}},
            )
            return False
        log.warning("job %s: %s; will try again", job_id, exc)
        self.store.update_job(
            job_id,
            message=f"{said or f'Cannot reach {label} right now.'} Retrying; nothing is lost.",
            details={"last_error": f"{type(exc).__name__}: {exc}"},
        )
        return True

    def _unknown(self, job: Job, reason: str) -> None:
        info = PROVIDERS[job.provider]
        where = f" at {info.dashboard_url}" if info.dashboard_url else ""
        self.store.update_job(
            job.id,
            state=JobState.UNKNOWN,
            message=f"{reason} We did not resend it, so you are not charged twice: check {info.label}'s "
            f"dashboard{where} before generating again.",
        )

    def _without_key(self, job: Job) -> None:
        """No key for this job's provider (it was typed in a session that ended with the app)."""
        info = PROVIDERS[job.provider]
        if job.state in UNSENT:
            self.store.transition(
                job.id,
                UNSENT,
                state=JobState.FAILED,
                message=f"{self.can_generate(job.provider)} Nothing was sent, nothing was charged.",
            )
        elif job.state == JobState.SUBMITTING:
            self._unknown(job, f"The app stopped while sending this job to {info.label}.")
        else:  # paid and on the provider: kept until a key can collect it (see _recover)
            raise KeyMissing(f"No {info.label} key.")

    def _drive(self, job_id: str) -> None:
        job = self.store.get_job(job_id)
        if job is None or job.state.finished:
            return
        client = self._job_clients.get(job_id) or self.clients.get(job.provider)
        if client is None:
            self._without_key(job)
            return
        if job.state == JobState.SUBMITTING:  # the app stopped while sending
            if not client.free:
                self._unknown(
                    job, f"The app stopped while sending this job to {PROVIDERS[job.provider].label}."
                )
                return
            job = self.store.update_job(job_id, state=JobState.QUEUED)  # free: safe to start over
        if job.state in UNSENT:
            submission = self._submit(job, client)
            if submission is None:
                return
        else:
            submission = Submission.model_validate(self.store.details(job_id)["submission"])
        job = self.store.get_job(job_id)
        assert job is not None
        url = self._follow(job, client, submission) if job.state == JobState.RUNNING else job.remote_url
        if url and not self._stopping.is_set():
            self._download(job_id, client, submission, url)

    def _submit(self, job: Job, client: ProviderClient) -> Submission | None:
        chosen = offer(job.provider, job.model)
        label = PROVIDERS[job.provider].label
        image_url = None
        frame = job.storyboard.first_frame
        if chosen.takes_image and frame is not None:
            uploading = self.store.transition(
                job.id, UNSENT, state=JobState.UPLOADING, message="Uploading the first frame…"
            )
            if uploading is None:  # cancelled meanwhile
                return None
            image_url = self._retry(lambda: client.upload_image(self.data_dir / frame.path))
        request = compile_request(job.storyboard, chosen, image_url)
        claimed = self.store.transition(
            job.id,
            UNSENT,
            details={"request": request.model_dump(mode="json")},
            state=JobState.SUBMITTING,
            message=f"Sending to {label}…",
        )
        if claimed is None:  # cancelled meanwhile, or another worker has it
            return None
        try:
            submission = self._send(client, request, job.idempotency_key)
        except ProviderError as exc:
            details = {"submit_error": {"status": exc.status_code, "body": exc.raw}}
            if exc.sent is None and not client.free:
                self.store.update_job(job.id, details=details)
                self._unknown(job, exc.message)
            elif exc.sent is False and exc.retryable and self._stopping.is_set():  # resumes next start
                self.store.update_job(
                    job.id, details=details, state=JobState.QUEUED, message="Waiting to start…"
                )
            elif exc.sent is False and exc.retryable:  # busy or unreachable, every time we tried
                self.store.update_job(
                    job.id,
                    details=details,
                    state=JobState.FAILED,
                    message=f"{label} was busy or could not be reached, so the take was not sent and nothing "
                    "was charged. Generate again in a minute.",
                )
            else:
                suffix = " Nothing was charged." if exc.sent is False or client.free else ""
                self.store.update_job(
                    job.id, details=details, state=JobState.FAILED, message=exc.message + suffix
                )
            return None
        # The remote id and the provider's answer go to the store, together, before anything else.
        self.store.update_job(
            job.id,
            details={"submission": submission.model_dump(mode="json"), "submitted_at": time.time()},
            state=JobState.RUNNING,
            remote_id=submission.remote_id,
            message=f"{label} has it…",
        )
        return submission

    def _send(self, client: ProviderClient, request: CompiledRequest, key: str) -> Submission:
        """The paid POST. Tried again only when the provider surely did not take it (refused while
        busy, or never reached); an answer that may have created a job is never followed by another."""
        retrying = Retrying(
            retry=retry_if_exception(
                lambda e: isinstance(e, ProviderError) and e.sent is False and e.retryable
            ),
            stop=stop_after_attempt(SUBMIT_ATTEMPTS)
            | (lambda state: self._stopping.is_set())
            | (lambda state: _asked_wait(state) > SUBMIT_MAX_WAIT),  # the user is better told to retry
            wait=self._wait,
            sleep=self._stopping.wait,
            reraise=True,
        )
        return retrying(lambda: client.submit(request, key))

    def _follow(self, job: Job, client: ProviderClient, submission: Submission) -> str | None:
        """Follow the job until it has a video link (returned) or has ended (None)."""
        details = self.store.details(job.id)
        submitted_at = float(details.get("submitted_at") or time.time())
        estimate = submission.data.get("estimated_time")  # EvoLink's, from its submit answer
        expected = (
            float(estimate)
            if isinstance(estimate, int | float) and estimate > 0
            else self.store.typical_seconds(job.provider, job.model)
        )
        interval = client.poll_interval
        unfinished_at = submitted_at  # the last moment the job was seen not yet complete
        shown: dict[str, object] = {"progress": -1.0, "state": None}
        cancel_sent = False
        empty_completions = 0
        # A client that can stream status (fal's SSE) sees completion at once; others are polled.
        follow: Callable[..., RemoteStatus] | None = (lambda sub, on_update, should_stop: follow_to_end(client, sub, on_update, should_stop)) if client.streams_status else None  # fmt: skip

        def show(status: RemoteStatus) -> None:
            progress = status.progress if status.progress is not None else shown["progress"]
            if progress == shown["progress"] and status.state == shown["state"]:
                return  # fal and WaveSpeed report no progress: update on a state change too
            shown.update(progress=progress, state=status.state)
            value = max(0.0, float(progress))  # type: ignore[arg-type]
            words = "Rendering the animatic" if client.free else "Generating"
            # Preview renders on this machine, one take at a time: a take waits for the one before it.
            waiting = (
                "Waiting for the preview before it to finish…"
                if client.free
                else "Waiting in the provider's queue…"
            )
            self.store.update_job(
                job.id,
                progress=value,
                message=f"{words}… {round(value * 100)}%" if status.state == "running" else waiting,
            )

        while not self._stopping.is_set():
            cancelling = job.id in self._cancel_requested
            if cancelling and not cancel_sent:
                cancel_sent = True
                self._retry(lambda: client.cancel(submission))
                self.store.update_job(job.id, message="Cancelling… (the provider may still finish it)")
            if follow is not None and not cancelling:
                status = follow(
                    submission,
                    on_update=show,
                    should_stop=lambda: self._stopping.is_set() or job.id in self._cancel_requested,
                )
            else:
                status = self._retry(lambda: client.status(submission))
            if status.state == "completed":
                if status.video_url:
                    # Polled, it finished between the last "not yet" and now; streamed, just now. The
                    # midpoint, not the moment seen, so the next take's expected time does not creep.
                    now = time.time()
                    finished = now if follow is not None else (unfinished_at + now) / 2
                    hours = PROVIDERS[job.provider].link_hours
                    self.store.update_job(
                        job.id,
                        details={"generation_seconds": finished - submitted_at},
                        # it finished after it was last seen unfinished: the link lives at least this long
                        link_expires_at=datetime.fromtimestamp(unfinished_at, UTC) + timedelta(hours=hours)
                        if hours
                        else None,
                    )
                    return status.video_url
                empty_completions += 1
                if empty_completions >= COMPLETED_WITHOUT_VIDEO:
                    self.store.update_job(
                        job.id,
                        state=JobState.FAILED,
                        message="The provider says it finished but gave no video link. Its answer is in the details.",
                        details={"failure": status.raw},
                    )
                    return None
            elif status.state == "failed":
                self.store.update_job(
                    job.id,
                    state=JobState.FAILED,
                    message=status.error or "The provider said it failed.",
                    details={"failure": status.raw},
                )
                return None
            elif status.state == "cancelled":
                self.store.update_job(job.id, state=JobState.CANCELLED, message="Cancelled.")
                return None
            unfinished_at = time.time()
            show(status)
            if not client.free:
                interval = poll_wait(time.time() - submitted_at, expected, interval, client.poll_interval)
            self._stopping.wait(interval)
        return None

    def _download(self, job_id: str, client: ProviderClient, submission: Submission, url: str) -> None:
        job = self.store.get_job(job_id)
        assert job is not None
        hours = PROVIDERS[job.provider].link_hours
        expires = job.link_expires_at or (utcnow() + timedelta(hours=hours) if hours else None)
        self.store.update_job(
            job_id,
            state=JobState.DOWNLOADING,
            remote_url=url,
            link_expires_at=expires,
            message="Saving the video…",
        )
        layout = DataDir(self.data_dir)
        videos = layout.videos
        videos.mkdir(parents=True, exist_ok=True)
        dest = layout.video(job_id)
        part = layout.part(job_id)
        try:  # saved before the app stopped? The link may have expired since; the file has not.
            info = media.probe_video(dest)
        except (OSError, ValueError):
            try:
                self._retry(lambda: client.download(url, part))
            except ProviderError as exc:
                if exc.retryable or not expires or expires > utcnow():
                    raise
                label = PROVIDERS[job.provider].label
                self.store.update_job(
                    job_id,
                    state=JobState.FAILED,
                    message=f"{label}'s link to this video expired ({expires:%Y-%m-%d %H:%M} UTC) before the app "
                    f"could save it. {label}'s dashboard may still have it.",
                    details={"failure": {"status": exc.status_code, "body": exc.raw}},
                )
                return
            try:
                info = media.probe_video(part)
            except ValueError:
                part.unlink(missing_ok=True)
                self.store.update_job(
                    job_id,
                    state=JobState.FAILED,
                    message="The provider's file is not a playable video. Its link is kept in the details.",
                )
                return
            _fsync(part)
            os.replace(part, dest)
            _fsync(videos)
        self._done(job_id, dest, info.duration)
        forget: Callable[[Submission], None] | None = getattr(client, "forget", None)
        if forget is not None:
            forget(submission)

    def _done(self, job_id: str, video: Path, duration: float) -> None:
        poster_path = None
        try:  # a poster is nice to have; the video is what was paid for, and it is safe now
            poster = media.save_poster(video, DataDir(self.data_dir).poster(job_id))
            poster_path = DataDir(self.data_dir).relative(poster)
        except Exception:
            log.exception("job %s: no poster", job_id)
        self.store.update_job(  # done with its poster at once: no page ever shows a take without one
            job_id,
            state=JobState.DONE,
            progress=1.0,
            video_path=DataDir(self.data_dir).relative(video),
            poster_path=poster_path,
            duration_seconds=duration,
            message="Ready.",
        )

    def _wait(self, state: RetryCallState) -> float:
        """Jittered exponential backoff, at least as long as the provider's Retry-After."""
        backoff = wait_random_exponential(multiplier=self.backoff, max=MAX_POLL_INTERVAL)(state)
        return max(backoff, _asked_wait(state))

    def _retry(self, call: Callable[[], T]) -> T:
        """Retry an idempotent call (status, upload, download, cancel) on retryable errors."""
        retrying = Retrying(
            retry=retry_if_exception(lambda e: isinstance(e, ProviderError) and e.retryable),
            stop=stop_after_attempt(RETRIES + 1) | (lambda state: self._stopping.is_set()),
            wait=self._wait,
            sleep=self._stopping.wait,
            reraise=True,
        )
        return retrying(call)


def _asked_wait(state: RetryCallState) -> float:
    """The Retry-After of the error that ended the last attempt, or 0."""
    error = state.outcome.exception() if state.outcome else None
    return getattr(error, "retry_after", None) or 0.0


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _lock_data_dir(data_dir: Path) -> IO[bytes]:
    data_dir.mkdir(parents=True, exist_ok=True)
    handle = DataDir(data_dir).lock.open("ab")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        raise DataDirBusy(
            f"Another copy of Storyboard Studio is using {data_dir}. Close it, or set STORYBOARD_DATA_DIR "
            "to another folder."
        ) from None
    return handle
