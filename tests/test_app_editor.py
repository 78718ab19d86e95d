"""The editor driven through the real app (AppTest): what a user clicks, drags and sees."""

from __future__ import annotations

import json
import threading
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from app_steps import (
    build,
    generate_button,
    photo,
    run_until,
    set_duration,
    set_prompt,
    shot_ids,
    slider_seconds,
    storyboard,
)
from streamlit.testing.v1 import AppTest

from storyboard.catalog import EDITOR_LIMITS, MODELS
from storyboard.models import ModelId, ProviderId, format_usd
from storyboard.providers import preview


def test_six_shots_then_add_shot_is_disabled_with_the_reason(app: AppTest) -> None:
    build(app, [2, 2, 2, 2, 2, 2])
    assert len(storyboard(app).shots) == EDITOR_LIMITS.max_shots
    add = app.button(key="w:add-shot")
    assert add.disabled
    assert any(f"at most {EDITOR_LIMITS.max_shots} shots" in c.value for c in app.caption)


def test_add_shot_is_disabled_when_no_seconds_are_left(app: AppTest) -> None:
    build(app, [10, 5])
    assert storyboard(app).total_seconds == EDITOR_LIMITS.max_total_seconds
    assert app.button(key="w:add-shot").disabled
    assert any("All 15 s are used" in c.value for c in app.caption)


def test_moving_a_slider_keeps_the_others_and_the_total_within_budget(app: AppTest) -> None:
    build(app, [4, 4, 4])
    first, second, third = shot_ids(app)
    # each slider offers exactly what the other shots leave over
    assert slider_seconds(app, second) == list(range(1, EDITOR_LIMITS.max_total_seconds - 8 + 1))
    set_duration(app, 1, 7)
    durations = [s.duration for s in storyboard(app).shots]
    assert durations == [4, 7, 4]
    # the others' sliders kept their values, and now offer only what is left
    assert app.select_slider(key=f"w:dur:{first}").value == 4
    assert app.select_slider(key=f"w:dur:{third}").value == 4
    assert max(slider_seconds(app, third)) == 4
    assert storyboard(app).total_seconds <= EDITOR_LIMITS.max_total_seconds


def test_reordering_and_deleting_shots(app: AppTest) -> None:
    build(app, [3, 4, 5])
    ids = shot_ids(app)
    app.button(key=f"w:down:{ids[0]}").click().run()
    assert shot_ids(app) == [ids[1], ids[0], ids[2]]
    app.button(key=f"w:del:{ids[1]}").click().run()
    assert [s.duration for s in storyboard(app).shots] == [3, 5]
    app.button(key=f"w:dup:{ids[2]}").click().run()
    assert [s.duration for s in storyboard(app).shots] == [3, 5, 5]


def test_the_cost_follows_the_durations(app: AppTest) -> None:
    build(app, [5])
    app.radio(key="w:provider").set_value(ProviderId.FAL).run()
    assert generate_button(app).label == "Generate · $0.70"
    set_duration(app, 0, 10)
    assert generate_button(app).label == "Generate · $1.40"


def test_wavespeed_multi_shot_surcharge_is_shown_as_its_own_line(app: AppTest) -> None:
    build(app, [5, 5])
    app.radio(key="w:provider").set_value(ProviderId.WAVESPEED).run()
    table = "\n".join(m.value for m in app.markdown)
    assert "Multi-shot surcharge" in table
    assert "$1.82" in table  # 10 s of shots + the 3 s duration field, at $0.14/s


def test_every_provider_is_priced_side_by_side_cheapest_first(app: AppTest) -> None:
    build(app, [5, 5])
    table = next(m.value for m in app.markdown if m.value.startswith("| provider"))
    rows = [line for line in table.splitlines()[2:]]
    assert [r.split("|")[1].strip() for r in rows] == ["EvoLink", "fal.ai", "WaveSpeedAI"]
    assert "$1.32" in rows[0] and "$1.40" in rows[1] and "$1.82" in rows[2]


def test_options_follow_the_chosen_model_and_provider(app: AppTest) -> None:
    keys = lambda: {w.key for w in app.radio} | {w.key for w in app.toggle} | {w.key for w in app.text_input}  # noqa: E731
    app.radio(key="w:provider").set_value(ProviderId.FAL).run()
    assert "w:sound" not in keys()
    app.selectbox(key="w:model").set_value(ModelId.V3_PRO_T2V).run()
    assert {"w:sound", "w:negative", "w:shot-type"} <= keys()
    assert [s.key for s in app.slider] == ["w:cfg"]
    app.radio(key="w:provider").set_value(ProviderId.EVOLINK).run()
    assert "w:resolution" in keys() and app.slider.len == 0  # EvoLink has no cfg_scale
    app.selectbox(key="w:model").set_value(ModelId.TURBO_PRO_I2V).run()
    assert app.checkbox(key="w:format:9:16")  # the format stays choosable on image-to-video


