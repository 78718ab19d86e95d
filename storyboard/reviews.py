"""Review and approval (issue 13): a storyboard or a take sent to members, who comment on a shot or
at a moment of the video and approve it or ask for changes.

The rules live here (store/reviews.py applies them inside its transactions): who may decide a
review, what a comment may hold, how a moment of the video is typed and shown, and the sentence
each state is told in ("Approved by Bo on 2026-12-04"). Permissions by role are permissions.py's.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from enum import StrEnum

from storyboard.people import Actor, Role
from storyboard.permissions import Action, refusal

MAX_COMMENT = 2000  # characters: a paragraph or two; a longer text belongs in a document
MAX_MOMENT = 24 * 3600.0  # no take is a day long: a typo, not a moment


class Kind(StrEnum):
    STORYBOARD = "storyboard"
    TAKE = "take"


class State(StrEnum):
    WAITING = "waiting"
    APPROVED = "approved"
    CHANGES = "changes requested"


class ReviewProblem(ValueError):
    """Something typed or asked that cannot be done as it is; str() is the sentence to show."""


@dataclass(frozen=True)
class Review:
    id: str
    kind: Kind
    subject_id: str  # the storyboard's or the take's id
    storyboard_id: str
    requested_by: str
    requested_by_name: str
    requested_at: str
    state: State
    reviewers: tuple[tuple[str, str], ...]  # (email, name shown) of each person asked
    decided_by: str | None = None
    decided_by_name: str | None = None
    decided_at: str | None = None
    # a storyboard's draft version: the one sent, then the one decided on (None: a take, which is a
    # snapshot, or a review made before versions were recorded)
    version: int | None = None

    def asks(self, email: str) -> bool:
        return any(email == asked for asked, _ in self.reviewers)

    def changed_since(self, now: int | None) -> bool:
        """Whether the storyboard was saved since the version this review was sent for or decided
        on; `now`: the draft's version now (None: not known, so nothing is claimed)."""
        return self.version is not None and now is not None and now != self.version

    @property
    def line(self) -> str:
        """The state in one sentence, as Takes, the compare view, the editor and the brief say it."""
        if self.state is State.WAITING:
            names = ", ".join(name for _, name in self.reviewers)
            return f"Waiting for review by {names} (sent by {self.requested_by_name} on {_day(self.requested_at)})"
        said = "Approved" if self.state is State.APPROVED else "Changes requested"
        return f"{said} by {self.decided_by_name or self.decided_by} on {_day(self.decided_at or '')}"

    def line_now(self, now: int | None) -> str:
        """`line`, saying so when the storyboard was saved since: "Approved by Bo on 2026-12-04 —
        changed since (now version 5, approved version 3)". `now`: the draft's version now."""
        if not self.changed_since(now):
            return self.line
        what = {State.WAITING: "sent", State.APPROVED: "approved", State.CHANGES: "reviewed"}[self.state]
        since = "changed since it was sent" if self.state is State.WAITING else "changed since"
        return f"{self.line} — {since} (now version {now}, {what} version {self.version})"


@dataclass(frozen=True)
class Comment:
    id: str
    kind: Kind
    subject_id: str
    review_id: str | None
    author: str
    author_name: str
    body: str
    shot: int | None  # 0-based
    at_seconds: float | None
    created_at: str

    @property
    def where(self) -> str:
        """ "Shot 2 · at 0:03.5", "", … : what the comment is about, before its text."""
        parts = [f"Shot {self.shot + 1}"] if self.shot is not None else []
        if self.at_seconds is not None:
            parts.append(f"at {moment_label(self.at_seconds)}")
        return " · ".join(parts)


def _day(iso: str) -> str:
    return iso[:10]


def approval(review: Review | None, now: int | None = None) -> str | None:
    """What a brief says of its storyboard or take: "Approved by Bo on 2026-12-04", or nothing; of
    a storyboard saved since it was approved (`now`: its draft's version now), that it changed."""
    return review.line_now(now) if review is not None and review.state is State.APPROVED else None


