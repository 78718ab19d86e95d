"""Spending caps in the UI: the inputs on Settings and the state beside Generate.

Both caps are kept in the database (storyboard/budget.py, Store.update_caps): a reload, another
tab, another process or a restart keeps them. A session runs from when its cap is set until it is
cleared. A cap that cannot be a budget, or that could not be saved, is refused beside its input.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from components.identity import actor
from components.roles import acting, may
from components.runtime import GENERATE_ERROR, runtime
from storyboard.budget import (
    CapProblem,
    Caps,
    day_start,
    person_refusal,
    to_cap,
)
from storyboard.models import Quote, format_usd
from storyboard.permissions import Action, Refused
from storyboard.store import StorageProblem

DAILY_WIDGET = "caps:daily"
SESSION_WIDGET = "caps:session"
CAP_ERROR = "caps:error"  # {widget key: the sentence refusing what was typed there}


def cap_state(price: Quote, takes: int = 1) -> None:
    """Beside Generate, with a cap set: 'Today (UTC): $3.20 of $10.00', and whether these takes fit."""
    _own_cap_state(price, takes)
    # read afresh (another tab or process may have changed them), spend once for the state and the check
    budget, spent = runtime().store.caps_and_spent()
    if not budget.caps.any:
        return
    state = budget.describe(spent)
    if state is None:
        return
    if budget.caps.damaged:
        st.caption(f":orange[{state}]")
        return
    if budget.refuses(spent, price.total * takes, verified=price.verified, takes=takes):
        state += f" · :orange[{'this take' if takes == 1 else f'these {takes} takes'} would pass the cap]"
    st.caption(state, help="Takes billed, running or on their way count. The day is the UTC day.")


def _own_cap_state(price: Quote, takes: int) -> None:
    """In a team, with a daily cap of one's own: 'Your own cap today (UTC): $1.40 of $5.00'."""
    try:
        me = actor()
    except Refused:
        return
    if me.solo:
        return
    store = runtime().store
    cap = store.daily_cap_of(me.email)
    if cap is None:
        return
    mine = store.spend_since(day_start(), author=me.email)
    try:
        shown = format_usd(to_cap(cap) or Decimal(0))
    except CapProblem:
        shown = "unreadable"
    state = f"Your own cap today (UTC): {format_usd(mine)} of {shown}"
    if person_refusal(cap, mine, price.total * takes, verified=price.verified, takes=takes):
        state += f" · :orange[{'this take' if takes == 1 else f'these {takes} takes'} would pass it]"
    st.caption(state, help="An admin sets it on Settings; the workspace's caps hold as well.")


def _as_float(cap: Decimal | None) -> float | None:
    return None if cap is None else float(cap)


def _cap_input(
    where: DeltaGenerator,
    label: str,
    key: str,
    saved: Decimal | None,
    placeholder: str,
    change: Callable[[Caps], Caps],
    help: str | None = None,
) -> None:
    """A dollar amount, empty for no cap; it shows the saved cap (another tab may have changed it)."""
    st.session_state[key] = _as_float(saved)
    where.number_input(
        label,
        key=key,
        value=None,
        min_value=0.0,
        step=1.0,
        format="%.2f",
        placeholder=placeholder,
        on_change=_change_caps,
        args=(change, key),
        help=help,
    )
    refused = st.session_state.get(CAP_ERROR, {}).get(key)
    if refused:
        where.error(refused)


def _change_caps(change: Callable[[Caps], Caps], key: str) -> None:
    """Change the caps in one transaction; what cannot be a cap is refused beside its input."""
    errors = st.session_state.setdefault(CAP_ERROR, {})
    errors.pop(key, None)
    try:
        runtime().store.update_caps(change, acting())  # refused unless an admin (the store checks)
    except (CapProblem, StorageProblem, Refused) as problem:
        errors[key] = str(problem)
        return
    st.session_state.pop(GENERATE_ERROR, None)  # a new cap answers the last refusal


def _daily_cap(caps: Caps) -> Caps:
    return caps.with_daily(to_cap(st.session_state[DAILY_WIDGET]))


def _session_cap(caps: Caps) -> Caps:
    return caps.with_session(to_cap(st.session_state[SESSION_WIDGET]))


def cap_inputs() -> None:
    """Settings: the two caps, empty for none."""
    st.subheader("Spending caps")
    if not may(Action.SET_CAPS):  # the caps as they are; only admins change them
        budget, now_spent = runtime().store.caps_and_spent()  # one connection
        state = budget.describe(now_spent)
        st.caption(f"{state or 'No workspace caps.'} Only admins change the caps.")
        return
    st.caption(
        "Generate refuses a take that would pass a cap, before anything is sent. "
        "Preview is free and never refused. Leave a cap empty for none."
    )
    caps = runtime().store.caps()
    if caps.damaged:
        st.warning(
            "The caps saved on this computer could not be read, so paid takes wait. "
            "Set your caps again below, or forget them.",
            icon="⚠️",
        )
        st.button(
            "Forget them", key="caps:forget", on_click=_change_caps, args=(lambda _: Caps(), "caps:forget")
        )
    daily, session = st.columns(2)
    _cap_input(daily, "Daily cap, US$ (the UTC day)", DAILY_WIDGET, caps.daily, "No daily cap", _daily_cap)
    _cap_input(
        session,
        "Session cap, US$ (from now until you clear it)",
        SESSION_WIDGET,
        caps.session,
        "No session cap",
        _session_cap,
        help="For a demo on a company card: it counts every take started since you set it, in every "
        "tab, through reloads and restarts. Clear it when the demo is over; setting it again starts "
        "a new session.",
    )
    today, in_session = runtime().store.spends_since(  # both in one query
        day_start(), caps.session_since if caps.session is not None else None
    )
    spent = f"Spent today (UTC): {format_usd(today)}"
    if caps.session_since is not None:
        spent += f" · in this session (since {caps.session_since:%d %b %H:%M} UTC): {format_usd(in_session)}"
    st.caption(spent)
