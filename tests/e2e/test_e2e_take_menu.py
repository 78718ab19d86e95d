"""A take's "More" menu in real Chromium: Rename and Delete close it, so the question they ask
(drawn full width under the card) is not hidden behind the open menu."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import Server, screenshot
from tests.e2e.steps import one_take_on_the_takes_page, open_more, settle

pytestmark = pytest.mark.e2e


def test_rename_and_delete_close_the_menu_and_ask_under_the_card(page: Page, server: Server) -> None:
    take = one_take_on_the_takes_page(page, server.url)
    open_more(page, take)
    page.get_by_role("button", name="Rename").click()
    name = take.get_by_role("textbox", name="Name of this take")
    expect(name).to_be_visible()
    expect(page.get_by_role("button", name="Delete")).to_be_hidden()  # the menu closed
    name.fill("Beach cut")
    name.press("Enter")
    expect(take.get_by_text("Beach cut", exact=False)).to_be_visible()
    expect(name).to_be_hidden()
    settle(page)

    open_more(page, take)  # an item clicked within the rerun opening makes could leave the menu open
    page.get_by_role("button", name="Delete").click()
    yes = take.get_by_role("button", name="Yes, delete")
    expect(yes).to_be_visible()
    expect(page.get_by_role("button", name="Rename")).to_be_hidden()
    settle(page)
    screenshot(page, "takes-delete-asked")
    yes.click()
    expect(page.get_by_text("No takes yet", exact=False)).to_be_visible()
