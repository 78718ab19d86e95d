"""A shot's prompt helper: subject, action, camera, lighting and style, in a collapsed expander.

The fields write the prompt while it is still what they composed (or empty); after a hand edit
they leave it alone and offer "Compose into prompt" instead (rules in storyboard/prompt_parts.py).
Same widget pattern as the shot card: the field's value is written into its key before it is drawn.
"""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from components.lengths import LengthFigures, whole_page
from components.roles import read_only
from components.runtime import commit, current
from components.text import plain
from storyboard.catalog import offer
from storyboard.models import PromptParts, Storyboard
from storyboard.prompt_parts import (
    PARTS,
    Part,
    compose,
    compose_into_prompt,
    follows_parts,
    prompt_limit,
    set_part,
)

LABELS: dict[Part, tuple[str, str]] = {  # label, example
    "subject": ("Subject", "a glass bottle of sun cream on wet sand"),
    "action": ("Action", "a wave rolls over it and pulls back"),
    "camera": ("Camera", "close-up, slow push-in"),
    "lighting": ("Lighting", "golden hour, soft backlight"),
    "style": ("Style", "glossy commercial, 35 mm film"),
}


def part_key(shot_id: str, part: Part) -> str:
    return f"w:part:{part}:{shot_id}"


def compose_key(shot_id: str) -> str:
    return f"w:compose:{shot_id}"


def _apply(shot_id: str, change: Callable[[Storyboard, int], Storyboard]) -> None:
    sb = current()
    index = next((i for i, s in enumerate(sb.shots) if s.id == shot_id), None)
    if index is not None:
        commit(change(sb, index))
    whole_page()  # "Compose into prompt" is drawn in a LengthFigures place


def _set_part(shot_id: str, part: Part) -> None:
    text = st.session_state[part_key(shot_id, part)]
    _apply(shot_id, lambda sb, i: set_part(sb, i, part, text))


def _compose(shot_id: str) -> None:
    _apply(shot_id, compose_into_prompt)


def helper_key(shot_id: str) -> str:
    return f"w:helper:{shot_id}"


def prompt_helper(sb: Storyboard, index: int, figures: LengthFigures) -> None:
    """The expander reports whether it is open, and its fields are drawn only then: five inputs per
    shot cost a rerun more than the whole rest of a shot card. What the fields compose, with its
    size against the prompt's limit (which follows the lengths where all shots go as one prompt),
    is drawn in a LengthFigures place under them."""
    shot = sb.shots[index]
    helper = st.expander(
        "Prompt helper: subject, action, camera, lighting, style", key=helper_key(shot.id), on_change="rerun"
    )
    if helper.open:
        with helper:
            _fields(sb, index)
            figures.here(_composed, index)


def _fields(sb: Storyboard, index: int) -> None:
    shot = sb.shots[index]
    parts = shot.parts or PromptParts()
    for part in PARTS:
        key = part_key(shot.id, part)
        label, example = LABELS[part]
        st.session_state[key] = getattr(parts, part)
        st.text_input(
            f"{label} · shot {index + 1}",
            key=key,
            placeholder=f"e.g. {example}",
            on_change=_set_part,
            args=(shot.id, part),
            disabled=read_only(),
        )


def _composed(index: int) -> None:
    sb = current()
    if index >= len(sb.shots):  # a shot deleted in this instant: the whole page is on its way
        return
    shot = sb.shots[index]
    limit, _ = prompt_limit(sb, offer(sb.provider, sb.model), index)
    composed = compose(shot.parts)
    if not composed:
        st.caption("Fill in any of these and they write the prompt above; you can still edit it by hand.")
        return
    size = f"{len(composed)} / {limit} characters"
    if follows_parts(sb, index):
        st.caption(f"These fields write the prompt above ({size}); edit it by hand whenever you like.")
        return
    over = f" · :red[**{len(composed) - limit} over**]" if len(composed) > limit else ""
    st.caption(
        f"The prompt was edited by hand, so these fields no longer change it. They compose ({size}{over}): "
        f"“{plain(composed)}”"
    )
    st.button(
        "Compose into prompt",
        key=compose_key(shot.id),
        on_click=_compose,
        args=(shot.id,),
        help="Replaces the prompt with what these fields compose; later changes to them follow.",
        disabled=read_only(),
    )
