"""Present in real Chromium: a finished take plays across the page, in view, shot buttons under it."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import ARTIFACTS, Server
from tests.e2e.steps import SHOTS, build_three_shots, choose_720p, generate_and_wait, open_editor

pytestmark = pytest.mark.e2e

BOXES = """() => {
    const box = e => { const r = e.getBoundingClientRect(); return {x: r.x, y: r.y, w: r.width, h: r.height}; };
    const present = document.querySelector('.st-key-present');
    const video = present.querySelector('video');
    const main = document.querySelector('[data-testid="stMainBlockContainer"]');
    const shots = [...present.querySelectorAll('button')].filter(b => /Shot \\d$/.test(b.innerText.trim()) && b.getBoundingClientRect().width > 0);
    return {video: box(video), main: box(main), shots: shots.map(box), viewport: innerHeight};
}"""


def test_a_finished_take_is_presented_full_width_in_view_with_its_shots_under_it(
    page: Page, server: Server
) -> None:
    page.set_viewport_size({"width": 1440, "height": 900})  # the trial's laptop
    open_editor(page, server.url)
    build_three_shots(page)
    choose_720p(page)
    page.evaluate("() => document.querySelector('[data-testid=\"stMain\"]').scrollTo(0, 0)")
    generate_and_wait(page)  # clicked at the top of the editor, beside the cost

    present = page.locator(".st-key-present")
    expect(present.locator("video")).to_have_count(1)
    page.wait_for_function(  # the page scrolled down to the take when it finished
        "() => { const r = document.querySelector('.st-key-present video').getBoundingClientRect();"
        " return r.top >= 0 && r.top < innerHeight / 2; }"
    )
    boxes = page.evaluate(BOXES)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "present-view.png"))  # what the person sees, as scrolled
    video, main = boxes["video"], boxes["main"]
    assert video["w"] >= 0.6 * main["w"], boxes  # across the page, not the side column's 330 px
    assert len(boxes["shots"]) == len(SHOTS)
    for button in boxes["shots"]:  # the shot buttons under it, in the window with it
        assert video["y"] + video["h"] <= button["y"] and button["y"] + button["h"] <= boxes["viewport"], (
            boxes
        )
