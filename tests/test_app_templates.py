"""Templates in the editor (AppTest): a click opens a template as a new, saved storyboard, on the
provider a new storyboard would get, and never overwrites the one being edited."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from app_steps import OPEN_MENU, generate_button, open_menu, set_prompt, storyboard
from streamlit.testing.v1 import AppTest

from components.runtime import runtime
from components.templates import MENU_KEY
from storyboard.models import ModelId, ProviderId
from storyboard.templates import load_all

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = {t.id: t for t in load_all()}


def _open(at: AppTest, template_id: str) -> None:
    """Open the Templates menu, then pick one (as a person does: a click, then another)."""
    open_menu(at, MENU_KEY)
    at.button(key=f"w:template:{template_id}").click().run()
    assert not at.exception, at.exception


def test_every_template_is_listed_with_its_description(app: AppTest) -> None:
    open_menu(app, MENU_KEY)
    for template in TEMPLATES.values():
        assert app.button(key=f"w:template:{template.id}").label == template.name
        assert any(c.value.startswith(template.description) for c in app.caption)


def test_a_template_opens_in_the_editor_with_its_shots_and_is_saved(app: AppTest) -> None:
    template = TEMPLATES["product-teaser"]
    _open(app, template.id)
    sb = storyboard(app)
    assert any("as a new storyboard" in t.value for t in app.toast)  # said once, in the run the click made
    assert app.text_input(key="w:name").value == "Product teaser"  # the storyboard: no length to go stale
    shown = [
        (app.text_area(key=f"w:prompt:{s.id}").value, app.select_slider(key=f"w:dur:{s.id}").value)
        for s in sb.shots
    ]
    assert shown == [(s.prompt, s.duration) for s in template.shots]
    assert runtime().store.load_draft(sb.id) == sb  # saved: a refresh brings it back
    assert app.query_params["draft"] == sb.id  # in the URL
    assert generate_button(app).label == "Generate preview · free"
    assert not generate_button(app).disabled  # ready to generate as it is
    open_menu(app, MENU_KEY)  # picking closed it
    assert app.button(key=f"w:template:{template.id}").label == "Product teaser · 15 s"  # the menu: how long


def test_opening_a_template_never_overwrites_the_storyboard_being_edited(app: AppTest) -> None:
    set_prompt(app, 0, "my own idea, not a template")
    mine = storyboard(app).id
    _open(app, "social-hook")
    opened = storyboard(app)
    assert opened.id != mine and opened.options.aspect_ratio == "9:16"
    assert app.checkbox(key="w:format:9:16").value and not app.checkbox(key="w:format:16:9").value
    # still in Open…, with what I wrote
    assert runtime().store.load_draft(mine).shots[0].prompt == "my own idea, not a template"
    open_menu(app, OPEN_MENU)
    app.button(key=f"w:open:{mine}").click().run()
    assert storyboard(app).id == mine
    assert storyboard(app).shots[0].prompt == "my own idea, not a template"
    # a template opened twice is two storyboards
    _open(app, "social-hook")
    again = storyboard(app).id
    assert again not in (mine, opened.id)
    assert {mine, opened.id, again} <= {d[0] for d in runtime().store.recent_drafts()}


def test_the_logo_template_asks_for_the_logo_as_first_frame(app: AppTest) -> None:
    template = TEMPLATES["logo-reveal"]
    _open(app, template.id)
    assert storyboard(app).model == ModelId.TURBO_PRO_I2V
    assert any(template.first_frame in t.value for t in app.toast)
    assert any("add a first-frame image" in w.value for w in app.warning)
    assert generate_button(app).disabled


def test_a_template_opens_on_the_hosted_provider_a_key_is_set_for(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAL_KEY", "test-key-not-sent")
    os.chdir(ROOT)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.run()
    _open(at, "how-it-works")
    assert storyboard(at).provider == ProviderId.FAL
    assert storyboard(at).model == ModelId.V3_PRO_T2V


def test_a_closed_menu_draws_none_of_its_items_and_picking_a_template_closes_it_again(app: AppTest) -> None:
    """What drawing a menu's items only while it is open is for (components/menus.py): a rerun of the
    editor with the menus closed builds none of their items; opening one draws them; picking a
    template closes its menu (a new, closed popover), and its items are gone again."""

    def templates_drawn() -> set[str]:
        return {b.key for b in app.button if (b.key or "").startswith("w:template:")}

    def drafts_drawn() -> set[str]:
        return {b.key for b in app.button if (b.key or "").startswith(("w:open:", "w:delete:"))}

    set_prompt(app, 0, "a draft for Open… to list")
    every = {f"w:template:{t}" for t in TEMPLATES}
    assert templates_drawn() == set() and drafts_drawn() == set()
    assert not any(c.value.startswith("Start a new storyboard from a template") for c in app.caption)
    open_menu(app, OPEN_MENU)
    assert drafts_drawn() == {f"w:open:{storyboard(app).id}", f"w:delete:{storyboard(app).id}"}
    assert templates_drawn() == set()  # one menu open: the other still draws nothing
    open_menu(app, MENU_KEY)
    assert templates_drawn() == every
    first = storyboard(app).id
    app.button(key="w:template:social-hook").click().run()
    assert not app.exception, app.exception
    assert storyboard(app).id != first  # it was picked
    assert templates_drawn() == set()  # and its menu closed itself
    open_menu(app, MENU_KEY)  # and opens again, under its new key
    assert templates_drawn() == every
