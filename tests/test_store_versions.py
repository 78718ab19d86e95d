"""Each saved draft carries a version; a save made from an older one is refused (issue 13)."""

from __future__ import annotations

import pytest

from storyboard.models import Shot, Storyboard
from storyboard.people import Actor, Role
from storyboard.store import DraftChanged, Store

ANA = Actor("ana@example.com", "Ana", Role.EDITOR)
BO = Actor("bo@example.com", "Bo", Role.EDITOR)


def test_a_save_from_an_older_version_is_refused_and_says_who_saved_since(store: Store) -> None:
    store.people.join("ana@example.com", "Ana Lima")
    sb = Storyboard(shots=[Shot(prompt="one")])
    assert store.save_draft(sb, base=0, by=ANA) == 1
    assert store.save_draft(sb.model_copy(update={"name": "Launch"}), base=1, by=ANA) == 2
    with pytest.raises(DraftChanged) as changed:
        store.save_draft(sb.model_copy(update={"name": "Mine"}), base=1, by=BO)
    theirs = changed.value.theirs
    assert (theirs.version, theirs.updated_by, theirs.updated_by_name) == (2, "ana@example.com", "Ana Lima")
    assert theirs.storyboard.name == "Launch"
    opened = store.open_draft(sb.id)
    assert opened is not None and opened.storyboard.name == "Launch" and opened.version == 2
    assert store.save_draft(sb.model_copy(update={"name": "Bo's"}), base=2, by=BO) == 3
    assert store.draft_version(sb.id) == 3
    opened = store.open_draft(sb.id)
    assert opened is not None and opened.updated_by_name == "bo@example.com"  # not a member: the address


def test_a_save_that_names_no_version_is_written_as_before(store: Store) -> None:
    sb = Storyboard()
    store.save_draft(sb)
    store.save_draft(sb.model_copy(update={"name": "Again"}))
    assert store.draft_version(sb.id) == 2 and store.load_draft(sb.id).name == "Again"


def test_who_else_has_a_storyboard_open_is_seen_until_they_stop_renewing(store: Store) -> None:
    from datetime import timedelta

    import sqlalchemy as sa

    from storyboard.models import utcnow
    from storyboard.store.presence import STALE
    from storyboard.store.tables import presence

    assert store.presence.here("s-ana", "d1", ANA) == []
    assert [h.name for h in store.presence.here("s-bo", "d1", BO)] == ["Ana"]
    assert store.presence.here("s-ana-2", "d1", ANA)[0].name == "Ana"  # her other window, then Bo
    assert [h.name for h in store.presence.here("s-ana", "d1", ANA)] == ["Bo", "Ana"]
    assert store.presence.here("s-cy", "d2", Actor("cy@example.com", "Cy", Role.REVIEWER)) == []  # another draft
    with store._tx() as conn:  # Bo's window stopped renewing (closed, or asleep) a while ago
        old = (utcnow() - STALE - timedelta(seconds=1)).isoformat()
        conn.execute(sa.update(presence).where(presence.c.session == "s-bo").values(seen_at=old))
    assert [h.name for h in store.presence.here("s-ana", "d1", ANA)] == ["Ana"]
    store.presence.gone("s-ana-2")
    assert store.presence.here("s-ana", "d1", ANA) == []
