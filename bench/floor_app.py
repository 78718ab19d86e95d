"""Streamlit's own cost of a rerun, for bench/editor_sessions.py: a page with only the widgets the
sessions drive (New storyboard, Add shot, each shot's prompt and length), and no store, runner or
figures, served the same way (one process, the same websocket clients, the same timing).

    .venv/bin/python -m bench.editor_sessions --app bench/floor_app.py
    BENCH_FLOOR_ELEMENTS=200 .venv/bin/python -m bench.editor_sessions --app bench/floor_app.py

With BENCH_FLOOR_ELEMENTS=n the page also draws n captions, each in its own container (2n deltas):
what Streamlit costs per element drawn, apart from anything the app computes. The editor's rerun
sends about 210 deltas. Not an app: it saves nothing.
"""

from __future__ import annotations

import os
import uuid

import streamlit as st

EXTRA = int(os.environ.get("BENCH_FLOOR_ELEMENTS", "0"))
LENGTHS = ["1 s", "2 s", "3 s"]


def _new() -> None:
    st.session_state["shots"] = [uuid.uuid4().hex]


def _add() -> None:
    st.session_state["shots"].append(uuid.uuid4().hex)


def page() -> None:
    shots = st.session_state.setdefault("shots", [uuid.uuid4().hex])
    st.button("New storyboard", key="w:new-storyboard", on_click=_new)
    for shot in shots:
        st.text_area("Prompt", key=f"w:prompt:{shot}")
        st.select_slider("Length", options=LENGTHS, key=f"w:dur:{shot}")
    st.button("Add shot", key="w:add-shot", on_click=_add)
    for i in range(EXTRA):
        with st.container():
            st.caption(f"figure {i}")


st.navigation([st.Page(page, title="Floor", default=True)]).run()
