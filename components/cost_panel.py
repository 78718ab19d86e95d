"""The live price: the chosen provider's quote line by line, and every provider side by side."""

from __future__ import annotations

import re

import streamlit as st

from storyboard.catalog import PROVIDERS
from storyboard.models import Quote, format_usd
from storyboard.pricing import Comparison


def _plain(source: str) -> str:
    """A rate's source without the bracketed reference codes (those are for developers)."""
    return re.sub(r"\s*\[[^\]]*\]", "", source)


def quote_lines(q: Quote) -> None:
    rows = ["| | seconds | rate | amount |", "|---|---:|---:|---:|"]
    for item in q.items:
        rows.append(
            f"| {item.label} | {item.seconds} | {format_usd(item.usd_per_second)}/s | {format_usd(item.amount)} |"
        )
    rows.append(f"| **Total** | | | **{format_usd(q.total)}** |")
    st.markdown("\n".join(rows))
    st.caption("Source: " + " · ".join(sorted({_plain(i.source) for i in q.items})))
    if not q.verified:
        st.warning(f"Unverified price: {q.note}.", icon="⚠️")


def comparison_table(rows: list[Comparison]) -> None:
    lines = ["| provider | price | |", "|---|---:|---|"]
    reasons = []
    for row in rows:
        flag = " (unverified)" if not row.quote.verified else ""
        label = PROVIDERS[row.provider].label
        lines.append(f"| {label} | {format_usd(row.quote.total)}{flag} | {'✓' if row.available else '✗'} |")
        if not row.available:
            reasons.append(f"✗ **{label}**: {row.problems[0].message}")
    st.markdown("\n".join(lines))
    for reason in reasons:
        st.caption(reason)
