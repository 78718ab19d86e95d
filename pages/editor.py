"""Storyboard: write the shots, set their lengths, add a first frame, see the price, generate."""

from __future__ import annotations

import streamlit as st

from components.caps import cap_state, remember_take, session_budget
from components.cost_panel import comparison_table, quote_lines
from components.first_frame import first_frame_input
from components.job_card import job_card
from components.offer_picker import model_and_provider, options_form
from components.runtime import (
    GENERATE_ERROR,
    commit,
    current,
    generate_blocker,
    new_storyboard,
    open_storyboard,
    runtime,
    session_clients,
)
from components.shot_card import shot_card
from components.timeline import timeline
from storyboard import editing
from storyboard.catalog import PROVIDERS
from storyboard.jobs import GenerateRefused
from storyboard.models import format_usd
from storyboard.pricing import compare, quote
from storyboard.validate import validate


def _rename() -> None:
    commit(current().model_copy(update={"name": st.session_state["w:name"].strip() or "Untitled storyboard"}))


def _add_shot() -> None:
    commit(editing.add_shot(current()))


def _new_storyboard() -> None:
    open_storyboard(new_storyboard())


def _open_draft(draft_id: str) -> None:
    draft = runtime().store.load_draft(draft_id)
    if draft is not None:
        open_storyboard(draft)


def _generate() -> None:
    st.session_state.pop(GENERATE_ERROR, None)
    try:
        sb = current()
        remember_take(runtime().runner.generate(sb, session_clients().get(sb.provider), session_budget()))
    except GenerateRefused as refused:
        st.session_state[GENERATE_ERROR] = str(refused)


sb = current()
rt = runtime()

title, new, recent = st.columns([4, 1, 1], vertical_alignment="bottom")
st.session_state["w:name"] = sb.name
title.text_input("Storyboard name", key="w:name", on_change=_rename)
new.button("New storyboard", on_click=_new_storyboard, width="stretch", key="w:new-storyboard")
with recent.popover("Open…", width="stretch"):
    for draft_id, name, updated in rt.store.recent_drafts():
        st.button(
            f"{name} · {updated[:16].replace('T', ' ')}",
            key=f"w:open:{draft_id}",
            on_click=_open_draft,
            args=(draft_id,),
            disabled=draft_id == sb.id,
            width="stretch",
        )

shots_col, side_col = st.columns([3, 2], gap="large")

with side_col:
    comparisons = compare(sb)
    chosen = model_and_provider(sb, comparisons)
    options_form(sb, chosen)

with shots_col:
    timeline(sb)
    for index in range(len(sb.shots)):
        shot_card(sb, index, chosen)
    blocker = editing.add_shot_blocker(sb)
    st.button(
        "Add shot",
        icon=":material/add:",
        on_click=_add_shot,
        disabled=blocker is not None,
        help=blocker,
        key="w:add-shot",
    )
    if blocker:
        st.caption(blocker)
    st.divider()
    first_frame_input(chosen)

with side_col:
    st.subheader("Cost")
    price = quote(sb, chosen)
    quote_lines(price)
    with st.expander("The same storyboard on every provider, cheapest first", expanded=True):
        comparison_table(comparisons)

    problems = validate(sb, chosen)
    shown = problems
    if not any(shot.prompt.strip() for shot in sb.shots):  # a fresh storyboard: a hint, not a scolding
        st.info("Describe what happens in shot 1 to get started.", icon="✍️")
        shown = [p for p in problems if not p.missing_prompt]
    for problem in shown:
        st.warning(problem.message, icon="✋")
    unavailable = generate_blocker(sb.provider)
    if unavailable:
        st.info(unavailable, icon="🔌")

    latest = rt.store.list_jobs(storyboard_id=sb.id, limit=1)
    busy = bool(latest) and not latest[0].state.finished
    label = "Generate preview · free" if price.total == 0 else f"Generate · {format_usd(price.total)}"
    st.button(
        "Generating…" if busy else label,
        type="primary",
        on_click=_generate,
        disabled=bool(problems) or unavailable is not None or busy,
        width="stretch",
        key="w:generate",
        help=f"Sends this storyboard to {PROVIDERS[sb.provider].label}.",
    )
    cap_state(price)
    if st.session_state.get(GENERATE_ERROR):
        st.error(st.session_state[GENERATE_ERROR])
    if latest:
        st.subheader("Latest take")
        if latest[0].storyboard.model_dump(exclude={"name"}) != sb.model_dump(exclude={"name"}):
            st.caption("Made from an earlier version of this storyboard.")
        job_card(latest[0], key="latest")
