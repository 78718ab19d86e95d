"""A finished take's video with its shots marked: a caption per shot, and buttons that jump to each.

The captions are a WebVTT track built from the take's storyboard snapshot (storyboard/captions.py).
One layer of text at a time: a Preview animatic draws each shot's title and prompt in its own
pictures, so on an animatic the track is there (the player's captions menu) but off by default.
A "Shot n" button reruns the player with `start_time` at that shot's start, and autoplay on; the
shot chosen is kept per take in the session, so a rerun of the page keeps the player where it was.
"""

from __future__ import annotations

import math
from io import BytesIO
from pathlib import Path

import streamlit as st

from components.text import plain
from storyboard.captions import short_prompt, shot_starts, webvtt
from storyboard.models import Job, ProviderId

CHOSEN = "shot_marker:"  # + take id: (shot number, clicks), the shot last jumped to in that take
TRACK_LABEL = "Shots"


def subtitles(job: Job) -> dict[str, str | Path | bytes | BytesIO]:
    """The caption track naming each shot; off by default on an animatic, which names it itself."""
    track = webvtt(job.storyboard).encode()  # bytes: never mistaken for a file path
    if job.provider == ProviderId.PREVIEW:
        return {"Off": "", TRACK_LABEL: track}  # Streamlit: an empty first track shows none by default
    return {TRACK_LABEL: track}


def chosen_key(job_id: str) -> str:
    return f"{CHOSEN}{job_id}"


def _jump(job_id: str, number: int) -> None:
    _, clicks = st.session_state.get(chosen_key(job_id), (None, 0))
    st.session_state[chosen_key(job_id)] = (number, clicks + 1)


def shot_player(job: Job, source: str, key: str) -> None:
    """The video (a file path, or a link) with a caption track naming the shot on screen, then a row of "Shot n" buttons."""
    sb = job.storyboard
    starts = shot_starts(sb)
    number, clicks = st.session_state.get(chosen_key(job.id), (None, 0))
    if number is not None and not 1 <= number <= len(starts):
        number = None
    # The player seeks when start_time changes. A second click on the same shot changes nothing the
    # player sees, so every other click also sets an end past the video's end (never reached): that
    # makes it a new player, which starts again from the shot.
    longest = max(sb.total_seconds, math.ceil(job.duration_seconds or 0))
    end = longest + 1 if clicks % 2 else None
    st.video(
        source,
        start_time=starts[number - 1] if number else 0,
        end_time=end if number else None,
        subtitles=subtitles(job),
        autoplay=number is not None,  # only after a click: a page never starts playing by itself
    )
    if len(sb.shots) < 2:
        return
    with st.container(horizontal=True, gap="small", key=f"{key}-shots"):
        for n, (start, shot) in enumerate(zip(starts, sb.shots, strict=True), 1):
            st.button(
                f"Shot {n}",
                key=f"{key}:shot:{n}",
                on_click=_jump,
                args=(job.id, n),
                help=f"Play from {start} s: {plain(short_prompt(shot.prompt))}",
                type="primary" if n == number else "secondary",
                icon=":material/play_arrow:",
            )
