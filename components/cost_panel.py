"""The live price: the chosen provider's quote line by line, and every provider side by side."""

from __future__ import annotations

import streamlit as st

from storyboard.catalog import PROVIDERS
from storyboard.models import Quote, format_usd
from storyboard.pricing import Comparison


def quote_lines(q: Quote) -> None:
    rows = ["| | seconds | rate | amount |", "|---|---:|---:|---:|"]
    for item in q.items:
        rows.append(
            f"| {item.label} | {item.seconds} | {format_usd(item.usd_per_second)}/s | {format_usd(item.amount)} |"
        )
    rows.append(f"| **Total** | | | **{format_usd(q.total)}** |")
    st.markdown("\n".join(rows))
    st.caption(" · ".join(sorted({i.source for i in q.items})))
    if not q.verified:
        st.warning(f"Unverified price: {q.note}.", icon="⚠️")


def comparison_table(rows: list[Comparison]) -> None:
    lines = ["| provider | price | |", "|---|---:|---|"]
    for row in rows:
        flag = "" if row.quote.verified else " (unverified)"
        verdict = "✓" if row.available else row.problems[0].message
        lines.append(f"| {PROVIDERS[row.provider].label} | {format_usd(row.quote.total)}{flag} | {verdict} |")
    st.markdown("\n".join(lines))
