"""validate(): what a provider would refuse, said before any money moves.

Limits are read from the offer (catalog.py), never copied here. Every problem is one line that
says which shot, which limit and what to do.
"""

from __future__ import annotations

import re

import pytest

from storyboard.catalog import OFFERS, PROVIDERS, Offer, offer
from storyboard.compile import prompt_syntax
from storyboard.models import FirstFrame, ModelId, Options, ProviderId, Shot, Storyboard
from storyboard.validate import Problem, aspect_range, validate

FAL = offer(ProviderId.FAL, ModelId.TURBO_PRO_T2V)
EVOLINK = offer(ProviderId.EVOLINK, ModelId.TURBO_PRO_T2V)
WAVESPEED_I2V = offer(ProviderId.WAVESPEED, ModelId.TURBO_PRO_I2V)
ALL_OFFERS = list(OFFERS.values())
I2V_OFFERS = [o for o in ALL_OFFERS if o.takes_image]

ACTIONS = re.compile(r"\b(add|delete|shorten|make|give|describe|pick|upload|use|merge)\b", re.IGNORECASE)


def _id(o: Offer) -> str:
    return f"{o.provider.value}/{o.model.value}"


def _says_what_to_do(message: str) -> None:
    """One line for the user: a capital letter, a full stop, and a verb telling them what to do."""
    assert message == message.strip() and "\n" not in message, message
    assert message[0].isupper(), message
    assert message.endswith("."), message
    assert len(message) <= 200, message
    assert ACTIONS.search(message), f"no instruction in: {message}"


def _problems(sb: Storyboard, o: Offer) -> list[Problem]:
    problems = validate(sb, o)
    for p in problems:
        _says_what_to_do(p.message)
    return problems


def _messages(sb: Storyboard, o: Offer) -> list[str]:
    return [p.message for p in _problems(sb, o)]


def _frame(width: int = 1280, height: int = 720, size_bytes: int = 200_000) -> FirstFrame:
    return FirstFrame(
        path="frames/first.png",
        width=width,
        height=height,
        format="PNG",
        size_bytes=size_bytes,
        sha256="ab" * 32,
        original_name="first.png",
    )


def _storyboard(
    o: Offer, *durations: int, prompt: str = "A red kite over the dunes.", **extra: object
) -> Storyboard:
    shots = [Shot(id=f"s{i}", prompt=prompt, duration=d) for i, d in enumerate(durations or (5,), 1)]
    frame = _frame() if o.takes_image else None
    fields: dict[str, object] = {
        "shots": shots,
        "model": o.model,
        "provider": o.provider,
        "first_frame": frame,
    }
    fields.update(extra)
    return Storyboard(**fields)


# --- a good storyboard passes -------------------------------------------------------------------


@pytest.mark.parametrize("o", ALL_OFFERS, ids=_id)
def test_a_reasonable_storyboard_passes_everywhere(o: Offer) -> None:
    assert _problems(_storyboard(o, 5), o) == []
    assert _problems(_storyboard(o, 3, 5, 4), o) == []


# --- shot count and total length ------------------------------------------------------------------


@pytest.mark.parametrize("o", ALL_OFFERS, ids=_id)
def test_one_shot_more_than_the_limit_is_refused(o: Offer) -> None:
    lim = o.limits
    too_many = lim.max_shots + 1
    # The shortest shots this offer accepts, so only the count is at fault where the total allows it.
    sb = _storyboard(o, *[lim.min_shot_seconds] * too_many)
    messages = _messages(sb, o)
    count = [m for m in messages if f"at most {lim.max_shots}" in m]
    assert count, messages
    assert f"{too_many} shots" in count[0]
    assert PROVIDERS[o.provider].label in count[0]
    assert "Delete a shot" in count[0]


