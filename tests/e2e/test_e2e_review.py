"""Review round trip in real Chromium (issue 13): an editor sends a take for review; a reviewer, in
another browser, comments at 3.5 s (read from the player) and requests changes; the editor sees the
comment, clicks its time and the player is at 3.5 s; a new take is approved and its brief says so.

Each signs in through the real identity provider's login form (tests/e2e/team.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from storyboard.people import Role
from storyboard.store import Store
from tests.e2e.conftest import VIEWPORT, Server, screenshot
from tests.e2e.hosted_app import go_to
from tests.e2e.steps import (
    choose_720p,
    generate_and_wait,
    length_slider,
    open_more,
    prompt_box,
    settle,
    write_prompt,
)
from tests.e2e.team import sign_in, team_app
from tests.e2e.test_e2e_brief import download, pdf_text
from tests.servers.identity_provider import TestUser

pytestmark = pytest.mark.e2e

PROMPT = "A paper boat drifts down a rain-filled gutter, close-up"
COMMENT = "The boat leaves the frame too early here."


ED = TestUser("ed@example.com", "Ed Editor", "ed-password")
BO = TestUser("bo@example.com", "Bo Reviewer", "bo-password")


def _members(store: Store) -> None:
    """Ana owns the workspace and has invited Ed, an editor, and Bo, a reviewer, who have both
    signed in before (so Bo is listed by name among the reviewers Ed can ask)."""
    owner = store.people.join("ana@example.com", "Ana Admin")
    assert owner is not None
    store.people.invite(owner.actor(), ED.email, Role.EDITOR)
    store.people.invite(owner.actor(), BO.email, Role.REVIEWER)
    store.people.join(ED.email, ED.name)
    store.people.join(BO.email, BO.name)


@pytest.fixture
def team_server(tmp_path: Path) -> Iterator[Server]:
    with team_app(tmp_path, [ED, BO], seed=_members) as (server, _idp):
        yield server


def _newest_take(server: Server) -> str:
    store = Store.for_data_dir(server.data_dir)
    try:
        return max(store.list_jobs(), key=lambda j: j.created_at).id
    finally:
        store.close()


def _review(page: Page, take: str) -> None:
    """Open the take's Review panel (a click on its header), as a person would."""
    card = page.locator(f".st-key-take-{take}")
    card.locator('[data-testid="stExpander"] summary').filter(has_text="Review").click()
    expect(page.locator(f".st-key-review-take-{take}-comment")).to_be_visible()


def _send_to_bo(page: Page, take: str) -> None:
    _review(page, take)
    box = page.locator(f".st-key-review-take-{take}-to")
    box.scroll_into_view_if_needed()
    chooser = box.locator("input")
    for tries_left in reversed(range(3)):  # a click landing during a redraw closes the list again
        chooser.click()
        chooser.press_sequentially("Bo")
        try:
            expect(page.get_by_role("option", name="Bo Reviewer")).to_have_count(1, timeout=5_000)
            chooser.press("Enter")  # the one option the filter left, picked as a keyboard user would
            expect(box.get_by_text("Bo Reviewer")).to_be_visible(timeout=5_000)
            break
        except AssertionError:
            if not tries_left:
                raise
            chooser.fill("")
            page.keyboard.press("Escape")
            settle(page)
    page.keyboard.press("Escape")
    settle(page)
    page.locator(f".st-key-review-take-{take}-send button").click()
    expect(page.get_by_text("Sent for review to Bo Reviewer.")).to_be_visible()
    settle(page)


def _again(page: Page) -> None:
    """Takes drawn afresh in the same session (through the navigation, as a person would)."""
    go_to(page, "Storyboard")
    settle(page)
    go_to(page, "Takes")
    settle(page)


