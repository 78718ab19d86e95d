"""The editor's timeline in real Chromium: drag a boundary, the bar and the price follow before the
mouse is released; release, and the storyboard is committed; arrow keys on a focused boundary.

The first test runs the component's own JavaScript (components/timeline.js, the file the page
loads) in Chromium against storyboard/pricing.py and storyboard/editing.py over many generated
storyboards: the price shown while dragging is the one `quote` gives, and a boundary stops where
the Python rule stops it.
"""

from __future__ import annotations

import json
import re
import sqlite3
import subprocess
from decimal import Decimal
from pathlib import Path

import hypothesis.strategies as hs
import pytest
from hypothesis import HealthCheck, given, settings
from playwright.sync_api import Page, expect

from components.timeline import timeline_data
from storyboard import editing
from storyboard.catalog import OFFERS, Offer
from storyboard.layout import DataDir
from storyboard.models import Options, Shot, Storyboard, format_usd
from storyboard.pricing import quote
from tests.e2e.conftest import ROOT, Server, screenshot
from tests.e2e.steps import add_shot, open_editor, settle, shot_card

pytestmark = pytest.mark.e2e

JS = (ROOT / "components" / "timeline.js").read_text(encoding="utf-8")
LIM = editing.LIMITS


# --- the component's JavaScript against the Python rules -------------------------------------


@hs.composite
def storyboards(draw: hs.DrawFn) -> tuple[Storyboard, Offer]:
    (provider, model), offer = draw(hs.sampled_from(sorted(OFFERS.items(), key=lambda kv: str(kv[0]))))
    n = draw(hs.integers(LIM.min_shots, LIM.max_shots))
    durations = draw(
        hs.lists(hs.integers(LIM.min_shot_seconds, LIM.max_total_seconds), min_size=n, max_size=n).filter(
            editing.durations_allowed
        )
    )
    options = Options(resolution=draw(hs.sampled_from(["720p", "1080p"])), sound=draw(hs.booleans()))
    sb = Storyboard(
        shots=[Shot(prompt="p", duration=d) for d in durations],
        model=model,
        provider=provider,
        options=options,
    )
    return sb, offer


def test_the_timelines_price_and_boundary_rule_are_pythons_for_many_storyboards(page: Page) -> None:
    page.goto("about:blank")
    page.evaluate(
        "async src => { window.tl = await import(URL.createObjectURL(new Blob([src], {type: 'text/javascript'}))) }",
        JS,
    )

    @settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(case=storyboards(), count=hs.integers(1, 4), boundary=hs.integers(0, 5), at=hs.integers(-2, 18))
    def agrees(case: tuple[Storyboard, Offer], count: int, boundary: int, at: int) -> None:
        sb, offer = case
        data = timeline_data(sb, offer, count)  # exactly what the page is handed
        boundary = boundary % len(sb.shots)
        js = page.evaluate(
            """([d, b, at]) => ({
                total: tl.quoteTotal(d.durations, d.rates),
                shown: tl.formatUsd(tl.quoteTotal(d.durations, d.rates), d.count),
                moved: tl.moveBoundary(d.durations, b, at, d.limits),
            })""",
            [data, boundary, at],
        )
        price = quote(sb, offer)
        assert Decimal(js["total"]) == price.total
        assert js["shown"] == format_usd(price.total * count)
        assert js["moved"] == [s.duration for s in editing.move_boundary(sb, boundary, at).shots]

    agrees()


# --- dragging and keys on the real page ------------------------------------------------------


def _draft_durations(data_dir: Path) -> list[int]:
    with sqlite3.connect(DataDir(data_dir).db) as db:
        (body,) = db.execute("SELECT body FROM drafts ORDER BY updated_at DESC LIMIT 1").fetchone()
    return [s.duration for s in Storyboard.model_validate_json(body).shots]


def _grab(page: Page, name: str) -> tuple[float, float]:
    handle = page.get_by_role("slider", name=name, exact=True)
    handle.scroll_into_view_if_needed()  # the mouse works in the window
    box = handle.bounding_box()
    assert box is not None
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    return x, y


def _x_at(page: Page, seconds: int) -> float:
    track = page.get_by_test_id("timeline").bounding_box()
    assert track is not None
    return track["x"] + track["width"] * seconds / LIM.max_total_seconds


