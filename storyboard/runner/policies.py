"""The runner's one retry policy per kind of call, and its poll plan. No other retry loop exists.

- CALL: an idempotent call (status, upload, download, cancel, a history search, a status stream
  reopened): retried on retryable errors a few times, then the executor takes over.
- SUBMIT: the paid POST, tried again only when the provider surely did not take it.
- LINK: fetching a finished video: a refused link (403/404/410) is tried a few times, not forever.
- RECOVERY: the executor's wait between drives of a job after an error: doubling to a minute,
  cut short when a key arrives.
Every policy stops when the runner shuts down (`stop_when_event_set`), and waits at least as long
as the provider's Retry-After.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable, Sequence

from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception,
    stop_after_attempt,
    stop_any,
    stop_when_event_set,
    wait_random_exponential,
)

from storyboard.providers.base import ProviderError

MAX_CALL_WAIT = 5.0  # longest wait between quick retries of one call
RETRIES = 5  # quick retries of one call; after that the job waits (RECOVERY) and tries again, without end
SUBMIT_ATTEMPTS = 3  # a submit the provider surely did not take (busy, unreachable) is tried this often
SUBMIT_MAX_WAIT = 30.0  # ... unless it asks us to wait longer than this (seconds) before trying again
LINK_ATTEMPTS = 3  # a result link refused this often has expired: the take is failed, not retried forever
LINK_REFUSED = frozenset({403, 404, 410})  # what a result host answers for an expired link
MAX_RECOVERY_WAIT = 60.0


def asked_wait(state: RetryCallState) -> float:
    """The Retry-After of the error that ended the last attempt, or 0."""
    error = state.outcome.exception() if state.outcome else None
    return error.retry_after or 0.0 if isinstance(error, ProviderError) else 0.0


def _retryable(error: BaseException) -> bool:
    return isinstance(error, ProviderError) and error.retryable


def _unsent_and_retryable(error: BaseException) -> bool:
    return isinstance(error, ProviderError) and error.sent is False and error.retryable


def link_refused(error: BaseException) -> bool:
    return isinstance(error, ProviderError) and not error.retryable and error.status_code in LINK_REFUSED


class Policies:
    """The named policies of one runner: `backoff` is the first wait (seconds, doubling, jittered)."""

    def __init__(self, backoff: float, stopping: threading.Event) -> None:
        self.backoff = backoff
        self.stopping = stopping

    def _wait(self, state: RetryCallState) -> float:
        backoff = wait_random_exponential(multiplier=self.backoff, max=MAX_CALL_WAIT)(state)
        return max(backoff, asked_wait(state))

    def _retrying(
        self, retry: Callable[[BaseException], bool], stop: Callable[[RetryCallState], bool]
    ) -> Retrying:
        return Retrying(
            retry=retry_if_exception(retry),
            stop=stop_any(stop, stop_when_event_set(self.stopping)),
            wait=self._wait,
            sleep=self.stopping.wait,
            reraise=True,
        )

    @property
    def CALL(self) -> Retrying:  # noqa: N802 - a named policy
        return self._retrying(_retryable, stop_after_attempt(RETRIES + 1))

    @property
    def SUBMIT(self) -> Retrying:  # noqa: N802
        # Asked to wait longer than SUBMIT_MAX_WAIT: the user is better told to try again later.
        return self._retrying(
            _unsent_and_retryable,
            stop_after_attempt(SUBMIT_ATTEMPTS) | (lambda state: asked_wait(state) > SUBMIT_MAX_WAIT),
        )

    @property
    def LINK(self) -> Retrying:  # noqa: N802
        def stop(state: RetryCallState) -> bool:
            error = state.outcome.exception() if state.outcome else None
            limit = LINK_ATTEMPTS if error is not None and link_refused(error) else RETRIES + 1
            return state.attempt_number >= limit

        return self._retrying(lambda e: _retryable(e) or link_refused(e), stop)

    def RECOVERY(self, wake: threading.Event, keep_trying: Callable[[BaseException], bool]) -> Retrying:  # noqa: N802
        """Drive a job again after an error for as long as `keep_trying(error)` says so (it also
        records what the error means for the job). `wake` cuts a wait short and starts the
        doubling again: a key came, try it at once."""
        woken = {"at": 0, "flag": False}

        def wait(state: RetryCallState) -> float:
            if woken["flag"]:
                woken.update(at=state.attempt_number - 1, flag=False)
            n = state.attempt_number - woken["at"]
            return min(MAX_RECOVERY_WAIT, 2 * self.backoff * 2 ** (n - 1)) * random.uniform(0.8, 1.2)

        def sleep(seconds: float) -> None:
            if wake.wait(seconds):
                wake.clear()
                woken["flag"] = True

        return Retrying(
            retry=retry_if_exception(lambda e: not self.stopping.is_set() and keep_trying(e)),
            stop=stop_when_event_set(self.stopping),
            wait=wait,
            sleep=sleep,
            reraise=True,
        )


# ---- the poll plan ------------------------------------------------------------------------------

MAX_POLL_INTERVAL = 5.0  # longest gap when nothing says when the job will finish
SPARSE_MAX = 10.0  # longest gap between polls while a job is far from any expected finish
DENSE = 0.5  # gap between polls where past jobs finished, and just after the longest of them
DENSE_GROWTH = 0.08  # the dense gap grows this much per second into the spread of past durations
DENSE_MAX = 2.5  # ... up to this
EARLY = 0.1  # dense polling starts this fraction of the earliest expected finish before it
LOW_QUANTILE = 0.1  # dense from here in the spread of recent durations, not from the median
OVERRUN = 0.25  # past the longest expected finish, poll densely for this fraction of it (at least 5 s)


def quantile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    at = (len(ordered) - 1) * q
    low = int(at)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (at - low)


def poll_wait(elapsed: float, expected: Sequence[float], last_wait: float, first_wait: float) -> float:
    """Seconds until the next status poll of a job submitted `elapsed` seconds ago.

    `expected`: how long this job may take: the provider's own estimate, or how long recent takes
    of this provider and model took (any spread). Sparse until a little before the earliest likely
    finish (a low quantile), dense through the spread (the gap growing slowly, so a wide spread
    does not cost a request every half second), densely for a while past the longest, then backing
    off. Without any: from `first_wait`, growing x1.25 up to MAX_POLL_INTERVAL.
    """
    if expected:
        low, high = quantile(expected, LOW_QUANTILE), max(expected)
        start = low - max(DENSE / 2, EARLY * low)
        if elapsed < start:
            return min(SPARSE_MAX, start - elapsed)
        if elapsed <= high:
            return min(DENSE_MAX, DENSE + DENSE_GROWTH * max(0.0, elapsed - low))
        if elapsed <= high + max(5.0, OVERRUN * high):
            return DENSE
    return min(MAX_POLL_INTERVAL, max(first_wait, last_wait * 1.25))
