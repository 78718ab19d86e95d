"""A take's Details: what was sent and what the provider answered (request body, submission, errors),
with every key hidden. Messages such as "Its answer is in the details" point here.

The details are read from the store only while the expander is open, so a page of 200 takes does not
read 200 rows of provider answers on every rerun."""

from __future__ import annotations

import streamlit as st

from components.runtime import runtime, session_keys
from storyboard.models import Job
from storyboard.settings import without_keys


def details_expander(job: Job, key: str) -> None:
    widget = f"details:{key}:{job.id}"
    with st.expander("Details", icon=":material/info:", key=widget, on_change="rerun"):
        if not st.session_state.get(widget):
            return
        details = runtime().store.details(job.id)
        if not details:
            st.caption("Nothing was sent for this take, and no provider answered.")
            return
        st.caption("What was sent and what the provider answered. Keys are never kept, so never shown.")
        st.json(without_keys(details, session_keys()), expanded=2)
