"""Takes: every generation with its poster, provider, model, cost and state; play, download, reopen."""

from __future__ import annotations

from decimal import Decimal

import streamlit as st

from components.job_card import job_card, player, status_line
from components.runtime import open_take, runtime
from components.spend_chart import spend_chart
from storyboard.catalog import PROVIDERS
from storyboard.models import Job, JobState, format_usd, utcnow

PLAYING = "takes_playing"


def _play(job_id: str) -> None:
    st.session_state[PLAYING] = None if st.session_state.get(PLAYING) == job_id else job_id


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


def _take(job: Job) -> None:
    data_dir = runtime().data_dir
    with st.container(border=True, key=f"take-{job.id}"):
        poster, about, actions = st.columns([1, 3, 1], vertical_alignment="center")
        if job.poster_path and (data_dir / job.poster_path).exists():
            poster.image(str(data_dir / job.poster_path), width="stretch")
        else:
            poster.markdown("🎞️")
        about.markdown(f"**{job.storyboard.name}** · {job.state.value}")
        shots = job.storyboard.shots
        first = shots[0].prompt.strip() or "(no prompt)"
        about.caption(f"{len(shots)} shot{'s' * (len(shots) > 1)}: {first[:90]}{'…' * (len(first) > 90)}")
        about.caption(f"{status_line(job)} · {job.created_at:%Y-%m-%d %H:%M} UTC")
        if job.state == JobState.DONE:
            playing = st.session_state.get(PLAYING) == job.id
            actions.button(
                "Hide" if playing else "▶ Play", key=f"play:{job.id}", on_click=_play, args=(job.id,)
            )
        if actions.button("Open in editor", key=f"open:{job.id}"):
            open_take(job)
            st.switch_page("pages/editor.py")
        link = provider_link(job)
        if link:
            about.caption(link)
        if job.state == JobState.DONE and st.session_state.get(PLAYING) == job.id:
            player(job, key=f"take:{job.id}")
        elif not job.state.finished:
            job_card(job, key=f"take:{job.id}")
        elif job.message and job.state != JobState.DONE:
            st.caption(job.message)


st.title("Takes")
store = runtime().store
spend = store.spend_by_provider()
columns = st.columns(len(PROVIDERS) + 1)
columns[0].metric("Spent in total", format_usd(sum(spend.values(), Decimal(0))))
for column, (provider, info) in zip(columns[1:], PROVIDERS.items(), strict=True):
    column.metric(info.label, format_usd(spend.get(provider, Decimal(0))))
spend_chart(store)

jobs = store.list_jobs(limit=200)
if not jobs:
    st.info("No takes yet. Write a storyboard and press Generate: the Preview provider is free.")
for job in jobs:
    _take(job)