def test_review_round_trip(page: Page, browser: Browser, team_server: Server, tmp_path: Path) -> None:
    url = team_server.url
    page.goto(url)
    sign_in(page, ED, url)  # Ed, an editor, back on the page he opened: the editor
    expect(prompt_box(page, 1)).to_be_visible()
    settle(page)
    write_prompt(page, 1, PROMPT)
    expect(length_slider(page, 1)).to_have_attribute("aria-valuetext", "5 s")  # a new shot's length
    choose_720p(page)
    generate_and_wait(page)
    first = _newest_take(team_server)
    go_to(page, "Takes")
    settle(page)
    _send_to_bo(page, first)
    expect(
        page.locator(f".st-key-take-{first}").get_by_text("Waiting for review by Bo Reviewer")
    ).to_be_visible()

    reviewer = browser.new_context(viewport=VIEWPORT)
    try:
        bo = reviewer.new_page()
        bo.set_default_timeout(30_000)
        bo.goto(url)
        sign_in(bo, BO, url)  # Bo, a reviewer, in another browser
        go_to(bo, "Takes")
        waiting = bo.locator(".st-key-waiting-for-review")
        expect(waiting.get_by_text("Waiting for my review")).to_be_visible()
        waiting.get_by_role("link").click()  # ?take=<id>: that take's card, its player open
        card = bo.locator(f".st-key-take-{first}")
        expect(card.locator("video")).to_have_count(1)
        settle(bo)
        card.locator("video").evaluate(  # Bo scrubs to 3.5 s
            """v => new Promise(done => {
                const go = () => { v.addEventListener('seeked', () => done(), {once: true}); v.currentTime = 3.5; };
                if (v.readyState >= 1) go(); else v.addEventListener('loadedmetadata', go, {once: true});
            })"""
        )
        _review(bo, first)
        settle(bo)
        # Under load a click can land on the panel a redraw is replacing (both are on the page for a
        # moment, the old one outside the card): as a person would, click again until it holds.
        moment = card.locator(f".st-key-review-take-{first}-at input")
        for tries_left in reversed(range(3)):
            card.get_by_role("button", name="⏱ Player's time").click()
            try:
                expect(moment).to_have_value("0:03.5", timeout=5_000)
                break
            except AssertionError:
                if not tries_left:
                    raise
                settle(bo)
        settle(bo)
        bo.locator(f".st-key-review-take-{first}-text textarea").fill(COMMENT)
        bo.locator(f".st-key-review-take-{first}-comment button").click()
        expect(bo.get_by_text("Comment added.")).to_be_visible()
        settle(bo)
        bo.locator(f".st-key-review-take-{first}-changes button").click()
        expect(card.get_by_text("✏️ Changes requested by Bo Reviewer", exact=False)).to_be_visible()
        settle(bo)
        screenshot(bo, "review-changes-requested")

        _again(page)  # Ed looks at Takes again: the comment, with its moment
        take = page.locator(f".st-key-take-{first}")
        expect(take.get_by_text(COMMENT)).to_be_visible()
        expect(take.get_by_text("✏️ Changes requested by Bo Reviewer", exact=False)).to_be_visible()
        expect(take.locator("video")).to_have_count(0)  # no player open yet
        take.get_by_role("button", name="0:03.5").click()  # opens the player, at that moment
        page.wait_for_function(
            """id => { const v = document.querySelector(`.st-key-take-${id} video`);
                       return v !== null && v.readyState >= 1 && Math.abs(v.currentTime - 3.5) < 0.01; }""",
            arg=first,
        )
        screenshot(page, "review-comment-seeks")

        go_to(page, "Storyboard")  # a new take, sent, and approved this time
        settle(page)
        generate_and_wait(page)
        second = _newest_take(team_server)
        assert second != first
        go_to(page, "Takes")
        settle(page)
        _send_to_bo(page, second)

        _again(bo)
        _review(bo, second)
        bo.locator(f".st-key-review-take-{second}-approve button").click()
        expect(
            bo.locator(f".st-key-take-{second}").get_by_text("✅ Approved by Bo Reviewer", exact=False)
        ).to_be_visible()
    finally:
        reviewer.close()

    _again(page)
    take = page.locator(f".st-key-take-{second}")
    expect(take.get_by_text("✅ Approved by Bo Reviewer", exact=False)).to_be_visible()
    open_more(page, take)
    name, _ = download(page, "Brief (PDF)", tmp_path)
    assert "Approved by Bo Reviewer on 20" in pdf_text(tmp_path / name)
