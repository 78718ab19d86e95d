"""Who is acting in this browser session (issue 13): `actor()` for every page and callback.

Without sign-in (settings.sign_in() off) it is people.SOLO, the single-person app's one person,
who may do everything. With sign-in, the gate in app.py (components/sign_in.py) puts the signed-in
member's Actor in the session before any page runs, and stops the page for anyone else.
"""

from __future__ import annotations

import streamlit as st

from storyboard import settings
from storyboard.people import SOLO, Actor
from storyboard.permissions import Action, Refused, check

ACTOR = "actor"  # session_state: the signed-in member's Actor (absent: SOLO)


def actor() -> Actor:
    """This session's actor. With sign-in configured and nobody signed in (the gate not passed),
    raises Refused rather than fall back to SOLO: a team's app never fails open."""
    found = st.session_state.get(ACTOR)
    if isinstance(found, Actor):
        return found
    if settings.team_mode():
        raise Refused("Sign in to do that.", Action.VIEW)
    return SOLO


def refused(action: Action, *, owner: str | None = None) -> str | None:
    """For drawing a page: None when this session's actor may do `action`, else the sentence (a
    greyed-out control's tooltip). A callback uses roles.refused_now, which reads the member again:
    callbacks run before their run's gate, so this session's actor may be a run old there."""
    try:
        check(actor(), action, owner=owner)  # actor() itself refuses when nobody is signed in
    except Refused as no:
        return no.sentence
    return None
