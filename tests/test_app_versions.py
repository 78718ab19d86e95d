"""No silent overwrites (issue 13): two windows on one storyboard, through the real app (AppTest).

Each save names the version it was made from; a save made from an older one is refused, the edit
stays on the page, and the person chooses: load the other version, or keep theirs as a copy.
"""

from __future__ import annotations

import os
from pathlib import Path

from app_steps import set_prompt, storyboard
from conftest import ROOT
from streamlit.testing.v1 import AppTest

from storyboard.store import Store


def _second_window(draft_id: str) -> AppTest:
    os.chdir(ROOT)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.query_params["draft"] = draft_id
    at.run()
    assert not at.exception, at.exception
    return at


def _warnings(at: AppTest) -> list[str]:
    return [w.value for w in at.warning]


def test_a_save_over_a_newer_version_is_refused_and_the_person_keeps_theirs_as_a_copy(app: AppTest, data_dir: Path) -> None:
    set_prompt(app, 0, "a lighthouse at dawn")
    draft = storyboard(app).id
    other = _second_window(draft)
    assert storyboard(other).shots[0].prompt == "a lighthouse at dawn"

    set_prompt(app, 0, "a lighthouse at dusk, gulls")  # the first window saves first
    set_prompt(other, 0, "a lighthouse in fog")  # made from the version before: refused

    said = " ".join(_warnings(other))
    assert "saved this storyboard at" in said and "load their version, or keep yours as a copy" in said
    assert storyboard(other).shots[0].prompt == "a lighthouse in fog"  # kept on the page
    store = Store.for_data_dir(data_dir)
    try:
        assert store.load_draft(draft).shots[0].prompt == "a lighthouse at dusk, gulls"  # theirs, untouched

        other.button(key="w:keep-mine").click().run()
        mine = storyboard(other)
        assert mine.id != draft and mine.name.endswith("(my copy)")
        assert mine.shots[0].prompt == "a lighthouse in fog"
        assert store.load_draft(mine.id).shots[0].prompt == "a lighthouse in fog"  # saved as its own draft
        assert store.load_draft(draft).shots[0].prompt == "a lighthouse at dusk, gulls"
        assert not _warnings(other)
        set_prompt(other, 0, "a lighthouse in thick fog")  # the copy saves as any draft does
        assert store.load_draft(mine.id).shots[0].prompt == "a lighthouse in thick fog"
    finally:
        store.close()


def test_the_person_can_load_the_other_version_instead(app: AppTest, data_dir: Path) -> None:
    set_prompt(app, 0, "a red kite")
    draft = storyboard(app).id
    other = _second_window(draft)
    set_prompt(app, 0, "a red kite over hills")
    set_prompt(other, 0, "a blue kite")
    assert any("saved this storyboard" in w for w in _warnings(other))

    other.button(key="w:load-theirs").click().run()
    assert storyboard(other).id == draft
    assert storyboard(other).shots[0].prompt == "a red kite over hills"
    assert other.text_area(key=f"w:prompt:{storyboard(other).shots[0].id}").value == "a red kite over hills"
    assert not _warnings(other)
    set_prompt(other, 0, "a red kite over green hills")  # now made from the newest version: saved
    set_prompt(app, 0, "a kite")  # and now the first window is the one behind
    assert any("saved this storyboard" in w for w in _warnings(app))
    store = Store.for_data_dir(data_dir)
    try:
        assert store.load_draft(draft).shots[0].prompt == "a red kite over green hills"
    finally:
        store.close()


def test_in_a_team_each_sees_who_else_has_the_storyboard_open_and_who_saved_it(team_dir: Path) -> None:
    from team_steps import ANA, BO, team_app

    from components.runtime import open_runtime
    from storyboard.people import Role

    store = open_runtime().store
    ana = team_app(ANA)  # the first to sign in: the owner
    owner = store.people.member("ana@example.com")
    assert owner is not None
    store.people.invite(owner.actor(), "bo@example.com", Role.EDITOR)
    set_prompt(ana, 0, "a lighthouse at dawn")
    draft = storyboard(ana).id

    bo = team_app(BO)
    bo.query_params["draft"] = draft
    bo.run()
    assert storyboard(bo).id == draft
    assert any(c.value.replace("\u2060", "") == "👥 Also open now: Ana Lima" for c in bo.caption)
    ana.run()
    assert any(c.value.replace("\u2060", "") == "👥 Also open now: Bo Berg" for c in ana.caption)

    set_prompt(bo, 0, "a lighthouse at dusk")
    set_prompt(ana, 0, "a lighthouse in fog")  # Ana's window read the version before Bo's save
    said = " ".join(_warnings(ana)).replace("\u2060", "").replace("\\", "")
    assert "Bo Berg saved this storyboard at" in said
