"""Menus that close once an item in them is picked.

A Streamlit popover stays open after a click inside it, so it covers whatever the click opened (a
template, a storyboard, the question under a take). Closing one is done by giving it a new key:
the page then draws a new popover, closed, whatever the browser last sent about the old one. (Setting
a tracked popover's state to closed lost a race: an item clicked before the rerun that opening the
menu makes had finished left the menu open.) Opening a menu costs no rerun.
"""

from __future__ import annotations

from typing import Any

import streamlit as st
from streamlit.delta_generator import DeltaGenerator


def _generation(key: str) -> str:
    return f"{key}:closed"


def menu(where: DeltaGenerator, label: str, key: str, **popover: Any) -> DeltaGenerator:
    """A popover in `where` that `close_menu(key)` closes."""
    return where.popover(label, key=f"{key}:{st.session_state.get(_generation(key), 0)}", **popover)


def close_menu(key: str) -> None:
    """Call from the callback of an item picked in the menu keyed `key`."""
    st.session_state[_generation(key)] = st.session_state.get(_generation(key), 0) + 1
