"""Takes: every generation with its poster, provider, model, cost and state; play, download, reopen."""

from __future__ import annotations

from decimal import Decimal
from functools import partial
from pathlib import Path

import streamlit as st

from components import identity, review
from components.identity import actor
from components.job_card import job_card, player, status_line
from components.roles import team
from components.runtime import open_take, runtime
from components.sign_in import gate
from components.spend_chart import spend_chart
from components.stored_media import picture_source
from components.take_actions import compare_key, take_controls, take_questions
from components.take_compare import comparison
from components.take_details import details_expander
from components.text import plain
from storyboard.catalog import PROVIDERS
from storyboard.models import Job, JobState, format_usd, utcnow
from storyboard.people import Member
from storyboard.reviews import Comment, Kind, Review
from storyboard.store import Store
from storyboard.takes import TakeGroup, group_by_storyboard, title

gate()  # again here: a run may start at this page, not at app.py (components/sign_in.py)

PLAYING = "takes_playing"
WHOSE = "takes_whose"  # team mode: "Mine" or "Everyone's"
MINE, EVERYONES = "Mine", "Everyone's"
SHOWING_ALL = "takes_showing_all"  # storyboard ids whose every take is listed
OPEN = "takes_open"  # {storyboard id: listed or not}; the newest storyboard's takes are listed unasked
TAKES_SHOWN = 6  # newest takes listed per storyboard until "Show all" is pressed
ARRIVED = "takes_arrived"  # the ?take= link this session has already opened (then the person leads)

# Team mode: each listed take's review and comments, read once per run for the whole page.
REVIEWS: dict[str, Review] = {}
COMMENTS: dict[str, list[Comment]] = {}


def _play(job_id: str) -> None:
    st.session_state[PLAYING] = None if st.session_state.get(PLAYING) == job_id else job_id


def _open_player(job_id: str) -> None:
    st.session_state[PLAYING] = job_id


def provider_link(job: Job) -> str | None:
    """Where the provider keeps the video and until when; the MP4 itself is kept here regardless."""
    if job.remote_url is None or not job.remote_url.startswith("http"):
        return None
    label = PROVIDERS[job.provider].label
    if job.link_expires_at is None:
        until = "for as long as it keeps it (it does not say)"
    elif job.link_expires_at <= utcnow():
        until = f"expired {job.link_expires_at:%Y-%m-%d %H:%M} UTC"
    else:
        until = f"until {job.link_expires_at:%Y-%m-%d %H:%M} UTC"
    return f"[{label}'s link]({job.remote_url}): {until}. The MP4 is kept here either way."


def _show_all(storyboard_id: str) -> None:
    st.session_state.setdefault(SHOWING_ALL, set()).add(storyboard_id)


def _toggle(storyboard_id: str, is_open: bool) -> None:
    st.session_state.setdefault(OPEN, {})[storyboard_id] = not is_open


def _poster(job: Job, data_dir: Path) -> str | None:
    """A small thumbnail of the take's poster, made once and then only read."""
    if not job.poster_path:
        return None
    try:
        return picture_source(job.poster_path, max_width=320)
    except OSError:
        return None


PROMPT_CHARS = 140  # of each shot's prompt on a take's card (the full text is in the editor)


def _cut(prompt: str) -> str:
    text = " ".join(prompt.split()) or "(no prompt)"
    return text if len(text) <= PROMPT_CHARS else text[: PROMPT_CHARS - 1].rstrip() + "…"


def _take(job: Job, label: str, data_dir: Path) -> None:
    with st.container(border=True, key=f"take-{job.id}"):
        poster, about = st.columns([1, 4], vertical_alignment="center")
        thumb = _poster(job, data_dir)
        if thumb:
            poster.image(thumb, width="stretch")
        else:
            poster.markdown("🎞️")
        star = " · ★" if job.starred else ""
        about.markdown(f"**{plain(title(job))}** · {label} · {job.state.value}{star}")
        shots = job.storyboard.shots
        about.caption(  # every shot's prompt, one line each: a take is told apart by any of them
            "  \n".join(
                f"{n} · {shot.duration} s · {plain(_cut(shot.prompt))}" for n, shot in enumerate(shots, 1)
            )
        )
        by = f" · by {plain(_names.get(job.author, job.author))}" if team() and job.author else ""
        about.caption(f"{status_line(job)} · {job.created_at:%Y-%m-%d %H:%M} UTC{by}")
        link = provider_link(job)
        if link:
            about.caption(link)
        actions = about.container(horizontal=True, gap="small", vertical_alignment="center")
        if job.state == JobState.DONE:
            playing = st.session_state.get(PLAYING) == job.id
            actions.button(
                "Hide" if playing else "▶ Play", key=f"play:{job.id}", on_click=_play, args=(job.id,)
            )
        if actions.button("Open in editor", key=f"open:{job.id}"):
            open_take(job)
            st.switch_page("pages/editor.py")
        take_controls(job, actions)
        take_questions(job)
        if team():
            review.state_line(REVIEWS.get(job.id))
            scope = f"st-key-take-{job.id}"
            review.comment_list(
                COMMENTS.get(job.id, []),
                scope,
                f"take:{job.id}",
                partial(_open_player, job.id) if job.state == JobState.DONE else None,
            )
        if job.state == JobState.DONE and st.session_state.get(PLAYING) == job.id:
            player(job, key=f"take:{job.id}")
        elif not job.state.finished:
            job_card(job, key=f"take:{job.id}", details=False)
        elif job.message and job.state != JobState.DONE:
            st.caption(plain(job.message))
        if team() and job.state.finished:
            review.review_panel(
                Kind.TAKE,
                job.id,
                job.storyboard.id,
                title(job),
                len(job.storyboard.shots),
                scope=f"st-key-take-{job.id}",
                key=f"review:take:{job.id}",
                review=REVIEWS.get(job.id),
                members=_members,
            )
        details_expander(job, "take")


