"""The storyboard editor in real Chromium: type, press keys, click, upload, generate, reload.

Each test gets its own `streamlit run` (the `server` fixture) on its own data dir. The free Preview
provider renders the animatic locally, at 720p to keep it quick. Waits are on conditions: a
server-rendered text that only appears once the rerun has happened, then `settle()`, which waits for
Streamlit's own "script not running, nothing stale" markers.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, WebSocketRoute, expect
from waiting import wait_until

from tests.e2e.conftest import Server, screenshot
from tests.e2e.steps import (
    GENERATE,
    TOTAL,
    VIDEO_TIMEOUT_MS,
    add_shot,
    add_shot_button,
    assert_three_shots,
    build_three_shots,
    choose_720p,
    generate_and_wait,
    jobs_in_db,
    length_slider,
    open_editor,
    photo,
    press_to_length,
    prompt_box,
    settle,
    shot_card,
    upload,
    video_facts,
    write_shot,
)

pytestmark = pytest.mark.e2e

# --- the tests ---------------------------------------------------------------------------------


def test_main_journey_write_three_shots_upload_a_frame_generate_then_reload_and_reopen(
    page: Page, server: Server, tmp_path: Path, browser: Any
) -> None:
    open_editor(page, server.url)
    build_three_shots(page)

    expect(page.get_by_test_id("timeline")).to_have_text(re.compile(r"1 · 4 s\s*2 · 3 s\s*3 · 3 s"))
    expect(page.get_by_text("10 of 15 s", exact=True)).to_be_visible()

    upload(page, photo(tmp_path))
    preview = page.locator('[data-testid="stImage"] img')
    expect(preview).to_have_count(1)
    expect(preview).to_be_visible()
    assert preview.evaluate("img => img.complete && img.naturalWidth") > 0
    expect(page.get_by_text("1280×720 px", exact=False)).to_be_visible()
    settle(page)

    choose_720p(page)
    facts = generate_and_wait(page)
    screenshot(page, "editor-after-generate")

    assert abs(facts["duration"] - TOTAL) <= 0.2, facts
    assert facts["width"] > 0 and facts["height"] == 720, facts  # decoded, and rendered at 720p
    assert len(list((server.data_dir / "videos").glob("*.mp4"))) == 1

    # a reload, and a new browser at the root address, find the storyboard and its take
    assert "draft=" in page.url

    page.reload()
    expect(prompt_box(page, 1)).to_be_visible()
    settle(page)
    assert_three_shots(page)
    facts = video_facts(page)
    assert abs(facts["duration"] - TOTAL) <= 0.2, facts

    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    try:
        fresh = context.new_page()
        fresh.set_default_timeout(30_000)
        open_editor(fresh, server.url)  # the root URL: no ?draft=
        assert_three_shots(fresh)
        facts = video_facts(fresh)
        assert abs(facts["duration"] - TOTAL) <= 0.2, facts
    finally:
        context.close()


def test_the_sliders_cannot_go_past_fifteen_seconds(page: Page, server: Server) -> None:
    open_editor(page, server.url)
    write_shot(page, 1, "The bottle on the sand", 10)
    add_shot(page, 2)
    write_shot(page, 2, "The wave", 5)
    expect(page.get_by_text("15 of 15 s", exact=True)).to_be_visible()

    second = length_slider(page, 2)
    expect(second).to_be_focused()  # Tab from shot 2's prompt landed here
    page.keyboard.press("End")
    page.keyboard.press("ArrowRight")
    expect(second).to_have_attribute("aria-valuetext", "5 s")
    # 5 s is the top of its scale: there is no option above it to reach
    assert second.get_attribute("value") == second.get_attribute("max")
    settle(page)

    expect(shot_card(page, 2)).to_contain_text("Shot 2 · 5 s")
    expect(length_slider(page, 1)).to_have_attribute("aria-valuetext", "10 s")
    expect(shot_card(page, 1)).to_contain_text("Shot 1 · 10 s")
    expect(add_shot_button(page)).to_be_disabled()
    expect(page.get_by_text("All 15 s are used. Shorten a shot to make room.")).to_be_visible()
    expect(page.get_by_text("15 of 15 s", exact=True)).to_be_visible()


class GenerateTwice:
    """Routes the app's websocket; once `on`, every Generate click reaches the server twice.

    A routed message is passed on by this test's own Playwright client, whose callbacks run only
    while a Playwright call is under way: wait with `until`, never with a plain sleep, or a click
    sent after `dblclick` returned sits in this process until the next Playwright call."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.on = False
        self.seen: list[int] = []
        page.route_web_socket(re.compile(r"/_stcore/stream$"), self._route)

    def until(self, check: Callable[[], bool], *, timeout: float, what: str) -> None:
        wait_until(lambda: self.page.wait_for_timeout(20) or check(), timeout=timeout, what=what)

    def _route(self, ws: WebSocketRoute) -> None:
        server = ws.connect_to_server()

        def from_page(message: str | bytes) -> None:
            server.send(message)
            # a rerun request carrying the button's trigger names its key ("...-w:generate")
            if self.on and isinstance(message, bytes) and b"w:generate" in message:
                self.seen.append(len(message))
                server.send(message)

        ws.on_message(from_page)


