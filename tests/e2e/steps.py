"""Steps a user takes in the real browser, shared by the Chromium tests.

Waits are on conditions: a server-rendered text that only appears once the rerun has happened,
then `settle()`, which waits for Streamlit's own "script not running, nothing stale" markers.
"""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path
from typing import Any

from PIL import Image
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Locator, Page, expect
from waiting import wait_until

VIDEO_TIMEOUT_MS = 90_000
GENERATE = "Generate preview · free"


# --- driving the page --------------------------------------------------------------------------


def settle(page: Page) -> None:
    """Wait until the app is connected, no script run is in progress and no element is stale."""
    page.wait_for_function(
        """() => {
            const app = document.querySelector('[data-testid="stApp"]');
            return app !== null
                && app.dataset.testConnectionState === 'CONNECTED'
                && app.dataset.testScriptState === 'notRunning'
                && document.querySelector('[data-stale="true"]') === null;
        }"""
    )


def open_editor(page: Page, url: str) -> None:
    page.goto(url)
    expect(prompt_box(page, 1)).to_be_visible()
    settle(page)


def shot_card(page: Page, n: int) -> Locator:
    return page.locator(f".st-key-shot-{n}")


def prompt_box(page: Page, n: int) -> Locator:
    return page.get_by_role("textbox", name=f"What happens in shot {n}", exact=True)


def length_slider(page: Page, n: int) -> Locator:
    return page.locator(f'input[type="range"][aria-label="Length of shot {n}"]')


def add_shot_button(page: Page) -> Locator:
    return page.locator(".st-key-w-add-shot").get_by_role("button", name="Add shot")


def seconds_shown(slider: Locator) -> int:
    text = slider.get_attribute("aria-valuetext") or ""
    match = re.fullmatch(r"(\d+) s", text)
    assert match, f"unexpected slider text {text!r}"
    return int(match.group(1))


def write_prompt(page: Page, n: int, text: str) -> None:
    """Click the box, paste the text, press Tab (Streamlit commits a text area on blur): focus moves
    on. Pasted, not typed key by key: each key redraws the box (tests of typing itself type)."""
    box = prompt_box(page, n)
    box.click()
    page.keyboard.press("ControlOrMeta+A")
    page.keyboard.insert_text(text)
    page.keyboard.press("Tab")
    # the character counter under the box is drawn by the server: it proves the text arrived
    counter = shot_card(page, n).get_by_text(re.compile(rf"^{len(text)} / \d+ characters$"))
    expect(counter).to_be_visible()
    settle(page)


def press_to_length(page: Page, n: int, seconds: int) -> None:
    """With shot n's slider focused, press the arrow keys it takes to reach `seconds`, as quickly as
    a person tapping a key (Streamlit folds the reruns), then wait for the server-drawn heading."""
    slider = length_slider(page, n)
    expect(slider).to_be_focused()
    now = seconds_shown(slider)
    for _ in range(abs(seconds - now)):
        page.keyboard.press("ArrowRight" if seconds > now else "ArrowLeft")
    expect(slider).to_have_attribute("aria-valuetext", f"{seconds} s")
    # the card's heading is drawn by the server from the saved storyboard
    expect(shot_card(page, n)).to_contain_text(f"Shot {n} · {seconds} s")
    settle(page)


def write_shot(page: Page, n: int, text: str, seconds: int) -> None:
    """Keyboard only: type the prompt, Tab lands on the length slider, arrows set the length."""
    write_prompt(page, n, text)
    press_to_length(page, n, seconds)


def add_shot(page: Page, n: int) -> None:
    add_shot_button(page).click()
    expect(prompt_box(page, n)).to_be_visible()
    settle(page)


def choose_720p(page: Page) -> None:
    group = page.locator(".st-key-w-resolution")
    group.get_by_text("720p", exact=True).click()
    expect(group.get_by_role("radio", name="720p")).to_be_checked()
    settle(page)


