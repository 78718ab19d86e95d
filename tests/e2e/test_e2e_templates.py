"""A template from the editor's Templates menu in real Chromium: one click opens it as a new
storyboard with the template's shots, ready to generate, and the storyboard being edited before is
kept (still in Open…, with what was written in it)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from storyboard.catalog import EDITOR_LIMITS
from storyboard.templates import load_all
from tests.e2e.conftest import Server, screenshot
from tests.e2e.steps import GENERATE, length_slider, open_editor, prompt_box, settle, shot_card, write_prompt

pytestmark = pytest.mark.e2e

TEMPLATE = next(t for t in load_all() if t.id == "social-hook")
MENU_CAPTION = "Start a new storyboard from a template."
MINE = "My own idea: a kite over the dunes at dawn"


def test_a_template_opens_in_one_click_ready_to_generate_and_the_old_storyboard_is_kept(
    page: Page, server: Server
) -> None:
    assert not TEMPLATE.first_frame and TEMPLATE.total_seconds <= EDITOR_LIMITS.max_total_seconds
    open_editor(page, server.url)
    write_prompt(page, 1, MINE)
    mine_url = page.url

    page.get_by_role("button", name="Templates").click()
    page.get_by_role("button", name=TEMPLATE.name, exact=True).click()
    expect(page.get_by_text(f"Opened “{TEMPLATE.name}” as a new storyboard.")).to_be_visible()
    # named without its length: the shots' lengths change once it is open
    expect(page.get_by_role("textbox", name="Storyboard name")).to_have_value(TEMPLATE.storyboard_name)
    expect(page.get_by_text(MENU_CAPTION)).to_be_hidden()  # the menu closed: the template is in view
    settle(page)
    for n, shot in enumerate(TEMPLATE.shots, start=1):
        expect(prompt_box(page, n)).to_have_value(shot.prompt)
        expect(length_slider(page, n)).to_have_attribute("aria-valuetext", f"{shot.duration} s")
    expect(shot_card(page, len(TEMPLATE.shots) + 1)).to_have_count(0)
    used = f"{TEMPLATE.total_seconds} of {EDITOR_LIMITS.max_total_seconds} s"
    expect(page.get_by_text(used, exact=True)).to_be_visible()
    expect(page.get_by_role("button", name=GENERATE)).to_be_enabled()  # it validates
    assert page.url != mine_url  # a new storyboard, in the URL
    screenshot(page, "template-opened")

    # the storyboard I was writing is kept: listed in Open…, and opens with my words in it
    page.get_by_role("button", name="Open…").click()
    mine = page.get_by_role("button", name=re.compile(r"^Untitled storyboard · "))
    expect(mine).to_be_enabled()
    expect(
        page.get_by_role("button", name=re.compile(rf"^{re.escape(TEMPLATE.storyboard_name)} · "))
    ).to_be_disabled()
    mine.click()
    expect(prompt_box(page, 1)).to_have_value(MINE)
    expect(mine).to_be_hidden()  # Open… closed too
    expect(shot_card(page, 2)).to_have_count(0)
    settle(page)
    assert page.url == mine_url
    screenshot(page, "template-then-mine-reopened")
    page.get_by_role("button", name="Templates").click()  # and the menu opens again for the next pick
    expect(page.get_by_text(MENU_CAPTION)).to_be_visible()
