"""The Templates menu in real Chromium: picking a template closes the menu, so the new storyboard
is what the user sees (AppTest cannot tell whether a popover is open)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import Server
from tests.e2e.steps import open_editor, prompt_box, settle

pytestmark = pytest.mark.e2e


def test_picking_a_template_closes_the_menu_and_shows_its_shots(page: Page, server: Server) -> None:
    open_editor(page, server.url)
    page.get_by_role("button", name="Templates").click()
    pick = page.get_by_role("button", name="Product teaser · 15 s")
    expect(pick).to_be_visible()
    pick.click()
    expect(prompt_box(page, 1)).to_have_value(re.compile("dark stone pedestal"))  # the template's shot 1
    settle(page)
    expect(pick).to_be_hidden()
    expect(page.get_by_text("Start a new storyboard from a template.")).to_be_hidden()
    expect(prompt_box(page, 1)).to_be_visible()
    expect(prompt_box(page, 3)).to_be_visible()
    expect(page.get_by_role("textbox", name="Storyboard name")).to_have_value("Product teaser")
    page.get_by_role("button", name="Templates").click()  # and it opens again for the next pick
    expect(pick).to_be_visible()
