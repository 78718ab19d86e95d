"""Storyboard: write the shots, set their lengths, add a first frame, see the price, generate."""

from __future__ import annotations

from decimal import Decimal
from functools import partial

import streamlit as st

from components import review
from components.brief import brief_buttons
from components.caps import cap_state
from components.cost_panel import comparison_table, quote_lines
from components.exports import exports_panel
from components.first_frame import first_frame_input
from components.formats import format_row, frame_fits
from components.identity import refused
from components.lengths import LengthFigures, figures_alone, whole_page
from components.menus import close_menu, menu
from components.offer_picker import model_picker, no_key, no_key_sentence, options_form, provider_picker
from components.phone import GENERATE_BAR
from components.presence import who_else_is_here
from components.present import present
from components.roles import acting, may, read_only, refused_note, say_refused, team
from components.runtime import (
    DRAFT_PROBLEM,
    GENERATE_ERROR,
    changed_sentence,
    commit,
    conflict,
    current,
    delete_draft,
    generate_blocker,
    keep_mine_as_copy,
    keep_trying_to_save,
    key_problem,
    load_theirs,
    new_storyboard,
    open_storyboard,
    refused_edit,
    runtime,
    saved_version,
    session_clients,
    unsaved,
)
from components.shot_card import shot_card
from components.sign_in import gate
from components.take_count import generate_key, latest_batch, take_count, takes_label, takes_wanted
from components.templates import templates_menu
from components.text import plain
from components.timeline import timeline
from storyboard import editing, formats
from storyboard.catalog import MAX_NAME_CHARS, MAX_TAKES_PER_GENERATE, PROVIDERS, offer
from storyboard.jobs import GenerateRefused
from storyboard.models import UNTITLED, Job, Storyboard, format_usd
from storyboard.permissions import Action, Refused
from storyboard.pricing import compare, order_total, quote
from storyboard.reviews import Kind
from storyboard.store import StorageProblem
from storyboard.validate import Problem, validate

gate()  # again here: a run may start at this page, not at app.py (components/sign_in.py)

OPEN_MENU = "open-menu"  # the Open… menu's open state (components/menus.py)
DELETE_ASKED = "delete_draft_asked"  # the draft whose bin was pressed, awaiting Delete or Keep
# Which press of Generate this session is at. The button drawn for press n has n in its key and its
# click; the first click handled moves it to n + 1, so any other click sent on that button (the
# second of a double click, even one that waits behind a whole-page run until a free Preview take
# has finished and Generate is back) finds its press used and does nothing.
GENERATE_PRESS = "generate_press"


def _rename() -> None:
    # max_chars keeps a person's typing and pasting within the limit; a crafted longer value is cut
    name = st.session_state["w:name"].strip()[:MAX_NAME_CHARS].strip()
    commit(current().model_copy(update={"name": name or UNTITLED}))


def _add_shot() -> None:
    commit(editing.add_shot(current()))
    whole_page()  # Add shot is drawn in a LengthFigures place; a new card is more than the lengths


def _new_storyboard() -> None:
    not_allowed = refused_edit()
    if not_allowed:
        say_refused(not_allowed)
        return
    open_storyboard(new_storyboard())


def _open_draft(draft_id: str) -> None:
    opened = runtime().store.open_draft(draft_id)
    if opened is not None:
        open_storyboard(opened.storyboard, opened.version)
        if opened.problem:
            st.session_state[DRAFT_PROBLEM] = opened.problem
        close_menu(OPEN_MENU)  # show the storyboard, not the list over it


def _ask_delete(draft_id: str) -> None:
    st.session_state[DELETE_ASKED] = draft_id


def _delete_draft(draft_id: str) -> None:
    st.session_state.pop(DELETE_ASKED, None)
    delete_draft(draft_id)


