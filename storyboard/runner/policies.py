"""The runner's one retry policy per kind of call, and its poll plan. No other retry loop exists.

- CALL: an idempotent call (status, upload, download, cancel, a history search, a status stream
  reopened): retried on retryable errors a few times, then the executor takes over.
- SUBMIT: the paid POST, tried again only when the provider surely did not take it.
- LINK: fetching a finished video: a refused link (403/404/410) is tried a few times, not forever.
- SEARCH: looking for a submit whose answer was lost in the provider's history, a few times
  (a job may take a moment to be listed).
- RECOVERY: the executor's wait between drives of a job after an error: doubling to a minute,
  cut short when a key arrives.
Every policy stops when the runner shuts down (`stop_when_event_set`), and waits at least as long
as the provider's Retry-After.
"""

from __future__ import annotations

import math
import random
import threading
from collections.abc import Callable, Sequence

from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception,
    retry_if_result,
    stop_after_attempt,
    stop_any,
    stop_when_event_set,
    wait_random_exponential,
)
from tenacity.stop import stop_base

from storyboard.providers.base import ProviderError

MAX_CALL_WAIT = 5.0  # longest wait between quick retries of one call
RETRIES = 5  # quick retries of one call; after that the job waits (RECOVERY) and tries again, without end
SUBMIT_ATTEMPTS = 3  # a submit the provider surely did not take (busy, unreachable) is tried this often
SUBMIT_MAX_WAIT = 30.0  # ... unless it asks us to wait longer than this (seconds) before trying again
LINK_ATTEMPTS = 3  # a result link refused this often has expired: the take is failed, not retried forever
LINK_REFUSED = frozenset({403, 404, 410})  # what a result host answers for an expired link
SEARCH_ATTEMPTS = 3  # looks in the provider's history before a lost submit is said to be unknown
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


class _stop_if(stop_base):  # noqa: N801 - named like tenacity's own stops
    """Stop when `check(state)` says so."""

    def __init__(self, check: Callable[[RetryCallState], bool]) -> None:
        self.check = check

    def __call__(self, retry_state: RetryCallState) -> bool:
        return self.check(retry_state)


class Policies:
    """The named policies of one runner: `backoff` is the first wait (seconds, doubling, jittered)."""

    def __init__(self, backoff: float, stopping: threading.Event) -> None:
        self.backoff = backoff
        self.stopping = stopping

    def _wait(self, state: RetryCallState) -> float:
        backoff = wait_random_exponential(multiplier=self.backoff, max=MAX_CALL_WAIT)(state)
        return max(backoff, asked_wait(state))

    def _sleep(self, seconds: float) -> None:
        self.stopping.wait(seconds)  # shutting down cuts a wait short

    def _retrying(self, retry: Callable[[BaseException], bool], stop: stop_base) -> Retrying:
        return Retrying(
            retry=retry_if_exception(retry),
            stop=stop_any(stop, stop_when_event_set(self.stopping)),
            wait=self._wait,
            sleep=self._sleep,
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
            stop_after_attempt(SUBMIT_ATTEMPTS) | _stop_if(lambda state: asked_wait(state) > SUBMIT_MAX_WAIT),
        )

    @property
    def LINK(self) -> Retrying:  # noqa: N802
        def stop(state: RetryCallState) -> bool:
            error = state.outcome.exception() if state.outcome else None
            limit = LINK_ATTEMPTS if error is not None and link_refused(error) else RETRIES + 1
            return state.attempt_number >= limit

        return self._retrying(lambda e: _retryable(e) or link_refused(e), _stop_if(stop))

    @property
    def SEARCH(self) -> Retrying:  # noqa: N802
        return Retrying(
            retry=retry_if_exception(_retryable) | retry_if_result(lambda found: found is None),
            stop=stop_any(stop_after_attempt(SEARCH_ATTEMPTS), stop_when_event_set(self.stopping)),
            wait=self._wait,
            sleep=self._sleep,
            retry_error_callback=lambda state: None,  # not found (or not reachable): None, not an error
        )

    def RECOVERY(  # noqa: N802
        self, woken: Callable[[float], bool], keep_trying: Callable[[BaseException], bool]
    ) -> Retrying:
        """Drive a job again after an error for as long as `keep_trying(error)` says so (it also
        records what the error means for the job). `woken(seconds)` waits, and says True when the
        wait was cut short (a key came, or the provider called back): try at once, and start the
        doubling again."""
        after_wake = {"at": 0, "flag": False}

        def wait(state: RetryCallState) -> float:
            if after_wake["flag"]:
                after_wake.update(at=state.attempt_number - 1, flag=False)
            n = state.attempt_number - after_wake["at"]
            return min(MAX_RECOVERY_WAIT, 2 * self.backoff * 2 ** (n - 1)) * random.uniform(0.8, 1.2)

        def sleep(seconds: float) -> None:
            if woken(seconds):
                after_wake["flag"] = True

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
DENSE = 0.5  # shortest gap: around the provider's own estimate, or where past jobs finished
EARLY = 0.1  # around an estimate, dense polling starts this fraction of it before it
# From past durations: the gap is DENSITY_K / sqrt(how likely the job is to finish now), the
# spacing that makes the fewest polls for a given lateness (inspection density ~ sqrt of the
# finish density). Each past duration counts as a bell of this width: jobs vary.
DENSITY_K = 0.35
WIDTH_MIN = 3.0  # seconds
WIDTH_SHARE = 0.2  # of that duration
TAIL = 0.5  # past the longest, the job may still finish: this much belief, thinning as 1/t
STEADY = 1.5  # and for a while past the longest, a steady gap at most this long
OVERRUN = 0.25  # "a while": this fraction of the longest (at least 5 s)


