"""A take: progress while it runs, then the video in the page and a download button.

The card is a fragment that re-reads the store every second while the job runs, so only the
card reruns, not the page. When the job finishes, one full rerun stops the timer. A Preview take
under serve.py is watched from the browser instead (components/take_watch.py): its card is drawn
once and the page reruns when the render is done.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from components.roles import acting, may
from components.runtime import runtime
from components.shot_markers import shot_player
from components.stored_media import MISSING, video_source
from components.take_details import details_expander
from components.take_watch import progress_bar, served, take_watch
from components.text import plain
from storyboard.catalog import MODELS, PROVIDERS
from storyboard.formats import take_shape
from storyboard.media_store import MediaUnavailable
from storyboard.models import Job, JobState, ProviderId, format_usd
from storyboard.permissions import Action, Refused

CANCEL_REFUSED = "cancel_refused"  # why the last Cancel was refused (shown once, on the card)
REFRESH_SECONDS = 1.0
# A free Preview render takes seconds, not minutes: a 1 s look added ~1 s (half a look, a rerun, the
# load) to a 720p animatic that renders in ~1.2 s. Looked at every 0.25 s (the Preview client's own
# poll), the video is on the page ~0.75 s sooner, but each look is a fragment rerun (~0.1 s of CPU
# between server and browser), which slows the render itself: under serve.py the browser watches a
# Preview take instead (take_watch); this interval is for AppTest and `streamlit run app.py`.
FREE_REFRESH_SECONDS = 0.25


def player(job: Job, key: str) -> None:
    """The finished video, playable in the page, and its download. From a bucket both are
    short-lived presigned links the browser fetches itself; from the data dir Streamlit serves them."""
    assert job.video_path is not None
    file_name = f"{job.storyboard.name or 'storyboard'}-{job.id}.mp4".replace(" ", "_")
    try:
        source = video_source(job.video_path)
    except OSError as problem:
        st.error(str(problem) if isinstance(problem, MediaUnavailable) else MISSING)
        return
    shot_player(job, source, key)
    link = runtime().media.url(job.video_path, download_as=file_name)
    if link is not None:
        st.link_button("Download MP4", link, icon="⬇️")
        return
    st.download_button(
        "Download MP4",
        data=Path(source).read_bytes,  # read when clicked, not on every rerun
        file_name=file_name,
        mime="video/mp4",
        key=f"{key}:download",
        on_click="ignore",
        icon="⬇️",
    )



def _cancel(job_id: str) -> None:
    try:
        runtime().runner.cancel(job_id, acting())
    except Refused as no:  # not their take (its author, or an admin, may cancel it)
        st.session_state[CANCEL_REFUSED] = no.sentence


def status_line(job: Job) -> str:
    shape = take_shape(job.storyboard)
    return (
        f"{PROVIDERS[job.provider].label} · {MODELS[job.model].label} · "
        f"{format_usd(job.quote.total)} · {job.storyboard.total_seconds} s"
        + (f" · {shape.label}" if shape else "")
    )


def job_card(job: Job, key: str = "job", details: bool = True) -> None:
    """`job` as the page read it: the card refreshes itself every second while that job runs.
    `details`: end with the take's Details expander (the Takes page draws its own, under the card)."""
    job_id = job.id
    running = not job.state.finished
    if running and job.provider == ProviderId.PREVIEW and served():
        _card(job, key, details, watched=True)  # drawn once; the page reruns when it is done
        return

    every = (
        (FREE_REFRESH_SECONDS if job.provider == ProviderId.PREVIEW else REFRESH_SECONDS) if running else None
    )

    @st.fragment(run_every=every)
    def card() -> None:
        current = runtime().store.get_job(job_id)
        if current is None:
            return
        _card(current, key, details)
        if running and current.state.finished:
            st.rerun()  # the whole page: re-enables Generate and stops this timer

    card()


def _card(current: Job, key: str, details: bool, watched: bool = False) -> None:
    """The card's contents; `watched`: its progress drawn and followed by the browser."""
    with st.container(border=True, key=f"{key}-card"):
        st.caption(status_line(current))
        if current.state == JobState.DONE:
            player(current, key)
        elif current.state.finished:
            show = st.info if current.state == JobState.CANCELLED else st.error
            show(plain(current.message or "This take did not finish."))
        else:
            if watched:
                take_watch(current, key)
            else:
                progress, text = progress_bar(current)  # as the watched card draws them
                st.progress(progress, text=plain(text))
            if runtime().runner.cancellable(current):
                st.button(
                    "Cancel",
                    key=f"{key}:cancel",
                    on_click=_cancel,
                    args=(current.id,),
                    disabled=not may(Action.CHANGE_TAKE, owner=current.author),
                )
            refused = st.session_state.pop(CANCEL_REFUSED, None)
            if refused:
                st.error(refused, icon="🔒")
        if details:
            details_expander(current, key)