def test_dragging_a_boundary_moves_time_and_the_price_follows_before_release(
    page: Page, server: Server, tmp_path: Path
) -> None:
    open_editor(page, server.url)
    add_shot(page, 2)  # 5 s + 5 s
    page.locator(".st-key-w-provider").get_by_text(re.compile(r"^EvoLink")).click()
    settle(page)
    price = page.get_by_test_id("timeline-price")
    generate = page.get_by_role("button", name=re.compile(r"^Generate"))
    expect(generate).to_have_text("Generate · $1.32")  # 10 s at EvoLink's $0.132/s (1080p)
    expect(price).to_have_text("Price: $1.32")
    bar = page.get_by_test_id("timeline")
    # the cap and the stricter providers' per-shot minimum are on the timeline, in words too
    expect(page.get_by_text("15 s cap", exact=True)).to_be_visible()
    expect(
        page.get_by_text(re.compile(r"3 s: the shortest shot WaveSpeedAI and fal\.ai take"))
    ).to_be_visible()
    expect(bar.locator(".sbtl-min:visible")).to_have_count(2)  # one mark inside each 5 s shot

    # the boundary between the shots: shot 1 takes 2 s from shot 2, the total and price stay
    _, y = _grab(page, "Boundary between shot 1 and shot 2")
    page.mouse.move(_x_at(page, 7), y, steps=4)
    expect(bar).to_contain_text(re.compile(r"1 · 7 s\s*2 · 3 s"))
    expect(price).to_have_text("Price: $1.32")
    page.mouse.up()
    expect(shot_card(page, 1)).to_contain_text("Shot 1 · 7 s")  # drawn by the server: committed
    expect(shot_card(page, 2)).to_contain_text("Shot 2 · 3 s")
    settle(page)
    # the export panel open (its opening redraws the page): its downloads are drawn at 7 s + 3 s
    page.get_by_text("Export or import", exact=True).click()
    export_json = page.locator(".st-key-w-export-json button >> visible=true").first
    expect(export_json).to_be_visible()
    settle(page)

    # the end of the last shot into the free seconds: the price follows while the mouse is down
    _, y = _grab(page, "End of shot 2 (the free seconds after it)")
    page.mouse.move(_x_at(page, 14), y, steps=4)
    expect(bar).to_contain_text(re.compile(r"1 · 7 s\s*2 · 7 s"))
    expect(price).to_have_text("Price: $1.85")  # 14 s × $0.132 = $1.848, to the cent
    expect(generate).to_have_text("Generate · $1.32")  # nothing committed yet
    screenshot(page, "timeline_mid_drag")
    page.mouse.up()
    expect(generate).to_have_text("Generate · $1.85")
    expect(shot_card(page, 2)).to_contain_text("Shot 2 · 7 s")
    expect(page.get_by_text("14 of 15 s", exact=True)).to_be_visible()
    settle(page)
    assert _draft_durations(server.data_dir) == [7, 7]
    screenshot(page, "timeline_after_drag")
    # A release redraws only what follows the lengths (components/lengths.py); every figure and
    # file on the page has the new lengths: the provider prices, the cost panel and the comparison,
    # and the brief and the JSON export (drawn before this drag, not redrawn: made when clicked).
    expect(page.locator(".st-key-w-provider").get_by_text("EvoLink · $1.85")).to_be_visible()
    expect(page.get_by_role("row", name=re.compile(r"^EvoLink \$1\.85"))).to_be_visible()
    expect(page.get_by_role("row", name=re.compile(r"^Total .*\$1\.85"))).to_be_visible()
    with page.expect_download() as info:
        page.get_by_role("button", name="Brief (PDF)").click()
    brief = subprocess.run(
        ["pdftotext", "-layout", info.value.path(), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "2 shots · 14 s · $1.85" in brief
    with page.expect_download() as info:
        export_json.click()
    exported = json.loads(Path(info.value.path()).read_text(encoding="utf-8"))
    assert [shot["duration"] for shot in exported["storyboard"]["shots"]] == [7, 7]


def test_arrow_keys_on_a_focused_boundary_move_it_a_second_at_a_time(page: Page, server: Server) -> None:
    open_editor(page, server.url)
    add_shot(page, 2)
    boundary = page.get_by_role("slider", name="Boundary between shot 1 and shot 2", exact=True)
    expect(boundary).to_have_attribute("aria-valuetext", "Shot 1 5 s, shot 2 5 s")
    boundary.focus()
    page.keyboard.press("ArrowLeft")
    expect(shot_card(page, 1)).to_contain_text("Shot 1 · 4 s")
    settle(page)
    page.keyboard.press("ArrowLeft")  # focus stays on the boundary across the rerun
    expect(shot_card(page, 1)).to_contain_text("Shot 1 · 3 s")
    expect(shot_card(page, 2)).to_contain_text("Shot 2 · 7 s")
    expect(boundary).to_be_focused()
    expect(boundary).to_have_attribute("aria-valuetext", "Shot 1 3 s, shot 2 7 s")
    settle(page)
    assert _draft_durations(server.data_dir) == [3, 7]
    # a key pressed again while the last press is still being saved: neither is lost
    page.keyboard.press("ArrowRight")
    page.keyboard.down("ArrowRight")
    expect(shot_card(page, 1)).to_contain_text("Shot 1 · 4 s")  # the first press came back saved
    page.keyboard.up("ArrowRight")
    expect(shot_card(page, 1)).to_contain_text("Shot 1 · 5 s")
    expect(boundary).to_have_attribute("aria-valuetext", "Shot 1 5 s, shot 2 5 s")
    settle(page)
    assert _draft_durations(server.data_dir) == [5, 5]
