"""Reading a draft that no longer validates (written by another version, or edited by hand):
open what can be read, and name what could not."""

from __future__ import annotations

import json
from typing import Any

from pydantic import ValidationError

from storyboard.catalog import MAX_NAME_CHARS
from storyboard.models import Storyboard

MAX_REPAIRS = 50  # each pass drops what one error points at; a draft has far fewer fields


def salvage(body: str, draft_id: str, name: str) -> tuple[Storyboard, str | None]:
    """The draft in `body`, and None; or as much of it as validates, and one sentence naming what
    was left out. Never raises: at worst an empty storyboard with the draft's id and name."""
    try:
        return Storyboard.model_validate_json(body), None
    except ValidationError:
        pass
    try:
        data: Any = json.loads(body)
    except ValueError:
        data = None
    dropped: list[str] = []
    name = _shortened(name)
    if isinstance(data, dict):
        if isinstance(data.get("name"), str) and len(data["name"]) > MAX_NAME_CHARS:
            data["name"] = _shortened(data["name"])  # saved before names had a limit: keep its start
            dropped.append(f"name, shortened to {MAX_NAME_CHARS} characters")
        for _ in range(MAX_REPAIRS):
            try:
                sb = Storyboard.model_validate(data)
                break
            except ValidationError as exc:
                loc = exc.errors()[0]["loc"]
                if not loc or not _drop(data, list(loc)):
                    data = None
                    break
                dropped.append(_where(loc))
        else:
            data = None
    if not isinstance(data, dict):
        sb = Storyboard(id=draft_id, name=name or "Untitled storyboard")
        return sb, (
            f"The draft \u201c{sb.name}\u201d could not be read (it was saved by another version or damaged): "
            "only its name is open, so write its shots again or open another draft."
        )
    parts = ", ".join(dict.fromkeys(dropped))
    return sb, (
        f"Part of this draft could not be read ({parts}) and was reset: check it before you generate."
    )


def _shortened(name: str) -> str:
    return name[:MAX_NAME_CHARS].rstrip() or "Untitled storyboard"


def _drop(data: Any, loc: list[Any]) -> bool:
    """Remove the value at `loc` (or, for an item whose own field cannot be dropped, the item)."""
    parent = data
    for step in loc[:-1]:
        try:
            parent = parent[step]
        except (KeyError, IndexError, TypeError):
            return False
    last = loc[-1]
    if isinstance(parent, dict) and last in parent:
        del parent[last]
        return True
    if isinstance(parent, list) and isinstance(last, int) and 0 <= last < len(parent):
        del parent[last]
        return True
    if len(loc) > 1:  # a required field missing: drop what holds it
        return _drop(data, loc[:-1])
    return False


def _where(loc: tuple[Any, ...]) -> str:
    words: list[str] = []
    for step in loc:
        if isinstance(step, int):  # "shots", 1 -> "shot 2": counted as the editor counts them
            words[-1:] = [f"{words[-1].removesuffix('s') if words else 'item'} {step + 1}"]
        else:
            words.append(str(step).replace("_", " "))
    return " ".join(words)
