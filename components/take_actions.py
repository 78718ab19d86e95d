"""A take's own controls on the Takes page: star and compare in its row of actions; rename, delete
(asked first) and the brief in its "More" menu. The questions they open are drawn under the card,
not in the menu: a menu is a small floating box, and a rerun may close it."""

from __future__ import annotations

from functools import partial

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from components.brief import brief_buttons
from components.menus import close_menu, menu
from components.roles import acting, may
from components.runtime import runtime
from storyboard import takes
from storyboard.models import Job
from storyboard.permissions import Action, Refused

EDITING = "takes_editing"  # {job id: "rename" | "delete"}: the one question open on a take
REFUSED = "takes_refused"  # {job id: sentence}: why the last rename or delete was refused


def compare_key(job_id: str) -> str:
    return f"cmp:{job_id}"


def _menu_key(job_id: str) -> str:
    return f"more:{job_id}"


def _open(job_id: str, what: str | None) -> None:
    editing: dict[str, str] = st.session_state.setdefault(EDITING, {})
    st.session_state.setdefault(REFUSED, {}).pop(job_id, None)
    close_menu(_menu_key(job_id))  # it would cover the question
    if what is None or editing.get(job_id) == what:
        editing.pop(job_id, None)
    else:
        editing[job_id] = what


def _refuse(job_id: str, sentence: str) -> None:
    st.session_state.setdefault(REFUSED, {})[job_id] = sentence


def _star(job_id: str, starred: bool) -> None:
    try:
        refused = takes.set_starred(runtime().store, job_id, starred, acting())
    except Refused as nobody:  # nobody passed the sign-in gate
        refused = nobody.sentence
    if refused:
        _refuse(job_id, refused)


def _rename(job_id: str) -> None:
    try:
        refused = takes.rename(runtime().store, job_id, st.session_state[f"title:{job_id}"], acting())
    except Refused as nobody:
        refused = nobody.sentence
    if refused:
        st.session_state.setdefault(REFUSED, {})[job_id] = refused
    else:
        _open(job_id, None)


def _delete(job_id: str) -> None:
    rt = runtime()
    try:
        refused = takes.delete(rt.store, rt.data_dir, job_id, acting())
    except Refused as nobody:
        refused = nobody.sentence
    _open(job_id, None)
    if refused:
        st.session_state.setdefault(REFUSED, {})[job_id] = refused
    else:
        st.session_state.pop(compare_key(job_id), None)


def take_controls(job: Job, row: DeltaGenerator) -> None:
    """Star and Compare in `row` (a horizontal container), then a "More" menu: rename, delete, brief.
    Rename, star and delete are greyed out for whoever may not change this take (refused anyway)."""
    locked = not may(Action.CHANGE_TAKE, owner=job.author)
    row.button(
        "★" if job.starred else "☆",
        key=f"star:{job.id}",
        on_click=_star,
        args=(job.id, not job.starred),
        help="Unstar this take" if job.starred else "Star this take",
        disabled=locked,
    )
    row.checkbox("Compare", key=compare_key(job.id))
    menu(
        row,
        "More",
        _menu_key(job.id),
        partial(_more, job, locked),
        icon=":material/more_horiz:",
        help="Rename, delete, or download its brief",
    )


def _more(job: Job, locked: bool) -> None:
    """What the More menu holds (drawn while it is open): Rename and Delete ask their question
    under the take; then the brief."""
    for label, asked in (("Rename", "rename"), ("Delete", "delete")):
        st.button(
            label,
            key=f"{asked}:{job.id}",
            on_click=_open,
            args=(job.id, asked),
            width="stretch",
            disabled=locked,
        )
    if job.state.finished:
        brief_buttons(job.storyboard, key=f"take:{job.id}", job=job, side_by_side=False)


def take_questions(job: Job) -> None:
    """The open question on this take (a new name, or "delete it?") and any refusal, full width."""
    asking = st.session_state.get(EDITING, {}).get(job.id)
    if asking == "rename":
        st.session_state.setdefault(f"title:{job.id}", takes.title(job))
        st.text_input(
            "Name of this take",
            key=f"title:{job.id}",
            on_change=_rename,
            args=(job.id,),
            max_chars=takes.MAX_TITLE_CHARS,
            help="Press Enter to keep it. Empty: the storyboard's name.",
        )
    elif asking == "delete":
        st.warning("Delete this take, its video and its poster? This cannot be undone.", icon="🗑️")
        yes, no, _ = st.columns([1, 1, 4])
        yes.button(
            "Yes, delete", key=f"delete-yes:{job.id}", type="primary", on_click=_delete, args=(job.id,)
        )
        no.button("Keep it", key=f"delete-no:{job.id}", on_click=_open, args=(job.id, None))
    refused = st.session_state.get(REFUSED, {}).get(job.id)
    if refused:
        st.error(refused)
