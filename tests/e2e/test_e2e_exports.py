"""Export or import in real Chromium: the downloads are the files the core builds, and a downloaded
storyboard dropped back in opens as a new storyboard. (AppTest cannot click a download.)
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
from playwright.sync_api import Locator, Page, expect

from storyboard import exports
from storyboard.models import ProviderId
from storyboard.store import Store
from tests.e2e.conftest import Server
from tests.e2e.steps import open_editor, settle, write_shot

pytestmark = pytest.mark.e2e


def _draft_id(page: Page) -> str:
    return parse_qs(urlparse(page.url).query)["draft"][0]


def _button(page: Page, key: str) -> Locator:
    # A button with help text is drawn twice (one hidden, for its tooltip's layout): take the visible one.
    return page.locator(f".st-key-{key} button >> visible=true").first


def _download(page: Page, key: str, folder: Path) -> Path:
    with page.expect_download() as info:
        _button(page, key).click()
    download = info.value
    path = folder / download.suggested_filename
    download.save_as(path)
    return path


def test_a_refused_import_closes_then_the_request_follows_the_provider_downloads_and_imports_back(
    server: Server, page: Page, tmp_path: Path
) -> None:
    open_editor(page, server.url)

    # A refusal opens the panel once, to be read there; closing it then keeps it closed.
    page.get_by_text("Export or import", exact=True).click()
    page.get_by_label("…or paste its JSON").fill('{"schema": "something else"}')
    page.get_by_role("button", name="Import pasted JSON").click()
    refusal = page.get_by_role("alert").filter(has_text="storyboard")
    expect(refusal).to_be_visible()
    settle(page)
    page.get_by_text("Export or import", exact=True).click()  # read it, close it
    expect(refusal).to_be_hidden()
    settle(page)
    write_shot(page, 1, "A lighthouse at dawn, waves below", 5)  # the page reruns
    expect(refusal).to_be_hidden()

    # The panel stays open while the provider changes, and its request follows the provider.
    page.get_by_text("Export or import", exact=True).click()
    expect(page.get_by_text(exports.PREVIEW_HAS_NO_REQUEST)).to_be_visible()
    for provider in ("EvoLink", "fal.ai"):
        page.locator(".st-key-w-provider").get_by_text(re.compile(rf"^{re.escape(provider)}")).click()
        expect(_button(page, "w-export-curl")).to_contain_text(f"{provider} · cURL")  # no second click
        settle(page)
        expect(_button(page, "w-export-python")).to_be_visible()
    page.locator(".st-key-w-provider").get_by_text(re.compile(r"^Preview")).click()
    expect(page.get_by_text(exports.PREVIEW_HAS_NO_REQUEST)).to_be_visible()
    page.locator(".st-key-w-provider").get_by_text(re.compile(r"^fal\.ai")).click()
    expect(_button(page, "w-export-curl")).to_contain_text("fal.ai · cURL")
    settle(page)

    # The downloads are the files the core builds; the storyboard dropped back in is a new one.
    original = _draft_id(page)
    store = Store(server.data_dir / "studio.db")
    draft = store.load_draft(original)
    assert draft is not None and draft.provider == ProviderId.FAL

    saved = _download(page, "w-export-json", tmp_path)
    assert saved.name == "untitled-storyboard.storyboard.json"
    assert saved.read_text(encoding="utf-8") == exports.export_storyboard(draft, server.data_dir)
    curl = _download(page, "w-export-curl", tmp_path)
    assert curl.name == "untitled-storyboard-fal.sh"
    assert curl.read_text(encoding="utf-8") == exports.curl_script(draft, ProviderId.FAL)
    python = _download(page, "w-export-python", tmp_path)
    assert python.read_text(encoding="utf-8") == exports.python_script(draft, ProviderId.FAL)
    bundle = _download(page, "w-export-zip", tmp_path)
    assert bundle.read_bytes()[:2] == b"PK"

    uploader = page.locator('[data-testid="stFileUploader"]').filter(has_text="Import a storyboard")
    # The uploader states the limit the import holds to, not Streamlit's default 200 MB.
    expect(uploader).to_contain_text(f"{exports.MAX_IMPORT_MB}MB per file")
    expect(uploader).not_to_contain_text("200MB")
    uploader.locator('input[type="file"]').set_input_files(saved)
    expect(
        page.get_by_text("Imported “Untitled storyboard” as a new storyboard.", exact=True)
    ).to_be_visible()
    settle(page)
    imported = _draft_id(page)
    assert imported != original
    copy = store.load_draft(imported)
    assert copy is not None
    assert copy.model_dump(exclude={"id"}) == draft.model_dump(exclude={"id"})
    assert store.load_draft(original) == draft  # the draft it came from is untouched
    document = json.loads(saved.read_text(encoding="utf-8"))
    assert document["storyboard"]["shots"][0]["prompt"] == "A lighthouse at dawn, waves below"
