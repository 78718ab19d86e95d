"""The duration budget: every shot in proportion on one bar, and "12 of 15 s"."""

from __future__ import annotations

import html

import streamlit as st

from storyboard.catalog import EDITOR_LIMITS
from storyboard.models import Storyboard

COLOURS = ("#4C78A8", "#F58518", "#54A24B", "#B279A2", "#E45756", "#72B7B2")


def timeline(sb: Storyboard) -> None:
    budget = EDITOR_LIMITS.max_total_seconds
    blocks = []
    for i, shot in enumerate(sb.shots):
        width = 100 * shot.duration / budget
        tip = html.escape(shot.prompt[:120] or "(no prompt yet)")
        blocks.append(
            f'<div title="Shot {i + 1}: {tip}" style="width:{width:.3f}%;background:{COLOURS[i % len(COLOURS)]};'
            "color:white;font-size:0.8rem;padding:4px 6px;overflow:hidden;white-space:nowrap;"
            f'border-right:2px solid white">{i + 1} · {shot.duration} s</div>'
        )
    total = sb.total_seconds
    left = budget - total
    st.markdown(
        '<div data-testid="timeline" style="display:flex;height:30px;border-radius:6px;overflow:hidden;'
        f'background:#e9ecef">{"".join(blocks)}</div>',
        unsafe_allow_html=True,
    )
    st.caption(
        f"**{total} of {budget} s** used · {left} s left"
        if left
        else f"**{total} of {budget} s** used · full"
    )
