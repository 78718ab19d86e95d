"""Issue 10 items 3 and 10: a hostile storyboard file gets a sentence, never a traceback or a flood.

JSON nested 1,000+ deep raised RecursionError and a 4,300+ digit integer ValueError, both as tracebacks
on the page; 100,000 unknown fields gave 100,003 sentences after a minute. The file is now parsed with
limits (catalog.py) before it is checked, and a refusal lists a handful of problems, then how many
more. An unknown field inside a shot's prompt helper (`parts`) is reported like any other.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from app_steps import build, open_exports, storyboard
from export_samples import valid
from streamlit.testing.v1 import AppTest

from components.runtime import runtime
from storyboard import exports
from storyboard.catalog import MAX_IMPORT_PROBLEMS_SHOWN
from storyboard.exports import ImportRefused, parse_storyboard

NOT_OURS = "so it is damaged or not a Storyboard Studio storyboard."


def _document() -> dict[str, Any]:
    return json.loads(exports.export_storyboard(valid(), Path("/nonexistent")))


def _with(change: Callable[[dict[str, Any]], None]) -> str:
    document = _document()
    change(document)
    return json.dumps(document)


def _deep(document: dict[str, Any]) -> str:
    text = json.dumps(document)
    return text[:-1] + ', "extra": ' + "[" * 1500 + "]" * 1500 + "}"


def _unknown_fields(document: dict[str, Any]) -> None:
    document["storyboard"].update({f"field{i}": i for i in range(100_000)})


HOSTILE: dict[str, tuple[str, list[str]]] = {
    "nested 1,500 deep": (
        _deep(_document()),
        [f"This file nests 1,501 levels deep, {NOT_OURS}"],
    ),
    "an integer of 5,000 digits": (
        _with(lambda d: None).replace('"duration": 5', '"duration": ' + "9" * 5000, 1),
        [f"This file has a number 5,000 characters long, {NOT_OURS}"],
    ),
    "NaN": (
        _with(lambda d: None).replace('"cfg_scale": 0.5', '"cfg_scale": NaN', 1),
        [f"This file has NaN, which JSON does not allow, {NOT_OURS}"],
    ),
    "100,000 unknown fields": (
        _with(_unknown_fields),
        [
            *(
                f"The storyboard has a field 'field{i}' that Storyboard Studio does not know."
                for i in range(MAX_IMPORT_PROBLEMS_SHOWN)
            ),
            f"…and {100_000 - MAX_IMPORT_PROBLEMS_SHOWN:,} more problems like these.",
        ],
    ),
    "an unknown field in a shot's prompt helper": (
        _with(lambda d: d["storyboard"]["shots"][1].update(parts={"subject": "a shop", "mood": "calm"})),
        ["Shot 2's prompt helper has a field 'mood' that Storyboard Studio does not know."],
    ),
}


@pytest.mark.parametrize("case", list(HOSTILE))
def test_a_hostile_file_is_refused_with_a_few_sentences(case: str) -> None:
    content, sentences = HOSTILE[case]
    with pytest.raises(ImportRefused) as refused:
        parse_storyboard(content)
    assert refused.value.problems == sentences


def test_nesting_is_counted_outside_strings_only() -> None:
    """A deep file is refused before parsing; brackets typed in a prompt are text, not nesting."""
    with pytest.raises(ImportRefused):
        parse_storyboard(HOSTILE["nested 1,500 deep"][0])
    content = _with(lambda d: d["storyboard"]["shots"][0].update(prompt='"[[[' * 500 + "\\"))
    assert parse_storyboard(content).storyboard.shots[0].prompt == '"[[[' * 500 + "\\"


# ---- in the app -----------------------------------------------------------------------------------


def _snapshot(app: AppTest, data_dir: Path) -> tuple[dict, list, set[Path]]:
    drafts = runtime().store.recent_drafts()
    files = {p for p in data_dir.rglob("*") if p.is_file() and p.suffix != ".db" and "-wal" not in p.name}
    return storyboard(app).model_dump(), [tuple(d) for d in drafts], files


@pytest.mark.parametrize(
    "case", ["nested 1,500 deep", "an integer of 5,000 digits", "100,000 unknown fields"]
)
def test_the_import_shows_the_sentence_and_writes_nothing(app: AppTest, data_dir: Path, case: str) -> None:
    content, sentences = HOSTILE[case]
    build(app, [4, 6])
    before = _snapshot(app, data_dir)
    open_exports(app)
    app.text_area(key="w:import-text").input(content).run()
    app.button(key="w:import").click().run()
    assert not app.exception, app.exception
    shown = "\n".join(f"- {s}" for s in sentences) if len(sentences) > 1 else sentences[0]
    assert [e.value for e in app.error] == [shown]
    assert _snapshot(app, data_dir) == before
