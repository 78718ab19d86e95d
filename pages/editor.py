"""Storyboard: write the shots, set their lengths, add a first frame, see the price, generate."""

from __future__ import annotations

from decimal import Decimal

import streamlit as st

from components.brief import brief_buttons
from components.caps import cap_state
from components.cost_panel import comparison_table, quote_lines
from components.exports import exports_panel
from components.first_frame import first_frame_input
from components.menus import close_menu, menu
from components.offer_picker import model_and_provider, no_key, options_form
from components.present import present
from components.runtime import (
    DRAFT_PROBLEM,
    GENERATE_ERROR,
    commit,
    current,
    generate_blocker,
    keep_trying_to_save,
    new_storyboard,
    open_storyboard,
    runtime,
    session_clients,
    unsaved,
)
from components.shot_card import shot_card
from components.take_count import TAKES_KEY, generate_key, generate_label, latest_batch, take_count
from components.templates import templates_menu
from components.text import plain
from components.timeline import timeline
from storyboard import editing
from storyboard.catalog import MAX_TAKES_PER_GENERATE, PROVIDERS, offer
from storyboard.jobs import GenerateRefused
from storyboard.models import format_usd
from storyboard.pricing import compare, quote
from storyboard.store import StorageProblem
from storyboard.validate import validate

OPEN_MENU = "open-menu"  # the Open… menu's open state (components/menus.py)


def _rename() -> None:
    commit(current().model_copy(update={"name": st.session_state["w:name"].strip() or "Untitled storyboard"}))


def _add_shot() -> None:
    commit(editing.add_shot(current()))


def _new_storyboard() -> None:
    open_storyboard(new_storyboard())


def _open_draft(draft_id: str) -> None:
    opened = runtime().store.open_draft(draft_id)
    if opened is not None:
        open_storyboard(opened.storyboard)
        if opened.problem:
            st.session_state[DRAFT_PROBLEM] = opened.problem
        close_menu(OPEN_MENU)  # show the storyboard, not the list over it


def _unsaved_note(sb_index: int | None) -> None:
    """Beside the field whose edit could not be saved: say so (the edit is kept in this session)."""
    problem = unsaved()
    if problem is not None and sb_index == _unsaved_shot():
        st.error(f"Not saved yet, kept on this page: {problem}")


def _unsaved_shot() -> int | None:
    """Which shot holds the unsaved edit (None: the name or the storyboard's settings)."""
    sb = current()
    saved = runtime().store.load_draft(sb.id)
    for index, shot in enumerate(sb.shots):
        if saved is None or index >= len(saved.shots) or saved.shots[index] != shot:
            return index
    return None


def _takes_wanted() -> int:
    return int(st.session_state.get(TAKES_KEY) or 1)


def _generate(shown_total: Decimal, shown_count: int) -> None:
    """The price and count on the button when it was drawn travel with the click: if an option or
    the count changed in the same instant, the runner (or this check) refuses and nothing is sent."""
    st.session_state.pop(GENERATE_ERROR, None)
    try:
        sb = current()
        wanted = _takes_wanted()
        if wanted != shown_count:
            total = quote(sb, offer(sb.provider, sb.model)).total * wanted
            raise GenerateRefused(
                f"You now chose {wanted} take{'s' * (wanted > 1)} ({format_usd(total)}; the button said "
                f"{shown_count}), so nothing was sent: press Generate again to go ahead."
            )
        runtime().runner.generate_takes(
            sb, shown_count, session_clients().get(sb.provider), shown_total=shown_total
        )
    except (GenerateRefused, StorageProblem) as refused:  # a full disk: nothing was written or sent
        st.session_state[GENERATE_ERROR] = str(refused)


sb = current()
rt = runtime()

title, new, recent, starters = st.columns([4, 1, 1, 1], vertical_alignment="bottom")
st.session_state["w:name"] = sb.name
title.text_input("Storyboard name", key="w:name", on_change=_rename)
new.button("New storyboard", on_click=_new_storyboard, width="stretch", key="w:new-storyboard")
with menu(recent, "Open…", OPEN_MENU, width="stretch"):
    for draft_id, name, updated in rt.store.recent_drafts():
        st.button(
            f"{plain(name)} · {updated[:16].replace('T', ' ')}",
            key=f"w:open:{draft_id}",
            on_click=_open_draft,
            args=(draft_id,),
            disabled=draft_id == sb.id,
            width="stretch",
        )
templates_menu(starters)
if st.session_state.get(DRAFT_PROBLEM):
    st.warning(st.session_state[DRAFT_PROBLEM], icon="🩹")
if unsaved() is not None:
    _unsaved_note(None)
    keep_trying_to_save()

shots_col, side_col = st.columns([3, 2], gap="large")

with side_col:
    comparisons = compare(sb)
    chosen = model_and_provider(sb, comparisons)
    options_form(sb, chosen)

with shots_col:
    timeline(sb)
    for index in range(len(sb.shots)):
        shot_card(sb, index, chosen)
        _unsaved_note(index)
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
    brief_buttons(sb, price, key="editor")
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
        no_key(unavailable)

    recent = rt.store.list_jobs(storyboard_id=sb.id, limit=MAX_TAKES_PER_GENERATE)
    latest = latest_batch(recent)
    busy = any(not job.state.finished for job in recent)
    count = take_count()
    st.button(
        "Generating…" if busy else generate_label(price.total, count),
        type="primary",
        on_click=_generate,
        args=(price.total * count, count),  # what the person sees is what they agree to pay
        disabled=bool(problems) or unavailable is not None or busy,
        width="stretch",
        key=generate_key(price.total * count, count),
        help=f"Sends this storyboard to {PROVIDERS[sb.provider].label}.",
    )
    cap_state(price, count)
    if st.session_state.get(GENERATE_ERROR):
        st.error(st.session_state[GENERATE_ERROR])
    exports_panel()
    if latest:
        st.caption("Your latest take: its progress and its video are below, full width (Present).")

if latest:  # under both columns: the take as large as the page allows, shot buttons under it
    present(latest, latest[0].storyboard.model_dump(exclude={"name"}) != sb.model_dump(exclude={"name"}))
