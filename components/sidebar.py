"""The sidebar every page shares: what the app is, which providers are ready, what was spent."""

from __future__ import annotations

from decimal import Decimal

import streamlit as st

from components.runtime import runtime, session_keys
from storyboard.catalog import EDITOR_LIMITS, PROVIDERS
from storyboard.models import format_usd
from storyboard.settings import key_statuses


def sidebar() -> None:
    with st.sidebar:
        st.markdown("### 🎬 Storyboard Studio")
        st.caption(
            f"Plan a video of up to {EDITOR_LIMITS.max_shots} shots and {EDITOR_LIMITS.max_total_seconds} s, "
            "see its price everywhere, generate it."
        )
        runner = runtime().runner
        ready = [
            PROVIDERS[s.provider].label
            for s in key_statuses(session_keys())
            if s.ready and runner.can_generate(s.provider) is None
        ]
        st.markdown("**Can generate on:** " + ", ".join(ready))
        spent = sum(runtime().store.spend_by_provider().values(), Decimal(0))
        st.markdown(f"**Spent so far:** {format_usd(spent)}")
