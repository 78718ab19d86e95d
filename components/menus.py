"""Menus that close once an item in them is picked, and whose items are drawn only while open.

A Streamlit popover stays open after a click inside it, so it covers whatever the click opened (a
template, a storyboard, the question under a take). Closing one is done by giving it a new key:
the page then draws a new popover, closed, whatever the browser last sent about the old one. (Setting
a tracked popover's state to closed lost a race: an item clicked before the rerun that opening the
menu makes had finished left the menu open.)

Its open state is tracked (on_change="rerun") so that its items are drawn only while it is open:
opening a menu costs one rerun, and every other rerun of the page (each edit of a prompt) no longer
builds and sends the list of drafts, the templates, or each take's menu (python -m
bench.editor_sessions: editor script CPU median 42 -> 27 ms with the menus and the export panel
drawn only when open). An item cannot be clicked before that rerun, as it is not there yet.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import streamlit as st
from streamlit.delta_generator import DeltaGenerator


def _generation(key: str) -> str:
    return f"{key}:closed"


def popover_key(key: str, state: Any = None) -> str:
    """The widget key of the menu keyed `key` as drawn now (`state`: the session state; tests pass
    AppTest's)."""
    state = st.session_state if state is None else state
    # AppTest's session state answers `in` and [] (not .get)
    generation = state[_generation(key)] if _generation(key) in state else 0  # noqa: SIM401
    return f"{key}:{generation}"


def menu(where: DeltaGenerator, label: str, key: str, items: Callable[[], None], **popover: Any) -> None:
    """A popover in `where` that `close_menu(key)` closes; `items()` draws what is in it, only
    while it is open."""
    with where.popover(label, key=popover_key(key), on_change="rerun", **popover) as shown:
        if shown.open:
            items()


def close_menu(key: str) -> None:
    """Call from the callback of an item picked in the menu keyed `key`."""
    st.session_state[_generation(key)] = st.session_state.get(_generation(key), 0) + 1
