"""The editor's timeline in Chromium: how fast the price follows a dragged boundary, and how fast a
release is committed with every other figure on the page redrawn.

Goals (issue 11 §3): the price on the page follows a drag within one frame (<= 20 ms), and release
-> committed storyboard and every figure on the page updated <= 150 ms median.

Starts `streamlit run serve.py` on a scratch data dir (as the e2e tests do), opens the editor in
Debian's Chromium, makes a 5 s + 5 s storyboard on EvoLink and drags the end of shot 2.

- follow: from a pointermove's own timestamp (when the input reached the browser) to the price text
  changing, and to the start of the next animation frame (the frame that paints it);
- release: from the pointerup's timestamp to the page showing the committed storyboard: Generate's
  label with the new price, shot 2's card with its new length, the script run finished and no
  element stale (so the cost panel and the comparison are redrawn too);
- for comparison on the same machine and load: an arrow key on shot 2's length slider to the same.

Prints figures; asserts nothing.

    .venv/bin/python -m bench.timeline_drag
"""

from __future__ import annotations

import re
import statistics
import sys
import tempfile
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MOVES = 40
RELEASES = 15

# Records, in the page, when each pointermove arrived, when the price text changed, and the next frame.
_WATCH_FOLLOW = """() => {
    const price = document.querySelector('[data-testid="timeline-price"]');
    window.__follow = [];
    let last = null;
    document.addEventListener('pointermove', e => { last = e.timeStamp; }, {capture: true});
    new MutationObserver(() => {
        const changed = performance.now(), input = last;
        requestAnimationFrame(() => window.__follow.push({input, changed, frame: performance.now()}));
    }).observe(price, {childList: true, characterData: true, subtree: true});
}"""

# Resolves with ms from the pointerup to the script run starting, to Generate's new label, and to
# the page showing the committed storyboard everywhere.
_WATCH_RELEASE = """([label, card, event]) => {
    window.__released = new Promise(resolve => {
        let up = null;
        document.addEventListener(event, e => { up = e.timeStamp; }, {capture: true, once: true});
        const done = () => {
            const app = document.querySelector('[data-testid="stApp"]');
            const button = [...document.querySelectorAll('button')].some(b => b.innerText.trim() === label);
            const shot = document.querySelector('.st-key-shot-2');
            return up !== null && button && shot && shot.innerText.includes(card)
                && app.dataset.testScriptState === 'notRunning'
                && document.querySelector('[data-stale="true"]') === null;
        };
        const marks = {};
        const check = () => {
            const app = document.querySelector('[data-testid="stApp"]');
            if (up !== null && marks.running === undefined && app.dataset.testScriptState === 'running')
                marks.running = performance.now() - up;
            if (up !== null && marks.label === undefined
                && [...document.querySelectorAll('button')].some(b => b.innerText.trim() === label))
                marks.label = performance.now() - up;
            if (done()) { observer.disconnect(); resolve({...marks, done: performance.now() - up}); }
        };
        const observer = new MutationObserver(check);
        observer.observe(document.body, {subtree: true, childList: true, characterData: true, attributes: true});
    });
}"""


def _summary(name: str, values: list[float], goal: str) -> str:
    values = sorted(values)
    return (
        f"{name:<44} median {statistics.median(values):6.1f} ms · p90 {values[int(0.9 * (len(values) - 1))]:6.1f}"
        f" ms · max {values[-1]:6.1f} ms  (n={len(values)}; goal {goal})"
    )


