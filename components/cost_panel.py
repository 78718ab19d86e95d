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
            f"| {item.label} | {item.seconds} | {format_usd(item.usd_per_second, exact=True)}/s "
            f"| {format_usd(item.amount, exact=True)} |"
        )
    rows.append(f"| **Total** | | | **{format_usd(q.total)}** |")
    st.markdown("\n".join(rows))
    billed = format_usd(q.total, exact=True)
    if billed != format_usd(q.total):  # prices elsewhere are whole cents; this is what is billed
        st.caption(f"Billed exactly {billed}; prices elsewhere in the app are rounded to the cent.")
    st.caption("Source: " + " · ".join(sorted({_plain(i.source) for i in q.items})))
    if not q.verified:
        st.warning(f"Unverified price: {q.note}.", icon="⚠️")


def comparison_table(rows: list[Comparison]) -> None:
    lines = ["| provider | price | |", "|---|---:|---|"]
    reasons = []
    for row in rows:
        flag = " (unverified)" if not row.quote.verified else ""
        label = PROVIDERS[row.provider].label
        lines.append(f"| {label} | {format_usd(row.quote.total)}{flag} | {'✓' if row.can_take else '✗'} |")
        if not row.can_take:  # what it refuses; a prompt not yet written has its one hint elsewhere
            refused = next(p for p in row.problems if not p.missing_prompt)
            reasons.append(f"✗ **{label}**: {refused.message}")
    st.markdown("\n".join(lines))
    for reason in reasons:
        st.caption(reason)