def video_facts(page: Page) -> dict[str, Any]:
    """Wait (in the page) for the video's `loadedmetadata` and first decoded frame; return what it knows."""
    video = page.locator("video")
    expect(video).to_have_count(1, timeout=VIDEO_TIMEOUT_MS)
    return video.evaluate(
        """v => new Promise((resolve, reject) => {
            const facts = () => ({
                duration: v.duration, width: v.videoWidth, height: v.videoHeight,
                readyState: v.readyState, src: v.currentSrc,
            });
            // HAVE_CURRENT_DATA: metadata is in (loadedmetadata fired) and a frame has been decoded
            const check = () => { if (v.readyState >= 2) resolve(facts()); };
            v.addEventListener('loadedmetadata', check);
            v.addEventListener('loadeddata', check);
            v.addEventListener('error', () => reject(new Error('video error ' + (v.error && v.error.code))));
            if (v.preload === 'none') v.load();
            check();
            const poll = setInterval(check, 100);  // in case the events fired before we listened
            setTimeout(() => { clearInterval(poll); reject(new Error('video never loaded: ' + JSON.stringify(facts()))); }, 20000);
        })"""
    )


def generate_and_wait(page: Page, *, double: bool = False) -> dict[str, Any]:
    button = page.get_by_role("button", name=GENERATE)
    expect(button).to_be_enabled()
    button.dblclick() if double else button.click()
    expect(page.locator("video")).to_have_count(1, timeout=VIDEO_TIMEOUT_MS)
    # when the take is done the page reruns once more, re-enabling Generate
    expect(page.get_by_role("button", name=GENERATE)).to_be_enabled()
    settle(page)
    return video_facts(page)


def photo(tmp_path: Path, size: tuple[int, int] = (1280, 720)) -> Path:
    path = tmp_path / "first-frame.jpg"
    Image.radial_gradient("L").resize(size).convert("RGB").save(path, "JPEG", quality=90)
    return path


def upload(page: Page, path: Path) -> None:
    """Drop a file on the first-frame uploader (the editor has others, e.g. the storyboard import)."""
    uploader = page.get_by_test_id("stFileUploader").filter(has_text="First frame")
    uploader.locator('input[type="file"]').set_input_files(path)


SHOTS = [
    ("A glass bottle lies on wet sand at golden hour", 4),
    ("A wave rolls in and lifts the bottle, close-up", 3),
    ("The logo fades in over the calm sea", 3),
]
TOTAL = sum(seconds for _, seconds in SHOTS)


def build_three_shots(page: Page) -> None:
    for n, (text, seconds) in enumerate(SHOTS, start=1):
        if n > 1:
            add_shot(page, n)
        write_shot(page, n, text, seconds)


def assert_three_shots(page: Page) -> None:
    for n, (text, seconds) in enumerate(SHOTS, start=1):
        expect(prompt_box(page, n)).to_have_value(text)
        expect(length_slider(page, n)).to_have_attribute("aria-valuetext", f"{seconds} s")
    expect(shot_card(page, len(SHOTS) + 1)).to_have_count(0)
    expect(page.get_by_text(f"{TOTAL} of 15 s", exact=True)).to_be_visible()


def open_more(page: Page, take: Locator) -> None:
    """Open a take's "More" menu and wait for the rerun opening it makes, as a person would."""
    take.get_by_role("button", name="More").click()
    settle(page)


def compare_all(page: Page, count: int) -> Locator:
    """On Takes, tick Compare on each of the `count` takes listed; return the comparison."""
    boxes = page.get_by_role("checkbox", name="Compare")
    expect(boxes).to_have_count(count)
    for i in range(count):
        # A tick reruns the page; `settle` right after one can pass before that rerun has begun,
        # and a click landing while it redraws the cards is undone by it: tick again until it holds.
        for tries_left in reversed(range(3)):
            try:
                boxes.nth(i).check(force=True)
                break
            except PlaywrightError:
                if not tries_left:
                    raise
                settle(page)
        settle(page)
    return page.locator('[class*="st-key-compare-"]')


def jobs_in_db(data_dir: Path) -> list[tuple[str, str]]:
    with sqlite3.connect(data_dir / "studio.db") as db:
        return db.execute("SELECT id, state FROM jobs").fetchall()


def wait_for_state(data_dir: Path, states: set[str], timeout: float = 60) -> list[tuple[str, str]]:
    """The jobs in the app's store once the first one is in one of `states`."""

    def reached() -> list[tuple[str, str]]:
        jobs = jobs_in_db(data_dir) if (data_dir / "studio.db").exists() else []
        return jobs if jobs and jobs[0][1] in states else []

    return wait_until(reached, timeout=timeout, every=0.05, what=f"a job to be {' or '.join(sorted(states))}")
