"""The brief in real Chromium: clicking "Brief (PNG)" downloads a PNG with one panel per shot."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from brief_panels import colour_at, count_panels, near, page_of, panel_boxes
from playwright.sync_api import Page, expect

from storyboard.animatic import SHOT_COLOURS
from storyboard.brief import panel_layout
from storyboard.catalog import PROVIDERS
from tests.e2e.conftest import Server, screenshot
from tests.e2e.steps import (
    SHOTS,
    build_three_shots,
    one_take_on_the_takes_page,
    open_more,
    prompt_box,
    settle,
)

pytestmark = pytest.mark.e2e
PAID = [(info.label, pid) for pid, info in PROVIDERS.items() if pid != "preview"]


def open_editor(page: Page, url: str) -> None:
    """As steps.open_editor, with room for a cold start on a busy machine (the first run imports the app)."""
    page.goto(url)
    expect(prompt_box(page, 1)).to_be_visible(timeout=60_000)
    settle(page)


def download(page: Page, label: str, folder: Path) -> tuple[str, bytes]:
    button = page.get_by_role("button", name=label)
    expect(button).to_be_enabled()
    with page.expect_download() as info:
        button.click()
    target = folder / info.value.suggested_filename
    info.value.save_as(target)
    return info.value.suggested_filename, target.read_bytes()


def test_brief_png_and_pdf_download_from_the_editor(page: Page, server: Server, tmp_path: Path) -> None:
    open_editor(page, server.url)
    build_three_shots(page)
    settle(page)
    screenshot(page, "editor-with-brief")

    name, png = download(page, "Brief (PNG)", tmp_path)
    assert name.endswith("-brief.png")
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    assert count_panels(png) == len(SHOTS)

    name, pdf = download(page, "Brief (PDF)", tmp_path)
    assert name.endswith("-brief.pdf")
    assert pdf.startswith(b"%PDF-")
    # real text, not a picture of it: every prompt, and the price on every paid provider (on Preview)
    text = pdf_text(tmp_path / name)
    for prompt, _ in SHOTS:
        assert prompt in text, text
    for provider, _ in PAID:
        assert re.search(rf"{re.escape(provider)}: \$\d+\.\d\d", text), (provider, text)
    assert "(cheapest)" in text


def pdf_text(path: Path) -> str:
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext is not installed (apt-get install poppler-utils; .ci/run does)")
    subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), str(path.with_suffix(".txt"))], check=True)
    return " ".join(path.with_suffix(".txt").read_text(encoding="utf-8").split())


def test_a_takes_brief_shows_its_video_at_each_shot(page: Page, server: Server, tmp_path: Path) -> None:
    take = one_take_on_the_takes_page(page, server.url)
    screenshot(page, "takes-with-brief")
    open_more(page, take)  # the brief is in the take's "More" menu
    expect(page.get_by_role("button", name="Brief (PNG)")).to_be_visible()
    screenshot(page, "takes-more-menu")

    _, png = download(page, "Brief (PNG)", tmp_path)
    image = page_of(png)
    layout = {p.box: p.picture for p in panel_layout(len(SHOTS), 16 / 9)}
    boxes = panel_boxes(image)
    assert len(boxes) == len(SHOTS)
    for box, colour in zip(boxes, SHOT_COLOURS, strict=False):  # each shot's card, from the video
        seen = colour_at(image, layout[box][0] + 8, layout[box][1] + 8)
        assert near(seen, colour), (seen, colour)
