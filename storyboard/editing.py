"""Edits the editor makes to a storyboard, each keeping the 15-second budget.

Pure functions returning a new Storyboard, so the UI, the tests and hypothesis drive the same code.
The slider for a shot runs from the minimum shot length to what the other shots leave over.
"""

from __future__ import annotations

from storyboard.catalog import DEFAULT_SHOT_SECONDS, EDITOR_LIMITS
from storyboard.models import Shot, Storyboard, new_id

LIMITS = EDITOR_LIMITS


def remaining_seconds(storyboard: Storyboard) -> int:
    return max(0, LIMITS.max_total_seconds - storyboard.total_seconds)


def slider_range(storyboard: Storyboard, index: int) -> tuple[int, int]:
    """(min, max) whole seconds shot `index` may take: the total stays within the video's limits."""
    others = storyboard.total_seconds - storyboard.shots[index].duration
    low = max(LIMITS.min_shot_seconds, LIMITS.min_total_seconds - others)
    high = max(low, LIMITS.max_total_seconds - others)
    return low, high


def add_shot_blocker(storyboard: Storyboard) -> str | None:
    """Why "Add shot" is disabled, in words, or None when a shot can be added."""
    if len(storyboard.shots) >= LIMITS.max_shots:
        return f"A storyboard has at most {LIMITS.max_shots} shots."
    if remaining_seconds(storyboard) < LIMITS.min_shot_seconds:
        return f"All {LIMITS.max_total_seconds} s are used. Shorten a shot to make room."
    return None


def _with_shots(storyboard: Storyboard, shots: list[Shot]) -> Storyboard:
    return storyboard.model_copy(update={"shots": shots})


def _top_up(shots: list[Shot]) -> list[Shot]:
    """Lengthen the last shot if the video fell below the shortest allowed length."""
    short = LIMITS.min_total_seconds - sum(s.duration for s in shots)
    if short > 0:
        shots[-1] = shots[-1].model_copy(update={"duration": shots[-1].duration + short})
    return shots


def add_shot(storyboard: Storyboard, prompt: str = "") -> Storyboard:
    if add_shot_blocker(storyboard):
        return storyboard
    seconds = min(DEFAULT_SHOT_SECONDS, remaining_seconds(storyboard))
    return _with_shots(storyboard, [*storyboard.shots, Shot(prompt=prompt, duration=seconds)])


def duplicate_shot(storyboard: Storyboard, index: int) -> Storyboard:
    if add_shot_blocker(storyboard):
        return storyboard
    source = storyboard.shots[index]
    copy = source.model_copy(
        update={"id": new_id(), "duration": min(source.duration, remaining_seconds(storyboard))}
    )
    shots = list(storyboard.shots)
    shots.insert(index + 1, copy)
    return _with_shots(storyboard, shots)


def delete_shot(storyboard: Storyboard, index: int) -> Storyboard:
    if len(storyboard.shots) <= LIMITS.min_shots:
        return storyboard
    return _with_shots(storyboard, _top_up([s for i, s in enumerate(storyboard.shots) if i != index]))


def move_shot(storyboard: Storyboard, index: int, offset: int) -> Storyboard:
    target = index + offset
    if not 0 <= target < len(storyboard.shots) or offset == 0:
        return storyboard
    shots = list(storyboard.shots)
    shots[index], shots[target] = shots[target], shots[index]
    return _with_shots(storyboard, shots)


def set_duration(storyboard: Storyboard, index: int, seconds: int) -> Storyboard:
    low, high = slider_range(storyboard, index)
    clamped = max(low, min(int(seconds), high))
    shots = list(storyboard.shots)
    shots[index] = shots[index].model_copy(update={"duration": clamped})
    return _with_shots(storyboard, shots)


def set_prompt(storyboard: Storyboard, index: int, prompt: str) -> Storyboard:
    shots = list(storyboard.shots)
    shots[index] = shots[index].model_copy(update={"prompt": prompt})
    return _with_shots(storyboard, shots)


def fit_to_budget(storyboard: Storyboard) -> Storyboard:
    """Bring a loaded storyboard (an old draft, an import) inside the limits: trim the longest shots,
    or lengthen the last one."""
    shots = [
        s.model_copy(update={"duration": max(LIMITS.min_shot_seconds, s.duration)}) for s in storyboard.shots
    ]
    shots = shots[: LIMITS.max_shots] or [Shot(duration=DEFAULT_SHOT_SECONDS)]
    while sum(s.duration for s in shots) > LIMITS.max_total_seconds:
        over = sum(s.duration for s in shots) - LIMITS.max_total_seconds
        last = max(range(len(shots)), key=lambda i: shots[i].duration)
        cut = min(over, shots[last].duration - LIMITS.min_shot_seconds)
        shots[last] = shots[last].model_copy(update={"duration": shots[last].duration - cut})
    return _with_shots(storyboard, _top_up(shots))


def boundary_range(storyboard: Storyboard, boundary: int) -> tuple[int, int]:
    """(min, max) seconds from the start of the video where the end of shot `boundary` may sit.

    A boundary between two shots moves time from one to the other: both keep the minimum shot
    length. The end of the last shot moves time between it and the free seconds: the video stays
    between its shortest and longest allowed lengths. components/timeline.js applies the same rule
    (with these limits handed to it) while a boundary is dragged; tests/e2e check they agree.
    """
    durations = [s.duration for s in storyboard.shots]
    start = sum(durations[:boundary])
    low = start + LIMITS.min_shot_seconds
    if boundary < len(durations) - 1:
        high = start + durations[boundary] + durations[boundary + 1] - LIMITS.min_shot_seconds
    else:
        low = max(low, LIMITS.min_total_seconds)
        high = LIMITS.max_total_seconds
    return low, max(low, high)


def move_boundary(storyboard: Storyboard, boundary: int, at: int) -> Storyboard:
    """Put the end of shot `boundary` at `at` seconds from the start (clamped to `boundary_range`):
    the next shot gives or takes the difference, or, after the last shot, the free seconds do."""
    if not 0 <= boundary < len(storyboard.shots):
        return storyboard
    low, high = boundary_range(storyboard, boundary)
    at = max(low, min(int(at), high))
    shots = list(storyboard.shots)
    delta = at - sum(s.duration for s in shots[: boundary + 1])
    if delta == 0:
        return storyboard
    shots[boundary] = shots[boundary].model_copy(update={"duration": shots[boundary].duration + delta})
    if boundary + 1 < len(shots):
        nxt = shots[boundary + 1]
        shots[boundary + 1] = nxt.model_copy(update={"duration": nxt.duration - delta})
    return _with_shots(storyboard, shots)


def durations_allowed(durations: list[int]) -> bool:
    """Whether these shot lengths keep the rules every edit keeps: each shot at least the minimum,
    the video between its shortest and longest allowed lengths."""
    return all(int(d) >= LIMITS.min_shot_seconds for d in durations) and (
        LIMITS.min_total_seconds <= sum(int(d) for d in durations) <= LIMITS.max_total_seconds
    )


def set_durations(storyboard: Storyboard, durations: list[int]) -> Storyboard:
    """Every shot's length at once (the timeline, on release). A list for another number of shots
    or one that breaks a rule (a stale page, a hand-made request) changes nothing."""
    if len(durations) != len(storyboard.shots) or not durations_allowed(durations):
        return storyboard
    shots = [
        s.model_copy(update={"duration": int(d)}) for s, d in zip(storyboard.shots, durations, strict=True)
    ]
    return _with_shots(storyboard, shots)
