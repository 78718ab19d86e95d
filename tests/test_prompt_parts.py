"""The prompt helper's rules: how fields compose, when they write the prompt, and that only the
prompt is ever sent."""

from __future__ import annotations

import json

from storyboard.catalog import OFFERS, offer
from storyboard.compile import compile_request
from storyboard.models import ModelId, PromptParts, ProviderId, Shot, Storyboard
from storyboard.prompt_parts import compose, compose_into_prompt, follows_parts, prompt_limit, set_part
from storyboard.validate import validate

PARTS = PromptParts(
    subject="A glass bottle on wet sand",
    action="a wave rolls over it.",
    camera="close-up, slow push-in",
    lighting="golden hour",
    style="35 mm film",
)


def test_fields_compose_into_readable_sentences_without_semicolons() -> None:
    assert compose(PARTS) == (
        "A glass bottle on wet sand, a wave rolls over it. Camera: close-up, slow push-in. "
        "Lighting: golden hour. Style: 35 mm film."
    )
    assert compose(PromptParts(camera=" drone shot. ")) == "Camera: drone shot."
    assert compose(PromptParts()) == "" and compose(None) == ""


def test_a_field_writes_an_empty_prompt_and_keeps_following_it() -> None:
    sb = Storyboard()
    sb = set_part(sb, 0, "subject", "A bottle")
    sb = set_part(sb, 0, "action", "a wave rolls in")
    assert sb.shots[0].prompt == "A bottle, a wave rolls in."
    assert follows_parts(sb, 0)


def test_a_hand_edit_is_kept_when_a_field_changes_until_compose_is_asked_for() -> None:
    sb = set_part(Storyboard(), 0, "subject", "A bottle")
    sb = sb.model_copy(update={"shots": [sb.shots[0].model_copy(update={"prompt": "My own words"})]})
    sb = set_part(sb, 0, "camera", "drone shot")
    assert sb.shots[0].prompt == "My own words"
    assert not follows_parts(sb, 0)
    sb = compose_into_prompt(sb, 0)
    assert sb.shots[0].prompt == "A bottle. Camera: drone shot."
    assert follows_parts(sb, 0)


def test_a_prompt_written_before_the_helper_is_never_overwritten() -> None:
    sb = Storyboard(shots=[Shot(prompt="Typed by hand")])
    assert set_part(sb, 0, "subject", "A bottle").shots[0].prompt == "Typed by hand"


def test_old_drafts_without_helper_fields_still_load() -> None:
    old = '{"id": "abc", "shots": [{"id": "s1", "prompt": "waves", "duration": 5}]}'
    sb = Storyboard.model_validate_json(old)
    assert sb.shots[0].parts is None and sb.shots[0].prompt == "waves"


def test_helper_fields_are_never_sent_to_any_provider() -> None:
    marker = "HELPER-ONLY-7f3a"
    parts = PromptParts(subject=marker, action=marker, camera=marker, lighting=marker, style=marker)
    for shots in ([Shot(prompt="a bottle", parts=parts)], [Shot(prompt="a", parts=parts), Shot(prompt="b")]):
        for (provider, model), o in OFFERS.items():
            sb = Storyboard(provider=provider, model=model, shots=shots)
            body = compile_request(sb, o, "https://files.example/x.jpg" if o.takes_image else None).body
            assert marker not in json.dumps(body, ensure_ascii=False), (provider, model)


def test_one_shot_may_use_the_whole_prompt_limit() -> None:
    sb = Storyboard(provider=ProviderId.EVOLINK)
    assert prompt_limit(sb, offer(ProviderId.EVOLINK, ModelId.TURBO_PRO_T2V), 0) == (2500, None)


def test_where_all_shots_go_as_one_prompt_a_shot_gets_what_the_others_leave() -> None:
    chosen = offer(ProviderId.EVOLINK, ModelId.TURBO_PRO_T2V)
    shots = [Shot(prompt="x" * 450, duration=2) for _ in range(6)]  # each under 512, together over 2500
    sb = Storyboard(provider=ProviderId.EVOLINK, shots=shots)
    limit, why = prompt_limit(sb, chosen, 0)
    sent = compile_request(sb, chosen).body["prompt"]
    assert 0 < limit == 2500 - (len(sent) - 450) < 450  # what brings the joined prompt to 2500 exactly
    assert why == "EvoLink sends all shots as one prompt of at most 2500 characters"
    assert any("sends all shots as one prompt" in p.message for p in validate(sb, chosen))
    # fal sends each shot on its own: only the per-shot cap applies
    assert prompt_limit(
        sb.model_copy(update={"provider": ProviderId.FAL}), offer(ProviderId.FAL, sb.model), 0
    ) == (
        512,
        None,
    )


def test_duplicating_a_shot_copies_its_helper_fields() -> None:
    from storyboard.editing import duplicate_shot

    sb = set_part(Storyboard(shots=[Shot(duration=5)]), 0, "subject", "A bottle")
    copy = duplicate_shot(sb, 0).shots[1]
    assert (
        copy.parts == sb.shots[0].parts
        and copy.id != sb.shots[0].id
        and follows_parts(duplicate_shot(sb, 0), 1)
    )