def main() -> None:
    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(ROOT / "tests"))  # tests/e2e/conftest.py imports the provider fakes as `fakes`
    from playwright.sync_api import expect, sync_playwright

    from storyboard.catalog import OFFERS
    from storyboard.models import ModelId, ProviderId, Storyboard, format_usd
    from storyboard.pricing import applicable_rate
    from tests.e2e.conftest import CHROMIUM_FLAGS, Server, chromium_path
    from tests.e2e.steps import add_shot, open_editor, settle

    chromium = chromium_path()
    if chromium is None:
        sys.exit("Chromium not found: apt-get install chromium")
    rate = applicable_rate(
        Storyboard(), OFFERS[(ProviderId.EVOLINK, ModelId.TURBO_PRO_T2V)], checked=[]
    ).usd_per_second
    server = Server(Path(tempfile.mkdtemp(prefix="bench-timeline-")) / "data")
    server.start()
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_FLAGS)
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.set_default_timeout(30_000)
            open_editor(page, server.url)
            add_shot(page, 2)
            page.locator(".st-key-w-provider").get_by_text(re.compile(r"^EvoLink")).click()
            settle(page)
            expect(page.get_by_role("button", name=f"Generate · {format_usd(rate * 10)}")).to_be_visible()

            handle = page.get_by_role("slider", name="End of shot 2 (the free seconds after it)", exact=True)
            track = page.get_by_test_id("timeline")

            def x_at(seconds: int) -> float:
                box = track.bounding_box()
                assert box is not None
                return box["x"] + box["width"] * seconds / 15

            def grab() -> float:
                box = handle.bounding_box()
                assert box is not None
                y = box["y"] + box["height"] / 2
                page.mouse.move(box["x"] + box["width"] / 2, y)
                page.mouse.down()
                return y

            # 1. the price follows the drag
            page.evaluate(_WATCH_FOLLOW)
            y = grab()
            path = [11, 12, 13, 14, 15, 14, 13, 12, 11, 10, 9, 8, 7, 8, 9, 10]
            targets = (path * (MOVES // len(path) + 1))[:MOVES]
            for i, seconds in enumerate(targets, 1):
                page.mouse.move(x_at(seconds), y)
                page.wait_for_function("n => window.__follow.length >= n", arg=i)
            page.mouse.up()
            settle(page)
            follow = page.evaluate("window.__follow")
            to_text = [f["changed"] - f["input"] for f in follow]
            to_frame = [f["frame"] - f["input"] for f in follow]

            # 2. release -> committed everywhere
            current = int(page.locator(".sbtl").get_attribute("data-durations").split(",")[1])
            released: list[dict[str, float]] = []
            for _ in range(RELEASES):
                seconds = 5 + (7 if current != 7 else 9)  # end of shot 2 at 12 s or 14 s
                shot2 = seconds - 5
                label = f"Generate · {format_usd(rate * Decimal(seconds))}"
                page.evaluate(_WATCH_RELEASE, [label, f"Shot 2 · {shot2} s", "pointerup"])
                y = grab()
                page.mouse.move(x_at(seconds), y)
                page.wait_for_function(
                    "d => document.querySelector('.sbtl').dataset.durations === d", arg=f"5,{shot2}"
                )
                page.mouse.up()
                released.append(page.evaluate("window.__released"))
                settle(page)
                current = shot2

            # 3. for comparison, on the same machine and load: one arrow key on shot 2's slider
            slider = page.locator('input[type="range"][aria-label="Length of shot 2"]')
            slider.focus()
            by_slider: list[dict[str, float]] = []
            for _ in range(RELEASES):
                shot2 = current + (1 if current < 8 else -1)
                label = f"Generate · {format_usd(rate * Decimal(5 + shot2))}"
                page.evaluate(_WATCH_RELEASE, [label, f"Shot 2 · {shot2} s", "keydown"])
                page.keyboard.press("ArrowRight" if shot2 > current else "ArrowLeft")
                by_slider.append(page.evaluate("window.__released"))
                settle(page)
                current = shot2
            browser.close()
    finally:
        server.stop()

    print(_summary("drag: pointermove -> price text changed", to_text, "-"))
    print(_summary("drag: pointermove -> next frame starts", to_frame, "<= 20 ms"))
    print(_summary("release -> script run started", [r.get("running", r["done"]) for r in released], "-"))
    print(
        _summary(
            "release -> Generate shows the new price", [r.get("label", r["done"]) for r in released], "-"
        )
    )
    print(
        _summary(
            "release -> committed, every figure redrawn", [r["done"] for r in released], "<= 150 ms median"
        )
    )
    print(
        _summary(
            "(today's slider: arrow key -> every figure)",
            [r["done"] for r in by_slider],
            "same page, same load",
        )
    )


if __name__ == "__main__":
    main()