def test_sound_raises_the_v3_price_by_half(app: AppTest) -> None:
    build(app, [10])
    app.selectbox(key="w:model").set_value(ModelId.V3_PRO_T2V).run()
    app.radio(key="w:provider").set_value(ProviderId.WAVESPEED).run()
    assert generate_button(app).label == "Generate · $1.12"
    app.toggle(key="w:sound").set_value(True).run()
    assert generate_button(app).label == "Generate · $1.68"


def test_a_too_long_prompt_gets_one_sentence_and_blocks_generate(app: AppTest) -> None:
    set_prompt(app, 0, "x" * 2600)
    assert any("2600 characters; the limit is 2500" in w.value for w in app.warning)
    assert generate_button(app).disabled
    assert storyboard(app).shots[0].prompt == "x" * 2600  # nothing typed is lost


def test_uploading_a_photo_shows_it_and_switches_turbo_to_image_to_video(app: AppTest) -> None:
    app.file_uploader[0].set_value(("product.jpg", photo(), "image/jpeg")).run()
    assert not app.exception, app.exception
    frame = storyboard(app).first_frame
    assert frame is not None and (frame.width, frame.height) == (1280, 720)
    assert app.image.len >= 1
    assert storyboard(app).model == ModelId.TURBO_PRO_I2V
    assert app.selectbox(key="w:model").value == ModelId.TURBO_PRO_I2V
    assert any("so the video starts from this picture" in s.value for s in app.success)
    assert not any("starts from a picture" in w.value for w in app.warning)  # the page is not stale


def test_a_photo_with_a_text_only_model_offers_the_image_model(app: AppTest) -> None:
    app.selectbox(key="w:model").set_value(ModelId.V3_PRO_T2V).run()
    app.file_uploader[0].set_value(("product.jpg", photo(), "image/jpeg")).run()
    assert storyboard(app).model == ModelId.V3_PRO_T2V
    assert any("does not use a first frame" in i.value for i in app.info)
    app.button(key="w:use-i2v").click().run()
    assert storyboard(app).model == ModelId.TURBO_PRO_I2V


def test_remove_image_takes_the_first_frame_out(app: AppTest) -> None:
    app.file_uploader[0].set_value(("product.jpg", photo(), "image/jpeg")).run()
    app.button(key="w:remove-image").click().run()
    assert storyboard(app).first_frame is None
    assert app.image.len == 0


def test_a_file_that_is_not_an_image_gets_a_clear_sentence(app: AppTest) -> None:
    app.file_uploader[0].set_value(("notes.png", b"just some text, not a picture", "image/png")).run()
    assert storyboard(app).first_frame is None
    assert any("not an image" in e.value for e in app.error)


def test_a_too_wide_photo_is_offered_crop_or_pad(app: AppTest) -> None:
    app.file_uploader[0].set_value(("banner.jpg", photo((1800, 600)), "image/jpeg")).run()
    assert storyboard(app).first_frame is None
    app.button(key="w:fix-crop").click().run()
    frame = storyboard(app).first_frame
    assert frame is not None and frame.width / frame.height <= 2.5


def test_image_to_video_without_an_image_says_what_to_do(app: AppTest) -> None:
    app.selectbox(key="w:model").set_value(ModelId.TURBO_PRO_I2V).run()
    label = MODELS[ModelId.TURBO_PRO_I2V].label
    assert any(f"{label} starts from a picture" in w.value for w in app.warning)
    assert generate_button(app).disabled


def test_generate_on_preview_ends_with_a_video_in_the_page(app: AppTest, data_dir: Path) -> None:
    build(app, [3, 2])
    app.radio(key="w:resolution").set_value("720p").run()
    generate_button(app).click().run()
    assert not app.exception, app.exception
    run_until(app, lambda: len(app.get("video")) > 0)
    assert len(list((data_dir / "videos").glob("*.mp4"))) == 1
    assert generate_button(app).label == "Generate preview · free"


def test_a_new_session_finds_the_storyboard_again(app: AppTest) -> None:
    build(app, [6, 3])
    set_prompt(app, 1, "the logo fades in")
    again = AppTest.from_file(app._script_path, default_timeout=60)
    again.run()
    assert [s.duration for s in storyboard(again).shots] == [6, 3]
    assert storyboard(again).shots[1].prompt == "the logo fades in"


