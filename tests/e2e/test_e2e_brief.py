"""The brief in real Chromium: clicking "Brief (PNG)" downloads a PNG with one panel per shot."""

from __future__ import annotations

from pathlib import Path

import pytest
from brief_panels import count_panels
from playwright.sync_api import Page, expect

from tests.e2e.conftest import Server
from tests.e2e.steps import SHOTS, build_three_shots, open_editor, settle

pytestmark = pytest.mark.e2e


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

    name, png = download(page, "Brief (PNG)", tmp_path)
    assert name.endswith("-brief.png")
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    assert count_panels(png) == len(SHOTS)

    name, pdf = download(page, "Brief (PDF)", tmp_path)
    assert name.endswith("-brief.pdf")
    assert pdf.startswith(b"%PDF-")