def poll_wait(
    elapsed: float,
    last_wait: float,
    first_wait: float,
    *,
    estimate: float | None = None,
    history: Sequence[float] = (),
) -> float:
    """Seconds until the next status poll of a job submitted `elapsed` seconds ago.

    - `estimate`, the provider's own for this job (EvoLink): sparse until just before it, dense
      around it, then backing off if the job runs long.
    - else `history`, how long recent takes of this provider and model took: polls are dense where
      past jobs finished and sparse between (from the spread, not one typical figure), at a steady
      short gap for a while past the longest, then thinning out.
    - neither: from `first_wait`, growing x1.25 up to MAX_POLL_INTERVAL.
    """
    if estimate is not None:
        remaining = estimate - elapsed
        lead = max(DENSE / 2, EARLY * estimate)  # jobs vary: start dense a little before the estimate
        if remaining > lead:
            return min(SPARSE_MAX, remaining - lead)
        if elapsed <= estimate + max(5.0, estimate / 4):
            return DENSE
    elif history:
        density = sum(_bell(elapsed, took) for took in history) / len(history)
        longest = max(history)
        if elapsed > longest:
            density += TAIL / max(1.0, elapsed)
        wait = min(SPARSE_MAX, DENSITY_K / math.sqrt(density)) if density > 0 else SPARSE_MAX
        if longest < elapsed <= longest + max(5.0, OVERRUN * longest):
            wait = min(wait, STEADY)
        return max(DENSE, wait)
    return min(MAX_POLL_INTERVAL, max(first_wait, last_wait * 1.25))


def _bell(t: float, took: float) -> float:
    """How likely a job that once took `took` seconds is to finish at `t` (a normal density)."""
    width = max(WIDTH_MIN, WIDTH_SHARE * took)
    return math.exp(-0.5 * ((t - took) / width) ** 2) / (width * math.sqrt(2 * math.pi))


# ---- with a callback on its way -----------------------------------------------------------------

# The provider will call back when the take ends, so status polls are only the fallback for a
# callback that never comes. The first one when the take is clearly late: CALLBACK_LATE times what
# it is expected to take (the provider's estimate, else the longest recent take) plus CALLBACK_SLACK
# poll intervals, or with nothing to expect, after CALLBACK_FIRST poll intervals (the hosted
# clients' interval is 1 s); then every CALLBACK_SHARE of the take's age, at most CALLBACK_MAX
# intervals apart (2 min). A missed callback costs about half the take's time (and 30 s) at worst,
# never the result; a take whose call comes is not polled before it.
CALLBACK_FIRST = 30
CALLBACK_LATE = 1.5
CALLBACK_SLACK = 5
CALLBACK_SHARE = 0.5
CALLBACK_MAX = 120


def fallback_wait(elapsed: float, planned: float, first_wait: float, expected: float | None = None) -> float:
    """Seconds until the next status poll of a take whose provider will call back, `elapsed` seconds
    after its submit: the poll plan's `planned` wait stretched out, since the call, not the poll, is
    expected to say it ended. `first_wait`: the client's poll interval; `expected`: seconds."""
    wait = max(planned, _late(first_wait, expected) - elapsed, CALLBACK_SHARE * elapsed)
    return min(CALLBACK_MAX * first_wait, wait)


def first_fallback_wait(elapsed: float, first_wait: float, expected: float | None = None) -> float:
    """Before the first status poll of a take whose provider will call back: until it is late."""
    return max(0.0, _late(first_wait, expected) - elapsed)


def _late(first_wait: float, expected: float | None) -> float:
    if expected:
        return CALLBACK_LATE * expected + CALLBACK_SLACK * first_wait
    return CALLBACK_FIRST * first_wait
