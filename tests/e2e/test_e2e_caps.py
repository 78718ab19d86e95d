"""A daily spending cap in real Chromium: set on Settings below the take's price, Generate in the
editor is refused with one sentence and nothing at all reaches the provider (a loopback WaveSpeed
fake), not even the first frame's upload; with the cap cleared the same Generate goes through once."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from storyboard.catalog import offer
from storyboard.models import format_usd
from storyboard.pricing import quote
from tests.e2e.conftest import screenshot
from tests.e2e.hosted_app import HostedApp, go_to, paid_generate
from tests.e2e.steps import (
    VIDEO_TIMEOUT_MS,
    open_editor,
    photo,
    prompt_box,
    settle,
    upload,
    write_prompt,
)

pytestmark = pytest.mark.e2e

PROMPT = "A paper boat drifts down a rain-filled gutter, close-up"
DAILY_CAP = "Daily cap, US$ (the UTC day)"


def set_daily_cap(page: Page, dollars: str) -> None:
    """On Settings: type the cap (empty for none) and press Enter, then back to the editor."""
    go_to(page, "Settings")
    field = page.get_by_label(DAILY_CAP)
    expect(field).to_be_visible()
    settle(page)
    field.fill(dollars)
    field.press("Enter")
    settle(page)
    go_to(page, "Storyboard")
    expect(prompt_box(page, 1)).to_have_value(PROMPT)  # the same session, the same storyboard
    settle(page)


def test_a_daily_cap_below_the_price_refuses_generate_before_any_request_then_clearing_it_lets_it_through(
    page: Page, hosted: HostedApp, tmp_path: Path
) -> None:
    hosted.jobs_end_at_once()  # the cap is the point, not how the take's job runs
    open_editor(page, hosted.server.url)
    write_prompt(page, 1, PROMPT)
    upload(page, photo(tmp_path))  # the first request of a take would be this image's upload
    expect(page.get_by_text("1280×720 px", exact=False)).to_be_visible()
    settle(page)
    sb = hosted.store().latest_draft()
    assert sb is not None and sb.first_frame is not None
    price = quote(sb, offer(sb.provider, sb.model))
    assert price.verified and price.total > 0
    cap = (price.total / 2).quantize(Decimal("0.01"))
    expect(paid_generate(page)).to_have_accessible_name(f"Generate · {format_usd(price.total)}")

    set_daily_cap(page, f"{cap}")
    expect(page.get_by_text(f"Today (UTC): $0.00 of {format_usd(cap)}", exact=False)).to_be_visible()
    expect(page.get_by_text("this take would pass the cap", exact=True)).to_be_visible()
    paid_generate(page).click()
    refusal = (
        f"This take costs {format_usd(price.total)} and today's spend is $0.00 of your "
        f"{format_usd(cap)} daily cap: raise the cap on Settings or make the take shorter."
    )
    expect(page.get_by_test_id("stAlertContentError")).to_have_text(refusal)
    settle(page)
    expect(paid_generate(page)).to_be_enabled()  # nothing started
    screenshot(page, "cap-refused")
    assert hosted.fake.calls() == []  # no upload, no submit, not even a balance check
    assert hosted.store().list_jobs() == []

    set_daily_cap(page, "")  # cleared: no cap
    expect(page.get_by_text("Today (UTC)", exact=False)).to_have_count(0)
    expect(page.get_by_test_id("stAlertContentError")).to_have_count(0)  # the refusal is answered
    paid_generate(page).click()
    expect(page.locator(".st-key-latest-card video")).to_have_count(1, timeout=VIDEO_TIMEOUT_MS)
    expect(paid_generate(page)).to_be_enabled()
    settle(page)
    screenshot(page, "cap-cleared-generated")
    assert hosted.submits == 1
    assert len(hosted.fake.calls("upload")) == 1
    (job,) = hosted.store().list_jobs()
    assert job.state.value == "done"