def _open_list(open_id: str) -> None:
    """Open…: recent drafts with something in them (and the one open), each with its bin; deleting
    asks first and says the takes stay."""
    store = runtime().store
    asked = st.session_state.get(DELETE_ASKED)
    for listed in store.listed_drafts():  # the untitled ones (which can be blank) come read
        draft_id, name, updated = listed.id, listed.name, listed.updated_at
        if draft_id != open_id and name == UNTITLED and (listed.storyboard is None or editing.is_blank(listed.storyboard)):
            continue
        if asked == draft_id:
            st.warning(f"Delete the storyboard “{plain(name)}”? Its takes stay on Takes.", icon="🗑️")
            yes, no = st.columns(2)
            yes.button("Delete", key=f"w:delete-yes:{draft_id}", on_click=_delete_draft, args=(draft_id,))
            no.button(
                "Keep",
                key=f"w:delete-no:{draft_id}",
                on_click=st.session_state.pop,
                args=(DELETE_ASKED, None),
            )
            continue
        pick, bin_ = st.columns([8, 1], vertical_alignment="center", gap="small")
        pick.button(
            f"{plain(name)} · {updated[:16].replace('T', ' ')}",
            key=f"w:open:{draft_id}",
            on_click=_open_draft,
            args=(draft_id,),
            disabled=draft_id == open_id,
            width="stretch",
        )
        bin_.button(
            "",
            icon=":material/delete:",
            key=f"w:delete:{draft_id}",
            help="Delete this storyboard (its takes stay)",
            on_click=_ask_delete,
            args=(draft_id,),
            disabled=read_only(),
        )


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


def _order_total(sb: Storyboard, count: int) -> Decimal:
    """The price of `count` takes in every chosen format: what the Generate button says."""
    chosen = offer(sb.provider, sb.model)
    return order_total((quote(board, chosen) for board in formats.format_boards(sb)), count)


def _generate(shown_total: Decimal, shown_count: int, shown_formats: tuple[str, ...], press: int) -> None:
    """The price, count and formats on the button when it was drawn travel with the click: if an
    option, the count or a format changed in the same instant, the runner (or this check) refuses
    and nothing is sent. A press is handled once (GENERATE_PRESS)."""
    if press != st.session_state.get(GENERATE_PRESS, 0):
        return
    st.session_state[GENERATE_PRESS] = press + 1
    st.session_state.pop(GENERATE_ERROR, None)
    try:
        sb = current()
        wanted = takes_wanted()
        picked = tuple(formats.chosen_formats(sb))
        if wanted != shown_count or (shown_formats and picked != shown_formats):
            takes = wanted * len(picked)
            raise GenerateRefused(
                f"You now chose {takes} take{'s' * (takes > 1)} ({format_usd(_order_total(sb, wanted))}; the "
                f"button said {shown_count * len(shown_formats or picked)}), so nothing was sent: press "
                "Generate again to go ahead."
            )
        runtime().runner.generate_takes(
            sb, shown_count, session_clients().get(sb.provider), shown_total=shown_total, actor=acting()
        )
    except (GenerateRefused, StorageProblem, Refused) as no:  # nothing was written or sent
        st.session_state[GENERATE_ERROR] = str(no)
    whole_page()  # "Generating…", the take below: more than the figures Generate is drawn among


def _generate_help(
    sb: Storyboard, problems: list[Problem], fit_problems: list[str], no_key_here: bool, busy: bool
) -> str:
    """Generate's tooltip: what it does, or, when it is greyed out, why (the first thing to fix)."""
    not_allowed = refused(Action.GENERATE)  # the permission table's own sentence
    if not_allowed:
        return not_allowed
    if busy:
        return "Takes of this storyboard are being made: Generate is back when they finish."
    if problems:
        first = problems[0]
        return (
            "Describe what happens in shot 1 first."
            if first.missing_prompt and first.shot == 1
            else first.message
        )
    if fit_problems:
        return fit_problems[0]
    if no_key_here:
        return no_key_sentence(sb.provider, key_problem(sb.provider))
    return f"Sends this storyboard to {PROVIDERS[sb.provider].label}."


