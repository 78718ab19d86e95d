"""The prompt helper in real Chromium: AppTest cannot click an expander, and the helper's fields
are drawn only once it is open (a rerun on expanding), so this checks that a click shows them and
that typing into them writes the prompt."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import Server, screenshot
from tests.e2e.steps import open_editor, prompt_box, settle, shot_card

pytestmark = pytest.mark.e2e


def _type_field(page: Page, label: str, text: str) -> None:
    box = page.get_by_role("textbox", name=f"{label} · shot 1", exact=True)
    box.click()
    page.keyboard.type(text)
    page.keyboard.press("Enter")
    # committed once the server has written it into the prompt: a click on the next field before
    # that rerun would be redrawn away
    expect(prompt_box(page, 1)).to_have_value(re.compile(re.escape(text)))
    settle(page)


def test_opening_the_helper_and_filling_fields_writes_the_prompt(server: Server, page: Page) -> None:
    open_editor(page, server.url)
    card = shot_card(page, 1)
    expect(page.get_by_role("textbox", name="Subject · shot 1", exact=True)).to_have_count(0)
    card.get_by_text("Prompt helper: subject, action, camera, lighting, style").click()
    expect(page.get_by_role("textbox", name="Subject · shot 1", exact=True)).to_be_visible()
    settle(page)

    _type_field(page, "Subject", "A glass bottle on wet sand")
    _type_field(page, "Action", "a wave rolls over it")
    _type_field(page, "Camera", "slow push-in")
    composed = "A glass bottle on wet sand, a wave rolls over it. Camera: slow push-in."
    expect(prompt_box(page, 1)).to_have_value(composed)
    expect(card.get_by_text(re.compile(rf"^{len(composed)} / 2500 characters$"))).to_be_visible()
    screenshot(page, "prompt_helper")