def test_a_double_click_on_generate_makes_one_take_even_when_both_clicks_reach_the_server(
    page: Page, server: Server
) -> None:
    twice = GenerateTwice(page)
    open_editor(page, server.url)
    write_shot(page, 1, "The bottle on the sand", 3)
    choose_720p(page)

    # Streamlit's frontend turns a quick double click into one trigger
    facts = generate_and_wait(page, double=True)
    assert abs(facts["duration"] - 3) <= 0.2, facts
    assert len(list((server.data_dir / "videos").glob("*.mp4"))) == 1
    jobs = jobs_in_db(server.data_dir)
    assert len(jobs) == 1 and jobs[0][1] == "done", jobs

    # and when both clicks do arrive, the server itself makes one take
    length_slider(page, 1).focus()
    press_to_length(page, 1, 4)
    twice.on = True
    page.get_by_role("button", name=GENERATE).dblclick()
    twice.until(
        lambda: [state for _, state in jobs_in_db(server.data_dir)] == ["done", "done"],
        timeout=VIDEO_TIMEOUT_MS / 1000,
        what="the second take to be done",
    )
    expect(page.get_by_role("button", name=GENERATE)).to_be_enabled()
    settle(page)
    assert twice.seen, "no Generate click went over the websocket"
    assert abs(video_facts(page)["duration"] - 4) <= 0.2
    assert len(list((server.data_dir / "videos").glob("*.mp4"))) == 2
    assert len(jobs_in_db(server.data_dir)) == 2
    expect(page.locator("video")).to_have_count(1)


def test_a_text_file_named_png_gets_a_clear_sentence_and_a_removed_frame_stays_removed(
    page: Page, server: Server, tmp_path: Path
) -> None:
    open_editor(page, server.url)
    fake = tmp_path / "photo.png"
    fake.write_text("just some notes, not a picture\n")

    upload(page, fake)

    expect(page.get_by_text("This file is not an image we can read. Upload a JPG or PNG.")).to_be_visible()
    settle(page)
    expect(page.locator('[data-testid="stImage"]')).to_have_count(0)
    expect(page.get_by_test_id("stException")).to_have_count(0)
    # the editor still works: an edit goes through and the page redraws
    write_shot(page, 1, "The bottle on the sand", 4)
    expect(page.get_by_text("4 of 15 s", exact=True)).to_be_visible()
    expect(page.get_by_role("button", name=GENERATE)).to_be_enabled()

    # a real photo is taken; once used, it is shown once, in the preview card: no second copy in the drop zone
    upload(page, photo(tmp_path))
    expect(page.get_by_text("1280×720 px", exact=False)).to_be_visible()
    settle(page)
    expect(page.get_by_text("This file is not an image we can read. Upload a JPG or PNG.")).to_have_count(0)
    expect(page.get_by_test_id("stFileChip")).to_have_count(0)

    # removed, it stays removed through a reload
    page.get_by_role("button", name="Remove image").click()
    settle(page)
    expect(page.locator('[data-testid="stImage"]')).to_have_count(0)
    expect(page.get_by_role("button", name="Remove image")).to_have_count(0)
    page.reload()
    expect(prompt_box(page, 1)).to_be_visible()
    settle(page)
    expect(page.locator('[data-testid="stImage"]')).to_have_count(0)
