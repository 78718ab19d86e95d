"""The editor's Export or import panel, driven through the real app (AppTest).

A refused file leaves the editor, the saved drafts and the data folder exactly as they were, and
says what is wrong; a good one opens as a new storyboard beside the one it was exported from.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from app_steps import build, open_exports, storyboard
from export_samples import BAD_FILES
from streamlit.testing.v1 import AppTest

from components.runtime import runtime
from storyboard import exports
from storyboard.models import ProviderId


def _snapshot(app: AppTest, data_dir: Path) -> tuple[dict, list, set[Path]]:
    drafts = runtime().store.recent_drafts()
    files = {p for p in data_dir.rglob("*") if p.is_file() and p.suffix != ".db" and "-wal" not in p.name}
    return storyboard(app).model_dump(), [tuple(d) for d in drafts], files


def _errors(app: AppTest) -> list[str]:
    return [e.value for e in app.error]


def _shown(sentences: list[str]) -> str:
    lines = [s.replace("$", "\\$") for s in sentences]
    return "\n".join(f"- {line}" for line in lines) if len(lines) > 1 else lines[0]


@pytest.fixture
def edited(app: AppTest) -> AppTest:
    build(app, [4, 6])
    return app


@pytest.mark.parametrize("case", [c for c, (content, _) in BAD_FILES.items() if isinstance(content, str)])
def test_a_pasted_bad_file_is_refused_in_plain_words_and_changes_nothing(
    edited: AppTest, data_dir: Path, case: str
) -> None:
    content, sentences = BAD_FILES[case]
    before = _snapshot(edited, data_dir)
    open_exports(edited)
    edited.text_area(key="w:import-text").input(str(content)).run()
    edited.button(key="w:import").click().run()
    assert not edited.exception, edited.exception
    assert _errors(edited) == [_shown(sentences)]
    assert _snapshot(edited, data_dir) == before
    assert edited.query_params["draft"] == before[0]["id"]


def test_an_uploaded_file_that_is_not_a_storyboard_is_refused_and_changes_nothing(
    edited: AppTest, data_dir: Path
) -> None:
    content, sentences = BAD_FILES["not text"]
    before = _snapshot(edited, data_dir)
    open_exports(edited)
    uploader = next(u for u in edited.get("file_uploader") if "storyboard" in u.label)
    uploader.upload("holiday.json", content, "application/json").run()  # type: ignore[attr-defined]
    assert not edited.exception, edited.exception
    assert _errors(edited) == [_shown(sentences)]
    assert _snapshot(edited, data_dir) == before


def test_an_uploaded_export_opens_as_a_new_storyboard_and_the_original_is_kept(
    edited: AppTest, data_dir: Path
) -> None:
    original = storyboard(edited)
    text = exports.export_storyboard(original, data_dir)
    edited.text_input(key="w:name").input("Changed after the export").run()  # the draft moves on

    open_exports(edited)
    uploader = next(u for u in edited.get("file_uploader") if "storyboard" in u.label)
    uploader.upload("summer.storyboard.json", text.encode(), "application/json").run()  # type: ignore[attr-defined]
    assert not edited.exception, edited.exception

    opened = storyboard(edited)
    assert opened.id != original.id
    assert opened.model_dump(exclude={"id"}) == original.model_dump(exclude={"id"})
    assert edited.query_params["draft"] == opened.id
    assert [s.value for s in edited.success] == [f"Imported “{original.name}” as a new storyboard."]
    assert edited.text_input(key="w:name").value == original.name
    kept = runtime().store.load_draft(original.id)
    assert kept is not None and kept.name == "Changed after the export"
    assert runtime().store.load_draft(opened.id) == opened


def test_a_pasted_export_imports_too(edited: AppTest, data_dir: Path) -> None:
    original = storyboard(edited)
    open_exports(edited)
    edited.text_area(key="w:import-text").input(exports.export_storyboard(original, data_dir)).run()
    edited.button(key="w:import").click().run()
    assert not edited.exception and not edited.error
    assert storyboard(edited).id != original.id
    assert edited.text_area(key="w:import-text").value == ""  # a fresh editor, not the pasted text
    # (the panel stays open after an import: what it did is said in it)


def _export_labels(at: AppTest) -> list[str]:
    """The export panel's downloads (the editor's other downloads, the brief, are not exports)."""
    return [b.label for b in at.get("download_button") if not b.label.startswith("Brief (")]  # type: ignore[attr-defined]


def test_preview_says_it_has_no_request_and_a_hosted_provider_offers_curl_and_python(edited: AppTest) -> None:
    assert storyboard(edited).provider == ProviderId.PREVIEW
    assert _export_labels(edited) == []  # the panel draws what is in it only while it is open
    open_exports(edited)
    labels = _export_labels(edited)
    assert labels == ["Storyboard (JSON)", "Every provider's request (.zip)"]
    assert any(c.value == exports.PREVIEW_HAS_NO_REQUEST for c in edited.caption)

    edited.radio(key="w:provider").set_value(ProviderId.FAL).run()
    labels = _export_labels(edited)
    assert labels == [
        "Storyboard (JSON)",
        "fal.ai · cURL",
        "fal.ai · Python",
        "Every provider's request (.zip)",
    ]
    assert not any(c.value == exports.PREVIEW_HAS_NO_REQUEST for c in edited.caption)
