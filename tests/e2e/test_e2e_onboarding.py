"""A first visit in real Chromium (issue 11, item 6): the browser's Back returns to the storyboard
open before (and Settings leaves no `?draft=` address behind), and on a 390×844 phone the shot
toolbar is one row, Generate stays in view while a lower shot is edited, and the navigation menu
closes once a page is picked."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from storyboard.catalog import PROVIDERS
from storyboard.models import ProviderId
from tests.e2e.conftest import ARTIFACTS, Server, screenshot
from tests.e2e.steps import GENERATE, add_shot, open_editor, prompt_box, settle, shot_card, write_prompt

pytestmark = pytest.mark.e2e

PHONE = {"width": 390, "height": 844}


def test_back_returns_to_the_storyboard_open_before(page: Page, server: Server) -> None:
    open_editor(page, server.url)
    write_prompt(page, 1, "The first storyboard: a kite over the dunes")
    first = page.url
    page.get_by_role("button", name="New storyboard").click()
    expect(prompt_box(page, 1)).to_have_value("")
    settle(page)
    write_prompt(page, 1, "The second storyboard: a lighthouse at night")
    second = page.url
    assert second != first and "draft=" in second

    # no key for WaveSpeedAI: the notice's "Settings" is a link, and takes me there
    page.locator(".st-key-w-provider").get_by_text(re.compile(r"^WaveSpeedAI")).click()
    notice = page.get_by_text("To generate on WaveSpeedAI, add its API key on Settings.")
    expect(notice).to_be_visible()
    settle(page)
    second = page.url
    expect(page.get_by_role("link", name="Get a WaveSpeedAI key")).to_have_attribute(
        "href", PROVIDERS[ProviderId.WAVESPEED].key_url
    )
    page.locator('[data-testid="stMain"]').get_by_role("link", name="Settings").click()
    expect(page.get_by_role("heading", name="Settings")).to_be_visible()
    settle(page)
    assert "draft=" not in page.url  # Settings is not an address of a storyboard

    page.go_back()  # Settings → the storyboard I was on
    expect(prompt_box(page, 1)).to_have_value("The second storyboard: a lighthouse at night")
    expect(notice).to_be_visible()
    settle(page)
    assert page.url == second
    page.go_back()  # → the one before it
    expect(prompt_box(page, 1)).to_have_value("The first storyboard: a kite over the dunes")
    settle(page)
    assert page.url == first
    screenshot(page, "back-to-previous-storyboard")
    page.go_forward()
    expect(prompt_box(page, 1)).to_have_value("The second storyboard: a lighthouse at night")
    settle(page)


@pytest.fixture
def phone(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    pg = context.new_page()
    pg.set_default_timeout(30_000)
    yield pg
    context.close()


def _in_view(page: Page, box: dict[str, float] | None) -> bool:
    return box is not None and box["y"] >= 0 and box["y"] + box["height"] <= PHONE["height"]


def test_on_a_phone_generate_stays_in_view_while_a_lower_shot_is_edited(phone: Page, server: Server) -> None:
    open_editor(phone, server.url)
    write_prompt(phone, 1, "A kite rises over the dunes")
    add_shot(phone, 2)
    write_prompt(phone, 2, "The wind drops")
    add_shot(phone, 3)
    prompt_box(phone, 3).click()
    phone.keyboard.type("The kite lands on the sand")
    generate = phone.get_by_role("button", name=GENERATE)
    expect(generate).to_be_enabled()
    assert _in_view(phone, prompt_box(phone, 3).bounding_box())  # editing the lower shot…
    assert _in_view(phone, generate.bounding_box())  # …with Generate and its price in view

    # the shot's toolbar is one row: its title and four buttons side by side
    toolbar = shot_card(phone, 3).locator(".st-key-shot-toolbar-3")
    buttons = [b.bounding_box() for b in toolbar.get_by_role("button").all()]
    assert len(buttons) == 4
    assert len({round(b["y"]) for b in buttons if b}) == 1
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    phone.screenshot(path=str(ARTIFACTS / "phone-editing-shot-3.png"))  # the screen as seen

    # the navigation menu closes once a page is picked
    phone.get_by_test_id("stExpandSidebarButton").click()
    sidebar = phone.get_by_test_id("stSidebar")
    expect(sidebar).to_have_attribute("data-collapsed", "false")
    phone.locator('[data-testid="stSidebarNav"] a[href$="takes"]').click()
    expect(phone.get_by_role("heading", name="Takes")).to_be_visible()
    expect(sidebar).to_have_attribute("data-collapsed", "true")
    settle(phone)
    phone.screenshot(path=str(ARTIFACTS / "phone-menu-closed-after-pick.png"))
