"""Formats in real Chromium on a loopback WaveSpeed fake (issue 11, items 1 and 2).

The fake's result follows the request's shape as Kling's does (`videos_by_shape`: image-to-video
takes the shape of the image it was sent, text-to-video its `aspect_ratio`), so a vertical video
in the page means a vertical request reached the provider, not that the app labelled it so.
"""

from __future__ import annotations

import io
from decimal import Decimal
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import Page, expect
from samples import write_mp4

from storyboard.catalog import offer
from storyboard.models import format_usd
from storyboard.pricing import quote
from tests.e2e.conftest import screenshot
from tests.e2e.hosted_app import HostedApp, go_to
from tests.e2e.steps import (
    VIDEO_TIMEOUT_MS,
    compare_all,
    open_editor,
    photo,
    settle,
    upload,
    write_prompt,
)

pytestmark = pytest.mark.e2e

PROMPT = "A paper boat drifts down a rain-filled gutter, close-up"
SIZES = {"16:9": (64, 36), "9:16": (36, 64), "1:1": (64, 64)}


def _videos_by_shape(hosted: HostedApp, tmp_path: Path) -> None:
    hosted.fake.videos_by_shape = {
        shape: write_mp4(tmp_path / f"{shape.replace(':', 'x')}.mp4", frames=24, size=size).read_bytes()
        for shape, size in SIZES.items()
    }


def _tick(page: Page, label: str, on: bool) -> None:
    box = page.get_by_role("checkbox", name=label)
    box.check(force=True) if on else box.uncheck(force=True)
    settle(page)
    expect(box).to_be_checked(checked=on)


def _price(hosted: HostedApp) -> str:
    sb = hosted.store().latest_draft()
    assert sb is not None
    return format_usd(quote(sb, offer(sb.provider, sb.model)).total)


def test_a_landscape_photo_in_three_formats_makes_three_takes_each_sent_and_played_in_its_shape(
    page: Page, hosted: HostedApp, tmp_path: Path
) -> None:
    """Issue 11 items 1 and 2 at once: with a 16:9 photo, 9:16 and 1:1 ticked beside 16:9 make three
    takes from one Generate at the price of three; the vertical one's first frame is cropped to 9:16
    before it is sent, and each take comes back (and plays) in its own shape."""
    _videos_by_shape(hosted, tmp_path)
    hosted.jobs_end_at_once()  # the takes' shapes are the point, not how their jobs run
    open_editor(page, hosted.server.url)
    write_prompt(page, 1, PROMPT)
    upload(page, photo(tmp_path, (1600, 900)))
    expect(page.get_by_text("1600×900 px", exact=False).first).to_be_visible()
    settle(page)
    one = _price(hosted)
    _tick(page, "9:16 Vertical", True)
    fit = page.locator(".st-key-fit-9-16")
    expect(fit).to_contain_text("cropped to 9:16")
    expect(fit.get_by_text("Sent for Vertical: 506×900 px")).to_be_visible()
    _tick(page, "1:1 Square", True)
    three = format_usd(Decimal(one.removeprefix("$")) * 3)
    assert three != one
    shapes = "Landscape · 1920×1080 + Vertical · 1080×1920 + Square · 1080×1080"
    expect(page.get_by_text(shapes, exact=True)).to_be_visible()  # beside Generate
    expect(page.get_by_text(f"Output: {shapes}", exact=True)).to_be_visible()  # cost panel
    button = page.get_by_role("button", name=f"Generate 3 takes · {three}")
    screenshot(page, "formats-three-ticked-with-landscape-photo")
    button.click()
    expect(page.locator("video")).to_have_count(3, timeout=VIDEO_TIMEOUT_MS)
    settle(page)
    screenshot(page, "formats-three-takes")

    assert hosted.submits == 3
    sent = []
    for data, _ in hosted.fake.uploads.values():
        with Image.open(io.BytesIO(data)) as im:
            sent.append((im.width, im.height))
    assert (506, 900) in sent  # the vertical take's first frame reached the provider as 9:16
    jobs = hosted.store().list_jobs()
    assert [format_usd(job.quote.total) for job in jobs] == [one] * 3  # each take at one take's price
    for job in jobs:  # the uploaded photo is kept as it was
        assert job.storyboard.first_frame is not None and job.storyboard.first_frame.width == 1600

    go_to(page, "Takes")
    compared = compare_all(page, 3)
    expect(compared.locator("video")).to_have_count(3)
    played = compared.locator("video").evaluate_all(
        "vs => Promise.all(vs.map(v => new Promise(r => { const f = () => r([v.videoWidth, v.videoHeight]);"
        " if (v.readyState >= 1) f(); else { v.addEventListener('loadedmetadata', f); v.load(); } })))"
    )
    assert sorted(tuple(s) for s in played) == sorted(SIZES.values())  # one vertical, one square
    screenshot(page, "formats-three-takes-compared")
