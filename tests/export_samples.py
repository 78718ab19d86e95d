"""Storyboard files an importer meets: a valid one, and bad ones with the sentences they must get.

Shared by test_exports.py (the core) and test_app_exports.py (the editor's import control).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from storyboard import exports
from storyboard.catalog import EDITOR_LIMITS
from storyboard.models import ProviderId, Shot, Storyboard

LIM = EDITOR_LIMITS


def valid() -> Storyboard:
    return Storyboard(
        name="Summer sale",
        shots=[
            Shot(prompt="Wide: the shop at dawn.", duration=5),
            Shot(prompt="The doors open.", duration=5),
        ],
        provider=ProviderId.FAL,
    )


def edited(change: Any) -> str:
    document = json.loads(exports.export_storyboard(valid(), Path("/nonexistent")))
    change(document)
    return json.dumps(document)


def shots(n: int, seconds: int) -> list[dict[str, Any]]:
    return [{"id": f"s{i}", "prompt": f"shot {i}", "duration": seconds} for i in range(n)]


# What a user might feed the importer, and the sentences they get.
BAD_FILES: dict[str, tuple[str | bytes, list[str]]] = {
    "not JSON": (
        "{'schema': nope",
        [
            "This is not valid JSON (line 1, column 2): the file is damaged or not a Storyboard Studio storyboard."
        ],
    ),
    "not text": (
        b"\x89PNG\r\n\x1a\n\xff\xfe\x00",
        ["This file is not text, so it is not a Storyboard Studio storyboard (those are .json files)."],
    ),
    "no schema": ('{"shots": []}', ["This file is not a Storyboard Studio storyboard (no 'schema' field)."]),
    "a list": ("[1, 2]", ["This file is not a Storyboard Studio storyboard (no 'schema' field)."]),
    "wrong schema": (
        edited(lambda d: d.update(schema="acme/video-plan")),
        [
            "This file is not a Storyboard Studio storyboard (its schema is 'acme/video-plan', not 'storyboard-studio/storyboard')."
        ],
    ),
    "newer version": (
        edited(lambda d: d.update(version=2)),
        [
            "This storyboard was saved by a newer Storyboard Studio (format version 2; this one reads version 1). "
            "Update the app to import it."
        ],
    ),
    "7 shots": (
        edited(lambda d: d["storyboard"].update(shots=shots(7, 2))),
        [f"The storyboard has 7 shots; a storyboard can have at most {LIM.max_shots}."],
    ),
    "16 s": (
        edited(lambda d: d["storyboard"].update(shots=shots(2, 8))),
        [f"The shots add up to 16 s; a video can last at most {LIM.max_total_seconds} s."],
    ),
    "2600-character prompt": (
        edited(lambda d: d["storyboard"]["shots"][1].update(prompt="x" * 2600)),
        [f"Shot 2's prompt is 2600 characters; the limit is {LIM.max_prompt_chars}."],
    ),
    "wrong types": (
        edited(
            lambda d: (
                d["storyboard"]["shots"][0].update(duration="5"),
                d["storyboard"]["shots"][1].update(duration=2.5, prompt=7),
                d["storyboard"]["options"].update(sound="yes"),
                d["storyboard"].update(model="kling-v9"),
            )
        ),
        [
            "Shot 1's duration must be a whole number of seconds.",
            "Shot 2's prompt must be text.",
            "Shot 2's duration must be a whole number of seconds.",
            "The model 'kling-v9' is not one Storyboard Studio knows; use one of kling-v3-turbo-pro-t2v, "
            "kling-v3-turbo-pro-i2v, kling-v3.0-pro-t2v.",
            "Sound must be true or false.",
        ],
    ),
    "unknown field": (
        edited(lambda d: d["storyboard"]["shots"][0].update(lenght=5)),
        ["Shot 1 has a field 'lenght' that Storyboard Studio does not know."],
    ),
    "empty": ("  \n", ["The file is empty: choose a storyboard .json file exported from Storyboard Studio."]),
}
