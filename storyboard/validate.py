"""Check a storyboard against one offer's limits, before any money moves.

Every problem is one plain sentence that says which shot, which limit and what to do.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from storyboard.catalog import MODELS, PROVIDERS, Offer
from storyboard.compile import compile_request
from storyboard.models import ImageRules, Storyboard

PLACEHOLDER_IMAGE_URL = "https://example.invalid/first-frame.jpg"  # measuring a body needs some URL
# EvoLink Turbo's multi-shot marker [Seed 003]: `镜头 n, m, words;` (shot n, m seconds).
SHOT_MARKER = "镜头"
_SHOT_FORM = re.compile(r"\s*镜头\s*(\d+)\s*,\s*(\d+)\s*,\s*([^;]+?)\s*;\s*")


@dataclass(frozen=True)
class Problem:
    message: str
    shot: int | None = None  # 1-based shot number the problem is about, if any
    missing_prompt: bool = False  # nothing written yet: the editor shows a gentler hint instead


def aspect_range(rules: ImageRules) -> str:
    """'1:2.5 to 2.5:1' from the rules, for messages."""
    return f"1:{1 / rules.min_aspect:g} to {rules.max_aspect:g}:1"


def shot_prompt_limit(storyboard: Storyboard, offer: Offer) -> int:
    """A lone shot's prompt is the whole prompt; in a multi-shot storyboard each shot has its own cap."""
    limits = offer.limits
    return limits.max_shot_prompt_chars if storyboard.is_multi_shot else limits.max_prompt_chars


def validate(storyboard: Storyboard, offer: Offer) -> list[Problem]:
    limits = offer.limits
    where = PROVIDERS[offer.provider].label
    problems: list[Problem] = []
    shots = storyboard.shots
    n = len(shots)

    if n < limits.min_shots:
        problems.append(Problem("Add a shot: a storyboard needs at least one."))
    if n > limits.max_shots:
        problems.append(
            Problem(
                f"This storyboard has {n} shots; {where} takes at most {limits.max_shots}. Delete a shot."
            )
        )

    total = storyboard.total_seconds
    if total > limits.max_total_seconds:
        problems.append(
            Problem(
                f"The shots add up to {total} s; the limit is {limits.max_total_seconds} s. "
                "Shorten a shot or delete one."
            )
        )
    elif total < limits.min_total_seconds:
        problems.append(
            Problem(
                f"The video is {total} s long; it must be at least {limits.min_total_seconds} s. "
                "Make a shot longer."
            )
        )

    image_to_video = offer.takes_image
    for i, shot in enumerate(shots, 1):
        if shot.duration < 1:
            problems.append(Problem(f"Shot {i} has no length. Give it at least 1 s or delete it.", i))
        elif n > 1 and shot.duration < limits.min_shot_seconds:
            problems.append(
                Problem(
                    f"Shot {i} is {shot.duration} s; {where} needs at least {limits.min_shot_seconds} s per shot. "
                    "Make it longer or merge it with another shot.",
                    i,
                )
            )
        text = shot.prompt.strip()
        if not text and not (image_to_video and n == 1):
            problems.append(
                Problem(f"Shot {i} has no prompt. Describe what happens in it.", i, missing_prompt=True)
            )
        cap = shot_prompt_limit(storyboard, offer)
        if len(shot.prompt) > cap:
            problems.append(
                Problem(
                    f"Shot {i}'s prompt is {len(shot.prompt)} characters; the limit is {cap}. Shorten it.",
                    i,
                )
            )

    if n > 1 and offer.multi_shot_form == "prompt_syntax":
        for i, shot in enumerate(shots, 1):
            if ";" in shot.prompt:
                problems.append(
                    Problem(
                        f"Shot {i}'s prompt has a ';', which {where} reads as the end of a shot. Use a comma instead.",
                        i,
                    )
                )
    if offer.multi_shot_form == "prompt_syntax":
        for i, shot in enumerate(shots, 1):
            if SHOT_MARKER in shot.prompt and not (n == 1 and _is_shot_form(shot.prompt, shot.duration)):
                problems.append(
                    Problem(
                        f"Shot {i}'s prompt uses the word {SHOT_MARKER}, which {where} reads as the start "
                        "of a new shot; use another word, such as 'shot' or 'camera'.",
                        i,
                    )
                )
    if n > 1:
        # Some providers send all shots as one prompt (EvoLink Turbo's `镜头` syntax, WaveSpeed V3.0's
        # required `prompt`): measure what is really sent.
        sent = compile_request(storyboard, offer, PLACEHOLDER_IMAGE_URL).body.get("prompt", "")
        if len(sent) > limits.max_prompt_chars:
            problems.append(
                Problem(
                    f"{where} sends all shots as one prompt of {len(sent)} characters; the limit is "
                    f"{limits.max_prompt_chars}. Shorten some shot prompts."
                )
            )

    opts = storyboard.options
    if offer.has("negative_prompt") and len(opts.negative_prompt) > limits.max_negative_prompt_chars:
        problems.append(
            Problem(
                f"The negative prompt is {len(opts.negative_prompt)} characters; the limit is "
                f"{limits.max_negative_prompt_chars}. Shorten it."
            )
        )
    if offer.has("resolution") and opts.resolution not in offer.resolutions:
        problems.append(Problem(f"{where} offers {', '.join(offer.resolutions)}; pick one of those."))

    if offer.image_rules is not None:
        problems.extend(_first_frame_problems(storyboard, offer))
    return problems


def _is_shot_form(prompt: str, seconds: int) -> bool:
    """A lone prompt written entirely in EvoLink's own form, shots numbered 1, 2, ... and their
    seconds adding up to the video's: EvoLink reads it as meant [Seed 003]."""
    segments = []
    rest = prompt.strip()
    while rest:
        found = _SHOT_FORM.match(rest)
        if found is None or SHOT_MARKER in found.group(3):
            return False
        segments.append(found)
        rest = rest[found.end() :]
    numbers = [int(m.group(1)) for m in segments]
    return (
        bool(segments)
        and numbers == list(range(1, len(segments) + 1))
        and sum(int(m.group(2)) for m in segments) == seconds
    )


def _first_frame_problems(storyboard: Storyboard, offer: Offer) -> list[Problem]:
    rules = offer.image_rules
    assert rules is not None
    frame = storyboard.first_frame
    model = MODELS[offer.model].label
    if frame is None:
        return [
            Problem(f"{model} starts from a picture: add a first-frame image, or pick a text-to-video model.")
        ]
    problems = []
    if frame.format not in rules.formats:
        problems.append(Problem("The first frame must be a JPG or PNG. Upload it again to convert it."))
    if min(frame.width, frame.height) < rules.min_side:
        problems.append(
            Problem(
                f"The first frame is {frame.width}×{frame.height} px; it needs at least {rules.min_side} px "
                "on each side. Upload a larger image."
            )
        )
    if not rules.min_aspect <= frame.aspect <= rules.max_aspect:
        problems.append(
            Problem(
                f"The first frame is too wide or too tall (allowed {aspect_range(rules)}). Use Crop or Pad to fix it."
            )
        )
    if frame.size_bytes > rules.max_bytes:
        problems.append(
            Problem(
                f"The first frame is {frame.size_bytes / 2**20:.1f} MB; the limit is {rules.max_bytes // 2**20} MB. "
                "Upload a smaller image."
            )
        )
    return problems
