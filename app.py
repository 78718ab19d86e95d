"""Storyboard Studio: the router. Page config, navigation and the shared sidebar; nothing else."""

from __future__ import annotations

import streamlit as st

from components.phone import phone_layout
from components.runtime import runtime
from components.sidebar import sidebar
from components.sign_in import gate, sign_out
from components.unsaved_edits import keep_unsaved_edits

st.set_page_config(page_title="Storyboard Studio", page_icon="🎬", layout="wide")
# With sign-in configured only a member goes past this line: a stranger is not even told whether
# the data dir works. Without it, nothing changes.
gate()
runtime()  # the store and runner serve.py's lifespan started (or, under AppTest or `streamlit run app.py`, starts them)

page = st.navigation(
    [
        st.Page("pages/editor.py", title="Storyboard", icon="🎬", default=True),
        st.Page("pages/takes.py", title="Takes", icon="🎞️", url_path="takes"),
        st.Page("pages/settings.py", title="Settings", icon="⚙️", url_path="settings"),
    ]
)
sidebar()
with st.sidebar:
    sign_out()  # who is signed in, and "Sign out" (with sign-in only)
    keep_unsaved_edits()  # a prompt typed and then refreshed is kept
phone_layout()  # Generate pinned in view, the menu closed after a pick (narrow screens only)
page.run()
