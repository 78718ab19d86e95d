"""What every provider client offers the JobRunner, and the errors it may raise.

The runner drives each client the same way: upload the first frame, submit once, follow the
status, download the result. A client never touches the store; the runner writes every answer.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any, Literal, Protocol

from pydantic import BaseModel, Field

from storyboard.compile import CompiledRequest
from storyboard.models import ProviderId


class ProviderError(Exception):
    """A provider problem, as one plain sentence for the user.

    `sent` says whether a submit reached the provider: False means nothing was charged and it may
    be retried, None means nobody knows (never resend), True means it was received.
    `retryable` says whether the same call may simply be tried again later (429, 5xx, timeouts).
    """

    def __init__(
        self,
        message: str,
        *,
        retryable: bool = False,
        sent: bool | None = True,
        status_code: int | None = None,
        raw: Any = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.retryable = retryable
        self.sent = sent
        self.status_code = status_code
        self.raw = raw
        self.retry_after = retry_after  # seconds the provider asked us to wait (Retry-After)


class Submission(BaseModel):
    """What the provider answered to the submit: its id and whatever it needs to follow the job."""

    remote_id: str
    data: dict[str, Any] = Field(default_factory=dict)


class RemoteStatus(BaseModel):
    state: Literal["queued", "running", "completed", "failed", "cancelled"]
    progress: float | None = None  # 0..1 where the provider says
    video_url: str | None = None
    error: str | None = None  # one plain sentence when failed
    raw: dict[str, Any] = Field(default_factory=dict)


class ProviderClient(Protocol):
    """What the runner calls. Clients subclass this explicitly, so the optional abilities below
    come with defaults and the runner never probes for them."""

    provider: ProviderId
    free: bool  # a free provider may safely be re-submitted after a crash
    poll_interval: float  # seconds between status calls to start with
    cancellable: bool  # the provider can stop a job it has started
    streams_status: bool = False  # True: the runner follows jobs with `follow`, not `status`

    def upload_image(self, path: Path) -> str: ...

    def submit(self, request: CompiledRequest, idempotency_key: str) -> Submission: ...

    def status(self, submission: Submission) -> RemoteStatus: ...

    def download(self, url: str, dest: Path) -> None: ...

    def cancel(self, submission: Submission) -> bool: ...

    def follow(self, submission: Submission, should_stop: Callable[[], bool]) -> Iterator[RemoteStatus]:
        """Every status seen on a stream, ending after a terminal one or when `should_stop()`; a
        broken stream raises ProviderError(retryable=True) and the runner opens it again.
        Only called when `streams_status` is True."""
        raise ProviderError("This provider has no status stream to follow.", retryable=False)

    def find_submission(
        self, request: CompiledRequest, sent_after: datetime, sent_before: datetime
    ) -> Submission | None:
        """Our own job for `request`, sent between the two times (UTC), looked up in the provider's
        history after a submit whose answer was lost; None where the provider has no history."""
        return None

    def forget(self, submission: Submission) -> None:
        """The result is saved: drop anything kept for this job."""

    def close(self) -> None:
        """Release connections."""
