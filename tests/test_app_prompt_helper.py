"""The prompt helper through the real app (AppTest): fields compose the prompt, a hand edit is kept,
the counter warns, and a refresh brings the fields back."""

from __future__ import annotations

from app_steps import generate_button, set_prompt, shot_ids, storyboard
from streamlit.testing.v1 import AppTest

from components.prompt_helper import compose_key, helper_key, part_key
from components.shot_card import prompt_key
from storyboard.prompt_parts import Part


def _open(at: AppTest, index: int = 0) -> None:
    """Expand the shot's helper, as a click on it would (AppTest cannot click an expander)."""
    at.session_state[helper_key(shot_ids(at)[index])] = True
    at.run()


def _fill(at: AppTest, part: Part, text: str, index: int = 0) -> None:
    key = part_key(shot_ids(at)[index], part)
    if not any(t.key == key for t in at.text_input):
        _open(at, index)
    at.text_input(key=key).input(text).run()
    assert not at.exception, at.exception


def _prompt(at: AppTest, index: int = 0) -> str:
    return at.text_area(key=prompt_key(shot_ids(at)[index])).value


def test_subject_action_and_camera_compose_the_prompt(app: AppTest) -> None:
    _fill(app, "subject", "A glass bottle on wet sand")
    _fill(app, "action", "a wave rolls over it")
    _fill(app, "camera", "close-up, slow push-in")
    composed = "A glass bottle on wet sand, a wave rolls over it. Camera: close-up, slow push-in."
    assert _prompt(app) == composed
    assert storyboard(app).shots[0].prompt == composed
    assert f"{len(composed)} / 2500 characters" in [c.value for c in app.caption]
    assert not any("Describe what happens in shot 1" in i.value for i in app.info)


def test_a_composition_too_long_shows_the_counter_over_and_blocks_generate(app: AppTest) -> None:
    _fill(app, "subject", "x" * 2490)
    _fill(app, "style", "glossy commercial")
    length = len(_prompt(app))
    assert length > 2500
    assert any(f"{length} / 2500 characters** · {length - 2500} over" in c.value for c in app.caption)
    assert any(f"{length} characters; the limit is 2500" in w.value for w in app.warning)
    assert generate_button(app).disabled


def test_a_hand_edit_is_kept_when_a_field_changes_until_compose_is_pressed(app: AppTest) -> None:
    _fill(app, "subject", "A bottle")
    set_prompt(app, 0, "A bottle, my own words")
    _fill(app, "lighting", "golden hour")
    assert _prompt(app) == "A bottle, my own words"
    assert any("edited by hand, so these fields no longer change it" in c.value for c in app.caption)
    app.button(key=compose_key(shot_ids(app)[0])).click().run()
    assert _prompt(app) == "A bottle. Lighting: golden hour."
    _fill(app, "lighting", "blue hour")  # following the fields again
    assert _prompt(app) == "A bottle. Lighting: blue hour."


def test_a_refresh_keeps_the_helper_fields(app: AppTest) -> None:
    _fill(app, "subject", "A bottle")
    _fill(app, "camera", "drone shot")
    set_prompt(app, 0, "Hand-written instead")
    draft = storyboard(app).id
    app.button(key="w:new-storyboard").click().run()  # the latest draft is now another one

    again = AppTest.from_file(app._script_path, default_timeout=60)
    again.query_params["draft"] = draft
    again.run()
    assert not again.exception, again.exception
    shot = shot_ids(again)[0]
    assert not any(t.key == part_key(shot, "subject") for t in again.text_input)  # collapsed: not drawn
    _open(again)
    assert again.text_input(key=part_key(shot, "subject")).value == "A bottle"
    assert again.text_input(key=part_key(shot, "camera")).value == "drone shot"
    assert _prompt(again) == "Hand-written instead"
    assert any("edited by hand" in c.value for c in again.caption)