def changed_since_sent(review: Review, seen: int | None) -> str | None:
    """What a reviewer is told before deciding on a storyboard saved since it was sent (`seen`: the
    draft version their page shows), or None when it is as sent."""
    if review.state is not State.WAITING or not review.changed_since(seen):
        return None
    return (
        f"Changed since it was sent: version {review.version} was sent for review and it has been "
        f"saved since; what you see, and decide on, is version {seen}."
    )


def stale_refusal(seen: int | None, now: int | None) -> str | None:
    """Why a storyboard cannot be approved as the reviewer's page shows it (saved again since the
    page read it: an approval would be out of date as it is given), or None."""
    if seen is None or now is None or seen == now:
        return None
    return (
        f"This storyboard was saved again after your page showed it (now version {now}, you see "
        f"version {seen}): load the newest version, then approve it."
    )


def checked_comment(typed: str) -> str:
    """The comment as kept (trimmed); raises ReviewProblem with one sentence."""
    body = typed.strip()
    if not body:
        raise ReviewProblem("Write the comment first, then press Comment.")
    if len(body) > MAX_COMMENT:
        raise ReviewProblem(
            f"A comment can be at most {MAX_COMMENT:,} characters and this one has {len(body):,}: "
            "shorten it and press Comment again."
        )
    return body


_MOMENT = re.compile(r"^(?:(\d{1,3}):)?(\d{1,5}(?:\.\d+)?)$")


def moment(typed: str) -> float | None:
    """A moment of the video typed as m:ss.s (or plain seconds); None when nothing was typed."""
    text = typed.strip().replace(",", ".")
    if not text:
        return None
    found = _MOMENT.match(text)
    if found is None or (found[1] is not None and float(found[2]) >= 60):
        raise ReviewProblem(
            f"“{typed.strip()[:20]}” is not a moment of the video: type minutes and seconds, like 0:03.5."
        )
    seconds = int(found[1] or 0) * 60 + float(found[2])
    if not math.isfinite(seconds) or seconds > MAX_MOMENT:
        raise ReviewProblem(
            "That moment is past the end of any video: type minutes and seconds, like 0:03.5."
        )
    return round(seconds, 2)


def moment_label(seconds: float) -> str:
    """3.5 -> "0:03.5", 62.25 -> "1:02.2" (tenths: what a person can tell apart in a player)."""
    tenths = int(round(seconds * 10))
    minutes, rest = divmod(tenths, 600)
    return f"{minutes}:{rest // 10:02d}.{rest % 10}"


def checked_shot(shot: int | None, shots: int) -> int | None:
    if shot is not None and not 0 <= shot < shots:
        raise ReviewProblem(f"There is no shot {shot + 1} here: choose one of the {shots} shots.")
    return shot


def decide_refusal(actor: Actor, review: Review) -> str | None:
    """Why `actor` may not approve or request changes on `review` (one sentence), or None. Reviewers
    decide what they were asked to; admins and owners any review; editors none (permissions.py)."""
    by_role = refusal(actor, Action.DECIDE_REVIEW)
    if by_role is not None:
        return by_role
    if actor.role not in (Role.OWNER, Role.ADMIN) and not review.asks(actor.email):
        return "Only the people asked to review this, or an admin, can approve it or request changes."
    if review.state is not State.WAITING:
        return f"{review.line}; to decide again, send it for review again."
    return None


def reviewer_refusal(role: Role, name: str) -> str | None:
    """Why a member cannot be asked to review (they could not decide it), or None."""
    if refusal(Actor("", name, role), Action.DECIDE_REVIEW) is not None:
        return f"{name} is {'an' if role.value[0] in 'aeiou' else 'a'} {role.value} and cannot approve: ask a reviewer, an admin or an owner."
    return None
