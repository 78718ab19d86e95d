"""Who else has this storyboard open, and whether they saved it since this window read it (issue
13, team mode only): renewed every few seconds by a fragment, so it shows without an edit."""

from __future__ import annotations

import uuid

import streamlit as st

from components.identity import actor
from components.runtime import conflict, load_newest, runtime, saved_version
from components.text import plain
from storyboard import settings
from storyboard.people import shown_name
from storyboard.store.presence import RENEW

SESSION = "presence_session"  # this browser session's id in the presence table


def _session() -> str:
    return st.session_state.setdefault(SESSION, uuid.uuid4().hex)


@st.fragment(run_every=RENEW.total_seconds())
def _who_else(draft_id: str) -> None:
    store = runtime().store
    others = store.presence.here(_session(), draft_id, actor())
    me = actor().email
    if others:
        names = ["you, in another window" if o.email == me else shown_name(o.name, o.email) for o in others]
        st.caption("👥 Also open now: " + plain(", ".join(names)))
    mine = saved_version(draft_id)
    newest = store.draft_version(draft_id)
    if conflict() is None and mine is not None and newest is not None and newest > mine:
        opened = store.open_draft(draft_id)
        who = opened.updated_by_name if opened is not None and opened.updated_by_name else "Someone"
        note, load = st.columns([4, 1], vertical_alignment="center")
        note.info(
            plain(f"{who} saved a newer version of this storyboard; your next edit will ask which to keep."),
            icon="🔄",
        )
        if load.button("Load it", key="w:load-newest", width="stretch"):
            load_newest()
            st.rerun(scope="app")  # the whole editor shows it, not only this fragment


def who_else_is_here(draft_id: str) -> None:
    """In a team's app: who else has `draft_id` open (renewed every few seconds). Nothing otherwise."""
    if settings.sign_in().on:
        _who_else(draft_id)
