"""What this session's person may do (issue 13): `may` and `read_only` to draw the pages (grey out
what would be refused), `acting` and `refused_now` for callbacks (the person as they are now),
and the one sentence a refused callback leaves for the next run to show.

Every action is checked where it happens (a callback, the runner, the store: permissions.check),
whatever the page drew. Without sign-in (the single-person app) everything is allowed and nothing
here changes what a page looks like.
"""

from __future__ import annotations

import streamlit as st

from components.identity import ACTOR, actor
from storyboard import settings
from storyboard.people import Actor
from storyboard.permissions import Action, Refused, allows, refusal

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


def acting() -> Actor:
    """Who acts, for a callback. A callback runs before its run's sign-in gate, so the Actor the
    session holds is the one the last run read: the member is read again here (one small query), so
    a person whose role was changed, or who was removed, since their page was drawn acts as what
    they are now. Raises Refused when nobody is signed in or they are no longer a member."""
    found = actor()
    if found.solo:
        return found
    from components.runtime import open_runtime  # runtime imports this module

    member = open_runtime().store.people.member(found.email)
    if member is None or member.joined_at is None:
        st.session_state.pop(ACTOR, None)
        raise Refused(
            "You are no longer a member of this workspace; ask an admin to invite you again.", Action.VIEW
        )
    now = member.actor()
    st.session_state[ACTOR] = now  # what the rest of this callback, and this run's page, go by
    return now


def refused_now(action: Action, *, owner: str | None = None) -> str | None:
    """For a callback: None when the person, as they are now (`acting`), may `action`; else why not."""
    try:
        return refusal(acting(), action, owner=owner)
    except Refused as no:
        return no.sentence


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
