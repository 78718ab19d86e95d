"""Menus that close once an item in them is picked.

A Streamlit popover stays open after a click inside it, so it covers whatever the click opened (a
template, a storyboard, the question under a take). Keyed and tracking its state (`on_change` =
"rerun"), its state can be set to closed by the item's callback. Opening such a menu costs one rerun.
"""

from __future__ import annotations

from typing import Any

import streamlit as st
from streamlit.delta_generator import DeltaGenerator


def menu(where: DeltaGenerator, label: str, key: str, **popover: Any) -> DeltaGenerator:
    """A popover in `where` that `close_menu(key)` closes."""
    return where.popover(label, key=key, on_change="rerun", **popover)


def close_menu(key: str) -> None:
    """Call from the callback of an item picked in the menu keyed `key`."""
    st.session_state[key] = False