def _group(group: TakeGroup, newest: bool, data_dir: Path) -> None:
    count = len(group.takes)
    is_open = st.session_state.get(OPEN, {}).get(group.storyboard_id, newest)
    heading, toggle = st.columns([5, 1], vertical_alignment="bottom")
    heading.subheader(plain(group.name), anchor=False)
    heading.caption(
        f"{count} take{'s' * (count != 1)} · {group.version_count} version{'s' * (group.version_count != 1)}"
        + (" · tick Compare on two or more to see them side by side" if is_open and count > 1 else "")
    )
    toggle.button(
        "Hide takes" if is_open else f"Show {count} take{'s' * (count != 1)}",
        key=f"toggle:{group.storyboard_id}",
        on_click=_toggle,
        args=(group.storyboard_id, is_open),
        width="stretch",
    )
    if not is_open:
        return
    chosen = [job for job in group.takes if st.session_state.get(compare_key(job.id))]
    if len(chosen) >= 2:
        comparison(group, chosen, *((REVIEWS, COMMENTS) if team() else ()))
    showing_all = group.storyboard_id in st.session_state.get(SHOWING_ALL, set())
    shown = group.takes if showing_all else group.takes[:TAKES_SHOWN]
    listed = {job.id for job in shown} | {job.id for job in chosen}  # a chosen take stays listed
    for job in group.takes:
        if job.id in listed:
            _take(job, group.label(job.id), data_dir)
    if len(shown) < count:
        st.button(
            f"Show all {count} takes",
            key=f"show-all:{group.storyboard_id}",
            on_click=_show_all,
            args=(group.storyboard_id,),
        )


def _arrive(store: Store) -> None:
    """A link to a take (?take=<id>): its storyboard's takes listed, its player open, the card in view;
    once per link, so the person's own Hide or Show afterwards holds."""
    wanted = st.query_params.get("take")
    if not wanted or st.session_state.get(ARRIVED) == wanted:
        return
    st.session_state[ARRIVED] = wanted
    job = store.get_job(wanted)
    if job is None:
        st.info("That take is not here any more: it may have been deleted.")
        return
    st.session_state.setdefault(OPEN, {})[job.storyboard.id] = True
    st.session_state.setdefault(SHOWING_ALL, set()).add(job.storyboard.id)
    if job.state == JobState.DONE:
        st.session_state[PLAYING] = job.id
    st.session_state[review.SCROLL] = f"st-key-take-{job.id}"


def _waiting(store: Store) -> None:
    """Team mode: what this person was asked to review and has not decided yet."""
    waiting = store.reviews.waiting_for(identity.actor().email)
    if not waiting:
        return
    with st.container(border=True, key="waiting-for-review"):
        st.subheader("Waiting for my review", anchor=False)
        for asked in waiting:
            what = "Take" if asked.kind is Kind.TAKE else "Storyboard"
            label = f"{what} from {asked.requested_by_name}, sent {asked.requested_at[:16].replace('T', ' ')} UTC"
            if asked.kind is Kind.TAKE:
                st.page_link("pages/takes.py", label=plain(label), query_params={"take": asked.subject_id})
            else:
                st.page_link("pages/editor.py", label=plain(label), query_params={"draft": asked.subject_id})


st.title("Takes")
rt = runtime()
store = rt.store
_names: dict[str, str] = {}  # a take's author's email -> the name shown (team mode)
_members: list[Member] = []  # read once a run: the names, and whom each Review panel may ask
mine_only = False
if team():  # whose takes, and whose spend the figures below are: one's own, or the workspace's
    _arrive(store)
    _waiting(store)
    _members = store.people.members()
    _names = {m.email: m.actor().name for m in _members}
    whose = st.segmented_control("Whose takes", [MINE, EVERYONES], default=EVERYONES, key=WHOSE)
    mine_only = whose == MINE
me = actor().email if mine_only else None
spend = store.spend_by_person().get(me, {}) if me is not None else store.spend_by_provider()
columns = st.columns(len(PROVIDERS) + 1)
columns[0].metric("Spent by you" if mine_only else "Spent in total", format_usd(sum(spend.values(), Decimal(0))))
for column, (provider, info) in zip(columns[1:], PROVIDERS.items(), strict=True):
    column.metric(info.label, format_usd(spend.get(provider, Decimal(0))))
spend_chart(store)

jobs = store.list_jobs(limit=200, author=me)
if not jobs and mine_only:
    st.info("You have no takes yet: Everyone's shows the whole team's.")
elif not jobs:
    st.info("No takes yet. Write a storyboard and press Generate: the Preview provider is free.")
if team():
    REVIEWS.update(store.reviews.current_of(Kind.TAKE, [job.id for job in jobs]))
    COMMENTS.update(store.reviews.comments_of(Kind.TAKE, [job.id for job in jobs]))
for number, group in enumerate(group_by_storyboard(jobs)):
    _group(group, number == 0, rt.data_dir)
