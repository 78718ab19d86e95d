"""User text is shown as text (issue 10, item 2), in real Chromium.

A storyboard name, a shot prompt and a first frame's file name are made of every construct Streamlit's
Markdown would act on: KaTeX that blacks out the page, an image and an HTML <img> that make the
browser fetch another host, links, bare addresses, bold, code, a heading, a list item. After a
take is made, on the editor (its Open… menu too) and the Takes page: no request leaves for any host
but the app's, no `.katex`, `img` or link element comes from that text, and the text is on the page
as typed. A screenshot of the Takes page is saved for a person to look at."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Locator, Page, Request, expect

from tests.e2e.conftest import Server, screenshot
from tests.e2e.hosted_app import go_to
from tests.e2e.steps import choose_720p, generate_and_wait, open_editor, photo, settle, write_prompt

pytestmark = pytest.mark.e2e

EVIL = "evil.example"
HOSTILE = (
    r"$$\rule{3000px}{3000px}$$ $x^2$ ![t](http://evil.example/p.png) [link](http://evil.example/l) "
    r"<img src=http://evil.example/h.png> **bold** _it_ `code` ~~gone~~ :red[red] "
    r"https://evil.example/bare www.evil.example <b>b</b> &amp;"
)
# A name is at most catalog.MAX_NAME_CHARS (100) long: formula, picture and HTML fit in it.
NAME = r"# $$\rule{3000px}{3000px}$$ ![t](http://evil.example/p.png) <img src=http://evil.example/h.png>"
PROMPT = "- " + HOSTILE
FILE_NAME = "![f](http://evil.example/f.png) $$\\rule{900px}{900px}$$.jpg"


def _shows(where: Locator, text: str) -> None:
    """`text` is on the page as typed (bare addresses carry an invisible word joiner, see components/text.py)."""
    shown = [t.replace("\u2060", "") for t in where.all_inner_texts()]
    assert any(text in t for t in shown), (text, shown)


def _nothing_from_user_text(page: Page) -> None:
    settle(page)
    expect(page.locator(".katex")).to_have_count(0)
    expect(page.locator(f"img[src*='{EVIL}']")).to_have_count(0)
    expect(page.locator(f"a[href*='{EVIL}']")).to_have_count(0)
    expect(page.locator("[data-testid='stMain'] h1").filter(has_text="$$")).to_have_count(0)


def test_names_prompts_and_file_names_are_shown_as_typed_and_fetch_nothing(
    page: Page, server: Server, tmp_path: Path
) -> None:
    elsewhere: list[str] = []

    def note(request: Request) -> None:
        host = urlsplit(request.url).hostname
        if request.url.startswith("http") and host not in ("127.0.0.1", "localhost"):
            elsewhere.append(request.url)

    page.on("request", note)
    open_editor(page, server.url)
    name = page.get_by_role("textbox", name="Storyboard name")
    name.fill(NAME)
    name.press("Enter")
    settle(page)
    write_prompt(page, 1, PROMPT)
    frame = photo(tmp_path)
    uploader = page.get_by_test_id("stFileUploader").filter(has_text="First frame")
    uploader.locator('input[type="file"]').set_input_files(
        {"name": FILE_NAME, "mimeType": "image/jpeg", "buffer": frame.read_bytes()}
    )
    expect(page.get_by_text("1280×720 px", exact=False)).to_be_visible()
    _shows(page.get_by_test_id("stMarkdownContainer").filter(has_text="900px"), FILE_NAME)  # as it was called
    _nothing_from_user_text(page)

    choose_720p(page)  # what is shown is the point, not the render: the quicker one
    generate_and_wait(page)
    page.get_by_role("button", name="Open…").click()
    listed = page.get_by_role("button").filter(has_text="3000px")
    expect(listed).to_be_visible()  # the menu has opened
    _shows(listed, NAME)  # its label, as typed
    _nothing_from_user_text(page)
    page.keyboard.press("Escape")  # close the menu

    go_to(page, "Takes")
    take = page.locator("[class*='st-key-take-']")
    expect(take.get_by_role("button", name="Open in editor")).to_be_visible()
    _shows(page.get_by_role("heading").filter(has_text="3000px"), NAME)  # the storyboard's heading
    _shows(take.get_by_test_id("stMarkdownContainer"), NAME)  # the take's title
    _shows(take.get_by_test_id("stCaptionContainer"), PROMPT[:60])  # its first prompt
    _nothing_from_user_text(page)
    screenshot(page, "hostile-text-takes")
    assert elsewhere == []
