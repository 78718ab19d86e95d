"""Roles through the real app (AppTest), issue 13: every action on the editor, Takes and Settings x
every role -> done, or refused with one sentence and nothing changed, including callbacks
triggered by a crafted value for a control the page drew disabled (a disabled button is not a
permission). Sign-in is configured (conftest's team_dir) and `at.user` plays who signed in; the
sign-in gate puts the member's Actor in the session."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import TypeVar

import pytest
from app_steps import generate_button, open_menu, storyboard
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1.element_tree import Widget

from components import runtime
from components.take_actions import _menu_key
from storyboard.layout import DataDir
from storyboard.models import JobState, ProviderId, Shot, Storyboard
from storyboard.people import Actor, Role
from storyboard.pricing import priced_take
from storyboard.store import Store

ROOT = Path(__file__).resolve().parent.parent
OWNER = Actor("olga@studio.test", "Olga", Role.OWNER)
ADMIN = Actor("adam@studio.test", "Adam", Role.ADMIN)
EDITOR = Actor("eve@studio.test", "Eve", Role.EDITOR)
OTHER = Actor("ed@studio.test", "Ed", Role.EDITOR)
REVIEWER = Actor("rita@studio.test", "Rita", Role.REVIEWER)
DRAFT = Storyboard(id="launch", name="Launch", provider=ProviderId.PREVIEW, shots=[Shot(prompt="a lighthouse")])


@pytest.fixture
def team(team_dir: Path, data_dir: Path, tiny_mp4: Path) -> Iterator[Store]:
    """A team's app (sign-in configured: conftest's team_dir), five members, Olga's storyboard and a
    take of Ed's."""
    store = runtime.open_runtime().store
    store.people.join(OWNER.email, OWNER.name)
    for person in (ADMIN, EDITOR, OTHER, REVIEWER):
        store.people.invite(OWNER, person.email, person.role)
        store.people.join(person.email, person.name)
    store.save_draft(DRAFT, by=OWNER)
    store.people.set_daily_cap(OWNER, EDITOR.email, Decimal("5.00"))
    on_fal = DRAFT.model_copy(update={"provider": ProviderId.FAL})  # 5 s: $0.70
    take = priced_take(on_fal, idempotency_key="eds-take", state=JobState.DONE)
    video = DataDir(data_dir).video(take.id)
    video.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(tiny_mp4, video)
    take.video_path = DataDir(data_dir).relative(video)
    store.create_jobs([take], OTHER)
    yield store


def _session(person: Actor) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.user = {"is_logged_in": True, "email": person.email, "email_verified": True, "name": person.name}
    at.run()  # the sign-in gate finds the member and leaves their Actor in the session
    assert not at.exception, at.exception
    return at


W = TypeVar("W", bound=Widget)


def crafted(widget: W) -> W:
    """The widget as a crafted client message reaches it: AppTest will not touch a disabled widget
    (a browser will not), but anyone can send the server a value for its id; the server's callback
    must refuse it. Clearing the flag on the test's copy only lets the value be sent."""
    widget.proto.disabled = False
    return widget


def _refusals(at: AppTest) -> list[str]:
    return [str(e.value) for e in at.error if "only" in str(e.value) or "Only" in str(e.value)]


EDITORS = {Role.OWNER, Role.ADMIN, Role.EDITOR}
ADMINS = {Role.OWNER, Role.ADMIN}


def _role(at: AppTest, store: Store, person: Actor, role: Role) -> None:
    """An owner gives `person` another role while their page is open: the gate reads it from the
    members table on the next run, whose callback already acts with it."""
    store.people.set_role(OWNER, person.email, role)


def _stale_page(at: AppTest, store: Store, person: Actor, drawn_as: Role) -> None:
    """Draw the page as it was before `person` lost `drawn_as` (controls enabled), then take it:
    the next click reaches its callback, which must refuse on its own."""
    _role(at, store, person, drawn_as)
    at.run()
    _role(at, store, person, person.role)


