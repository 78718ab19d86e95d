"""Who has a storyboard open now (issue 13): each open editor says so every few seconds
(components/presence.py), and a row not renewed for `STALE` is no one any more. A table rather than
memory, so people on two app replicas see each other."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

import sqlalchemy as sa

from storyboard.models import utcnow
from storyboard.people import Actor
from storyboard.store.tables import presence

if TYPE_CHECKING:
    from storyboard.store.store import Store

RENEW = timedelta(seconds=10)  # how often an open page says it is still there (components/presence.py)
STALE = 3 * RENEW  # three missed renewals: no one any more
FORGET = timedelta(hours=1)  # rows older than this are deleted by the next renewal


@dataclass(frozen=True)
class Here:
    email: str
    name: str


class Presence:
    def __init__(self, store: Store) -> None:
        self._store = store

    def here(self, session: str, draft_id: str, actor: Actor) -> list[Here]:
        """Say that `session` has `draft_id` open, and return who else has it open (one entry per
        person, another window of the same person included), oldest arrival first."""
        now = utcnow()
        row = {
            "session": session,
            "draft_id": draft_id,
            "email": actor.email,
            "name": actor.name,
            "seen_at": now.isoformat(),
        }
        upsert = self._store._insert(presence).values(**row)
        upsert = upsert.on_conflict_do_update(
            index_elements=[presence.c.session], set_={k: v for k, v in row.items() if k != "session"}
        )
        with self._store._tx() as conn:
            conn.execute(sa.delete(presence).where(presence.c.seen_at < (now - FORGET).isoformat()))
            conn.execute(upsert)
            rows = conn.execute(
                sa.select(presence.c.email, presence.c.name)
                .where(
                    presence.c.draft_id == draft_id,
                    presence.c.session != session,
                    presence.c.seen_at >= (now - STALE).isoformat(),
                )
                .order_by(presence.c.seen_at)
            ).all()
        seen: dict[str, Here] = {}
        for r in rows:
            seen.setdefault(r.email, Here(r.email, r.name))
        return list(seen.values())

    def gone(self, session: str) -> None:
        with self._store._tx() as conn:
            conn.execute(sa.delete(presence).where(presence.c.session == session))
