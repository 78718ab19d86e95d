"""Present and shot markers in real Chromium: a finished take plays across the page, in view, shot
buttons under it; the take's <video> has a caption track whose cues, as the browser parsed them,
start at the shot boundaries; "Shot n" jumps the video there and plays."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import ARTIFACTS, Server, screenshot
from tests.e2e.steps import SHOTS, build_three_shots, choose_720p, generate_and_wait, open_editor, settle

pytestmark = pytest.mark.e2e

BOXES = """() => {
    const box = e => { const r = e.getBoundingClientRect(); return {x: r.x, y: r.y, w: r.width, h: r.height}; };
    const present = document.querySelector('.st-key-present');
    const video = present.querySelector('video');
    const main = document.querySelector('[data-testid="stMainBlockContainer"]');
    const shots = [...present.querySelectorAll('button')].filter(b => /Shot \\d$/.test(b.innerText.trim()) && b.getBoundingClientRect().width > 0);
    return {video: box(video), main: box(main), shots: shots.map(box), viewport: innerHeight};
}"""


# Wait (in the page) for the "Shots" <track> to load, then read its cues as the browser parsed them.
# Its mode as the page left it is read first; a track that is off loads no cues, so it is then
# turned on "hidden" (loaded, not drawn), as picking it in the player's captions menu would.
READ_CUES = """v => new Promise((resolve, reject) => {
    const track = [...v.querySelectorAll('track')].find(t => t.label === 'Shots');
    if (!track) { reject(new Error('no Shots <track> in the video')); return; }
    const tt = track.track, mode = tt.mode;
    // any other track shown must be empty (Streamlit's way to start with none): one layer of text
    const others = [...v.textTracks].filter(t => t !== tt && t.mode === 'showing' && t.cues && t.cues.length).map(t => t.label);
    if (mode === 'disabled') tt.mode = 'hidden';
    const read = () => resolve({
        mode, others, label: track.label, kind: track.kind,
        cues: [...tt.cues].map(c => ({start: c.startTime, end: c.endTime, text: c.text})),
    });
    if (track.readyState === 2) { read(); return; }
    track.addEventListener('load', read);
    track.addEventListener('error', () => reject(new Error('the caption track failed to load')));
    setTimeout(() => reject(new Error('track never loaded, readyState ' + track.readyState)), 20000);
})"""

MARK_PLAYER = "() => { window.__playerBefore = document.querySelector('video'); }"
# True once a new player has replaced the marked one and plays within [start, end) seconds.
NEW_PLAYER_PLAYS = """([start, end]) => {
    const v = document.querySelector('video');
    return v !== null && v !== window.__playerBefore && !v.paused
        && v.currentTime >= start - 0.05 && v.currentTime < end;
}"""


def jump_to(page: Page, n: int, start: int, end: int) -> None:
    """Click "Shot n" and wait until the player (a new one) plays from that shot's start."""
    page.evaluate(MARK_PLAYER)
    page.get_by_role("button", name=f"Shot {n}", exact=True).click()
    page.wait_for_function(NEW_PLAYER_PLAYS, arg=[start, end])
    settle(page)


def _boundaries() -> list[int]:
    starts, at = [], 0
    for _, seconds in SHOTS:
        starts.append(at)
        at += seconds
    return [*starts, at]


def test_a_finished_take_is_presented_full_width_in_view_its_captions_mark_the_shots_and_shot_buttons_jump(
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

    # the shot markers: captions at the shot boundaries, one layer of text, buttons that jump
    video = page.locator("video")
    track: dict[str, Any] = video.evaluate(READ_CUES)
    assert track["label"] == "Shots" and track["kind"] == "captions"
    # one caption layer: the animatic names each shot on its own pictures, so its track is off
    assert track["mode"] == "disabled" and track["others"] == []
    bounds = _boundaries()
    assert [c["start"] for c in track["cues"]] == bounds[:-1]
    assert [c["end"] for c in track["cues"]] == bounds[1:]
    for n, (cue, (text, seconds)) in enumerate(zip(track["cues"], SHOTS, strict=True), 1):
        assert cue["text"].startswith(f"Shot {n} · {seconds} s · ")
        assert text.startswith(cue["text"].split(" · ", 2)[2].removesuffix("…"))

    jump_to(page, 2, bounds[1], bounds[2])
    expect(page.get_by_test_id("stVideo")).to_have_count(1)
    screenshot(page, "shot-markers-shot-2")

    # after it played on into shot 3, a second click on the same shot goes back to its start
    page.evaluate("() => { document.querySelector('video').currentTime = 9; }")
    jump_to(page, 2, bounds[1], bounds[2])
    jump_to(page, 3, bounds[2], bounds[3])
