"""The server: `streamlit run serve.py` (what `make run` does) serves the app in app.py and starts
the job runner with the server, not with the first visitor.

Streamlit 1.67 runs a script that assigns an `st.App` as an ASGI app (uvicorn) and calls its
lifespan once, at start-up and at shutdown. Here that opens the store and resumes every unfinished
take (a paid take left running by a restart at night is collected before its link expires, with no
page open), and at shutdown stops the runner's threads. The page scripts reach the same store and
runner through `components.runtime.runtime()` (one `st.cache_resource` per data dir, which the
lifespan fills first). `streamlit run app.py`, and AppTest, still work: the runner then starts with
the first page run.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import streamlit as st
from starlette.middleware import Middleware
from streamlit.runtime.pages_manager import PagesManager

from components import after_sign_in, callback_route, take_watch
from components.members_only import MembersOnly
from components.runtime import open_runtime, shutdown
from storyboard.jobs import DataDirBusy
from storyboard.store import StorageProblem

log = logging.getLogger(__name__)


@asynccontextmanager
async def lifespan(_app: st.App) -> AsyncIterator[None]:
    try:
        open_runtime()  # resumes unfinished takes now
    except (DataDirBusy, StorageProblem) as problem:  # the pages say it, in a sentence, to whoever opens one
        log.error("%s", problem)
    try:
        yield None
    finally:
        shutdown()


# Every run starts at app.py (and its sign-in gate), the first one after a start included: with a
# `pages/` folder beside app.py, Streamlit otherwise runs the page a URL names directly until
# st.navigation has been called once in the process (the pages call the gate too: sign_in.py).
PagesManager.uses_pages_directory = False

# /api/take-progress/<id>: a running Preview take's progress, read by its card in the browser;
# /api/callback/<provider>/<id>: a provider saying a take has ended (with STORYBOARD_PUBLIC_URL set).
# MembersOnly: with sign-in on, media and take progress answer only a signed-in member.
# after_sign_in: with sign-in on, signing in from a storyboard's or take's link comes back to it.
app = st.App(
    "app.py",
    lifespan=lifespan,
    routes=[take_watch.mount(), callback_route.route()],
    middleware=[Middleware(MembersOnly), Middleware(after_sign_in.mount())],
)
