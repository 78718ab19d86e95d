"""Shot markers: the WebVTT track a take's player shows, one cue per shot, timed by the storyboard."""

from __future__ import annotations

import html
import re
from itertools import accumulate

from hypothesis import given
from hypothesis import strategies as st

from storyboard.captions import CUE_PROMPT_CHARS, short_prompt, timestamp, webvtt
from storyboard.models import Shot, Storyboard

TIMING = re.compile(r"^(\d{2}):([0-5]\d):([0-5]\d)\.(\d{3}) --> (\d{2}):([0-5]\d):([0-5]\d)\.(\d{3})$")


def seconds(h: str, m: str, s: str, ms: str) -> float:
    return int(h) * 3600 + int(m) * 60 + int(s) + int(ms) / 1000


def parse(vtt: str) -> list[tuple[float, float, str]]:
    """A strict reading of the file as a browser would: header, then blank-line separated cues."""
    assert vtt.startswith("WEBVTT\n\n") or vtt == "WEBVTT\n", vtt[:20]
    assert "\r" not in vtt
    blocks = vtt.rstrip("\n").split("\n\n")
    assert blocks[0] == "WEBVTT"
    cues = []
    for block in blocks[1:]:
        lines = block.split("\n")
        assert len(lines) == 3, lines  # identifier, timing, one line of text
        ident, timing, text = lines
        assert ident and "-->" not in ident
        match = TIMING.match(timing)
        assert match, timing
        start, end = seconds(*match.groups()[:4]), seconds(*match.groups()[4:])
        assert start < end
        assert text.strip() and "-->" not in text
        assert "<" not in text and ">" not in text  # no markup: prompts are shown as typed
        cues.append((start, end, html.unescape(text)))
    return cues


prompts = st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=200)
storyboards = st.lists(
    st.builds(Shot, prompt=prompts, duration=st.integers(1, 15)), min_size=1, max_size=6
).map(lambda shots: Storyboard(shots=shots))


@given(storyboards)
def test_cue_times_are_the_shot_boundaries_exactly(sb: Storyboard) -> None:
    cues = parse(webvtt(sb))
    boundaries = [0, *accumulate(s.duration for s in sb.shots)]
    assert [c[0] for c in cues] == boundaries[:-1]
    assert [c[1] for c in cues] == boundaries[1:]
    for n, ((_, _, text), shot) in enumerate(zip(cues, sb.shots, strict=True), 1):
        assert text.startswith(f"Shot {n} · {shot.duration} s · ")


def test_a_cue_reads_shot_number_length_and_prompt() -> None:
    sb = Storyboard(
        shots=[Shot(prompt="Bottle on sand", duration=4), Shot(prompt="A wave <lifts> it & more")]
    )
    assert parse(webvtt(sb)) == [
        (0, 4, "Shot 1 · 4 s · Bottle on sand"),
        (4, 9, "Shot 2 · 5 s · A wave <lifts> it & more"),
    ]
    assert "00:00:04.000 --> 00:00:09.000" in webvtt(sb)


@given(prompts)
def test_a_long_prompt_is_shortened_on_a_word_with_an_ellipsis(prompt: str) -> None:
    short = short_prompt(prompt)
    assert len(short) <= CUE_PROMPT_CHARS and "\n" not in short
    one_line = " ".join(prompt.split())
    if len(one_line) <= CUE_PROMPT_CHARS:
        assert short == (one_line or "(no prompt)")
    else:
        assert short.endswith("…")
        assert one_line.startswith(short.removesuffix("…"))


def test_shortening_cuts_between_words() -> None:
    prompt = "A glass bottle lies on wet sand at golden hour while the tide slowly comes in over it"
    assert short_prompt(prompt) == "A glass bottle lies on wet sand at golden hour while the…"


def test_timestamps_have_hours_minutes_seconds_and_milliseconds() -> None:
    assert timestamp(0) == "00:00:00.000"
    assert timestamp(15) == "00:00:15.000"
    assert timestamp(3725.5) == "01:02:05.500"
