"""The sidebar every page shares: what the app is, which providers are ready, what was spent."""

from __future__ import annotations

from decimal import Decimal

import streamlit as st

from components.runtime import ready_providers, runtime
from storyboard.catalog import EDITOR_LIMITS, PROVIDERS
from storyboard.models import format_usd


def sidebar() -> None:
    with st.sidebar:
        st.markdown("### 🎬 Storyboard Studio")
        st.caption(
            f"Plan a video of up to {EDITOR_LIMITS.max_shots} shots and {EDITOR_LIMITS.max_total_seconds} s, "
            "see its price everywhere, generate it."
        )
        st.markdown("**Can generate on:** " + ", ".join(PROVIDERS[p].label for p in ready_providers()))
        spent = sum(runtime().store.spend_by_provider().values(), Decimal(0))
        st.markdown(f"**Spent so far:** {format_usd(spent)}")
