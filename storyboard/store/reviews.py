"""Reviews and comments in the store (issue 13; tables of migration 0004), as `store.reviews`.

    store.reviews.send(actor, Kind.TAKE, take_id, storyboard_id, ["bo@x.com"], "Launch")
    store.reviews.comment(actor, Kind.TAKE, take_id, "Too dark", at_seconds=3.5)
    store.reviews.decide(actor, review_id, approve=False)

Each change is checked against permissions.py and the rules of storyboard/reviews.py inside its
transaction, and logged there with store.people's `record` (a change never lands unlogged). A new
review of a subject replaces the one still waiting (its comments move to the new one).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from storyboard.models import new_id, utcnow
from storyboard.people import Actor, Role, email_key, shown_name
from storyboard.permissions import Action, Refused, check
from storyboard.reviews import (
    Comment,
    Kind,
    Review,
    ReviewProblem,
    State,
    checked_comment,
    decide_refusal,
    reviewer_refusal,
    stale_refusal,
)
from storyboard.store.people import record
from storyboard.store.problems import FAILURES
from storyboard.store.tables import comments, drafts, members, review_reviewers, reviews

if TYPE_CHECKING:
    from storyboard.store.store import Store

REVIEWS_LOCK = 0x5B_4E51  # PostgreSQL advisory lock: held while a review is sent (one waiting per subject)

_requester = members.alias("requester")
_decider = members.alias("decider")
_REVIEWS = sa.select(
    reviews,
    _requester.c.name.label("requester_name"),
    _decider.c.name.label("decider_name"),
).select_from(
    reviews.outerjoin(_requester, _requester.c.email == reviews.c.requested_by).outerjoin(
        _decider, _decider.c.email == reviews.c.decided_by
    )
)


def _reviewers(conn: sa.Connection, ids: Sequence[str]) -> dict[str, list[tuple[str, str]]]:
    found: dict[str, list[tuple[str, str]]] = {i: [] for i in ids}
    if not ids:
        return found
    rows = conn.execute(
        sa.select(review_reviewers.c.review_id, review_reviewers.c.email, members.c.name)
        .select_from(review_reviewers.outerjoin(members, members.c.email == review_reviewers.c.email))
        .where(review_reviewers.c.review_id.in_(ids))
        .order_by(review_reviewers.c.email)
    )
    for r in rows:
        found[r.review_id].append((r.email, shown_name(r.name, r.email)))
    return found


def _built(conn: sa.Connection, rows: Iterable[sa.Row[Any]]) -> list[Review]:
    rows = list(rows)
    asked = _reviewers(conn, [r.id for r in rows])
    return [
        Review(
            id=r.id,
            kind=Kind(r.kind),
            subject_id=r.subject_id,
            storyboard_id=r.storyboard_id,
            requested_by=r.requested_by,
            requested_by_name=shown_name(r.requester_name, r.requested_by),
            requested_at=r.requested_at,
            state=State(r.state),
            reviewers=tuple(asked[r.id]),
            decided_by=r.decided_by,
            decided_by_name=shown_name(r.decider_name, r.decided_by) if r.decided_by else None,
            decided_at=r.decided_at,
            version=r.version,
        )
        for r in rows
    ]


def _comment(r: sa.Row[Any]) -> Comment:
    return Comment(
        id=r.id,
        kind=Kind(r.kind),
        subject_id=r.subject_id,
        review_id=r.review_id,
        author=r.author,
        author_name=r.author_name,
        body=r.body,
        shot=r.shot,
        at_seconds=r.at_seconds,
        created_at=r.created_at,
    )


class Reviews:
    def __init__(self, store: Store) -> None:
        self._store = store

    @contextmanager
    def _reading(self) -> Iterator[sa.Connection]:
        """A read of several queries (reviews, then who was asked) on one connection, no write lock."""
        try:
            with self._store._reader.connect() as conn:
                yield conn
        except FAILURES as exc:
            raise self._store._fail(exc) from exc

    # ---- reading ----------------------------------------------------------------------------------

    def current(self, kind: Kind, subject_id: str) -> Review | None:
        """The subject's latest review (waiting or decided), or None if it was never sent."""
        return self.current_of(kind, [subject_id]).get(subject_id)

    def current_of(self, kind: Kind, subject_ids: Sequence[str]) -> dict[str, Review]:
        """The latest review of each subject that has one: one query for a page of takes."""
        if not subject_ids:
            return {}
        latest = (
            sa.select(reviews.c.subject_id, sa.func.max(reviews.c.requested_at).label("at"))
            .where(reviews.c.kind == kind.value, reviews.c.subject_id.in_(list(subject_ids)))
            .group_by(reviews.c.subject_id)
            .subquery()
        )
        query = _REVIEWS.join(
            latest,
            sa.and_(latest.c.subject_id == reviews.c.subject_id, latest.c.at == reviews.c.requested_at),
        ).where(reviews.c.kind == kind.value)
        with self._reading() as conn:
            return {r.subject_id: r for r in _built(conn, conn.execute(query))}

    def get(self, review_id: str) -> Review | None:
        with self._reading() as conn:
            found = _built(conn, conn.execute(_REVIEWS.where(reviews.c.id == review_id)))
        return found[0] if found else None

    def waiting_for(self, email: str) -> list[Review]:
        """Reviews waiting for this person's decision, oldest first (the "Waiting for my review" list)."""
        asked = sa.select(review_reviewers.c.review_id).where(review_reviewers.c.email == email_key(email))
        query = _REVIEWS.where(reviews.c.state == State.WAITING.value, reviews.c.id.in_(asked)).order_by(
            reviews.c.requested_at
        )
        with self._reading() as conn:
            return _built(conn, conn.execute(query))

    def comments(self, kind: Kind, subject_id: str) -> list[Comment]:
        return self.comments_of(kind, [subject_id]).get(subject_id, [])

    def comments_of(self, kind: Kind, subject_ids: Sequence[str]) -> dict[str, list[Comment]]:
        """Each subject's comments, oldest first."""
        if not subject_ids:
            return {}
        rows = self._store._read(
            sa.select(comments)
            .where(comments.c.kind == kind.value, comments.c.subject_id.in_(list(subject_ids)))
            .order_by(comments.c.created_at, comments.c.id)
        )
        found: dict[str, list[Comment]] = {}
        for r in rows:
            found.setdefault(r.subject_id, []).append(_comment(r))
        return found

    # ---- changing ---------------------------------------------------------------------------------

    def send(
        self,
        actor: Actor,
        kind: Kind,
        subject_id: str,
        storyboard_id: str,
        reviewer_emails: Sequence[str],
        subject_name: str,
    ) -> Review:
        """Ask members to review a storyboard or a take. Raises Refused or ReviewProblem (a sentence).
        A storyboard is sent as saved: its draft's version is kept with the review."""
        check(actor, Action.SEND_FOR_REVIEW)
        asked = sorted({email_key(e) for e in reviewer_emails if email_key(e)})
        if not asked:
            raise ReviewProblem("Choose at least one person to review this, then press Send for review.")
        now = utcnow().isoformat()
        review_id = new_id()
        with self._store._tx() as conn:
            # two sends of one subject at once: the second replaces the first
            self._store.advisory_lock(conn, REVIEWS_LOCK)
            found = {r.email: r for r in conn.execute(sa.select(members).where(members.c.email.in_(asked)))}
            names: list[str] = []
            for email in asked:
                row = found.get(email)
                if row is None:
                    raise ReviewProblem(f"{email} is not a member of this workspace: invite them first.")
                name = shown_name(row.name, email)
                no = reviewer_refusal(Role(row.role), name)
                if no is not None:
                    raise ReviewProblem(no)
                names.append(name)
            version = None
            if kind is Kind.STORYBOARD:  # what the reviewers will open: the draft as saved now
                version = conn.execute(sa.select(drafts.c.version).where(drafts.c.id == subject_id)).scalar()
                if version is None:
                    raise ReviewProblem("This storyboard is not saved yet: write its first shot, then send it.")
            waiting = [
                r.id
                for r in conn.execute(
                    sa.select(reviews.c.id).where(
                        reviews.c.kind == kind.value,
                        reviews.c.subject_id == subject_id,
                        reviews.c.state == State.WAITING.value,
                    )
                )
            ]
            conn.execute(
                sa.insert(reviews).values(
                    id=review_id,
                    kind=kind.value,
                    subject_id=subject_id,
                    storyboard_id=storyboard_id,
                    requested_by=actor.email,
                    requested_at=now,
                    state=State.WAITING.value,
                    version=version,
                )
            )
            conn.execute(sa.insert(review_reviewers), [{"review_id": review_id, "email": e} for e in asked])
            if waiting:  # the new round replaces the one nobody decided; its comments carry over
                conn.execute(
                    sa.update(comments).where(comments.c.review_id.in_(waiting)).values(review_id=review_id)
                )
                conn.execute(sa.delete(review_reviewers).where(review_reviewers.c.review_id.in_(waiting)))
                conn.execute(sa.delete(reviews).where(reviews.c.id.in_(waiting)))
            record(
                conn,
                actor,
                "sent for review",
                f"{actor.name} sent the {kind.value} “{subject_name}” for review to {', '.join(names)}",
                subject_id,
            )
            return _built(conn, conn.execute(_REVIEWS.where(reviews.c.id == review_id)))[0]

    def comment(
        self,
        actor: Actor,
        kind: Kind,
        subject_id: str,
        typed: str,
        *,
        shot: int | None = None,
        at_seconds: float | None = None,
    ) -> Comment:
        """A comment on a storyboard or a take (on a shot and/or at a moment of the video), kept with
        the subject's current review. Raises Refused or ReviewProblem (a sentence)."""
        check(actor, Action.COMMENT)
        body = checked_comment(typed)
        if at_seconds is not None and at_seconds < 0:
            raise ReviewProblem("A moment of the video is 0:00.0 or later.")
        if shot is not None and shot < 0:
            raise ReviewProblem("Choose one of the shots, or the whole thing.")
        found = Comment(
            id=new_id(),
            kind=kind,
            subject_id=subject_id,
            review_id=None,
            author=actor.email,
            author_name=actor.name,
            body=body,
            shot=shot,
            at_seconds=at_seconds,
            created_at=utcnow().isoformat(),
        )
        with self._store._tx() as conn:
            latest = conn.execute(
                sa.select(reviews.c.id)
                .where(reviews.c.kind == kind.value, reviews.c.subject_id == subject_id)
                .order_by(reviews.c.requested_at.desc())
                .limit(1)
            ).scalar()
            values = {**found.__dict__, "kind": kind.value, "review_id": latest}
            conn.execute(sa.insert(comments).values(**values))
            where = f" ({found.where})" if found.where else ""
            record(conn, actor, "commented", f"{actor.name} commented on the {kind.value}{where}", subject_id)
        return Comment(**{**found.__dict__, "review_id": latest})

    def decide(self, actor: Actor, review_id: str, *, approve: bool, seen: int | None = None) -> Review:
        """Approve or request changes. Only a person asked, or an admin or owner, decides; a review is
        decided once (send it again for another round). Raises Refused or ReviewProblem.
        A storyboard's decision is on the version the reviewer saw (`seen`: the draft version their
        page shows; None: the saved one) and is kept with it; an approval of a version saved over
        since is refused, as it would be out of date as it is given."""
        check(actor, Action.DECIDE_REVIEW)
        now = utcnow().isoformat()
        with self._store._tx() as conn:
            if self._store.postgres:  # two reviewers deciding at once: the second sees the first's
                conn.execute(sa.select(reviews.c.id).where(reviews.c.id == review_id).with_for_update())
            found = _built(conn, conn.execute(_REVIEWS.where(reviews.c.id == review_id)))
            if not found:
                raise ReviewProblem("This review was replaced by a newer one: reload the page to see it.")
            review = found[0]
            no = decide_refusal(actor, review)
            if no is not None:
                if review.state is not State.WAITING:
                    raise ReviewProblem(no)
                raise Refused(no, Action.DECIDE_REVIEW)
            version = None
            if review.kind is Kind.STORYBOARD:
                saved = conn.execute(
                    sa.select(drafts.c.version).where(drafts.c.id == review.subject_id)
                ).scalar()
                stale = stale_refusal(seen, saved) if approve else None
                if stale is not None:
                    raise ReviewProblem(stale)
                version = seen if seen is not None else saved
            state = State.APPROVED if approve else State.CHANGES
            conn.execute(
                sa.update(reviews)
                .where(reviews.c.id == review_id)
                .values(state=state.value, decided_by=actor.email, decided_at=now, version=version)
            )
            said = "approved" if approve else "requested changes to"
            record(
                conn,
                actor,
                "approved" if approve else "requested changes",
                f"{actor.name} {said} the {review.kind.value} {review.subject_id}",
                review.subject_id,
            )
            return _built(conn, conn.execute(_REVIEWS.where(reviews.c.id == review_id)))[0]
