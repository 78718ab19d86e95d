"""The brief in real Chromium: "Brief (PNG)" and "Brief (PDF)" download from the editor (a panel per
shot; the PDF's text has every prompt and every provider's price), and from a take's "More" menu with
the take's own frames; that menu's Rename and Delete close it before they ask."""

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
    choose_720p,
    generate_and_wait,
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


def test_brief_from_the_editor_then_from_the_takes_menu_whose_rename_and_delete_close_it(
    page: Page, server: Server, tmp_path: Path
) -> None:
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

    # the same storyboard generated: the take's brief shows the take's own frames at each shot
    choose_720p(page)
    generate_and_wait(page)
    page.goto(f"{server.url}/takes")
    take = page.locator("[class*='st-key-take-']")
    expect(take.get_by_role("button", name="Open in editor")).to_be_visible()
    settle(page)
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

    # Rename and Delete close the menu, so the question they ask (drawn full width under the card)
    # is not hidden behind it
    page.get_by_role("button", name="Rename").click()
    name = take.get_by_role("textbox", name="Name of this take")
    expect(name).to_be_visible()
    expect(page.get_by_role("button", name="Delete")).to_be_hidden()  # the menu closed
    name.fill("Beach cut")
    name.press("Enter")
    expect(take.get_by_text("Beach cut", exact=False)).to_be_visible()
    expect(name).to_be_hidden()
    settle(page)

    open_more(page, take)  # an item clicked within the rerun opening makes could leave the menu open
    page.get_by_role("button", name="Delete").click()
    yes = take.get_by_role("button", name="Yes, delete")
    expect(yes).to_be_visible()
    expect(page.get_by_role("button", name="Rename")).to_be_hidden()
    settle(page)
    screenshot(page, "takes-delete-asked")
    yes.click()
    expect(page.get_by_text("No takes yet", exact=False)).to_be_visible()


def pdf_text(path: Path) -> str:
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext is not installed (apt-get install poppler-utils; .ci/run does)")
    subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), str(path.with_suffix(".txt"))], check=True)
    return " ".join(path.with_suffix(".txt").read_text(encoding="utf-8").split())
