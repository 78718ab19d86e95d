"""One shot: its prompt with a character counter, its duration slider, and move/duplicate/delete.

The slider's options run from the shortest allowed shot to what the other shots leave over, so no
move can push the total past the limit. The pattern (design.md): never pass `value=`; write the
shot's current length into the widget's key before creating it; the callback writes it back.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import streamlit as st

from components.lengths import LengthFigures, commit_in_place, whole_page
from components.prompt_helper import prompt_helper
from components.roles import read_only
from components.runtime import commit, current
from storyboard import editing
from storyboard.catalog import PROVIDERS, offer, offers_for
from storyboard.models import ModelId, Storyboard
from storyboard.prompt_parts import prompt_limit


def too_short_for(seconds: int, model: ModelId) -> str:
    """The providers that refuse a shot this short, in words ("fal.ai and WaveSpeedAI")."""
    names = [PROVIDERS[o.provider].label for o in offers_for(model) if seconds < o.limits.min_shot_seconds]
    return " and ".join(sorted(names))


def min_seconds(model: ModelId) -> int:
    return max(o.limits.min_shot_seconds for o in offers_for(model))


def prompt_key(shot_id: str) -> str:
    return f"w:prompt:{shot_id}"


def duration_key(shot_id: str) -> str:
    return f"w:dur:{shot_id}"


def _index(sb: Storyboard, shot_id: str) -> int | None:
    return next((i for i, s in enumerate(sb.shots) if s.id == shot_id), None)


def _edit(shot_id: str, change: Callable[[Storyboard, int], Storyboard]) -> Callable[[], None]:
    """A callback that applies an editing function to the shot, wherever it has moved to, then
    reruns the whole page (the toolbar is drawn in a LengthFigures place)."""

    def callback() -> None:
        sb = current()
        index = _index(sb, shot_id)
        if index is not None:
            commit(change(sb, index))
        whole_page()

    return callback


def _set_in_place(shot_id: str, key: str, change: Callable[[Storyboard, int, Any], Storyboard]) -> None:
    """A widget drawn in a LengthFigures place (a prompt, a length) changed: apply its value to the
    shot, wherever it has moved to; the figures rerun (commit_in_place)."""
    sb = current()
    index = _index(sb, shot_id)
    if index is not None:
        commit_in_place(change(sb, index, st.session_state[key]))


def _counter(length: int, limit: int, why: str | None = None) -> str:
    if length > limit:
        fix = f"{why}: shorten this shot or another" if why else "shorten this prompt"
        return f":red[**{length} / {limit} characters** · {length - limit} over: {fix}]"
    return f"{length} / {limit} characters" + (f" ({why})" if why else "")


def shot_card(sb: Storyboard, index: int, figures: LengthFigures) -> None:
    """The card: its toolbar, prompt and length. What follows the lengths (the heading, Duplicate,
    the counter and the length slider) is drawn in LengthFigures places; the rest is not redrawn
    when a length changes."""
    shot = sb.shots[index]
    n = len(sb.shots)
    with st.container(border=True, key=f"shot-{index + 1}"):
        # One row at any width: a horizontal container never stacks on a phone, as columns do
        # (below 640 px each column takes a line, so the toolbar was five rows).
        with st.container(
            horizontal=True,
            wrap=False,
            vertical_alignment="center",
            gap="small",
            key=f"shot-toolbar-{index + 1}",
        ):
            figures.here(_heading, index)
            st.button(
                "",
                icon=":material/arrow_upward:",
                key=f"w:up:{shot.id}",
                help="Move this shot earlier",
                disabled=(index == 0) or read_only(),
                on_click=_edit(shot.id, lambda s, i: editing.move_shot(s, i, -1)),
            )
            st.button(
                "",
                icon=":material/arrow_downward:",
                key=f"w:down:{shot.id}",
                help="Move this shot later",
                disabled=(index == n - 1) or read_only(),
                on_click=_edit(shot.id, lambda s, i: editing.move_shot(s, i, 1)),
            )
            figures.here(_duplicate, index, width="content")
            st.button(
                "",
                icon=":material/delete:",
                key=f"w:del:{shot.id}",
                help="Delete this shot" if n > 1 else "A storyboard keeps at least one shot",
                disabled=(n <= 1) or read_only(),
                on_click=_edit(shot.id, editing.delete_shot),
            )
        figures.here(_prompt, index)
        figures.here(_length, index)
        prompt_helper(sb, index, figures)  # last: Tab still goes from the prompt to the length slider


def _prompt(index: int) -> None:
    """The prompt, drawn in a LengthFigures place: what an edit of it changes (the counter, the
    timeline's labels, whether Generate can go) is drawn in places too, so typing in a prompt reruns
    the figures alone, not the whole page (python -m bench.editor_sessions)."""
    sb = current()
    if index >= len(sb.shots):  # a shot deleted in this instant: the whole page is on its way
        return
    shot = sb.shots[index]
    pkey = prompt_key(shot.id)
    st.session_state[pkey] = shot.prompt
    st.text_area(
        f"What happens in shot {index + 1}",
        key=pkey,
        height=90,
        placeholder="Subject, action, camera, light. E.g. 'Close-up of the bottle on wet sand, waves roll in, golden hour.'",
        on_change=_set_in_place,
        args=(shot.id, pkey, editing.set_prompt),
        disabled=read_only(),
    )


def _heading(index: int) -> None:
    """ "Shot 2 · 5 s"."""
    sb = current()
    if index < len(sb.shots):  # else a shot deleted in this instant: the whole page is on its way
        st.markdown(f"**Shot {index + 1}** · {sb.shots[index].duration} s")


def _duplicate(index: int) -> None:
    """Duplicate, greyed out when the storyboard has no room for another shot (the lengths decide)."""
    sb = current()
    if index >= len(sb.shots):
        return
    blocker = editing.add_shot_blocker(sb)
    st.button(
        "",
        icon=":material/content_copy:",
        key=f"w:dup:{sb.shots[index].id}",
        help=blocker or "Duplicate this shot",
        disabled=(blocker is not None) or read_only(),
        on_click=_edit(sb.shots[index].id, editing.duplicate_shot),
    )


def _length(index: int) -> None:
    """Under the prompt: its counter (a joined prompt's limit follows the lengths), whether the shot
    is too short for a provider, and its length slider."""
    sb = current()
    if index >= len(sb.shots):
        return
    shot = sb.shots[index]
    n = len(sb.shots)
    limit, why = prompt_limit(sb, offer(sb.provider, sb.model), index)
    st.caption(_counter(len(shot.prompt), limit, why))

    if n > 1:
        strict = too_short_for(shot.duration, sb.model)
        if strict:
            st.caption(
                f":orange[Too short for {strict}: make it at least {min_seconds(sb.model)} s to use them.]"
            )
    low, high = editing.slider_range(sb, index)
    dkey = duration_key(shot.id)
    length = max(low, min(shot.duration, high))
    # Set only a length changed elsewhere (the timeline, another shot, an import): a value set is put
    # back in the browser, and set on every run it would undo arrow presses made while this run was
    # under way (a fragment's runs are queued, not interrupted), losing them.
    if st.session_state.get(dkey) != length:
        st.session_state[dkey] = length
    st.select_slider(
        f"Length of shot {index + 1}",
        options=list(range(low, high + 1)),
        key=dkey,
        format_func=lambda s: f"{s} s",
        disabled=(low == high) or read_only(),
        help=None if low < high else "No seconds left: shorten another shot first.",
        on_change=_set_in_place,
        args=(shot.id, dkey, editing.set_duration),
    )