def test_a_shot_too_short_for_some_providers_says_which_while_planning_on_preview(app: AppTest) -> None:
    build(app, [5, 2])
    assert storyboard(app).provider == ProviderId.PREVIEW
    notes = [c.value for c in app.caption if "Too short for" in c.value]
    assert notes == [":orange[Too short for WaveSpeedAI and fal.ai: make it at least 3 s to use them.]"]


def test_a_fresh_storyboard_gets_a_hint_not_a_warning(app: AppTest) -> None:
    assert any("Describe what happens in shot 1" in i.value for i in app.info)
    assert not any("has no prompt" in w.value for w in app.warning)


def test_a_provider_that_cannot_take_the_storyboard_says_so_instead_of_a_price(app: AppTest) -> None:
    build(app, [5, 2])  # a 2 s shot: WaveSpeedAI and fal.ai need 3 s, EvoLink takes it
    labels = app.radio(key="w:provider").options
    assert "WaveSpeedAI · can't take this" in labels
    assert "fal.ai · can't take this" in labels
    assert "EvoLink · $0.92" in labels  # 7 s at $0.132/s = $0.924, to the cent as everywhere a price is read
    assert not any("WaveSpeedAI · $" in label for label in labels)
    assert any(
        "Too short for WaveSpeedAI and fal.ai" in c.value for c in app.caption
    )  # the reason, as before
    set_duration(app, 1, 3)
    labels = app.radio(key="w:provider").options
    assert not any("can't take this" in label for label in labels)


def test_without_a_key_use_preview_instead_switches_the_provider_and_enables_generate(app: AppTest) -> None:
    build(app, [5])
    app.radio(key="w:provider").set_value(ProviderId.FAL).run()
    said = [i.value for i in app.info if "fal.ai" in i.value]
    assert said == ["To generate on fal.ai, add its API key on Settings."]
    assert generate_button(app).disabled
    app.button(key="w:use-preview").click().run()
    assert not app.exception, app.exception
    assert storyboard(app).provider == ProviderId.PREVIEW
    assert app.radio(key="w:provider").value == ProviderId.PREVIEW
    assert not generate_button(app).disabled
    assert all(b.key != "w:use-preview" for b in app.button)


def test_a_second_preview_take_says_it_waits_for_the_first_not_for_a_provider_queue(
    app: AppTest, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The first render is held until the second take's message has been seen, so the message is
    # seen however fast the machine renders, and the takes can be short.
    release = threading.Event()
    render = preview.render_animatic

    def held_render(*args: Any, **kwargs: Any) -> None:
        release.wait(timeout=60)
        render(*args, **kwargs)

    monkeypatch.setattr(preview, "render_animatic", held_render)
    build(app, [2])
    app.radio(key="w:resolution").set_value("720p").run()
    assert storyboard(app).provider == ProviderId.PREVIEW
    app.radio(key="w:takes").set_value(2).run()
    generate_button(app).click().run()
    seen: set[str] = set()

    def progress_texts() -> set[str]:
        texts = {p.proto.text for p in app.get("progress")}
        seen.update(texts)
        return texts

    try:
        run_until(app, lambda: "Waiting for the preview before it to finish…" in progress_texts(), timeout=60)
    finally:
        release.set()
    run_until(app, lambda: len(app.get("video")) == 2 and not progress_texts(), timeout=120)
    assert not any("provider's queue" in text for text in seen)


def _timeline(app: AppTest) -> dict[str, Any]:
    """What the page hands the timeline component (components/timeline.py): it draws and prices from it."""
    (element,) = app.get("bidi_component")
    return json.loads(element.proto.json)


def test_the_timeline_gets_the_lengths_the_sliders_show_and_the_chosen_providers_rate(app: AppTest) -> None:
    build(app, [4, 6])
    set_duration(app, 1, 3)
    first, second = shot_ids(app)
    shown = [app.select_slider(key=f"w:dur:{i}").value for i in (first, second)]
    assert _timeline(app)["durations"] == shown == [4, 3]
    app.radio(key="w:provider").set_value(ProviderId.EVOLINK).run()
    rate = Decimal(_timeline(app)["rates"]["usd_per_second"])
    assert rate > 0
    assert generate_button(app).label == f"Generate · {format_usd(rate * 7)}"  # what the timeline shows
    assert _timeline(app)["minimums"] == [{"seconds": 3, "providers": "WaveSpeedAI and fal.ai"}]
