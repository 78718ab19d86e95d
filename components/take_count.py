""" "Generate ×N": how many takes one press makes, and the button's words with the price of all N."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import streamlit as st

from storyboard.catalog import MAX_TAKES_PER_GENERATE
from storyboard.formats import order_key
from storyboard.models import Job, format_usd

TAKES_KEY = "w:takes"
GENERATE_KEY = "w:generate"
BATCH_WINDOW = timedelta(seconds=5)  # takes of one press are written within this of each other


def take_count() -> int:
    """The "Takes" picker: 1 to MAX_TAKES_PER_GENERATE takes of this storyboard at once."""
    return int(
        st.radio(
            "Takes",
            options=list(range(1, MAX_TAKES_PER_GENERATE + 1)),
            format_func=lambda n: f"×{n}",
            horizontal=True,
            key=TAKES_KEY,
            help="Make several takes of this storyboard at once, to compare them on the Takes page. "
            "Each take is generated, and paid for, separately.",
        )
    )


def takes_wanted() -> int:
    """The takes one press of Generate makes of each format (what the picker says)."""
    return int(st.session_state.get(TAKES_KEY) or 1)


def generate_label(price: Decimal, count: int) -> str:
    """ "Generate · $1.40", "Generate 3 takes · $4.20", "Generate 3 previews · free"."""
    return takes_label(price * count, count)


def takes_label(total: Decimal, count: int) -> str:
    """The button's words for `count` takes costing `total` together (formats may differ in price)."""
    if count == 1:
        return "Generate preview · free" if total == 0 else f"Generate · {format_usd(total)}"
    if total == 0:
        return f"Generate {count} previews · free"
    return f"Generate {count} takes · {format_usd(total)}"


def generate_key(total: Decimal, count: int, press: int) -> str:
    """The Generate button's key names the price and count it shows, and which press it is: when any
    changes the browser gets a new button, so a click on the one still on screen (the page a rerun
    behind) carries the price that button said, never the new one, and is handled at most once."""
    return f"{GENERATE_KEY}:{count}x{total}:{press}"


def latest_batch(recent: list[Job]) -> list[Job]:
    """The takes made by the last press (newest first), from a storyboard's most recent takes."""
    if not recent:
        return []
    newest = recent[0]
    key = order_key(newest.storyboard)  # every format of one press: one order
    return [
        job
        for job in recent
        if newest.created_at - job.created_at <= BATCH_WINDOW and order_key(job.storyboard) == key
    ]