def _add_shot_button() -> None:
    """Add shot, greyed out with the reason when the storyboard is full (the lengths decide)."""
    blocker = editing.add_shot_blocker(current())
    st.button(
        "Add shot",
        icon=":material/add:",
        on_click=_add_shot,
        disabled=blocker is not None or read_only(),
        help=blocker,
        key="w:add-shot",
    )
    if blocker:
        st.caption(blocker)


def _quote() -> None:
    """The chosen provider's quote, line by line."""
    sb = current()
    quote_lines(quote(sb, offer(sb.provider, sb.model)))


def _comparison(fit_problems: tuple[str, ...]) -> None:
    """Every provider's price, and what stops Generate."""
    sb = current()
    chosen = offer(sb.provider, sb.model)
    with st.expander("The same storyboard on every provider, cheapest first", expanded=True):
        comparison_table(compare(sb))
    problems = validate(sb, chosen)
    shown = problems
    if not any(shot.prompt.strip() for shot in sb.shots):  # a fresh storyboard: a hint, not a scolding
        st.info("Describe what happens in shot 1 to get started.", icon="✍️")
        shown = [p for p in problems if not p.missing_prompt]
    for problem in shown:
        st.warning(problem.message, icon="✋")
    for fit_problem in fit_problems:  # said in full beside the image; Generate waits for a fix
        st.warning(fit_problem, icon="📐")


def _latest_takes(sb: Storyboard) -> list[Job]:
    """The takes of this storyboard's last press of Generate (Present shows them)."""
    return latest_batch(_recent_takes(sb))


# This run's read of each storyboard's latest takes: Present and Generate both show from it. The
# page's module is made anew on every full run, so is this; a rerun of the figures alone (Generate
# is among them) reads afresh, as a take may have finished since the full run.
_read_this_run: dict[str, list[Job]] = {}


def _recent_takes(sb: Storyboard) -> list[Job]:
    if not figures_alone() and sb.id in _read_this_run:
        return _read_this_run[sb.id]
    takes = runtime().store.list_jobs(storyboard_id=sb.id, limit=MAX_TAKES_PER_GENERATE * len(formats.FORMATS))
    if not figures_alone():
        _read_this_run[sb.id] = takes
    return takes


def _generate_bar(fit_problems: tuple[str, ...]) -> None:
    """Generate with the price of every take on it, and the caps beside it. Its key carries the price
    and count it shows (take_count.generate_key) and its click the price, count and formats."""
    sb = current()
    chosen = offer(sb.provider, sb.model)
    problems = validate(sb, chosen)
    unavailable = generate_blocker(sb.provider)
    busy = any(not job.state.finished for job in _recent_takes(sb))
    count = takes_wanted()
    picked = formats.chosen_formats(sb)
    takes = count * len(picked)
    total = _order_total(sb, count)
    disabled = (
        bool(problems) or bool(fit_problems) or unavailable is not None or busy or not may(Action.GENERATE)
    )
    press = st.session_state.get(GENERATE_PRESS, 0)
    with st.container(key=GENERATE_BAR):  # pinned to the bottom of a phone's screen (components/phone.py)
        st.button(
            "Generating…" if busy else takes_label(total, takes),
            type="primary",
            on_click=_generate,
            args=(total, count, tuple(picked), press),  # what the person sees is what they agree to pay
            disabled=disabled,
            width="stretch",
            key=generate_key(total, takes, press),
            help=_generate_help(sb, problems, list(fit_problems), unavailable is not None, busy),
        )
        if st.session_state.get(GENERATE_ERROR):  # in the bar: on a phone it is where the eyes are
            st.error(st.session_state[GENERATE_ERROR])
    cap_state(quote(sb, chosen), takes)


sb = current()
rt = runtime()

