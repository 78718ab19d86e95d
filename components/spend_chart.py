"""Spend per UTC day and provider, as stacked bars (Takes page)."""

from __future__ import annotations

import streamlit as st

from storyboard.budget import days_back
from storyboard.catalog import PROVIDERS
from storyboard.store import Store

DAY, PROVIDER, USD = "Day (UTC)", "Provider", "US$"


def spend_chart(store: Store, days: int = 30) -> None:
    rows = [r for r in store.spend_by_day(days_back(days)) if r[2] > 0]  # Preview is free: no bar
    if not rows:
        return
    data = {
        DAY: [day for day, _, _ in rows],
        PROVIDER: [PROVIDERS[p].label for _, p, _ in rows],
        USD: [float(amount) for _, _, amount in rows],
    }
    st.caption(f"Spend per day, last {days} days (UTC)")
    st.bar_chart(data, x=DAY, y=USD, color=PROVIDER, height=220)
