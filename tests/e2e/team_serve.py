"""TEST ONLY: the app as serve.py serves it, in team mode, with each browser saying who it is.

Until real sign-in (st.login against a test OpenID Connect provider) is merged, the review journey
needs team mode and two people without an identity provider. This launcher, which only the tests
start (`streamlit run tests/e2e/team_serve.py`) and which nothing in the app imports, makes that so
inside its own server process: sign-in counts as configured, and a session's actor is the member
named by the first page's `?as=<email>` (looked up in the members table, kept in the session as
the sign-in gate keeps it). No production entry point (serve.py, app.py, `make run`) reads `as`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import streamlit as st

from components import callback_route, identity, take_watch
from components.runtime import open_runtime, runtime, shutdown
from storyboard import settings
from storyboard.people import Actor
from storyboard.permissions import Action, Refused

ROOT = Path(__file__).resolve().parents[2]


def _signed_in(secrets_path: Path | None = None) -> settings.SignIn:
    return settings.SignIn(True)


def _actor() -> Actor:
    found = st.session_state.get(identity.ACTOR)
    if isinstance(found, Actor):
        return found
    email = st.query_params.get("as", "")
    member = runtime().store.people.member(email) if email else None
    if member is None:
        raise Refused("Sign in to do that.", Action.VIEW)
    st.session_state[identity.ACTOR] = member.actor()
    return member.actor()


settings.sign_in = _signed_in  # type: ignore[assignment]
identity.actor = _actor  # type: ignore[assignment]


@asynccontextmanager
async def lifespan(_app: st.App) -> AsyncIterator[None]:
    open_runtime()
    try:
        yield None
    finally:
        shutdown()


app = st.App(str(ROOT / "app.py"), lifespan=lifespan, routes=[take_watch.mount(), callback_route.route()])
