"""The whole storyboard on one timeline: shots as blocks in proportion to the 15 s cap, each
boundary dragged (or moved with the arrow keys) to move whole seconds between neighbours.

A Streamlit custom component (st.components.v2, inline HTML/CSS/JS, no build step): the browser
redraws the bar and the price while a boundary moves (components/timeline.js) from the rate and the
limits handed to it here; the lengths come back once, on release, and are committed through
storyboard/editing.py, which holds the rules.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import streamlit as st

from components.lengths import commit_in_place
from components.roles import read_only
from components.runtime import current
from components.take_count import takes_wanted
from storyboard import editing, formats
from storyboard.catalog import PROVIDERS, Offer, offer, offers_for
from storyboard.models import Storyboard
from storyboard.pricing import browser_rates

HERE = Path(__file__).parent
KEY = "w:timeline"

_component = st.components.v2.component(
    "storyboard_timeline",
    css=(HERE / "timeline.css").read_text(encoding="utf-8"),
    js=(HERE / "timeline.js").read_text(encoding="utf-8"),
    isolate_styles=False,  # one page: the e2e tests and the benchmark read it like the rest
)


def stricter_minimums(sb: Storyboard) -> list[dict[str, Any]]:
    """The per-shot minimums above the editor's own, each with the providers that need it."""
    by_seconds: dict[int, list[str]] = {}
    for o in offers_for(sb.model):
        if o.limits.min_shot_seconds > editing.LIMITS.min_shot_seconds:
            by_seconds.setdefault(o.limits.min_shot_seconds, []).append(PROVIDERS[o.provider].label)
    return [{"seconds": s, "providers": " and ".join(sorted(p))} for s, p in sorted(by_seconds.items())]


def timeline_data(sb: Storyboard, chosen: Offer, count: int) -> dict[str, Any]:
    limits = editing.LIMITS
    return {
        "durations": [s.duration for s in sb.shots],
        "prompts": [s.prompt[:120] for s in sb.shots],  # shown with textContent, never as HTML
        "limits": {
            "min_shot_seconds": limits.min_shot_seconds,
            "min_total_seconds": limits.min_total_seconds,
            "max_total_seconds": limits.max_total_seconds,
        },
        "minimums": stricter_minimums(sb),
        "rates": browser_rates(sb, chosen),
        "count": count,
        "locked": read_only(),  # a reviewer's timeline shows the lengths and cannot be dragged
    }


def _commit_durations() -> None:
    state = st.session_state.get(KEY) or {}
    durations = state.get("durations") if hasattr(state, "get") else None
    if isinstance(durations, list) and all(isinstance(d, int) for d in durations):
        sb = current()
        changed = editing.set_durations(sb, durations)
        if changed != sb:
            commit_in_place(changed)


def timeline() -> None:
    """Drawn in a LengthFigures place (a length slider moved redraws it). Every format is a take at
    the same price (the aspect ratio does not change it): the timeline's price is Generate's when it
    counts the takes of every format."""
    sb = current()
    count = takes_wanted() * len(formats.chosen_formats(sb))
    _component(
        key=KEY,
        data=timeline_data(sb, offer(sb.provider, sb.model), count),
        on_durations_change=_commit_durations,
    )
