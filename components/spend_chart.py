"""Spend per UTC day and provider, as stacked bars (Takes page)."""

from __future__ import annotations

from datetime import timedelta

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
    first = days_back(days)
    domain = [f"{first:%Y-%m-%d}", f"{first + timedelta(days=days):%Y-%m-%d}"]
    st.caption(f"Spend per day, last {days} days (UTC)")
    # A time axis over the whole window: one day of spend is one slim bar, not the chart's width.
    st.vega_lite_chart(
        data,
        {
            "mark": {"type": "bar", "tooltip": True},
            "encoding": {
                "x": {
                    "field": DAY,
                    "type": "temporal",
                    "timeUnit": "utcyearmonthdate",
                    "scale": {"domain": domain},
                    "axis": {"format": "%d %b", "labelAngle": 0, "title": None},
                },
                "y": {
                    "field": USD,
                    "type": "quantitative",
                    "aggregate": "sum",
                    "axis": {"format": "$.2f", "title": USD},
                },
                "color": {"field": PROVIDER, "type": "nominal", "legend": {"orient": "top", "title": None}},
            },
        },
        width="stretch",
        height=220,
    )
