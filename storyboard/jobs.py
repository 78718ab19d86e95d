"""JobRunner: background threads that submit once, follow, download and persist every take.

The money rules are structural here:
- the job row (with its idempotency key) is written before anything is sent, and a second
  Generate for the same storyboard while it runs finds that row instead of sending again;
- the remote id is stored the moment the provider answers;
- a submit whose outcome is unknown is never resent (a free provider may start over);
- the result is copied into the data dir (temp file, checked, renamed) before the job is done;
- on start-up every unfinished job is resumed.
Worker threads never touch Streamlit: they write to the store, pages read it.
"""

from __future__ import annotations

import hashlib
import logging
import os
import random
import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TypeVar

from storyboard import media
from storyboard.catalog import PROVIDERS, offer
from storyboard.compile import compile_request
from storyboard.models import Job, JobState, ProviderId, Storyboard
from storyboard.pricing import quote
from storyboard.providers.base import ProviderClient, ProviderError, Submission
from storyboard.store import Store
from storyboard.validate import validate

log = logging.getLogger(__name__)
T = TypeVar("T")

MAX_POLL_INTERVAL = 5.0
RETRIES = 5


class GenerateRefused(Exception):
    """Generate was refused before anything was sent; the message says why and what to do."""


class JobRunner:
    def __init__(self, store: Store, data_dir: Path, clients: Mapping[ProviderId, ProviderClient]) -> None:
        self.store = store
        self.data_dir = data_dir
        self.clients = dict(clients)
        self._threads: dict[str, threading.Thread] = {}
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._cancel_requested: set[str] = set()

    # ---- what the UI calls ---------------------------------------------------------------------

    def can_generate(self, provider: ProviderId) -> str | None:
        """Why Generate is unavailable on a provider, or None."""
        if provider in self.clients:
            return None
        info = PROVIDERS[provider]
        return (
            f"Generating on {info.label} is not available in this version yet; its prices are real. "
            "Pick Preview to render a free animatic."
        )

    def generate(self, storyboard: Storyboard) -> Job:
        """Create (or find) the take for this storyboard and start it. Safe to call twice."""
        chosen = offer(storyboard.provider, storyboard.model)
        problems = validate(storyboard, chosen)
        if problems:
            raise GenerateRefused(problems[0].message)
        blocker = self.can_generate(storyboard.provider)
        if blocker:
            raise GenerateRefused(blocker)
        job = Job(
            idempotency_key=self._take_key(storyboard),
            storyboard=storyboard,
            provider=storyboard.provider,
            model=storyboard.model,
            quote=quote(storyboard, chosen),
            message="Waiting to start…",
        )
        job, created = self.store.create_job(job)
        if created:
            self.start(job.id)
        return job

    def _take_key(self, storyboard: Storyboard) -> str:
        """Same storyboard while a take of it runs -> same key; once it has finished, a new take."""
        content = storyboard.model_dump_json(exclude={"name"})
        digest = hashlib.sha256(content.encode()).hexdigest()[:32]
        takes = self.store.jobs_with_key_prefix(digest)
        for take in takes:
            if not take.state.finished:
                return take.idempotency_key
        return f"{digest}:{len(takes)}"

    def start(self, job_id: str) -> None:
        with self._lock:
            thread = self._threads.get(job_id)
            if thread is not None and thread.is_alive():
                return
            thread = threading.Thread(target=self._run, args=(job_id,), name=f"job-{job_id}", daemon=True)
            self._threads[job_id] = thread
        thread.start()

    def resume_unfinished(self) -> int:
        jobs = self.store.unfinished_jobs()
        for job in jobs:
            self.start(job.id)
        return len(jobs)

    def cancel(self, job_id: str) -> None:
        self._cancel_requested.add(job_id)
        job = self.store.get_job(job_id)
        if job is None or job.state.finished:
            return
        details = self.store.details(job_id)
        client = self.clients.get(job.provider)
        if client is not None and "submission" in details:
            client.cancel(Submission.model_validate(details["submission"]))

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
        self._stopping.set()
        for thread in list(self._threads.values()):
            thread.join(timeout)

    # ---- the worker ----------------------------------------------------------------------------

    def _update(self, job_id: str, **changes: object) -> Job:
        return self.store.update_job(job_id, **changes)

    def _run(self, job_id: str) -> None:
        try:
            self._drive(job_id)
        except Exception as exc:  # never leave a job hanging without a reason
            log.exception("job %s failed unexpectedly", job_id)
            job = self.store.get_job(job_id)
            if job is not None and not job.state.finished:
                self._update(
                    job_id,
                    state=JobState.FAILED if job.remote_id is None else JobState.UNKNOWN,
                    message=f"Something went wrong on our side ({type(exc).__name__}). "
                    + ("Nothing was sent." if job.remote_id is None else "Check the provider's dashboard."),
                )

    def _drive(self, job_id: str) -> None:
        job = self.store.get_job(job_id)
        if job is None or job.state.finished:
            return
        client = self.clients.get(job.provider)
        if client is None:
            self._update(job_id, state=JobState.FAILED, message=self.can_generate(job.provider) or "")
            return
        if job.state == JobState.SUBMITTING:
            if not client.free:
                self._update(
                    job_id,
                    state=JobState.UNKNOWN,
                    message="The app stopped while sending this job, so we cannot tell whether "
                    f"{PROVIDERS[job.provider].label} received it. Check its dashboard before generating again.",
                )
                return
            job = self._update(job_id, state=JobState.QUEUED)  # free: safe to start over
        if job.state in (JobState.QUEUED, JobState.UPLOADING):
            submission = self._submit(job, client)
            if submission is None:
                return
        else:
            submission = Submission.model_validate(self.store.details(job_id)["submission"])
        job = self.store.get_job(job_id)
        assert job is not None
        url = job.remote_url if job.state == JobState.DOWNLOADING else self._follow(job, client, submission)
        if url:
            self._download(job_id, client, submission, url)

    def _submit(self, job: Job, client: ProviderClient) -> Submission | None:
        if job.id in self._cancel_requested:
            self._update(job.id, state=JobState.CANCELLED, message="Cancelled before anything was sent.")
            return None
        chosen = offer(job.provider, job.model)
        label = PROVIDERS[job.provider].label
        image_url = None
        if chosen.takes_image and job.storyboard.first_frame is not None:
            self._update(job.id, state=JobState.UPLOADING, message="Uploading the first frame…")
            image_url = self._retry(
                lambda: client.upload_image(self.data_dir / job.storyboard.first_frame.path)
            )
        request = compile_request(job.storyboard, chosen, image_url)
        self.store.add_details(job.id, request=request.model_dump(mode="json"))
        self._update(job.id, state=JobState.SUBMITTING, message=f"Sending to {label}…")
        try:
            submission = client.submit(request, job.idempotency_key)
        except ProviderError as exc:
            self.store.add_details(job.id, submit_error={"status": exc.status_code, "body": exc.raw})
            if exc.sent is None:
                self._update(
                    job.id,
                    state=JobState.UNKNOWN,
                    message=f"{exc.message} We did not resend it, so you are not charged twice: "
                    f"check {label}'s dashboard.",
                )
            else:
                suffix = " Nothing was charged." if exc.sent is False else ""
                self._update(job.id, state=JobState.FAILED, message=exc.message + suffix)
            return None
        # The remote id goes to the store before anything else happens.
        self._update(
            job.id, state=JobState.RUNNING, remote_id=submission.remote_id, message=f"{label} has it…"
        )
        self.store.add_details(job.id, submission=submission.model_dump(mode="json"))
        return submission

    def _follow(self, job: Job, client: ProviderClient, submission: Submission) -> str | None:
        interval = client.poll_interval
        last_progress = -1.0
        while not self._stopping.is_set():
            status = self._retry(lambda: client.status(submission))
            if status.state == "completed" and status.video_url:
                return status.video_url
            if status.state == "failed":
                self._update(
                    job.id, state=JobState.FAILED, message=status.error or "The provider said it failed."
                )
                self.store.add_details(job.id, failure=status.raw)
                return None
            if status.state == "cancelled":
                self._update(job.id, state=JobState.CANCELLED, message="Cancelled.")
                return None
            progress = status.progress if status.progress is not None else last_progress
            if progress != last_progress:
                last_progress = progress
                words = "Rendering the animatic" if client.free else "Generating"
                self._update(
                    job.id,
                    progress=max(0.0, progress),
                    message=f"{words}… {round(max(0.0, progress) * 100)}%"
                    if status.state == "running"
                    else "Waiting in the provider's queue…",
                )
            self._stopping.wait(interval)
            interval = min(MAX_POLL_INTERVAL, interval * 1.25) if not client.free else interval
        return None

    def _download(self, job_id: str, client: ProviderClient, submission: Submission, url: str) -> None:
        self._update(job_id, state=JobState.DOWNLOADING, remote_url=url, message="Saving the video…")
        videos = self.data_dir / "videos"
        posters = self.data_dir / "posters"
        videos.mkdir(parents=True, exist_ok=True)
        dest = videos / f"{job_id}.mp4"
        part = videos / f"{job_id}.mp4.part"
        self._retry(lambda: client.download(url, part))
        try:
            info = media.probe_video(part)
        except Exception:
            part.unlink(missing_ok=True)
            self._update(
                job_id,
                state=JobState.FAILED,
                message="The provider's file is not a playable video. Its link is kept in the details.",
            )
            return
        os.replace(part, dest)
        poster = media.save_poster(dest, posters / f"{job_id}.jpg")
        self._update(
            job_id,
            state=JobState.DONE,
            progress=1.0,
            video_path=str(dest.relative_to(self.data_dir)),
            poster_path=str(poster.relative_to(self.data_dir)),
            duration_seconds=info.duration,
            message="Ready.",
        )
        forget: Callable[[Submission], None] | None = getattr(client, "forget", None)
        if forget is not None:
            forget(submission)

    def _retry(self, call: Callable[[], T]) -> T:
        """Retry an idempotent call (status, upload, download) on retryable errors, with jittered backoff."""
        for attempt in range(RETRIES + 1):
            try:
                return call()
            except ProviderError as exc:
                if not exc.retryable or attempt == RETRIES or self._stopping.is_set():
                    raise
                self._stopping.wait(min(MAX_POLL_INTERVAL, 0.5 * 2**attempt) * random.uniform(0.5, 1.5))
        raise AssertionError("unreachable")
