"""Issue 9: every edit to a storyboard is checked, so what is saved as a draft always loads again.

Every edit in the app is a copy with changes (`model_copy(update=...)`), which pydantic does not
validate: an unknown provider or a prompt strength of 7 was accepted, saved, and the draft then failed
to load. Now such an edit is refused where it is made, and the draft keeps what it had.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from storyboard import editing
from storyboard.models import ModelId, Options, ProviderId, Shot, Storyboard
from storyboard.store import Store

BAD_EDITS: dict[str, dict[str, Any]] = {
    "an unknown provider": {"provider": "acme"},
    "an unknown model": {"model": "kling-v9"},
    "a name that is not text": {"name": 7},
    "shots that are not shots": {"shots": "three"},
    "a shot with a fractional length": {"shots": [{"prompt": "x", "duration": 2.5}]},
}
BAD_OPTIONS: dict[str, dict[str, Any]] = {
    "a prompt strength of 7": {"cfg_scale": 7},
    "an aspect ratio no provider has": {"aspect_ratio": "4:3"},
    "a resolution no provider has": {"resolution": "8K"},
}


def _draft() -> Storyboard:
    return Storyboard(name="Summer sale", shots=[Shot(prompt="The shop at dawn.", duration=5)])


@pytest.mark.parametrize("change", BAD_EDITS.values(), ids=list(BAD_EDITS))
def test_a_bad_edit_of_a_storyboard_is_refused_where_it_is_made(change: dict[str, Any]) -> None:
    sb = _draft()
    with pytest.raises(ValidationError):
        sb.model_copy(update=change)
    field, value = next(iter(change.items()))
    with pytest.raises(ValidationError):
        setattr(sb, field, value)
    assert sb == _draft().model_copy(update={"id": sb.id, "shots": sb.shots})  # unchanged


@pytest.mark.parametrize("change", BAD_OPTIONS.values(), ids=list(BAD_OPTIONS))
def test_a_bad_option_is_refused_where_it_is_made(change: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        Options().model_copy(update=change)


def test_a_bad_shot_edit_is_refused() -> None:
    with pytest.raises(ValidationError):
        Shot().model_copy(update={"duration": "long"})
    with pytest.raises(ValidationError):
        editing.set_prompt(_draft(), 0, None)  # type: ignore[arg-type]


def test_what_the_editor_saves_always_loads_again(tmp_path: Path) -> None:
    store = Store(tmp_path / "studio.db")
    sb = _draft()
    for change in [*BAD_EDITS.values(), *({"options": o} for o in BAD_OPTIONS.values())]:
        try:
            sb = sb.model_copy(update=change)
        except ValidationError:
            continue
        store.save_draft(sb)  # only reached if a bad edit was let through
    sb = editing.add_shot(sb, "The doors open.")
    sb = sb.model_copy(update={"provider": "fal", "model": ModelId.V3_PRO_T2V.value})
    store.save_draft(sb)
    loaded = store.load_draft(sb.id)
    assert loaded == sb
    assert loaded is not None and loaded.provider is ProviderId.FAL  # the edit's text became the provider
    # A good edit is checked without copying what did not change (the editor edits at every keystroke).
    edited = editing.set_prompt(sb, 0, "The shop at noon.")
    assert edited.shots[0].prompt == "The shop at noon." and sb.shots[0].prompt == "The shop at dawn."
    assert edited.options is sb.options and edited.shots[1] is sb.shots[1]
