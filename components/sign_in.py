"""The gate (issue 13): who may see the app when sign-in is configured, run by app.py before any page.

Without Streamlit's `[auth]` table in `.streamlit/secrets.toml` nothing happens here: the
single-person app, as it always was. With it:

- the secrets file cannot be read: its sentence, nothing else (whether sign-in is wanted is unknown);
- nobody signed in: a title and "Sign in" (st.login), nothing else: no sidebar, no page, no draft id;
- signed in but not admitted (not a member, an unverified address, no address at all): one sentence
  and "Sign out";
- a member: their Actor in st.session_state[identity.ACTOR], read again from the members table on
  every run, so a removal or a new role applies at the next click; "Sign out" in the sidebar.

Streamlit authenticates (st.user: the ID token's claims); the members table authorises.
"""

from __future__ import annotations

from collections.abc import Mapping

import streamlit as st

from components import after_sign_in
from components.identity import ACTOR
from components.runtime import runtime
from components.text import plain
from storyboard import settings
from storyboard.people import Actor, shown_name
from storyboard.store.people import People

TITLE = "Storyboard Studio"


def verified_email(claims: Mapping[str, object]) -> str | None:
    """The address the identity provider vouches for, or None: none given, or one it says it has
    not verified (that could be anyone's: whoever typed it at sign-up). The one rule, for the gate
    and for members_only's requests."""
    email = claims.get("email")
    if not isinstance(email, str) or not email.strip() or claims.get("email_verified") in (False, "false"):
        return None
    return email.strip()


def admitted(people: People, claims: Mapping[str, object]) -> Actor | str:
    """Who the identity provider's claims are in this workspace: the member's Actor, or the one
    sentence a person not let in sees. The first person to sign in to a fresh deployment becomes
    its owner (store.people.join)."""
    email = verified_email(claims)
    if email is None:
        given = claims.get("email")
        if isinstance(given, str) and given.strip():
            return f"Your identity provider has not verified {given.strip()}; verify it there, then sign in again."
        return (
            "Your identity provider did not tell the app your email address, so it cannot tell who you "
            "are; ask whoever runs the sign-in to include the email claim."
        )
    given_name = claims.get("name")
    name = given_name if isinstance(given_name, str) else None
    # A read (~0.2 ms) on every run; join's write transaction (~1.7 ms on SQLite) only when the
    # person joins or their name at the provider changed.
    member = people.member(email)
    if member is None or member.joined_at is None or (name and member.name != shown_name(name, email)):
        member = people.join(email, name)
    if member is None:
        return (
            f"You are signed in as {email.strip()}, who is not a member of this workspace; "
            "ask an admin to invite you."
        )
    return member.actor()


def gate() -> None:
    """Let this run go on only for a member (or when sign-in is off); else draw the little there
    is to see and stop the run.

    Called by app.py and again at the top of every page: Streamlit does not always start a run at
    app.py. With a `pages/` folder beside it, a process's runs go straight to the page the URL names
    until st.navigation has been called once (PagesManager.uses_pages_directory; the first run after
    a restart, and every rerun under AppTest), and such a run must not pass the gate either."""
    state = settings.sign_in()
    if state.problem:
        st.session_state.pop(ACTOR, None)
        st.error(state.problem, icon="🔒")
        st.stop()
    if not state.on:
        return
    if st.user.get("is_logged_in") is not True:
        st.session_state.pop(ACTOR, None)
        st.title(TITLE)
        # st.login, coming back after it to the address opened (a storyboard's or take's link)
        st.button("Sign in", type="primary", on_click=after_sign_in.sign_in, key="sign_in")
        st.stop()
    who = admitted(runtime().store.people, st.user.to_dict())
    if isinstance(who, str):
        st.session_state.pop(ACTOR, None)
        st.warning(plain(who), icon="🔒")
        st.button("Sign out", on_click=st.logout, key="sign_out")
        st.stop()
    st.session_state[ACTOR] = who


def sign_out() -> None:
    """The signed-in person and "Sign out" (one click), for the sidebar; nothing without sign-in."""
    found = st.session_state.get(ACTOR)
    if not isinstance(found, Actor) or found.solo:
        return
    st.caption(plain(f"Signed in as {found.name} ({found.role.label})"))
    st.button("Sign out", on_click=st.logout, key="sign_out", width="stretch")
