"""One job's steps: upload, submit, follow, download. Each takes the job as the store has it,
does its part, writes the outcome through the store's compare-and-set, and returns the job's next
state. No thread lives here: a test calls a step with a fake client and looks at what it returns.

The money rules, structurally:
- only the step that moves a job from QUEUED/UPLOADING to SUBMITTING may send it (a compare-and-set
  in the store), so a cancel, a second thread or a second process cannot send it twice;
- the remote id and the provider's answer are stored in one transaction the moment it answers;
- a submit whose outcome is unknown is never resent: the provider's history is searched for it
  (`find_submission`), and where it is found the take is followed and collected;
- with a public address (callbacks), the callback's token is stored in the same claim, before the
  POST; the call only wakes the take (`Waker`), the result is still read from the provider;
- the result is copied into the media store (data dir or bucket: temp file, checked, then renamed
  or its multipart upload completed) before it is done;
  a result link the host refuses (expired) fails the take after a few tries, its cost still counted.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from storyboard import callbacks, formats, media, messages
from storyboard.catalog import PROVIDERS, offer
from storyboard.compile import CompiledRequest, compile_request
from storyboard.job_states import UNSENT
from storyboard.layout import DataDir
from storyboard.media_store import media_for
from storyboard.models import Job, JobState, utcnow
from storyboard.providers.base import ProviderClient, ProviderError, RemoteStatus, Submission
from storyboard.runner.policies import (
    Policies,
    fallback_wait,
    first_fallback_wait,
    link_refused,
    poll_wait,
)
from storyboard.runner.waker import Waker
from storyboard.store import Store

log = logging.getLogger(__name__)

COMPLETED_WITHOUT_VIDEO = 5  # "completed" answers with no video link before we call it failed
TERMINAL = ("completed", "failed", "cancelled")
# A take that failed after the provider made it (its video could not be saved) still cost money:
# this detail says so, and billable spend counts a FAILED take that carries it.
CHARGED = "charged"


class Driver:
    def __init__(
        self,
        store: Store,
        data_dir: Path,
        client: ProviderClient,
        policies: Policies,
        *,
        stopping: threading.Event,
        cancel_requested: Callable[[str], bool] = lambda job_id: False,
        clock: Callable[[], float] = time.time,
        waker: Waker | None = None,
        public_url: str | None = None,
    ) -> None:
        """`public_url` (settings.public_url): set, paid submits ask the provider to call back, and
        `waker` is how that call cuts the wait for the next status request short."""
        self.store = store
        self.data_dir = data_dir
        self.layout = DataDir(data_dir)
        self.media = media_for(data_dir)
        self.client = client
        self.policies = policies
        self.stopping = stopping
        self.cancel_requested = cancel_requested
        self.clock = clock
        self.waker = waker
        self.public_url = public_url if waker is not None else None
        self.sent_here = False  # this driver sent the take (rather than found it sent: resumed)

    # ---- the loop ------------------------------------------------------------------------------

    def run(self, job_id: str) -> JobState | None:
        """Step the job until it has finished, or stops moving (shutting down, or cancelled)."""
        job = self.store.get_job(job_id)
        first = True
        while job is not None and not job.state.finished and not self.stopping.is_set():
            if job.state == JobState.SUBMITTING and not first:
                break  # being sent by someone else: only a job found SUBMITTING at the start was left so
            before, first = job, False
            self.step(job)
            job = self.store.get_job(job_id)
            if job is not None and job.updated_at == before.updated_at:
                break  # the step changed nothing: stopping, or another worker has the job
        return job.state if job is not None else None

    def step(self, job: Job) -> JobState:
        """Do the step the job's state calls for (SUBMITTING: the app stopped while sending it)."""
        if job.state == JobState.SUBMITTING:
            return self.after_crash_while_sending(job)
        if job.state in UNSENT:
            frame = formats.frame_to_send(job.storyboard)
            needs_upload = offer(job.provider, job.model).takes_image and frame is not None
            if needs_upload and "image_url" not in self.store.details(job.id):
                return self.upload(job)
            return self.submit(job)
        if job.state == JobState.RUNNING:
            return self.follow(job)
        if job.state == JobState.DOWNLOADING:
            return self.download(job)
        return job.state

    # ---- the steps -----------------------------------------------------------------------------

    def upload(self, job: Job) -> JobState:
        """Put the first frame on the provider's storage; its link goes to the job's details."""
        frame = formats.frame_to_send(job.storyboard)  # fitted to the take's format: what is sent
        assert frame is not None
        if job.state == JobState.QUEUED:
            moved = self.store.transition(
                job.id, (JobState.QUEUED,), state=JobState.UPLOADING, message=messages.UPLOADING
            )
            if moved is None:  # cancelled meanwhile
                return self._state(job.id)
        with self.media.local(frame.path) as image:  # a temporary copy, where it is in a bucket
            url = self.policies.CALL(lambda: self.client.upload_image(image))
        kept = self.store.transition(job.id, (JobState.UPLOADING,), details={"image_url": url})
        return kept.state if kept is not None else self._state(job.id)

    def submit(self, job: Job) -> JobState:
        """Claim the job for sending (exactly once) and send the paid POST."""
        image_url = self.store.details(job.id).get("image_url")
        request = compile_request(job.storyboard, offer(job.provider, job.model), image_url)
        details: dict[str, Any] = {"request": request.model_dump(mode="json"), "sent_after": self.clock()}
        call_back = None
        if self.public_url and self.client.calls_back:
            token = details[callbacks.TOKEN] = callbacks.new_token()  # stored before anything is sent
            call_back = callbacks.callback_url(self.public_url, job.provider, job.id, token)
        claimed = self.store.transition(
            job.id,
            UNSENT,
            details=details,
            state=JobState.SUBMITTING,
            message=messages.sending(job.provider),
        )
        if claimed is None:  # cancelled meanwhile, or another worker has it
            return self._state(job.id)
        try:
            submission = self.policies.SUBMIT(
                lambda: (
                    self.client.submit(request, job.idempotency_key, call_back)
                    if call_back
                    else self.client.submit(request, job.idempotency_key)
                )
            )
        except ProviderError as exc:
            details = {"submit_error": {"status": exc.status_code, "body": exc.raw}}
            if exc.sent is None and not self.client.free:
                self.store.update_job(job.id, details=details)
                return self.unknown(job, exc.message)
            if exc.sent is False and exc.retryable and self.stopping.is_set():  # resumes next start
                return self._move(job.id, JobState.QUEUED, details=details, message=messages.WAITING_TO_START)
            if exc.sent is False and exc.retryable:  # busy or unreachable, every time we tried
                return self._move(
                    job.id, JobState.FAILED, details=details, message=messages.busy_not_sent(job.provider)
                )
            charged = exc.sent is not False and not self.client.free
            suffix = "" if charged else messages.NOTHING_CHARGED
            return self._move(job.id, JobState.FAILED, details=details, message=exc.message + suffix)
        self.sent_here = True
        return self._running(job, submission, submitted_at=self.clock())

    def after_crash_while_sending(self, job: Job) -> JobState:
        """The app stopped while this job was being sent: a free provider may start over; a paid
        one is looked for in the provider's history, never sent again."""
        if self.client.free:
            return self._move(job.id, JobState.QUEUED, message=messages.WAITING_TO_START)
        return self.unknown(job, messages.stopped_while_sending(job.provider))

    def unknown(self, job: Job, reason: str) -> JobState:
        """Nobody knows whether the provider took the submit. Look for it where the provider keeps a
        history; found, follow it; not found, say so and never send it again."""
        details = self.store.details(job.id)
        found = self._look_for(details)
        if found is not None:
            submission, sent_after = found
            return self._running(job, submission, submitted_at=sent_after)
        moved = self.store.transition(
            job.id,
            (JobState.SUBMITTING,),
            state=JobState.UNKNOWN,
            message=messages.unknown(job.provider, reason),
        )
        return moved.state if moved is not None else self._state(job.id)

    def follow(self, job: Job) -> JobState:
        """Follow the job until the provider has the video (-> DOWNLOADING) or it has ended."""
        client = self.client
        details = self.store.details(job.id)
        submission = Submission.model_validate(details["submission"])
        submitted_at = float(details.get("submitted_at") or self.clock())
        estimate = submission.data.get("estimated_time")  # EvoLink's, from its submit answer
        estimate = float(estimate) if isinstance(estimate, int | float) and estimate > 0 else None
        history = [] if estimate else self.store.recent_seconds(job.provider, job.model)
        interval = client.poll_interval
        unfinished_at = submitted_at  # the last moment the job was seen not yet complete
        shown: dict[str, Any] = {"progress": -1.0, "state": None}
        cancel_sent = False
        empty_completions = 0
        polls = 0
        # Asked to call back when it ends: poll only as the fallback, and wait for the call first. A
        # take found sent (resumed after a restart) is looked at at once: its call may have come
        # while the app was down, and a provider does not call twice.
        waker = self.waker if callbacks.TOKEN in details else None
        expected = estimate or (max(history) if history else None)
        if waker is not None and self.sent_here:
            waker.wait(job.id, first_fallback_wait(self.clock() - submitted_at, interval, expected))

        def show(status: RemoteStatus) -> None:
            progress = status.progress if status.progress is not None else shown["progress"]
            if progress == shown["progress"] and status.state == shown["state"]:
                return  # fal and WaveSpeed report no progress: update on a state change too
            shown.update(progress=progress, state=status.state)
            value = max(0.0, float(progress))
            self.store.update_job(
                job.id,
                progress=value,
                message=messages.progress(client.free, status.state == "running", value),
            )

        def should_stop() -> bool:
            return self.stopping.is_set() or self.cancel_requested(job.id)

        while not self.stopping.is_set():
            cancelling = self.cancel_requested(job.id)
            if cancelling and not cancel_sent:
                cancel_sent = True
                self.policies.CALL(lambda: client.cancel(submission))
                self.store.update_job(job.id, message=messages.CANCELLING)
            streamed = client.streams_status and not cancelling and waker is None
            if streamed:
                status = self.policies.CALL(lambda: _last(client.follow(submission, should_stop), show))
            else:
                status = self.policies.CALL(lambda: client.status(submission))
            polls += 1
            if status is not None and status.state == "completed":
                if status.video_url:
                    # Polled, it finished between the last "not yet" and now; streamed, just now. The
                    # midpoint, not the moment seen, so the next take's expected time does not creep.
                    now = self.clock()
                    finished = now if streamed else (unfinished_at + now) / 2
                    hours = PROVIDERS[job.provider].link_hours
                    # it finished after it was last seen unfinished: the link lives at least this long
                    expires = (
                        datetime.fromtimestamp(unfinished_at, UTC) + timedelta(hours=hours) if hours else None
                    )
                    return self._move(
                        job.id,
                        JobState.DOWNLOADING,
                        details={
                            "generation_seconds": finished - submitted_at,
                            "finished_at": finished,
                            "completed": status.raw,  # the provider's answer when done
                        },
                        remote_url=status.video_url,
                        link_expires_at=expires,
                        message=messages.SAVING,
                    )
                empty_completions += 1
                if empty_completions >= COMPLETED_WITHOUT_VIDEO:
                    return self._move(
                        job.id,
                        JobState.FAILED,
                        message=messages.NO_VIDEO_LINK,
                        details={"failure": status.raw},
                    )
            elif status is not None and status.state == "failed":
                return self._move(
                    job.id,
                    JobState.FAILED,
                    message=status.error or messages.PROVIDER_FAILED,
                    details={"failure": status.raw},
                )
            elif status is not None and status.state == "cancelled":
                return self._move(job.id, JobState.CANCELLED, message=messages.CANCELLED)
            unfinished_at = self.clock()
            if status is not None:
                show(status)
            if streamed:  # the stream ended before the job did: open it again shortly
                interval = client.poll_interval
            elif not client.free:
                interval = poll_wait(
                    unfinished_at - submitted_at,
                    interval,
                    client.poll_interval,
                    estimate=estimate,
                    history=history,
                )
            if waker is not None and not cancel_sent:  # cancelling: see it end at the usual pace
                elapsed = unfinished_at - submitted_at
                waker.wait(job.id, fallback_wait(elapsed, interval, client.poll_interval, expected))
            else:
                client.pause(submission, interval, self.stopping)
        return self._state(job.id)

    def download(self, job: Job) -> JobState:
        """Copy the video into the media store (data dir or bucket), check it plays, make its poster,
        then mark the take DONE."""
        url = job.remote_url
        assert url is not None
        name = self.layout.relative(self.layout.video(job.id))
        poster: str | None = None
        info: media.VideoInfo | None = None
        try:  # saved before the app stopped? The link may have expired since; the file has not.
            with self.media.local(name) as saved:
                info = media.probe_video(saved)
                poster = self._poster(job.id, saved)
        except (OSError, ValueError):
            info = None
        if info is None:
            try:
                # Streamed to a file on this machine (the data dir's `.part`, or a scratch file whose
                # parts go up to the bucket as they are written): checked and given its poster
                # before anyone can see it (renamed, or the multipart upload completed).
                with self.media.saving(name) as part:
                    self.policies.LINK(lambda: self.client.download(url, part))
                    try:
                        info = media.probe_video(part)
                    except ValueError:
                        raise _NotAVideo() from None
                    poster = self._poster(job.id, part)
            except _NotAVideo:
                return self._move(
                    job.id, JobState.FAILED, message=messages.NOT_A_VIDEO, details={CHARGED: True}
                )
            except ProviderError as exc:
                expired = job.link_expires_at is not None and job.link_expires_at <= utcnow()
                if not (link_refused(exc) or (expired and not exc.retryable)):
                    raise
                # Keys never go to result hosts: a refusal is the link running out, not the key.
                finished_at = self.store.details(job.id).get("finished_at")
                finished = datetime.fromtimestamp(float(finished_at), UTC) if finished_at else None
                return self._move(
                    job.id,
                    JobState.FAILED,
                    message=messages.link_expired(job.provider, job.link_expires_at, finished),
                    details={"failure": {"status": exc.status_code, "body": exc.raw}, CHARGED: True},
                )
        state = self._done(job.id, name, poster, info.duration)
        submission = self.store.details(job.id).get("submission")
        if submission is not None:
            self.client.forget(Submission.model_validate(submission))
        return state

    # ---- helpers -------------------------------------------------------------------------------

    def _running(self, job: Job, submission: Submission, *, submitted_at: float) -> JobState:
        # The remote id and the provider's answer go to the store, together, before anything else.
        return self._move(
            job.id,
            JobState.RUNNING,
            details={"submission": submission.model_dump(mode="json"), "submitted_at": submitted_at},
            remote_id=submission.remote_id,
            message=messages.provider_has_it(job.provider),
        )

    def _look_for(self, details: dict[str, Any]) -> tuple[Submission, float] | None:
        """The provider's record of a submit whose answer was lost, if its history has it."""
        if "request" not in details:
            return None
        sent_after = float(details.get("sent_after") or self.clock())
        window = (datetime.fromtimestamp(sent_after, UTC), datetime.fromtimestamp(self.clock(), UTC))
        try:
            request = CompiledRequest.model_validate(details["request"])
            found = self.policies.SEARCH(lambda: self.client.find_submission(request, *window))
        except Exception:  # the search is a bonus: without it, the take is said to be unknown
            log.warning("could not search the provider's history", exc_info=True)
            return None
        return (found, sent_after) if found is not None else None

    def _move(
        self, job_id: str, state: JobState, details: dict[str, Any] | None = None, **changes: Any
    ) -> JobState:
        """Move the job from where it is now to `state` (refused by the store if the table forbids it)."""
        current = self._state(job_id)
        if state == JobState.FAILED and current == JobState.DOWNLOADING:
            details = {**(details or {}), CHARGED: True}  # the provider made it: it is paid for
        moved = self.store.transition(job_id, (current,), details, state=state, **changes)
        return moved.state if moved is not None else self._state(job_id)

    def _state(self, job_id: str) -> JobState:
        job = self.store.get_job(job_id)
        assert job is not None
        return job.state

    def _poster(self, job_id: str, video: Path) -> str | None:
        """The take's poster, saved beside it; None if none could be made. A poster is nice to have:
        the video is what was paid for."""
        name = self.layout.relative(self.layout.poster(job_id))
        try:
            with self.media.saving(name) as part:
                media.save_poster(video, part)
        except Exception:
            log.exception("job %s: no poster", job_id)
            return None
        return name

    def _done(self, job_id: str, video: str, poster: str | None, duration: float) -> JobState:
        return self._move(  # done with its poster at once: no page ever shows a take without one
            job_id,
            JobState.DONE,
            progress=1.0,
            video_path=video,
            poster_path=poster,
            duration_seconds=duration,
            message=messages.READY,
        )


class _NotAVideo(Exception):
    """What the provider sent is not a video we can play."""


def _last(statuses: Any, seen: Callable[[RemoteStatus], None]) -> RemoteStatus | None:
    """Read a status stream to its end, showing each status; the last one seen (None: none)."""
    last = None
    for status in statuses:
        seen(status)
        last = status
    return last

