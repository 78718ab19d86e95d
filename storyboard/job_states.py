"""Which job state may follow which: the one table every state write is checked against.

`Store.transition` refuses any move not listed here, so a take can never go back from DONE to
RUNNING, be claimed for sending twice, or skip saving its video. Finished states have no way out.
"""

from __future__ import annotations

from collections.abc import Mapping

from storyboard.models import JobState

Q, UP, SUB, RUN, DL = (
    JobState.QUEUED,
    JobState.UPLOADING,
    JobState.SUBMITTING,
    JobState.RUNNING,
    JobState.DOWNLOADING,
)
DONE, FAILED, UNKNOWN, CANCELLED = JobState.DONE, JobState.FAILED, JobState.UNKNOWN, JobState.CANCELLED

ALLOWED: Mapping[JobState, frozenset[JobState]] = {
    Q: frozenset({UP, SUB, FAILED, CANCELLED}),
    UP: frozenset({SUB, FAILED, CANCELLED}),
    # QUEUED again only when the provider surely did not take it (refused while busy, or a free
    # provider that may start over); UNKNOWN when nobody knows. Never SUBMITTING again from here.
    SUB: frozenset({Q, RUN, FAILED, UNKNOWN}),
    RUN: frozenset({DL, FAILED, CANCELLED}),
    DL: frozenset({DONE, FAILED}),
    DONE: frozenset(),
    FAILED: frozenset(),
    UNKNOWN: frozenset(),
    CANCELLED: frozenset(),
}

# Before the paid submit is claimed: nothing has been sent, cancelling is free.
UNSENT = frozenset({Q, UP})


class IllegalTransition(RuntimeError):
    """A state write the table does not allow: a bug in the caller, never a user's doing."""


def allowed(old: JobState, new: JobState) -> bool:
    return new in ALLOWED[old]


def check(old: JobState, new: JobState) -> None:
    if not allowed(old, new):
        raise IllegalTransition(f"A job may not go from {old.value} to {new.value}.")
