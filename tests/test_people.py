"""Members, roles and the activity log in the store (issue 13), on SQLite and PostgreSQL."""

from __future__ import annotations

from decimal import Decimal

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from storyboard.people import SOLO, Actor, NotAnEmail, Role
from storyboard.permissions import ALLOWED, Action, Refused, allows, check, refusal
from storyboard.store import StorageProblem, Store, tables
from storyboard.store.people import MemberProblem


def test_the_first_person_to_sign_in_owns_the_workspace_and_a_stranger_is_not_let_in(store: Store) -> None:
    first = store.people.join("Ana@Example.com ", "Ana Lima")
    assert first is not None and first.role is Role.OWNER and first.email == "ana@example.com"
    assert store.people.join("mallory@example.com", "Mallory") is None  # not invited: nothing
    assert store.people.member("mallory@example.com") is None
    again = store.people.join("ana@example.com", "Ana Lima")
    assert again is not None and again.role is Role.OWNER  # signing in again changes nothing
    assert [a.action for a in store.people.activity()] == ["became the owner"]


def test_an_invited_person_joins_with_the_role_they_were_given(store: Store) -> None:
    owner = store.people.join("ana@example.com", "Ana")
    assert owner is not None
    invited = store.people.invite(owner.actor(), " Bo@Example.com", Role.REVIEWER)
    assert invited.joined_at is None
    joined = store.people.join("bo@example.com", "Bo Berg")
    assert joined is not None and joined.role is Role.REVIEWER and joined.joined_at is not None
    assert joined.actor() == Actor("bo@example.com", "Bo Berg", Role.REVIEWER)
    assert [a.summary for a in store.people.activity()][:2] == [
        "Bo Berg joined as reviewer",
        "Ana invited bo@example.com as reviewer",
    ]


def test_members_are_changed_only_by_admins_and_the_last_owner_stays(store: Store) -> None:
    owner = store.people.join("ana@example.com", "Ana")
    assert owner is not None
    ana = owner.actor()
    store.people.invite(ana, "cy@example.com", Role.EDITOR)
    cy = store.people.join("cy@example.com", "Cy")
    assert cy is not None
    with pytest.raises(Refused, match="only owners and admins can invite"):
        store.people.invite(cy.actor(), "dee@example.com", Role.EDITOR)
    with pytest.raises(NotAnEmail, match="not an email address"):
        store.people.invite(ana, "dee at example", Role.EDITOR)
    with pytest.raises(MemberProblem, match="already a member"):
        store.people.invite(ana, "CY@example.com", Role.REVIEWER)
    with pytest.raises(MemberProblem, match="needs an owner"):
        store.people.set_role(ana, "ana@example.com", Role.ADMIN)
    with pytest.raises(MemberProblem, match="needs an owner"):
        store.people.remove(ana, "ana@example.com")
    store.people.set_role(ana, "cy@example.com", Role.ADMIN)
    admin = Actor("cy@example.com", "Cy", Role.ADMIN)
    with pytest.raises(Refused, match="Only an owner can change or remove an owner"):
        store.people.remove(admin, "ana@example.com")
    with pytest.raises(Refused, match="Only an owner can make someone an owner"):
        store.people.invite(admin, "eve@example.com", Role.OWNER)
    store.people.set_daily_cap(admin, "cy@example.com", Decimal("12.50"))
    member = store.people.member("cy@example.com")
    assert member is not None and member.role is Role.ADMIN and member.daily_cap == "12.50"
    store.people.remove(ana, "cy@example.com")
    assert store.people.join("cy@example.com", "Cy") is None  # removed: let in no more
    assert [a.action for a in store.people.activity()] == [
        "removed a member", "changed a cap", "changed a role", "joined", "invited", "became the owner",
    ]


def test_the_activity_log_is_never_edited(store: Store) -> None:
    store.people.join("ana@example.com", "Ana")
    store.people.log(SOLO, "deleted", "you deleted the take “Launch”", "take-1")
    for statement in ("UPDATE activity SET summary = 'nothing happened'", "DELETE FROM activity"):
        with pytest.raises(StorageProblem), store._tx() as conn:
            conn.execute(sa.text(statement))
    assert len(store.people.activity()) == 2


def test_the_tables_the_queries_use_are_the_tables_the_migrations_make(store: Store) -> None:
    def ours(name: str | None, kind: str, parents: object) -> bool:
        return not (kind == "table" and (name or "").startswith("procrastinate_"))  # the queue's own

    with store._engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"include_name": ours})
        differences = compare_metadata(context, tables.metadata)
    # the indexes are the migrations' own (tables.py does not repeat them)
    assert [d for d in differences if d[0] not in ("add_index", "remove_index")] == []


@pytest.mark.parametrize("action", list(Action))
@pytest.mark.parametrize("role", list(Role))
def test_each_role_may_do_what_the_table_says_and_is_told_why_not(role: Role, action: Action) -> None:
    actor = Actor("pat@example.com", "Pat", role)
    if role in ALLOWED[action]:
        check(actor, action)
        assert allows(actor, action)
    else:
        with pytest.raises(Refused) as refused:
            check(actor, action)
        sentence = str(refused.value)
        assert sentence.startswith("You are a") and role.value in sentence and "ask an admin" in sentence
        assert sentence.endswith(".")


def test_an_editor_changes_their_own_takes_and_an_admin_anyones() -> None:
    editor = Actor("cy@example.com", "Cy", Role.EDITOR)
    assert refusal(editor, Action.CHANGE_TAKE, owner="cy@example.com") is None
    assert refusal(editor, Action.CHANGE_TAKE, owner="ana@example.com") == (
        "Only the person who made this take, or an admin, can change or delete it."
    )
    assert refusal(editor, Action.CHANGE_TAKE, owner="") is not None  # made before sign-in: admins'
    assert allows(Actor("ana@example.com", "Ana", Role.ADMIN), Action.CHANGE_TAKE, owner="cy@example.com")
    assert all(allows(SOLO, action, owner="") for action in Action)  # one person: everything, as before
