"""compile_request: the exact JSON body each provider gets.

Golden files in tests/goldens/compile/ hold every provider x model x single/multi-shot body. Rewrite
them with `UPDATE_GOLDENS=1 pytest tests/test_compile.py`, then read the diff against
shared/docs/providers.md before committing. The explicit tests below pin the facts that matter
(field names and JSON types), so a wrong golden cannot slip through unnoticed.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from storyboard.catalog import OFFERS, offer
from storyboard.compile import compile_request
from storyboard.models import FirstFrame, ModelId, Options, ProviderId, Shot, Storyboard
from storyboard.pricing import quote
from storyboard.validate import validate

GOLDENS = Path(__file__).parent / "goldens" / "compile"
UPDATE = os.environ.get("UPDATE_GOLDENS") == "1"
IMAGE_URL = "https://cdn.example.com/uploads/first-frame.png"

SINGLE = Storyboard(
    id="golden-single",
    name="Bottle on the beach",
    shots=[
        Shot(id="shot-a", prompt="  A glass bottle on wet sand, waves roll in, golden hour.  ", duration=5)
    ],
    options=Options(
        aspect_ratio="9:16",
        resolution="1080p",
        negative_prompt="blurry, text overlays",
        cfg_scale=0.7,
        sound=False,
        shot_type="customize",
    ),
)
MULTI = Storyboard(
    id="golden-multi",
    name="Lighthouse",
    shots=[
        Shot(id="shot-a", prompt="Wide: a lighthouse on a cliff at dawn, gulls circling.", duration=3),
        Shot(
            id="shot-b", prompt="Medium: the keeper climbs the spiral stairs, lantern in hand. ", duration=5
        ),
        Shot(id="shot-c", prompt="Close-up: the lamp flares to life and sweeps the sea.", duration=4),
    ],
    options=Options(
        aspect_ratio="16:9",
        resolution="720p",
        negative_prompt="",
        cfg_scale=0.5,
        sound=True,
        shot_type="intelligent",
    ),
)
STORYBOARDS = {"single": SINGLE, "multi": MULTI}

CASES = [(p, m, kind) for p in ProviderId for m in ModelId for kind in ("single", "multi")]


def _storyboard(kind: str, provider: ProviderId, model: ModelId) -> Storyboard:
    return STORYBOARDS[kind].model_copy(update={"provider": provider, "model": model})


def _compile(kind: str, provider: ProviderId, model: ModelId) -> dict[str, Any]:
    o = offer(provider, model)
    request = compile_request(_storyboard(kind, provider, model), o, IMAGE_URL if o.takes_image else None)
    return request.model_dump(mode="json")


def _golden_name(provider: ProviderId, model: ModelId, kind: str) -> str:
    suffix = "__image" if offer(provider, model).takes_image else ""
    return f"{provider.value}__{model.value}__{kind}{suffix}.json"


def _text(data: dict[str, Any]) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def _body(provider: ProviderId, model: ModelId, kind: str = "single", **options: Any) -> dict[str, Any]:
    sb = _storyboard(kind, provider, model)
    if options:
        sb = sb.model_copy(update={"options": sb.options.model_copy(update=options)})
    o = offer(provider, model)
    return compile_request(sb, o, IMAGE_URL if o.takes_image else None).body


# --- goldens ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("provider", "model", "kind"),
    CASES,
    ids=[_golden_name(p, m, k).removesuffix(".json") for p, m, k in CASES],
)
def test_compiled_request_matches_golden(provider: ProviderId, model: ModelId, kind: str) -> None:
    path = GOLDENS / _golden_name(provider, model, kind)
    actual = _text(_compile(kind, provider, model))
    if UPDATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(actual, encoding="utf-8")
    assert path.exists(), f"missing golden {path.name}: run UPDATE_GOLDENS=1 pytest {__file__}"
    # Text comparison: catches "5" vs 5 and true vs 1, which a dict comparison would let through.
    assert actual == path.read_text(encoding="utf-8")


def test_there_is_no_stale_golden() -> None:
    expected = {_golden_name(p, m, k) for p, m, k in CASES}
    assert {p.name for p in GOLDENS.glob("*.json")} == expected


@pytest.mark.parametrize(("provider", "model", "kind"), CASES)
def test_golden_storyboards_are_ones_the_provider_accepts(
    provider: ProviderId, model: ModelId, kind: str
) -> None:
    sb = _storyboard(kind, provider, model)
    o = offer(provider, model)
    if o.takes_image:
        frame = FirstFrame(
            path="frames/a.png", width=1080, height=1920, format="PNG", size_bytes=1000, sha256="0"
        )
        sb = sb.model_copy(update={"first_frame": frame})
    assert validate(sb, o) == []


def test_compile_is_deterministic() -> None:
    for p, m, k in CASES:
        assert _compile(k, p, m) == _compile(k, p, m)


# --- duration: string or integer -----------------------------------------------------------------

STRING_DURATION = [
    (ProviderId.FAL, ModelId.TURBO_PRO_T2V),
    (ProviderId.FAL, ModelId.TURBO_PRO_I2V),
    (ProviderId.FAL, ModelId.V3_PRO_T2V),
    (ProviderId.WAVESPEED, ModelId.TURBO_PRO_T2V),
    (ProviderId.WAVESPEED, ModelId.TURBO_PRO_I2V),
]
INTEGER_DURATION = [
    (ProviderId.WAVESPEED, ModelId.V3_PRO_T2V),
    (ProviderId.EVOLINK, ModelId.TURBO_PRO_T2V),
    (ProviderId.EVOLINK, ModelId.TURBO_PRO_I2V),
    (ProviderId.EVOLINK, ModelId.V3_PRO_T2V),
]


@pytest.mark.parametrize(("provider", "model"), STRING_DURATION)
def test_duration_is_a_string_on_fal_and_wavespeed_turbo(provider: ProviderId, model: ModelId) -> None:
    # fal: string enum "3".."15" [F1][F3]; WaveSpeed Turbo: string [Seed 000/001]
    assert _body(provider, model)["duration"] == "5"


@pytest.mark.parametrize(("provider", "model"), INTEGER_DURATION)
def test_duration_is_an_integer_on_wavespeed_v3_and_evolink(provider: ProviderId, model: ModelId) -> None:
    # WaveSpeed V3.0: integer [Seed 002]; EvoLink: integer 3-15 [Seed 003][E3]
    duration = _body(provider, model)["duration"]
    assert duration == 5 and type(duration) is int


# --- one shot -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("provider", "model"), [(p, m) for p in ProviderId for m in ModelId if p != ProviderId.PREVIEW]
)
def test_one_shot_is_sent_as_a_trimmed_prompt_without_multi_prompt(
    provider: ProviderId, model: ModelId
) -> None:
    body = _body(provider, model)
    assert body["prompt"] == "A glass bottle on wet sand, waves roll in, golden hour."
    assert "multi_prompt" not in body


@pytest.mark.parametrize("provider", [ProviderId.WAVESPEED, ProviderId.FAL, ProviderId.EVOLINK])
def test_image_to_video_without_a_prompt_sends_no_prompt(provider: ProviderId) -> None:
    m = ModelId.TURBO_PRO_I2V
    sb = Storyboard(shots=[Shot(prompt="   ", duration=5)], model=m, provider=provider)
    body = compile_request(sb, offer(provider, m), IMAGE_URL).body
    assert "prompt" not in body
    assert body[offer(provider, m).image_field] == IMAGE_URL


# --- several shots ------------------------------------------------------------------------------

MULTI_SHOTS = [
    ("Wide: a lighthouse on a cliff at dawn, gulls circling.", 3),
    ("Medium: the keeper climbs the spiral stairs, lantern in hand.", 5),
    ("Close-up: the lamp flares to life and sweeps the sea.", 4),
]


@pytest.mark.parametrize("model", [ModelId.TURBO_PRO_T2V, ModelId.TURBO_PRO_I2V, ModelId.V3_PRO_T2V])
def test_fal_sends_several_shots_as_multi_prompt_with_string_durations(model: ModelId) -> None:
    # KlingV3MultiPromptElement {prompt, duration: "3".."15"} [F8]; prompt and multi_prompt exclusive [F1]
    body = _body(ProviderId.FAL, model, "multi")
    assert body["multi_prompt"] == [{"prompt": p, "duration": str(d)} for p, d in MULTI_SHOTS]
    assert "prompt" not in body
    assert body["duration"] == "12"


@pytest.mark.parametrize("model", [ModelId.TURBO_PRO_T2V, ModelId.TURBO_PRO_I2V])
def test_wavespeed_turbo_sends_multi_prompt_and_the_smallest_billed_duration(model: ModelId) -> None:
    # "Provide either prompt or multi_prompt"; duration is billed on top of the shots [Seed 000/001]
    o = offer(ProviderId.WAVESPEED, model)
    body = _body(ProviderId.WAVESPEED, model, "multi")
    assert body["multi_prompt"] == [{"prompt": p, "duration": str(d)} for p, d in MULTI_SHOTS]
    assert "prompt" not in body
    assert body["duration"] == str(o.multi_prompt_duration) == "3"


@pytest.mark.parametrize("model", [ModelId.TURBO_PRO_T2V, ModelId.TURBO_PRO_I2V])
def test_wavespeed_quote_bills_exactly_what_the_request_will_be_charged(model: ModelId) -> None:
    # Billing = duration field + sum of multi_prompt durations [Seed 000/001]; the quote must agree.
    o = offer(ProviderId.WAVESPEED, model)
    sb = _storyboard("multi", ProviderId.WAVESPEED, model)
    body = _body(ProviderId.WAVESPEED, model, "multi")
    billed = int(body["duration"]) + sum(int(s["duration"]) for s in body["multi_prompt"])
    assert sum(i.seconds for i in quote(sb, o).items) == billed


def test_wavespeed_v3_sends_prompt_multi_prompt_and_integer_durations() -> None:
    # V3.0: `prompt` is required [Seed 002]; durations are integers there.
    body = _body(ProviderId.WAVESPEED, ModelId.V3_PRO_T2V, "multi")
    assert body["prompt"] == " ".join(p for p, _ in MULTI_SHOTS)
    assert body["multi_prompt"] == [{"prompt": p, "duration": d} for p, d in MULTI_SHOTS]
    assert body["duration"] == 12
    assert body["shot_type"] == "customize"  # several shots are honoured only in customize mode


def test_evolink_turbo_writes_several_shots_inside_the_prompt() -> None:
    # "镜头 n, m, words;" [Seed 003]
    body = _body(ProviderId.EVOLINK, ModelId.TURBO_PRO_T2V, "multi")
    assert body["prompt"] == (
        "镜头 1, 3, Wide: a lighthouse on a cliff at dawn, gulls circling.; "
        "镜头 2, 5, Medium: the keeper climbs the spiral stairs, lantern in hand.; "
        "镜头 3, 4, Close-up: the lamp flares to life and sweeps the sea.;"
    )
    assert "multi_prompt" not in body and "model_params" not in body
    assert body["duration"] == 12  # "the sum of all shot durations must equal the total duration"


def test_evolink_turbo_image_to_video_also_writes_shots_inside_the_prompt() -> None:
    body = _body(ProviderId.EVOLINK, ModelId.TURBO_PRO_I2V, "multi")
    assert body["prompt"].startswith("镜头 1, 3, ")
    assert body["prompt"].count("镜头 ") == 3


def test_evolink_v3_sends_shots_in_model_params() -> None:
    # model_params {multi_shot, shot_type: customize, multi_prompt: [{index: int, prompt, duration: str}]} [E3][E6]
    body = _body(ProviderId.EVOLINK, ModelId.V3_PRO_T2V, "multi")
    assert body["model_params"] == {
        "multi_shot": True,
        "shot_type": "customize",
        "multi_prompt": [
            {"index": i, "prompt": p, "duration": str(d)} for i, (p, d) in enumerate(MULTI_SHOTS, 1)
        ],
    }
    assert body["prompt"] == ""  # may be empty in customize multi-shot mode [E3]
    assert body["duration"] == sum(int(s["duration"]) for s in body["model_params"]["multi_prompt"])
    assert "multi_prompt" not in body


def test_evolink_v3_single_shot_says_multi_shot_is_off() -> None:
    body = _body(ProviderId.EVOLINK, ModelId.V3_PRO_T2V)
    assert body["model_params"] == {"multi_shot": False}


# --- sound, V3 options, resolution -----------------------------------------------------------------


@pytest.mark.parametrize("sound", [False, True])
def test_fal_v3_always_sends_generate_audio(sound: bool) -> None:
    # generate_audio defaults to TRUE on fal [F3]: leaving it out would bill audio nobody asked for.
    for kind in ("single", "multi"):
        body = _body(ProviderId.FAL, ModelId.V3_PRO_T2V, kind, sound=sound)
        assert body["generate_audio"] is sound
        assert "sound" not in body


@pytest.mark.parametrize("sound", [False, True])
def test_wavespeed_v3_sends_sound_as_a_boolean(sound: bool) -> None:
    assert _body(ProviderId.WAVESPEED, ModelId.V3_PRO_T2V, sound=sound)["sound"] is sound


@pytest.mark.parametrize(("sound", "value"), [(False, "off"), (True, "on")])
def test_evolink_v3_sends_sound_as_on_or_off(sound: bool, value: str) -> None:
    assert _body(ProviderId.EVOLINK, ModelId.V3_PRO_T2V, sound=sound)["sound"] == value


@pytest.mark.parametrize("provider", [ProviderId.WAVESPEED, ProviderId.FAL, ProviderId.EVOLINK])
def test_turbo_bodies_carry_no_v3_only_fields(provider: ProviderId) -> None:
    for model in (ModelId.TURBO_PRO_T2V, ModelId.TURBO_PRO_I2V):
        for kind in ("single", "multi"):
            body = _body(provider, model, kind, sound=True)
            for field in (
                "negative_prompt",
                "cfg_scale",
                "sound",
                "generate_audio",
                "shot_type",
                "model_params",
            ):
                assert field not in body, (model, kind, field)


@pytest.mark.parametrize("provider", [ProviderId.WAVESPEED, ProviderId.FAL])
def test_v3_sends_negative_prompt_cfg_scale_and_shot_type(provider: ProviderId) -> None:
    body = _body(provider, ModelId.V3_PRO_T2V)
    assert body["negative_prompt"] == "blurry, text overlays"
    assert body["cfg_scale"] == 0.7
    assert body["shot_type"] == "customize"
    assert "negative_prompt" not in _body(provider, ModelId.V3_PRO_T2V, negative_prompt="   ")


def test_evolink_v3_sends_negative_prompt_but_no_cfg_scale() -> None:
    body = _body(ProviderId.EVOLINK, ModelId.V3_PRO_T2V)
    assert body["negative_prompt"] == "blurry, text overlays"
    assert "cfg_scale" not in body


@pytest.mark.parametrize("model", list(ModelId))
@pytest.mark.parametrize("resolution", ["720p", "1080p"])
def test_evolink_sends_the_resolution_as_quality(model: ModelId, resolution: str) -> None:
    body = _body(ProviderId.EVOLINK, model, resolution=resolution)
    assert body["quality"] == resolution
    assert body["model"] == offer(ProviderId.EVOLINK, model).endpoint


# --- aspect ratio and the first frame ------------------------------------------------------------


@pytest.mark.parametrize("provider", list(ProviderId))
def test_image_to_video_sends_no_aspect_ratio(provider: ProviderId) -> None:
    for kind in ("single", "multi"):
        assert "aspect_ratio" not in _body(provider, ModelId.TURBO_PRO_I2V, kind)


@pytest.mark.parametrize("provider", [ProviderId.WAVESPEED, ProviderId.FAL, ProviderId.EVOLINK])
@pytest.mark.parametrize("model", [ModelId.TURBO_PRO_T2V, ModelId.V3_PRO_T2V])
def test_text_to_video_sends_the_chosen_aspect_ratio(provider: ProviderId, model: ModelId) -> None:
    assert _body(provider, model, aspect_ratio="1:1")["aspect_ratio"] == "1:1"


@pytest.mark.parametrize(
    ("provider", "field"),
    [(ProviderId.WAVESPEED, "image"), (ProviderId.FAL, "image_url"), (ProviderId.EVOLINK, "image_start")],
)
def test_first_frame_url_goes_in_the_providers_image_field(provider: ProviderId, field: str) -> None:
    for kind in ("single", "multi"):
        body = _body(provider, ModelId.TURBO_PRO_I2V, kind)
        assert body[field] == IMAGE_URL
        others = {"image", "image_url", "image_start", "start_image_url", "image_urls"} - {field}
        assert not others & set(body)


@pytest.mark.parametrize("provider", list(ProviderId))
def test_image_to_video_without_an_uploaded_image_is_never_compiled(provider: ProviderId) -> None:
    with pytest.raises(ValueError, match="image"):
        compile_request(SINGLE, offer(provider, ModelId.TURBO_PRO_I2V), None)


@pytest.mark.parametrize("provider", list(ProviderId))
def test_text_to_video_bodies_carry_no_image(provider: ProviderId) -> None:
    for model in (ModelId.TURBO_PRO_T2V, ModelId.V3_PRO_T2V):
        body = compile_request(SINGLE, offer(provider, model), IMAGE_URL).body
        assert IMAGE_URL not in json.dumps(body)


# --- endpoint -----------------------------------------------------------------------------------


def test_the_request_names_the_offers_endpoint_provider_and_model() -> None:
    for (p, m), o in OFFERS.items():
        request = compile_request(SINGLE, o, IMAGE_URL if o.takes_image else None)
        assert (request.provider, request.model, request.endpoint) == (p, m, o.endpoint)


def test_preview_renders_the_storyboard_itself_at_the_chosen_resolution() -> None:
    body = _body(ProviderId.PREVIEW, ModelId.TURBO_PRO_T2V, "multi")
    assert body["resolution"] == "720p"
    assert [s["duration"] for s in body["storyboard"]["shots"]] == [d for _, d in MULTI_SHOTS]
    assert "first_frame" not in body["storyboard"]
