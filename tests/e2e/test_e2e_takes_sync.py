"""Two takes compared side by side in real Chromium: both videos load, and play, pause and seek
on one are followed by the other (the small sync script in components/take_compare.py)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import Server, screenshot
from tests.e2e.steps import VIDEO_TIMEOUT_MS, choose_720p, compare_all, prompt_box, settle, write_prompt

pytestmark = pytest.mark.e2e

BOTH_READY = """vs => Promise.all(vs.map(v => new Promise((resolve, reject) => {
    // Metadata is enough to play and seek; with preload="metadata" a browser may stop there.
    const ok = () => { if (v.readyState >= 1) resolve(true); };
    v.addEventListener('loadedmetadata', ok);
    v.addEventListener('error', () => reject(new Error('video error')));
    setTimeout(() => reject(new Error('no metadata after 60 s: readyState ' + v.readyState)), 60000);
    if (v.networkState === HTMLMediaElement.NETWORK_EMPTY) v.load();
    ok();
})))"""


def test_two_takes_play_pause_and_seek_together(page: Page, server: Server) -> None:
    page.goto(server.url)
    expect(prompt_box(page, 1)).to_be_visible(timeout=60_000)  # the first run can be slow on a busy machine
    settle(page)
    write_prompt(page, 1, "A glass bottle on wet sand at golden hour")
    choose_720p(page)
    page.locator(".st-key-w-takes").get_by_text("×2", exact=True).click()
    button = page.get_by_role("button", name="Generate 2 previews · free")
    expect(button).to_be_enabled()
    button.click()
    expect(page.locator("video")).to_have_count(2, timeout=VIDEO_TIMEOUT_MS)
    expect(page.get_by_role("button", name="Generate 2 previews · free")).to_be_enabled(
        timeout=VIDEO_TIMEOUT_MS
    )
    settle(page)

    page.goto(f"{server.url}/takes")
    expect(page.get_by_text("2 takes · 1 version", exact=False)).to_be_visible()
    compare = compare_all(page, 2)
    videos = compare.locator("video")
    expect(videos).to_have_count(2)
    expect(compare.get_by_text("another take of it", exact=False)).to_be_visible()
    videos.evaluate_all(BOTH_READY)
    first, second = videos.nth(0), videos.nth(1)

    first.evaluate("v => v.play()")
    page.wait_for_function(
        "() => [...document.querySelectorAll('[class*=\"st-key-compare-\"] video')].every(v => !v.paused)"
    )
    first.evaluate("v => v.pause()")
    page.wait_for_function(
        "() => [...document.querySelectorAll('[class*=\"st-key-compare-\"] video')].every(v => v.paused)"
    )
    first.evaluate("v => { v.currentTime = 2.5; }")
    page.wait_for_function(
        "() => Math.abs(document.querySelectorAll('[class*=\"st-key-compare-\"] video')[1].currentTime - 2.5) < 0.2"
    )
    assert second.evaluate("v => v.paused")
    screenshot(page, "takes-compare")
