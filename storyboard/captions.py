"""Shot markers for a finished take: one WebVTT cue per shot, timed by the storyboard.

The player shows "Shot 2 · 4 s · A wave lifts the bottle…" while shot 2 is on screen, and the shot
list under it jumps to each shot's start. Both read the boundaries from here, computed from the
take's storyboard snapshot (the shots as they were sent), never from the draft edited since.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from storyboard.models import Storyboard

CUE_PROMPT_CHARS = 60  # a caption line a viewer can read at a glance, over the video


@dataclass(frozen=True)
class Cue:
    number: int  # 1-based shot number
    start: int  # whole seconds from the start of the video
    end: int
    text: str


def shot_starts(storyboard: Storyboard) -> list[int]:
    """Where each shot begins, in whole seconds: 0, then the running total of the lengths."""
    starts, at = [], 0
    for shot in storyboard.shots:
        starts.append(at)
        at += shot.duration
    return starts


def short_prompt(prompt: str, limit: int = CUE_PROMPT_CHARS) -> str:
    """The prompt on one line, cut at a word boundary with '…' when longer than `limit`."""
    text = " ".join(prompt.split())
    if not text:
        return "(no prompt)"
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    if " " in cut and not text[limit - 1].isspace():
        cut = cut[: cut.rindex(" ")]
    return cut.rstrip(" ,;:.-—") + "…"


def cue_label(number: int, seconds: int, prompt: str) -> str:
    return f"Shot {number} · {seconds} s · {short_prompt(prompt)}"


def cues(storyboard: Storyboard) -> list[Cue]:
    return [
        Cue(number=n, start=start, end=start + shot.duration, text=cue_label(n, shot.duration, shot.prompt))
        for n, (start, shot) in enumerate(zip(shot_starts(storyboard), storyboard.shots, strict=True), 1)
    ]


def timestamp(seconds: float) -> str:
    """WebVTT's HH:MM:SS.mmm (hours always written, so any length parses)."""
    millis = round(seconds * 1000)
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    secs, millis = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}.{millis:03d}"


_ESCAPES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}


def _escape(text: str) -> str:
    """Cue text is markup: '&', '<' and '>' are escaped (which also keeps '-->' out of it)."""
    return re.sub(r"[&<>]", lambda m: _ESCAPES[m.group()], text)


def webvtt(storyboard: Storyboard) -> str:
    """The storyboard's shots as a WebVTT file: a cue per shot, from its start to the next's."""
    blocks = ["WEBVTT"]
    for cue in cues(storyboard):
        if cue.end > cue.start:  # a 0 s shot has nothing on screen to mark
            blocks.append(
                f"shot-{cue.number}\n{timestamp(cue.start)} --> {timestamp(cue.end)}\n{_escape(cue.text)}"
            )
    return "\n\n".join(blocks) + "\n"
