"""Spending caps in the UI: the inputs on Settings, the state beside Generate, this session's takes.

The daily cap is kept in the data dir (storyboard/budget.py), so it holds for every session and
survives a restart; the session cap lives in this browser session's memory only.
"""

from __future__ import annotations

from decimal import Decimal

import streamlit as st

from components.runtime import GENERATE_ERROR, runtime
from storyboard.budget import Budget, Caps, load_daily_cap, save_daily_cap, spent_on, spent_today, to_cap
from storyboard.models import Job, Quote, format_usd

SESSION_CAP = "caps_session"  # Decimal | None
SESSION_TAKES = "caps_session_takes"  # ids of the takes this session started
DAILY_WIDGET = "caps:daily"
SESSION_WIDGET = "caps:session"


def session_budget() -> Budget:
    caps = Caps(daily=load_daily_cap(runtime().data_dir), session=st.session_state.get(SESSION_CAP))
    return Budget(caps, frozenset(st.session_state.get(SESSION_TAKES, ())))


def remember_take(job: Job) -> None:
    """Count a take this session started towards its session cap."""
    takes: list[str] = st.session_state.setdefault(SESSION_TAKES, [])
    if job.id not in takes:
        takes.append(job.id)


def cap_state(price: Quote, takes: int = 1) -> None:
    """Beside Generate, with a cap set: 'Today (UTC): $3.20 of $10.00', and whether these takes fit."""
    budget = session_budget()
    store = runtime().store
    state = budget.state(store)
    if state is None:
        return
    if budget.check(store, price.total * takes, verified=price.verified, takes=takes):
        state += f" · :orange[{'this take' if takes == 1 else f'these {takes} takes'} would pass the cap]"
    st.caption(state, help="Takes billed, running or on their way count. The day is the UTC day.")


def _as_float(cap: Decimal | None) -> float | None:
    return None if cap is None else float(cap)


def _set_daily() -> None:
    save_daily_cap(runtime().data_dir, to_cap(st.session_state[DAILY_WIDGET]))
    st.session_state.pop(GENERATE_ERROR, None)  # a new cap answers the last refusal


def _set_session() -> None:
    st.session_state[SESSION_CAP] = to_cap(st.session_state[SESSION_WIDGET])
    st.session_state.pop(GENERATE_ERROR, None)


def cap_inputs() -> None:
    """Settings: the two caps, empty for none."""
    st.subheader("Spending caps")
    st.caption(
        "Generate refuses a take that would pass a cap, before anything is sent. "
        "Preview is free and never refused. Leave a cap empty for none."
    )
    daily, session = st.columns(2)
    st.session_state[DAILY_WIDGET] = _as_float(load_daily_cap(runtime().data_dir))
    daily.number_input(
        "Daily cap, US$ (every session; the UTC day)",
        key=DAILY_WIDGET,
        value=None,
        min_value=0.0,
        step=1.0,
        format="%.2f",
        placeholder="No daily cap",
        on_change=_set_daily,
    )
    st.session_state[SESSION_WIDGET] = _as_float(st.session_state.get(SESSION_CAP))
    session.number_input(
        "Cap for this browser session, US$",
        key=SESSION_WIDGET,
        value=None,
        min_value=0.0,
        step=1.0,
        format="%.2f",
        placeholder="No session cap",
        on_change=_set_session,
        help="For a demo on a company card: it ends with this browser session.",
    )
    store = runtime().store
    today, mine = spent_today(store), spent_on(store, st.session_state.get(SESSION_TAKES, ()))
    st.caption(f"Spent today (UTC): {format_usd(today)} · in this session: {format_usd(mine)}")
