"""Two paid takes of one storyboard, a shot's length changed between them, compared in real Chromium:
the change is named, each take's own (different, non-zero) cost is shown, both videos load, and the
provider (a loopback WaveSpeed fake) was sent exactly two jobs."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from storyboard.catalog import PROVIDERS, offer
from storyboard.diff import changes
from storyboard.models import Job, ProviderId, format_usd
from storyboard.pricing import quote
from tests.e2e.conftest import screenshot
from tests.e2e.hosted_app import HostedApp, go_to, mp4, paid_generate
from tests.e2e.steps import (
    VIDEO_TIMEOUT_MS,
    compare_all,
    length_slider,
    open_editor,
    press_to_length,
    settle,
    write_shot,
)
from tests.e2e.test_e2e_takes_sync import BOTH_READY

pytestmark = pytest.mark.e2e

PROMPT = "A paper boat drifts down a rain-filled gutter, close-up"
EARLIER = "Made from an earlier version of this storyboard."


def price(job: Job) -> str:
    """What the take costs, from the pricing of the storyboard it was made from."""
    return format_usd(quote(job.storyboard, offer(job.provider, job.model)).total)


def generate(page: Page, hosted: HostedApp, seconds: int) -> None:
    """Generate; the provider hands back a video as long as the storyboard, so each take's is its own."""
    hosted.fake.video_bytes = mp4(hosted.server.data_dir.parent / f"result-{seconds}s.mp4", seconds)
    paid_generate(page).click()
    expect(page.get_by_text(EARLIER)).to_have_count(0)  # the new take is the latest one
    expect(page.locator(".st-key-latest-card video")).to_have_count(1, timeout=VIDEO_TIMEOUT_MS)
    expect(paid_generate(page)).to_be_enabled()
    settle(page)


def test_two_paid_takes_of_different_lengths_compared_with_what_changed_and_both_costs(
    page: Page, hosted: HostedApp
) -> None:
    """The Chromium side of test_app_takes_compare.py, on a paid provider: real, different costs."""
    hosted.jobs_end_at_once()  # the takes compared are the point, not how their jobs ran
    open_editor(page, hosted.server.url)
    write_shot(page, 1, PROMPT, 5)
    generate(page, hosted, 5)
    length_slider(page, 1).focus()
    press_to_length(page, 1, 4)  # the slider, one arrow key: 5 s → 4 s
    expect(page.get_by_text(EARLIER)).to_be_visible()
    generate(page, hosted, 4)
    sent = [str(call.json["duration"]) for call in hosted.fake.calls("submit")]
    assert sent == ["5", "4"]  # two jobs sent, each as long as its storyboard

    older, newer = sorted(hosted.store().list_jobs(), key=lambda j: j.created_at)
    assert (older.provider, older.storyboard.total_seconds, newer.storyboard.total_seconds) == (
        ProviderId.WAVESPEED,
        5,
        4,
    )
    costs = price(older), price(newer)
    assert costs[0] != costs[1] and "$0.00" not in costs, costs
    said = changes(older.storyboard, newer.storyboard)
    assert said == ["Shot 1 duration 5 s → 4 s"]

    go_to(page, "Takes")
    expect(page.get_by_text("2 takes · 2 versions", exact=False)).to_be_visible()
    settle(page)
    compare = compare_all(page, 2)
    expect(compare.get_by_text("Comparing 2 takes", exact=False)).to_be_visible()
    expect(compare.get_by_role("listitem")).to_have_text(said)
    label = PROVIDERS[ProviderId.WAVESPEED].label
    for cost, seconds in zip(costs, (5, 4), strict=True):
        expect(compare.get_by_text(f"Cost {cost} · {label} · {seconds} s · ", exact=False)).to_be_visible()
    videos = compare.locator("video")
    expect(videos).to_have_count(2)
    videos.evaluate_all(BOTH_READY)
    durations = videos.evaluate_all("vs => vs.map(v => v.duration)")
    assert [round(d) for d in durations] == [5, 4], durations  # each column plays its own take
    screenshot(page, "takes-compare-paid")
    assert hosted.submits == 2
