"""The figures that follow the shots' lengths and prompts, redrawn on their own when only those change.

Releasing a timeline boundary (or moving a length slider) changes the lengths and nothing else, but a
whole-page rerun makes the browser redraw every element of the editor (~300 ms of React, emotion
and layout on the shared 2-core machine, `python -m bench.timeline_drag`). So every figure a length
changes (the timeline, each shot's heading, Duplicate, counter, too-short note and length slider,
what the prompt helper composes, Add shot, the provider prices, the quote, the comparison and the
warnings, Generate and its caps, Present's "earlier version" note) has a place kept for it where it
belongs (`LengthFigures.here`), and one fragment, run at the end of the page, draws them all into
their places (`LengthFigures.draw_all`; Streamlit 1.67 fragments write into outside containers).
The timeline and the length sliders are drawn by that fragment, so their change reruns only it: the
prompts' neighbours, the pictures, the pickers, the downloads and Present stay as they are. One
fragment rather than one per place: a widget's change reruns its own fragment directly, while
naming other fragments from its callback (`st.rerun(<key>)`) costs a second script run.

A shot's prompt is drawn in a place too: what an edit of it changes (its counter, the timeline's
labels, Generate and the problems it names) is all in places, so typing in a prompt, the edit made
most often, reruns the figures alone (python -m bench.editor_sessions: 50 sessions typing).

A widget drawn there that changes anything else reruns the whole page (`whole_page`), as it would
outside a fragment. What is drawn there reads the storyboard itself (`current()`): a fragment rerun
calls it again with the arguments of the last full run. Files made on click outside the places (the
brief, the exports) read the storyboard when clicked (`when_clicked`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import streamlit as st
from streamlit.delta_generator import DeltaGenerator
from streamlit.elements.lib.layout_utils import Width
from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx

from components.roles import REFUSED
from components.runtime import commit, runtime, unsaved
from storyboard.models import Storyboard

Place = tuple[DeltaGenerator, Callable[..., None], tuple[Any, ...]]


class LengthFigures:
    """The places kept on this run of the page for the figures that follow the lengths."""

    def __init__(self) -> None:
        self._places: list[Place] = []

    def here(self, draw: Callable[..., None], *args: Any, width: Width = "stretch") -> None:
        """Keep this place for `draw(*args)`; it is drawn by `draw_all`, and again on a length change."""
        self._places.append((st.container(width=width), draw, args))

    def draw_all(self) -> None:
        """Fill every place kept; call once, after the last `here`."""
        _follow_lengths(tuple(self._places))


@st.fragment
def _follow_lengths(places: tuple[Place, ...]) -> None:
    for where, draw, args in places:
        # A fragment may write into a container made outside it only if it wrote there on the last
        # full run; a figure that draws nothing on one run (Present's "earlier version" note while
        # the take matches) and something on a length change would raise. The inner container is
        # written on every run, so every place always has been.
        with where, st.container():
            draw(*args)


def figures_alone() -> bool:
    """This run redraws only the figures (a length changed), not the whole page: what the page read
    earlier in its last full run may be out of date."""
    ctx = get_script_run_ctx()
    return ctx is not None and bool(ctx.fragment_ids_this_run)


def whole_page() -> None:
    """End of a callback that changed more than the lengths: when its widget is drawn in a
    LengthFigures place (the interaction reruns only the fragment), rerun the whole page. A widget
    outside gets a whole-page run anyway; a rerun asked for here would cost it a second run."""
    if figures_alone():
        st.rerun()


def commit_in_place(sb: Storyboard) -> None:
    """Commit a storyboard whose change is all drawn in the places (its lengths, from the timeline
    or a length slider; a shot's prompt). Its figures rerun (the default for a widget drawn in a
    place); the whole page when the draft could not be saved before or cannot be now, or the change
    was refused (a reviewer's crafted edit), as the notes saying so, the downloads and the retry are
    outside the places."""
    was_unsaved = unsaved() is not None
    commit(sb)
    if was_unsaved or unsaved() is not None or st.session_state.get(REFUSED):
        st.rerun()


def when_clicked(sb: Storyboard) -> Callable[[], Storyboard]:
    """What a file made on click (a download, a brief) drawn outside the places is made from: the
    draft as saved when it is clicked, so that lengths changed since the button was drawn are in
    it. While an edit could not be saved every edit redraws the whole page (commit_in_place), these
    buttons included: then it is `sb` itself."""
    if unsaved() is not None:
        return lambda: sb
    store = runtime().store
    return lambda: store.load_draft(sb.id) or sb
