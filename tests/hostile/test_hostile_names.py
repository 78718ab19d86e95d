"""Issue 10 item 5: names have a length limit at the model, and fitting text costs what is shown.

A 10,000-character storyboard name made the brief take over a minute (the text was cut one character
at a time, each cut measuring the whole rest) and a million characters crashed it. Names and take
titles are limited to catalog.MAX_NAME_CHARS, file names to MAX_FILE_NAME_CHARS, with a sentence where
they are typed or imported; text is fitted by measuring prefixes (about twice what fits), so a long
text costs no more to fit than a short one that is cut to the same line.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from app_steps import storyboard
from export_samples import valid
from PIL import ImageFont
from pydantic import ValidationError
from streamlit.testing.v1 import AppTest

from components.runtime import runtime
from storyboard import animatic, brief, exports, media
from storyboard.catalog import MAX_FILE_NAME_CHARS, MAX_NAME_CHARS, TURBO_IMAGE_RULES
from storyboard.models import Storyboard

MILLION = "x" * 1_000_000


def test_a_name_longer_than_the_limit_is_refused_by_the_model() -> None:
    assert Storyboard(name="n" * MAX_NAME_CHARS).name == "n" * MAX_NAME_CHARS
    with pytest.raises(ValidationError, match=f"at most {MAX_NAME_CHARS} characters"):
        Storyboard(name="n" * (MAX_NAME_CHARS + 1))
    with pytest.raises(ValidationError):
        valid().model_copy(update={"name": MILLION})


def test_an_imported_million_character_name_gets_a_sentence() -> None:
    document = json.loads(exports.export_storyboard(valid(), Path("/nonexistent")))
    document["storyboard"]["name"] = MILLION
    with pytest.raises(exports.ImportRefused) as refused:
        exports.parse_storyboard(json.dumps(document))
    assert refused.value.problems == [
        f"The storyboard's name can be at most {MAX_NAME_CHARS} characters (this one has 1,000,000): shorten it."
    ]


def test_a_long_uploaded_file_name_is_kept_short_with_its_extension(tmp_path: Path) -> None:
    from app_steps import photo

    checked = media.check_image(photo(), "a.jpg", TURBO_IMAGE_RULES)
    frame = media.save_first_frame(checked, tmp_path, "holiday " * 100 + ".jpg")
    assert len(frame.original_name) == MAX_FILE_NAME_CHARS
    assert frame.original_name.startswith("holiday holiday") and frame.original_name.endswith("….jpg")


def test_the_editor_keeps_a_pasted_million_character_name_to_the_limit(app: AppTest, data_dir: Path) -> None:
    name_box = app.text_input(key="w:name")
    assert name_box.max_chars == MAX_NAME_CHARS  # the browser stops typing and pasting there, counting
    name_box.set_value(MILLION).run()  # what a client could send past the browser's limit
    assert not app.exception, app.exception
    assert storyboard(app).name == "x" * MAX_NAME_CHARS
    assert runtime().store.load_draft(storyboard(app).id).name == "x" * MAX_NAME_CHARS  # type: ignore[union-attr]


# ---- fitting text: the work grows with what is shown, not with what is cut -------------------------


@pytest.fixture
def measured(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """The number of characters each font measurement covered."""
    sizes: list[int] = []
    original = ImageFont.FreeTypeFont.getlength

    def counting(self: ImageFont.FreeTypeFont, text: str, *args: object, **kwargs: object) -> float:
        sizes.append(len(text))
        return original(self, text, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(ImageFont.FreeTypeFont, "getlength", counting)
    yield sizes


FITTERS: dict[str, Callable[[str], object]] = {
    "brief title line": lambda text: brief._line(text, animatic._font(46), 3000),
    "brief prompt block": lambda text: brief._block(text, animatic._font(22), 500, 6),
    "animatic header line": lambda text: animatic._fit_line(text, 1200, 40, 10),
    "animatic body block": lambda text: animatic._fit_block(text, 600, 150, 36, 15),
}


def _cost(fit: Callable[[str], object], text: str, measured: list[int]) -> int:
    measured.clear()
    fit(text)
    return sum(measured)


@pytest.mark.parametrize("fitter", list(FITTERS))
@pytest.mark.parametrize("kind", ["one word", "words"])
def test_fitting_a_long_text_costs_what_a_short_cut_text_does(
    fitter: str, kind: str, measured: list[int]
) -> None:
    fit = FITTERS[fitter]

    def text(n: int) -> str:
        return ("W" * n) if kind == "one word" else ("Wave " * n)[:n]

    # Both are cut; measuring one character at a time made the longer cost 36 times the shorter.
    short, long = _cost(fit, text(400), measured), _cost(fit, text(2_400), measured)
    assert long <= 2 * short, f"{fitter}: {short:,} characters measured for 400, {long:,} for 2,400"
    assert _cost(fit, text(1_000_000), measured) <= 2 * short  # a million characters: no crash, no wait