title, new, recent, starters = st.columns([4, 1, 1, 1], vertical_alignment="bottom")
st.session_state["w:name"] = sb.name
# max_chars: the browser stops typing and pasting at the model's limit (a counter says so) and
# Streamlit cuts anything longer a client sends, so the name always fits the model.
locked = read_only()  # a reviewer reads storyboards: every control greyed out, every change refused
title.text_input(
    "Storyboard name", key="w:name", on_change=_rename, max_chars=MAX_NAME_CHARS, disabled=locked
)
new.button(
    "New storyboard", on_click=_new_storyboard, width="stretch", key="w:new-storyboard", disabled=locked
)
menu(recent, "Open…", OPEN_MENU, partial(_open_list, sb.id), width="stretch")
templates_menu(starters)
who_else_is_here(sb.id)
refused_note()
if locked:
    st.info("You are reviewing: storyboards are read-only for reviewers.", icon="👀")
if st.session_state.get(DRAFT_PROBLEM):
    st.warning(st.session_state[DRAFT_PROBLEM], icon="🩹")
if (theirs := conflict()) is not None:
    st.warning(plain(changed_sentence(theirs)), icon="✋")
    theirs_, mine_ = st.columns(2)
    theirs_.button("Load their version", key="w:load-theirs", on_click=load_theirs, width="stretch")
    mine_.button("Keep mine as a copy", key="w:keep-mine", on_click=keep_mine_as_copy, width="stretch")
if unsaved() is not None:
    _unsaved_note(None)
    keep_trying_to_save()

shots_col, side_col = st.columns([3, 2], gap="large")

# What follows the lengths has its place kept here and is drawn, at the end, by one fragment
# (components/lengths.py): a length dragged on the timeline, or set on a slider, redraws only that.
figures = LengthFigures()
with side_col:
    model_picker(sb)
    figures.here(provider_picker)
    options_form(sb, offer(sb.provider, sb.model))

with shots_col:
    figures.here(timeline)
    for index in range(len(sb.shots)):
        shot_card(sb, index, figures)
        _unsaved_note(index)
    figures.here(_add_shot_button)
    st.divider()
    chosen = offer(sb.provider, sb.model)
    first_frame_input(chosen)
    fit_problems = frame_fits(sb, chosen)

with side_col:
    st.subheader("Cost")
    figures.here(_quote)
    st.caption(f"Output: {formats.shapes_label(sb)}", help="The shape and size each take comes back in.")
    brief_buttons(sb, key="editor")  # made when clicked, from the storyboard then
    if team():  # sent for review, commented on by shot, approved: this storyboard's round
        with st.container(key="editor-review"):
            reviewed = rt.store.reviews.current(Kind.STORYBOARD, sb.id)
            # approved, then saved again: the line says so (the saved version, not this page's)
            review.state_line(reviewed, rt.store.draft_version(sb.id) if reviewed else None)
            comments = rt.store.reviews.comments(Kind.STORYBOARD, sb.id)
            review.comment_list(comments, "st-key-editor-review", "editor")
            review.review_panel(
                Kind.STORYBOARD,
                sb.id,
                sb.id,
                sb.name or UNTITLED,
                len(sb.shots),
                scope="st-key-editor-review",
                key="review:storyboard",
                review=reviewed,
                seen=saved_version(sb.id),  # the version this page shows: what Approve here approves
            )
    figures.here(_comparison, tuple(fit_problems))
    unavailable = generate_blocker(sb.provider)
    if unavailable:
        no_key(sb.provider, key_problem(sb.provider))
    take_count()
    format_row(sb)
    st.markdown(f"**{formats.shapes_label(sb)}**", help="The shape and size each take comes back in.")
    figures.here(_generate_bar, tuple(fit_problems))
    exports_panel()
    latest = _latest_takes(sb)
    if latest:
        st.caption("Your latest take: its progress and its video are below, full width (Present).")

if latest:  # under both columns: the take as large as the page allows, shot buttons under it
    present(latest, figures)
figures.draw_all()
