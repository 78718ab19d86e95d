"""What every provider client offers the job runner, and the errors it may raise.

The runner drives each client the same way: upload the first frame, submit once, follow the
status, download the result. A client never touches the store; the runner writes every answer.

`ProviderClient` is a base class, not a Protocol: every optional ability (streaming, cancel,
finding a lost submit, forgetting, checking a key or a price) is declared here with a default, so
callers read an attribute or call a method instead of probing with getattr/hasattr.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

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


class ProviderPrice(BaseModel):
    """What a provider says one request costs, in USD, and which of its APIs said so."""

    usd: Decimal
    source: str  # e.g. "WaveSpeed POST /api/v3/model/pricing"


class ProviderClient:
    """The runner's view of a provider. Required: upload_image, submit, status, download."""

    provider: ProviderId
    free: bool = False  # a free provider may safely be re-submitted after a crash
    poll_interval: float = 1.0  # seconds between status calls to start with
    cancellable: bool = False  # the provider can stop a job it has started
    streams_status: bool = False  # `follow` pushes statuses (fal's SSE); otherwise poll `status`
    checks_key: bool = False  # `check_key` is a free authenticated call
    checks_prices: bool = False  # `price` asks the provider what a request costs

    def upload_image(self, path: Path) -> str:
        raise NotImplementedError

    def submit(self, request: CompiledRequest, idempotency_key: str) -> Submission:
        raise NotImplementedError

    def status(self, submission: Submission) -> RemoteStatus:
        raise NotImplementedError

    def download(self, url: str, dest: Path) -> None:
        raise NotImplementedError

    def cancel(self, submission: Submission) -> bool:
        """Ask the provider to stop the job; True when it will not run (or already finished)."""
        return False

    def follow(self, submission: Submission, should_stop: Callable[[], bool]) -> Iterator[RemoteStatus]:
        """Statuses as the provider pushes them, until a final one or `should_stop()`.

        Only called when `streams_status`. No retries inside: a broken or silent stream raises
        ProviderError(retryable=True) and the runner's policy decides whether to open it again.
        """
        raise NotImplementedError

    def find_submission(
        self, request: CompiledRequest, sent_after: datetime, sent_before: datetime
    ) -> Submission | None:
        """The job this exact request created between the two moments, if the provider lists our
        recent jobs and exactly one matches; None when it cannot tell (never a guess)."""
        return None

    def forget(self, submission: Submission) -> None:
        """Drop what the client keeps about a finished job (Preview's render state)."""

    def pause(self, submission: Submission, seconds: float, stopping: threading.Event) -> None:
        """Wait before the next status call: `seconds`, or less when the job may have moved (a client
        that knows, such as Preview's own render, returns as soon as it has ended), or `stopping`."""
        stopping.wait(seconds)

    def check_key(self) -> Decimal | None:
        """One free authenticated call: raises ProviderError when the key is refused; returns the
        balance where the provider reports one. Only called when `checks_key`."""
        raise NotImplementedError

    def price(self, request: CompiledRequest) -> ProviderPrice | None:
        """The provider's own price for this request; None when it cannot price this kind of
        request. Only called when `checks_prices`; sends the key, never submits anything."""
        return None

    def close(self) -> None:
        """Free the client's connections."""