@pytest.mark.parametrize("o", ALL_OFFERS, ids=_id)
def test_as_many_shots_as_fit_in_the_budget_are_accepted(o: Offer) -> None:
    lim = o.limits
    seconds = max(lim.min_shot_seconds, 1)
    n = min(lim.max_shots, lim.max_total_seconds // seconds)
    sb = _storyboard(o, *[seconds] * n)
    assert not any("at most" in m for m in _messages(sb, o))


@pytest.mark.parametrize("o", ALL_OFFERS, ids=_id)
def test_a_storyboard_one_second_over_the_total_is_refused(o: Offer) -> None:
    lim = o.limits
    over = lim.max_total_seconds + 1
    sb = _storyboard(o, over // 2, over - over // 2)
    messages = _messages(sb, o)
    assert any(f"{over} s" in m and f"{lim.max_total_seconds} s" in m for m in messages), messages
    assert any("Shorten a shot or delete one" in m for m in messages)


@pytest.mark.parametrize("o", ALL_OFFERS, ids=_id)
def test_exactly_the_maximum_total_is_accepted(o: Offer) -> None:
    lim = o.limits
    half = lim.max_total_seconds // 2
    assert _problems(_storyboard(o, half, lim.max_total_seconds - half), o) == []


@pytest.mark.parametrize("o", ALL_OFFERS, ids=_id)
def test_a_video_shorter_than_the_minimum_is_refused(o: Offer) -> None:
    lim = o.limits
    short = lim.min_total_seconds - 1
    messages = _messages(_storyboard(o, short), o)
    assert any(f"{short} s" in m and f"at least {lim.min_total_seconds} s" in m for m in messages), messages


def test_a_shot_with_no_length_is_refused_and_named() -> None:
    sb = _storyboard(EVOLINK, 5, 0)
    problems = _problems(sb, EVOLINK)
    assert any(p.shot == 2 and "Shot 2 has no length" in p.message for p in problems)


# --- per-shot minimum: fal and WaveSpeed need 3 s, Kling 1 s -------------------------------------


@pytest.mark.parametrize("model", list(ModelId))
def test_fal_refuses_a_shot_shorter_than_its_minimum_naming_fal_and_the_minimum(model: ModelId) -> None:
    o = offer(ProviderId.FAL, model)
    short = o.limits.min_shot_seconds - 1
    sb = _storyboard(o, 5, short)
    problems = _problems(sb, o)
    about_shot = [p for p in problems if p.shot == 2]
    assert about_shot, [p.message for p in problems]
    message = about_shot[0].message
    assert "fal.ai" in message
    assert f"{o.limits.min_shot_seconds} s" in message
    assert f"Shot 2 is {short} s" in message


def test_fal_refuses_a_2_second_shot_and_asks_for_3() -> None:
    # The documented fact behind the limit: fal's shot duration enum starts at "3" [F8].
    messages = _messages(_storyboard(FAL, 5, 2), FAL)
    assert messages == [
        "Shot 2 is 2 s; fal.ai needs at least 3 s per shot. Make it longer or merge it with another shot."
    ]


def test_evolink_accepts_the_short_shot_fal_refuses() -> None:
    assert _problems(_storyboard(EVOLINK, 5, FAL.limits.min_shot_seconds - 1), EVOLINK) == []


@pytest.mark.parametrize("o", ALL_OFFERS, ids=_id)
def test_every_shot_at_the_offers_minimum_length_is_accepted(o: Offer) -> None:
    lim = o.limits
    n = max(2, -(-lim.min_total_seconds // lim.min_shot_seconds))
    assert _problems(_storyboard(o, *[lim.min_shot_seconds] * n), o) == []


# --- prompts ------------------------------------------------------------------------------------


@pytest.mark.parametrize("o", ALL_OFFERS, ids=_id)
def test_a_single_prompt_over_the_limit_is_refused_with_the_numbers(o: Offer) -> None:
    cap = o.limits.max_prompt_chars
    length = cap + 100  # 2600 characters against 2500
    problems = _problems(_storyboard(o, 5, prompt="a" * length), o)
    assert len(problems) == 1
    assert problems[0].shot == 1
    assert problems[0].message == f"Shot 1's prompt is {length} characters; the limit is {cap}. Shorten it."


@pytest.mark.parametrize("o", ALL_OFFERS, ids=_id)
def test_a_single_prompt_at_the_limit_is_accepted(o: Offer) -> None:
    assert _problems(_storyboard(o, 5, prompt="a" * o.limits.max_prompt_chars), o) == []


@pytest.mark.parametrize("o", ALL_OFFERS, ids=_id)
def test_a_shot_prompt_over_the_per_shot_limit_is_refused_in_a_multi_shot_storyboard(o: Offer) -> None:
    cap = o.limits.max_shot_prompt_chars
    sb = _storyboard(o, 5, 5)
    sb = sb.model_copy(
        update={"shots": [sb.shots[0], sb.shots[1].model_copy(update={"prompt": "b" * (cap + 1)})]}
    )
    problems = [p for p in _problems(sb, o) if p.shot == 2]
    assert [p.message for p in problems] == [
        f"Shot 2's prompt is {cap + 1} characters; the limit is {cap}. Shorten it."
    ]


@pytest.mark.parametrize("o", [o for o in ALL_OFFERS if o.multi_shot_form != "prompt_syntax"], ids=_id)
def test_shot_prompts_at_the_per_shot_limit_are_accepted(o: Offer) -> None:
    cap = o.limits.max_shot_prompt_chars
    assert _problems(_storyboard(o, 5, 5, prompt="c" * cap), o) == []


@pytest.mark.parametrize("o", [o for o in ALL_OFFERS if not o.takes_image], ids=_id)
def test_an_empty_prompt_is_refused(o: Offer) -> None:
    for prompt in ("", "   \n "):
        problems = _problems(_storyboard(o, 5, prompt=prompt), o)
        assert [p.message for p in problems] == ["Shot 1 has no prompt. Describe what happens in it."]
        assert problems[0].shot == 1


@pytest.mark.parametrize("o", I2V_OFFERS, ids=_id)
def test_a_single_image_to_video_shot_may_have_no_prompt(o: Offer) -> None:
    # The first frame is enough: prompt is optional on image to video [Seed 001][F2][E2].
    assert _problems(_storyboard(o, 5, prompt=""), o) == []


@pytest.mark.parametrize("o", I2V_OFFERS, ids=_id)
def test_every_shot_of_a_multi_shot_image_to_video_needs_a_prompt(o: Offer) -> None:
    sb = _storyboard(o, 5, 5)
    sb = sb.model_copy(update={"shots": [sb.shots[0], sb.shots[1].model_copy(update={"prompt": " "})]})
    problems = _problems(sb, o)
    assert [(p.shot, p.message) for p in problems] == [
        (2, "Shot 2 has no prompt. Describe what happens in it.")
    ]


@pytest.mark.parametrize("model", [ModelId.TURBO_PRO_T2V, ModelId.TURBO_PRO_I2V])
def test_evolink_refuses_shots_whose_combined_prompt_runs_past_the_limit(model: ModelId) -> None:
    # EvoLink Turbo puts every shot inside one prompt as `镜头 n, m, words;` [Seed 003].
    o = offer(ProviderId.EVOLINK, model)
    lim = o.limits
    n = lim.max_prompt_chars // lim.max_shot_prompt_chars + 1  # enough shots to overflow
    per_shot = lim.max_shot_prompt_chars - 12  # each shot on its own is fine
    sb = _storyboard(o, *[lim.min_shot_seconds] * n, prompt="w" * per_shot)
    combined = len(prompt_syntax(sb))
    assert combined > lim.max_prompt_chars
    messages = _messages(sb, o)
    assert messages == [
        f"EvoLink sends all shots as one prompt of {combined} characters; the limit is "
        f"{lim.max_prompt_chars}. Shorten some shot prompts."
    ]
    # The same storyboard is fine where shots travel separately.
    fal = offer(ProviderId.FAL, model)
    assert not any("one prompt" in m for m in _messages(sb, fal))


def _evolink_storyboard_with_combined_prompt(length: int) -> Storyboard:
    """Shots whose `镜头` prompt is exactly `length` characters, each shot within its own cap."""
    lim = EVOLINK.limits
    n = lim.max_shots
    seconds = lim.max_total_seconds // n
    overhead = len(prompt_syntax(Storyboard(shots=[Shot(prompt="", duration=seconds)] * n)))
    letters = length - overhead
    sizes = [letters // n + (1 if i < letters % n else 0) for i in range(n)]
    assert max(sizes) <= lim.max_shot_prompt_chars
    sb = Storyboard(shots=[Shot(prompt="w" * k, duration=seconds) for k in sizes])
    assert len(prompt_syntax(sb)) == length
    return sb


def test_evolink_accepts_a_combined_prompt_exactly_at_the_limit() -> None:
    cap = EVOLINK.limits.max_prompt_chars
    assert _problems(_evolink_storyboard_with_combined_prompt(cap), EVOLINK) == []
    assert len(_problems(_evolink_storyboard_with_combined_prompt(cap + 1), EVOLINK)) == 1


def test_prompt_syntax_numbers_the_shots_and_gives_their_seconds() -> None:
    sb = Storyboard(
        shots=[Shot(prompt=" the girl walks toward the window ", duration=3), Shot(prompt="zoom", duration=2)]
    )
    assert prompt_syntax(sb) == "镜头 1, 3, the girl walks toward the window; 镜头 2, 2, zoom;"


@pytest.mark.parametrize("o", [o for o in ALL_OFFERS if o.has("negative_prompt")], ids=_id)
def test_a_negative_prompt_over_the_limit_is_refused(o: Offer) -> None:
    cap = o.limits.max_negative_prompt_chars
    sb = _storyboard(o, 5, options=Options(negative_prompt="n" * (cap + 1)))
    assert _messages(sb, o) == [
        f"The negative prompt is {cap + 1} characters; the limit is {cap}. Shorten it."
    ]


@pytest.mark.parametrize("o", [o for o in ALL_OFFERS if not o.has("negative_prompt")], ids=_id)
def test_a_negative_prompt_is_ignored_where_it_is_not_sent(o: Offer) -> None:
    sb = _storyboard(o, 5, options=Options(negative_prompt="n" * (o.limits.max_negative_prompt_chars + 1)))
    assert _problems(sb, o) == []


# --- the first frame ----------------------------------------------------------------------------


@pytest.mark.parametrize("o", I2V_OFFERS, ids=_id)
def test_image_to_video_without_a_first_frame_is_refused(o: Offer) -> None:
    sb = _storyboard(o, 5, first_frame=None)
    messages = _messages(sb, o)
    assert len(messages) == 1
    assert "first-frame image" in messages[0]
    assert "text-to-video" in messages[0]


@pytest.mark.parametrize("o", [o for o in ALL_OFFERS if not o.takes_image], ids=_id)
def test_text_to_video_needs_no_first_frame(o: Offer) -> None:
    assert _problems(_storyboard(o, 5, first_frame=None), o) == []


@pytest.mark.parametrize("o", I2V_OFFERS, ids=_id)
def test_a_first_frame_too_small_is_refused_with_its_size_and_the_minimum(o: Offer) -> None:
    rules = o.image_rules
    assert rules is not None
    small = rules.min_side - 1
    sb = _storyboard(o, 5, first_frame=_frame(width=small * 2, height=small))
    assert _messages(sb, o) == [
        f"The first frame is {small * 2}×{small} px; it needs at least {rules.min_side} px on each side. "
        "Upload a larger image."
    ]


@pytest.mark.parametrize("o", I2V_OFFERS, ids=_id)
def test_a_first_frame_exactly_at_the_minimum_side_is_accepted(o: Offer) -> None:
    rules = o.image_rules
    assert rules is not None
    side = rules.min_side
    assert _problems(_storyboard(o, 5, first_frame=_frame(width=side, height=side)), o) == []


@pytest.mark.parametrize("o", I2V_OFFERS, ids=_id)
@pytest.mark.parametrize("orientation", ["wide", "tall"])
def test_a_first_frame_too_wide_or_too_tall_is_refused_with_the_allowed_range(
    o: Offer, orientation: str
) -> None:
    rules = o.image_rules
    assert rules is not None
    short = 1000
    long = int(short * rules.max_aspect) + 10
    width, height = (long, short) if orientation == "wide" else (short, long)
    sb = _storyboard(o, 5, first_frame=_frame(width=width, height=height))
    assert _messages(sb, o) == [
        f"The first frame is too wide or too tall (allowed {aspect_range(rules)}). Use Crop or Pad to fix it."
    ]


def test_the_allowed_aspect_range_reads_like_the_providers_docs() -> None:
    rules = WAVESPEED_I2V.image_rules
    assert rules is not None
    assert aspect_range(rules) == "1:2.5 to 2.5:1"  # "aspect ratio within 1:2.5 to 2.5:1" [Seed 001]


@pytest.mark.parametrize("o", I2V_OFFERS, ids=_id)
def test_a_first_frame_exactly_at_the_aspect_limits_is_accepted(o: Offer) -> None:
    rules = o.image_rules
    assert rules is not None
    short = 400
    long = round(short * rules.max_aspect)
    for width, height in ((long, short), (short, long)):
        assert _problems(_storyboard(o, 5, first_frame=_frame(width=width, height=height)), o) == []


@pytest.mark.parametrize("o", I2V_OFFERS, ids=_id)
def test_a_first_frame_over_the_size_limit_is_refused(o: Offer) -> None:
    rules = o.image_rules
    assert rules is not None
    sb = _storyboard(o, 5, first_frame=_frame(size_bytes=rules.max_bytes + 1))
    messages = _messages(sb, o)
    assert len(messages) == 1
    assert "Upload a smaller image" in messages[0]


def test_a_first_frame_over_the_size_limit_is_refused_naming_the_limit() -> None:
    # BUG (storyboard/validate.py, _first_frame_problems): design rule 6 is "which shot, which limit,
    # what to do", but the message says only "larger than the provider accepts", so the user cannot
    # tell how small the file must be. media.py's upload check already names it ("the limit is 50 MB").
    o = WAVESPEED_I2V
    rules = o.image_rules
    assert rules is not None
    sb = _storyboard(o, 5, first_frame=_frame(size_bytes=rules.max_bytes + 1))
    limit_mb = rules.max_bytes // (1024 * 1024)
    messages = _messages(sb, o)
    assert any(f"{limit_mb} MB" in m for m in messages), messages


def test_a_first_frame_at_the_size_limit_is_accepted() -> None:
    rules = WAVESPEED_I2V.image_rules
    assert rules is not None
    sb = _storyboard(WAVESPEED_I2V, 5, first_frame=_frame(size_bytes=rules.max_bytes))
    assert _problems(sb, WAVESPEED_I2V) == []


def test_a_text_to_video_offer_ignores_a_leftover_first_frame() -> None:
    # Switching from image to text to video must not block on the old picture.
    sb = _storyboard(FAL, 5, first_frame=_frame(width=10, height=10))
    assert _problems(sb, FAL) == []


# --- several problems at once -------------------------------------------------------------------


def test_every_problem_is_reported_at_once_each_pointing_at_its_shot() -> None:
    o = offer(ProviderId.FAL, ModelId.TURBO_PRO_I2V)
    shots = [
        Shot(prompt="", duration=2),
        Shot(prompt="x" * (o.limits.max_shot_prompt_chars + 1), duration=5),
        Shot(prompt="fine", duration=5),
    ]
    sb = Storyboard(shots=shots, model=o.model, provider=o.provider, first_frame=None)
    problems = _problems(sb, o)
    assert {p.shot for p in problems if p.shot is not None} == {1, 2}
    assert any(p.shot is None and "first-frame image" in p.message for p in problems)
    assert len(problems) == 4  # shot 1 too short, shot 1 no prompt, shot 2 prompt too long, no first frame


def test_evolink_refuses_a_semicolon_that_would_split_a_shot() -> None:
    sb = Storyboard(shots=[Shot(prompt="a beach", duration=5), Shot(prompt="waves; then gulls", duration=5)])
    messages = [p.message for p in _problems(sb, EVOLINK)]
    assert messages == [
        "Shot 2's prompt has a ';', which EvoLink reads as the end of a shot. Use a comma instead."
    ]
    assert _problems(sb, FAL) == []  # fal sends shots as a list: a ';' is just text there


def test_wavespeed_v3_refuses_shots_whose_joined_prompt_runs_past_the_limit() -> None:
    # WaveSpeed V3.0 requires `prompt` beside multi_prompt, so every shot is sent joined as well [Seed 002].
    wavespeed_v3 = offer(ProviderId.WAVESPEED, ModelId.V3_PRO_T2V)
    cap = wavespeed_v3.limits.max_shot_prompt_chars
    sb = Storyboard(model=ModelId.V3_PRO_T2V, shots=[Shot(prompt="p" * cap, duration=3) for _ in range(5)])
    messages = [p.message for p in _problems(sb, wavespeed_v3)]
    assert messages == [
        f"WaveSpeedAI sends all shots as one prompt of {5 * cap + 4} characters; the limit is "
        f"{wavespeed_v3.limits.max_prompt_chars}. Shorten some shot prompts."
    ]


# ---- EvoLink Turbo's shot marker 镜头 -----------------------------------------------------------

EVOLINK_TURBO = [offer(ProviderId.EVOLINK, m) for m in (ModelId.TURBO_PRO_T2V, ModelId.TURBO_PRO_I2V)]


@pytest.mark.parametrize("o", EVOLINK_TURBO, ids=_id)
@pytest.mark.parametrize(
    ("durations", "prompt"),
    [
        ((5,), "慢镜头: a drop of water falls into a cup."),  # slow motion, the word inside another
        ((5,), "镜头 1, 5, a red kite;  then the kite lands"),  # the form, then loose words
        ((5,), "镜头 1, 3, a red kite; 镜头 2, 3, it lands;"),  # seconds add up to 6, not 5
        ((3, 2), "镜头 1, 3, a red kite;"),  # the form inside a shot of a multi-shot storyboard
        ((3, 2), "The 镜头 pans left."),
    ],
)
def test_evolink_turbo_refuses_the_shot_marker_outside_its_form(
    o: Offer, durations: tuple[int, ...], prompt: str
) -> None:
    sb = _storyboard(o, *durations, prompt=prompt)
    problems = [p for p in _problems(sb, o) if "镜头" in p.message]
    assert [(p.shot, p.message) for p in problems] == [
        (
            i,
            f"Shot {i}'s prompt uses the word 镜头, which EvoLink reads as the start of a new shot; "
            "use another word, such as 'shot' or 'camera'.",
        )
        for i in range(1, len(durations) + 1)
    ]
    _says_what_to_do(problems[0].message)


@pytest.mark.parametrize("o", EVOLINK_TURBO, ids=_id)
def test_evolink_turbo_accepts_a_lone_prompt_written_in_its_own_form(o: Offer) -> None:
    sb = _storyboard(o, 5, prompt="镜头 1, 3, a red kite rises; 镜头 2, 2, it lands on the dune;")
    assert not any("镜头" in m for m in _messages(sb, o))


@pytest.mark.parametrize("o", [o for o in ALL_OFFERS if o.multi_shot_form != "prompt_syntax"], ids=_id)
def test_the_shot_marker_is_only_a_word_elsewhere(o: Offer) -> None:
    sb = _storyboard(o, 5, prompt="慢镜头: a drop of water falls into a cup.")
    assert not any("镜头" in m for m in _messages(sb, o))