@pytest.mark.parametrize("person", [OWNER, ADMIN, EDITOR, REVIEWER], ids=lambda p: p.role.value)
def test_each_role_does_what_it_may_and_is_refused_the_rest_even_through_a_disabled_control(
    team: Store, person: Actor
) -> None:
    at = _session(person)
    may_edit = person.role in EDITORS
    refused = "You are a reviewer here, and only owners, admins and editors can"

    # ---- the editor: Generate (Preview, free), rename, add a shot, new storyboard -------------------
    assert storyboard(at).id == DRAFT.id
    own_cap = [str(c.value) for c in at.caption if str(c.value).startswith("Your own cap today")]
    assert own_cap == (["Your own cap today (UTC): $0.00 of $5.00"] if person is EDITOR else [])
    assert generate_button(at).disabled is not may_edit
    assert at.text_input(key="w:name").disabled is not may_edit
    assert at.button(key="w:add-shot").disabled is not may_edit
    if not may_edit:  # values forged for the greyed-out controls change nothing (Streamlit drops them)
        crafted(generate_button(at)).click().run()
        crafted(at.text_input(key="w:name")).input("Renamed").run()
        crafted(at.button(key="w:add-shot")).click().run()
        assert team.load_draft(DRAFT.id) == DRAFT and len(team.list_jobs()) == 1
        _stale_page(at, team, person, Role.EDITOR)  # the callbacks themselves refuse
        assert not generate_button(at).disabled
    generate_button(at).click().run()
    assert not at.exception, at.exception
    mine = team.list_jobs(author=person.email)
    if may_edit:
        assert len(mine) == 1 and mine[0].author == person.email
    else:
        assert team.list_jobs() == team.list_jobs(author=OTHER.email)  # nothing written or sent
        assert any(str(e.value).startswith(f"{refused} generate takes") for e in at.error)
        _stale_page(at, team, person, Role.EDITOR)
    at.text_input(key="w:name").input("Renamed").run()
    if not may_edit:
        assert any(e.startswith(f"{refused} change storyboards") for e in _refusals(at)), _refusals(at)
        _stale_page(at, team, person, Role.EDITOR)
    at.button(key="w:add-shot").click().run()
    if not may_edit:
        assert any(e.startswith(f"{refused} change storyboards") for e in _refusals(at)), _refusals(at)
        _stale_page(at, team, person, Role.EDITOR)
    at.button(key="w:new-storyboard").click().run()
    assert not at.exception, at.exception
    saved = team.load_draft(DRAFT.id)
    assert saved is not None
    if may_edit:
        assert (saved.name, len(saved.shots)) == ("Renamed", 2)
        assert storyboard(at).id != DRAFT.id  # New storyboard opened one
    else:
        assert saved == DRAFT and storyboard(at) == DRAFT  # nothing changed, here or in the store
        assert any(e.startswith(f"{refused} change storyboards") for e in _refusals(at)), _refusals(at)
        at.switch_page("pages/editor.py").run()
        assert not [e for e in _refusals(at) if "change storyboards" in e]  # said once

    # ---- Takes: Ed's take: star, delete (admins may; an editor or a reviewer not) -----------------
    (eds,) = team.list_jobs(author=OTHER.email)
    at.switch_page("pages/takes.py").run()
    assert not at.exception, at.exception
    assert at.metric[0].label == "Spent in total" and at.metric[0].value == "$0.70"  # Ed's take
    may_change = person.role in ADMINS
    assert at.button(key=f"star:{eds.id}").disabled is not may_change
    if not may_change:
        crafted(at.button(key=f"star:{eds.id}")).click().run()
        assert team.get_job(eds.id) == eds
        _stale_page(at, team, person, Role.ADMIN)
    at.button(key=f"star:{eds.id}").click().run()
    open_menu(at, _menu_key(eds.id))  # Delete is in the take's More menu
    assert at.button(key=f"delete:{eds.id}").disabled is not may_change
    if not may_change:
        crafted(at.button(key=f"delete:{eds.id}")).click().run()
        assert not any(w for w in at.warning if "Delete this take" in str(w.value))  # not even asked
        _stale_page(at, team, person, Role.ADMIN)  # the menu stays open: Delete drawn enabled
    at.button(key=f"delete:{eds.id}").click().run()  # opens "Delete this take?"
    if not may_change:
        _stale_page(at, team, person, Role.ADMIN)
    at.button(key=f"delete-yes:{eds.id}").click().run()
    assert not at.exception, at.exception
    if may_change:
        assert team.get_job(eds.id) is None
    else:
        assert team.get_job(eds.id) == eds  # neither starred nor deleted
        sentence = (
            "Only the person who made this take, or an admin, can change or delete it."
            if person.role is Role.EDITOR
            else f"{refused} change or delete this take; ask an admin of this workspace if you need to."
        )
        assert [str(e.value) for e in at.error] == [sentence]
    at.segmented_control(key="takes_whose").set_value("Mine").run()
    assert (at.metric[0].label, at.metric[0].value) == ("Spent by you", "$0.00")  # Preview is free
    assert {b.key for b in at.button if (b.key or "").startswith("star:")} == {f"star:{j.id}" for j in mine}

    # ---- Settings: providers, caps, members, activity ----------------------------------------------
    at.switch_page("pages/settings.py").run()
    assert not at.exception, at.exception
    text = "\n".join(str(e.value) for e in [*at.markdown, *at.caption])
    assert not [w for w in at.text_input if (w.key or "").startswith("key:")]  # no pasted keys in a team
    if person.role in ADMINS:
        assert "No key. Set `FAL_KEY`." in text
        at.number_input(key="caps:daily").set_value(12.0).run()
        assert str(team.caps().daily) == "12.00"
        at.text_input(key="members:invite-email").input("new@studio.test").run()
        at.button(key="members:invite").click().run()
        assert team.people.member("new@studio.test") is not None
        at.number_input(key=f"members:cap:{EDITOR.email}").set_value(3.0).run()
        assert team.daily_cap_of(EDITOR.email) == "3.00"
        log = at.dataframe[-1].value
        assert list(log["What"])[:3] == [
            f"{person.name} gave {EDITOR.email} a daily cap of $3.00",
            f"{person.name} invited new@studio.test as editor",
            f"{person.name} set the workspace's daily cap to $12.00 (was none)",
        ]
    else:
        assert "FAL_KEY" not in text and "You can generate on: Preview (free, offline)." in text
        assert not [w for w in at.number_input if (w.key or "").startswith(("caps:", "members:"))]
        assert "Only admins change the caps." in text
        assert not at.dataframe and team.caps().daily is None
