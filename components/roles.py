"""What this session's person may do, for drawing the pages (issue 13).

Every action is checked where it happens (a callback, the runner, the store: permissions.check);
this module only lets a page grey out what would be refused, and keeps the one sentence a refused
callback leaves for the next run to show. Without sign-in (the single-person app) everything is
allowed and nothing here changes what a page looks like.
"""

from __future__ import annotations

import streamlit as st

from components.identity import actor
from storyboard import settings
from storyboard.permissions import Action, Refused, allows

REFUSED = "roles_refused"  # the sentence of the last refused storyboard change, shown once on the editor


def team() -> bool:
    """Team mode: sign-in is configured (or its configuration cannot be read: never fail open)."""
    return settings.team_mode()


def may(action: Action, *, owner: str | None = None) -> bool:
    """Whether this session's person may `action` (False when nobody passed the sign-in gate)."""
    try:
        return allows(actor(), action, owner=owner)
    except Refused:
        return False


def read_only() -> bool:
    """The storyboard is drawn with every control greyed out (a reviewer's view)."""
    return not may(Action.EDIT_STORYBOARD)


def say_refused(sentence: str) -> None:
    """Keep a refused change's sentence for the page to show (a callback cannot draw)."""
    st.session_state[REFUSED] = sentence


def refused_note() -> None:
    """The sentence of the last refused change, once."""
    sentence = st.session_state.pop(REFUSED, None)
    if sentence:
        st.error(sentence, icon="🔒")
