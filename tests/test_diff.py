"""What changed between two storyboards, in words, as the Takes comparison shows it."""

from __future__ import annotations

from hypothesis import assume, given
from hypothesis import strategies as st

from storyboard import editing
from storyboard.diff import changes, content_key
from storyboard.models import FirstFrame, ModelId, Options, ProviderId, Shot, Storyboard


def _sb(*durations: int) -> Storyboard:
    return Storyboard(shots=[Shot(prompt=f"shot {i + 1}", duration=d) for i, d in enumerate(durations)])


def _with_shot(sb: Storyboard, index: int, **update: object) -> Storyboard:
    shots = list(sb.shots)
    shots[index] = shots[index].model_copy(update=update)
    return sb.model_copy(update={"shots": shots})


def test_the_same_storyboard_has_no_changes_even_renamed() -> None:
    sb = _sb(5, 5)
    assert changes(sb, sb.model_copy(update={"name": "Another name"})) == []
    assert content_key(sb) == content_key(sb.model_copy(update={"name": "x"}))


def test_a_prompt_and_a_duration_are_named_with_their_shot() -> None:
    before = _sb(5, 5, 3)
    after = _with_shot(_with_shot(before, 1, prompt="new words"), 0, duration=4)
    old = " ".join(before.shots[1].prompt.split())
    assert changes(before, after) == ["Shot 1 duration 5 s → 4 s", f"Shot 2 prompt: “{old}” → “new words”"]


def test_model_provider_and_options_are_named_with_both_values() -> None:
    before = _sb(5)
    after = before.model_copy(
        update={
            "model": ModelId.V3_PRO_T2V,
            "provider": ProviderId.WAVESPEED,
            "options": Options(resolution="720p", sound=True, negative_prompt="blur"),
        }
    )
    assert changes(before, after) == [
        "Model: Kling V3 Turbo Pro · text to video → Kling V3.0 Pro · text to video",
        "Provider: Preview (free, offline) → WaveSpeedAI",
        "Resolution: 1080p → 720p",
        "Negative prompt added",
        "Sound: off → on",
    ]


def test_added_removed_and_moved_shots() -> None:
    before = _sb(3, 3, 3)
    added = editing.add_shot(before)
    assert changes(before, added) == ["Shot 4 added"]
    removed = before.model_copy(update={"shots": before.shots[1:]})
    assert changes(before, removed) == ["Shot 1 removed"]
    swapped = before.model_copy(update={"shots": [before.shots[1], before.shots[0], before.shots[2]]})
    assert changes(before, swapped) == ["Shot 2 moved to 1", "Shot 1 moved to 2"]


def test_storyboards_made_separately_are_compared_in_order() -> None:
    assert changes(_sb(5, 5), _sb(5, 4, 2)) == ["Shot 2 duration 5 s → 4 s", "Shot 3 added"]


def test_a_first_frame_added_or_changed() -> None:
    frame = FirstFrame(path="images/a.jpg", width=1280, height=720, format="JPEG", size_bytes=1, sha256="a")
    sb = _sb(5)
    with_frame = sb.model_copy(update={"first_frame": frame})
    assert changes(sb, with_frame) == ["First frame added"]
    other = with_frame.model_copy(update={"first_frame": frame.model_copy(update={"sha256": "b"})})
    assert changes(with_frame, other) == ["First frame changed"]
    assert changes(with_frame, sb) == ["First frame removed"]


_shot = st.builds(Shot, prompt=st.sampled_from(["", "a", "b"]), duration=st.integers(1, 5))
_options = st.builds(
    Options,
    resolution=st.sampled_from(["720p", "1080p"]),
    aspect_ratio=st.sampled_from(["16:9", "9:16", "1:1"]),
    sound=st.booleans(),
    cfg_scale=st.sampled_from([0.5, 0.7]),
)


@st.composite
def _pairs(draw: st.DrawFn) -> tuple[Storyboard, Storyboard]:
    """Two storyboards as a user makes them: the second an edit of the first (shots kept,
    changed, removed, added, moved), with any model, provider and options."""
    base = draw(st.lists(_shot, min_size=1, max_size=6))
    kept = [
        s.model_copy(
            update={
                "prompt": draw(st.sampled_from([s.prompt, "edited"])),
                "duration": draw(st.integers(1, 5)),
            }
        )
        for s in base
        if draw(st.booleans())
    ]
    shots = draw(st.permutations(kept + draw(st.lists(_shot, max_size=2)))) or [draw(_shot)]
    before = Storyboard(shots=base, options=draw(_options))
    after = Storyboard(
        id=before.id,
        shots=shots,
        options=draw(_options),
        model=draw(st.sampled_from(list(ModelId))),
        provider=draw(st.sampled_from(list(ProviderId))),
    )
    return before, after


@given(_pairs())
def test_no_change_is_named_exactly_when_the_content_is_the_same(pair: tuple[Storyboard, Storyboard]) -> None:
    before, after = pair
    assume({s.id for s in before.shots} & {s.id for s in after.shots})  # an edit, not a new storyboard
    assert (changes(before, after) == []) == (content_key(before) == content_key(after))
    assert changes(before, before) == [] and changes(after, after) == []


@given(_pairs())
def test_every_shot_added_or_removed_is_named_once(pair: tuple[Storyboard, Storyboard]) -> None:
    before, after = pair
    said = changes(before, after)
    kept = {s.id for s in before.shots} & {s.id for s in after.shots}
    if kept:
        assert sum(line.endswith(" added") and line.startswith("Shot") for line in said) == len(
            after.shots
        ) - len(kept)
        assert sum(line.endswith(" removed") and line.startswith("Shot") for line in said) == len(
            before.shots
        ) - len(kept)
