"""What changed between two storyboards, in words: 'Shot 2 prompt: “old” → “new”', "Resolution: 720p → 1080p".

Used to compare takes: each take keeps the storyboard it was made from. The name is not part of a
storyboard's content (renaming makes no new version), so it is never reported. Shots are matched by
their id (an edited, moved or duplicated shot keeps or gets one); storyboards that share no shot id
at all (made separately) are compared shot by shot in order.
"""

from __future__ import annotations

import hashlib

from storyboard.catalog import MODELS, PROVIDERS
from storyboard.models import Options, Shot, Storyboard

_OPTION_LABELS: dict[str, str] = {
    "aspect_ratio": "Aspect ratio",
    "resolution": "Resolution",
    "negative_prompt": "Negative prompt",
    "cfg_scale": "Prompt strength",
    "sound": "Sound",
    "shot_type": "Shot type",
}
_SAID_CHANGED = {"negative_prompt"}  # long text: named, not quoted


def content_key(storyboard: Storyboard) -> str:
    """Equal for two storyboards with the same content (the name aside): one version."""
    return hashlib.sha256(storyboard.model_dump_json(exclude={"name"}).encode()).hexdigest()


def changes(before: Storyboard, after: Storyboard) -> list[str]:
    """Every difference from `before` to `after`, one short sentence each; [] when none."""
    said = _shot_changes(before.shots, after.shots)
    if before.model != after.model:
        said.append(f"Model: {MODELS[before.model].label} → {MODELS[after.model].label}")
    if before.provider != after.provider:
        said.append(f"Provider: {PROVIDERS[before.provider].label} → {PROVIDERS[after.provider].label}")
    said += _option_changes(before.options, after.options)
    old, new = before.first_frame, after.first_frame
    if old is None and new is not None:
        said.append("First frame added")
    elif old is not None and new is None:
        said.append("First frame removed")
    elif old is not None and new is not None and old != new:
        said.append("First frame changed")
    return said


def _shot_changes(before: list[Shot], after: list[Shot]) -> list[str]:
    shared = {s.id for s in before} & {s.id for s in after}
    if not shared:  # made separately: compare in order
        pairs = [(i, i) for i in range(min(len(before), len(after)))]
        removed = list(range(len(after), len(before)))
        added = list(range(len(before), len(after)))
    else:
        where_before = {s.id: i for i, s in enumerate(before)}
        pairs = [(where_before[s.id], j) for j, s in enumerate(after) if s.id in where_before]
        removed = [i for i, s in enumerate(before) if s.id not in shared]
        added = [j for j, s in enumerate(after) if s.id not in shared]
    said = [f"Shot {i + 1} removed" for i in removed]
    for i, j in pairs:
        old, new = before[i], after[j]
        name = f"Shot {j + 1}"
        if shared and _moved(i, j, before, after, shared):
            said.append(f"Shot {i + 1} moved to {j + 1}")
        if old.prompt != new.prompt:  # both wordings: "changed" alone sends people hunting for what
            said.append(f"{name} prompt: {_quoted(old.prompt)} → {_quoted(new.prompt)}")
        if old.duration != new.duration:
            said.append(f"{name} duration {old.duration} s → {new.duration} s")
    said += [f"Shot {j + 1} added" for j in added]
    return said


def _quoted(prompt: str) -> str:
    text = " ".join(prompt.split())
    return f"“{text}”" if text else "(empty)"


def _moved(i: int, j: int, before: list[Shot], after: list[Shot], shared: set[str]) -> bool:
    """Did this shot change place among the shots both storyboards have (not just shift because
    another was added or removed)?"""
    order_before = [s.id for s in before if s.id in shared]
    order_after = [s.id for s in after if s.id in shared]
    return order_before.index(before[i].id) != order_after.index(after[j].id)


def _option_changes(before: Options, after: Options) -> list[str]:
    said = []
    for field, label in _OPTION_LABELS.items():
        old, new = getattr(before, field), getattr(after, field)
        if old == new:
            continue
        if field in _SAID_CHANGED:
            said.append(f"{label} changed" if old and new else f"{label} {'added' if new else 'removed'}")
        elif isinstance(old, bool):
            said.append(f"{label}: {'on' if old else 'off'} → {'on' if new else 'off'}")
        else:
            said.append(f"{label}: {old} → {new}")
    return said
