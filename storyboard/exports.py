"""Exports and import: a storyboard as versioned JSON, and each provider's request as cURL and Python.

The storyboard file is `{"schema": "storyboard-studio/storyboard", "version": 1, "storyboard": {...}}`.
A first frame cannot travel as a path into this computer's data folder, so its normalised image (at
most 2048 px on the long side, see media.py) is embedded as base64 next to its details; an import
checks it (its SHA-256, size and format must match what the file says), then checks and stores it exactly
as an upload (media.check_image). The file is parsed with limits (catalog.py: depth, number length) and a
refusal lists a handful of problems. Scripts carry user text only as data (see _header).
A first frame that is missing from the file or damaged is left out, with a sentence saying so: the
rest of the storyboard is still imported. Anything else wrong refuses the whole import, one sentence
per problem, before anything is written. An imported storyboard always gets a fresh id, so it never
overwrites the draft it was exported from.

The request exports are built from `compile_request`, the same body the app sends, plus each
provider's address and auth scheme; the key is always an environment-variable placeholder, and the
first frame (which the app uploads to the provider's storage first) is a `FIRST_FRAME_URL` variable.
Preview renders on this computer and has no HTTP request to export. Pure: no network, no Streamlit.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import io
import json
import re
import uuid
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PIL import Image
from pydantic import BaseModel, ValidationError

from storyboard import media
from storyboard.catalog import (
    EDITOR_LIMITS,
    MAX_IMPORT_DEPTH,
    MAX_IMPORT_NUMBER_CHARS,
    MAX_IMPORT_PROBLEMS_SHOWN,
    MODELS,
    OFFERS,
    PROVIDERS,
    TURBO_IMAGE_RULES,
    first_frame_rules,
    offer,
)
from storyboard.compile import compile_request
from storyboard.media_store import media_for
from storyboard.models import (
    FirstFrame,
    ModelId,
    Options,
    PromptParts,
    ProviderId,
    Shot,
    Storyboard,
    format_usd,
    new_id,
)
from storyboard.pricing import quote
from storyboard.settings import BASE_URLS
from storyboard.validate import validate

SCHEMA = "storyboard-studio/storyboard"
VERSION = 1
FIRST_FRAME_URL_ENV = "FIRST_FRAME_URL"
# A normalised first frame is at most 2048 px long (a few MB); base64 adds a third. Anything much
# bigger than the largest image a provider takes is not one of our files.
# Whole megabytes, because the import uploader shows and enforces its limit in MB (of 2**20 bytes).
MAX_IMPORT_MB = -(-(TURBO_IMAGE_RULES.max_bytes * 4 // 3 + 2**20) // 2**20)
MAX_IMPORT_BYTES = MAX_IMPORT_MB * 2**20
PREVIEW_HAS_NO_REQUEST = (
    "Preview renders the animatic on this computer, so there is no HTTP request to export: "
    "pick a hosted provider, or download every provider's request."
)


# ---- the storyboard file --------------------------------------------------------------------------


def export_storyboard(storyboard: Storyboard, data_dir: Path) -> str:
    """The storyboard as versioned JSON, its first frame's image embedded (when its file is here)."""
    body = storyboard.model_dump(mode="json", exclude={"first_frame", "sent_frame"})
    frame = storyboard.first_frame
    if frame is not None:
        details = frame.model_dump(mode="json", exclude={"path"})
        image = _stored_image(frame, data_dir)
        if image is not None:
            details["image_base64"] = base64.b64encode(image).decode("ascii")
        body["first_frame"] = details
    document = {"schema": SCHEMA, "version": VERSION, "storyboard": body}
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def first_frame_missing(storyboard: Storyboard, data_dir: Path) -> bool:
    """True when the storyboard names a first frame whose file is not in the data folder (or bucket)."""
    frame = storyboard.first_frame
    if frame is None:
        return False
    try:  # a stat, not a read: the editor asks on every rerun
        return media_for(Path(data_dir)).size(frame.path) != frame.size_bytes
    except OSError:
        return True


def _stored_image(frame: FirstFrame, data_dir: Path) -> bytes | None:
    try:
        data = media_for(Path(data_dir)).read_bytes(frame.path)
    except OSError:
        return None
    return data if hashlib.sha256(data).hexdigest() == frame.sha256 else None


class ImportRefused(Exception):
    """The file cannot be imported; `problems` holds one plain sentence per problem.

    At most a handful are kept, then one sentence saying how many more: a file with 100,000 unknown
    fields gets six sentences, not 100,000 (which took a minute and left the tab slow)."""

    def __init__(self, problems: list[str]) -> None:
        shown = problems[:MAX_IMPORT_PROBLEMS_SHOWN]
        if len(problems) > len(shown):
            more = len(problems) - len(shown)
            shown.append(f"…and {more:,} more problem{'s' * (more != 1)} like these.")
        super().__init__(" ".join(shown))
        self.problems = shown


@dataclass(frozen=True)
class Imported:
    storyboard: Storyboard  # with a fresh id
    notes: list[str] = field(default_factory=list)  # what was left out, in plain sentences
    image: media.CheckedImage | None = None  # the first frame's bytes, still to be stored


def import_storyboard(text: str | bytes, data_dir: Path) -> Imported:
    """Check a storyboard file and store its first frame; raises ImportRefused, having written nothing."""
    imported = parse_storyboard(text)
    if imported.image is not None and imported.storyboard.first_frame is not None:
        frame = media.save_first_frame(
            imported.image, data_dir, imported.storyboard.first_frame.original_name
        )
        # save_first_frame rebuilds the details from the same bytes: they are the file's own.
        assert frame == imported.storyboard.first_frame
    return imported


def parse_storyboard(text: str | bytes) -> Imported:
    """Check a storyboard file without writing anything. Raises ImportRefused."""
    document = _document(text)
    raw = document["storyboard"]
    problems = _unknown_fields(raw)
    fields = {k: v for k, v in raw.items() if k not in ("id", "first_frame", "sent_frame")}
    if "shots" not in fields:
        problems.append("The storyboard has no 'shots' list; it needs at least one shot.")
    for i, shot in enumerate(fields.get("shots") or [], 1) if isinstance(fields.get("shots"), list) else ():
        if isinstance(shot, dict):
            problems += [f"Shot {i} has no '{name}'." for name in ("prompt", "duration") if name not in shot]
    try:
        storyboard = Storyboard.model_validate_json(json.dumps(fields), strict=True)
    except ValidationError as exc:
        problems += _sentences(exc, raw)
        raise ImportRefused(_unique(problems)) from None
    problems += _limit_problems(storyboard)
    if problems:
        raise ImportRefused(_unique(problems))
    notes: list[str] = []
    image: media.CheckedImage | None = None
    if raw.get("first_frame") is not None:
        frame, image, note = _first_frame(raw["first_frame"], storyboard.provider)
        if note:
            notes.append(note)
        storyboard = storyboard.model_copy(update={"first_frame": frame})
    return Imported(storyboard=_fresh_ids(storyboard), notes=notes, image=image)


def _document(text: str | bytes) -> dict[str, Any]:
    size = len(text.encode() if isinstance(text, str) else text)
    if size > MAX_IMPORT_BYTES:
        raise ImportRefused(
            [
                f"This file is {size / 2**20:.0f} MB; a storyboard export is at most "
                f"{MAX_IMPORT_MB} MB, so it is not one."
            ]
        )
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ImportRefused(
                [
                    "This file is not text, so it is not a Storyboard Studio storyboard (those are .json files)."
                ]
            ) from None
    if not text.strip():
        raise ImportRefused(
            ["The file is empty: choose a storyboard .json file exported from Storyboard Studio."]
        )
    document = _parsed(text)
    if not isinstance(document, dict) or "schema" not in document:
        raise ImportRefused(["This file is not a Storyboard Studio storyboard (no 'schema' field)."])
    if document["schema"] != SCHEMA:
        raise ImportRefused(
            [
                f"This file is not a Storyboard Studio storyboard (its schema is {_shown(document['schema'])}, "
                f"not '{SCHEMA}')."
            ]
        )
    version = document.get("version")
    if "version" not in document:
        raise ImportRefused(["The file does not say which format version it is (no 'version' field)."])
    if isinstance(version, bool) or not isinstance(version, int):
        raise ImportRefused(
            [f"The file's 'version' must be a whole number like {VERSION}, not {_shown(version)}."]
        )
    if version > VERSION:
        raise ImportRefused(
            [
                f"This storyboard was saved by a newer Storyboard Studio (format version {version}; this one reads "
                f"version {VERSION}). Update the app to import it."
            ]
        )
    if version < 1:
        raise ImportRefused([f"The file's format version {version} is not one Storyboard Studio ever wrote."])
    if not isinstance(document.get("storyboard"), dict):
        raise ImportRefused(["The file has no 'storyboard' section, so there is nothing to import."])
    try:
        json.dumps(document, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        raise ImportRefused(
            ["The file has text that is not valid Unicode (a broken \\u escape): the file is damaged."]
        ) from None
    return document


_NOT_OURS = "so it is damaged or not a Storyboard Studio storyboard."
# A JSON string, escapes included: removed before counting brackets, so a "[" in a prompt is not one.
_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')
_NOT_BRACKETS = re.compile(r"[^\[\]{}]+")


class _Unparsable(Exception):
    """What the parser refuses, in one sentence."""


def _nesting(text: str) -> int:
    """How deep the file's arrays and objects nest, counted without parsing it (no recursion)."""
    brackets = _NOT_BRACKETS.sub("", _JSON_STRING.sub("", text))
    depth = deepest = 0
    for opening in brackets.translate(_BRACKET_STEPS).encode("ascii"):
        depth += 1 if opening == 0x2B else -1  # "+" for [ and {, "-" for ] and }
        deepest = max(deepest, depth)
    return deepest


_BRACKET_STEPS = str.maketrans({"[": "+", "{": "+", "]": "-", "}": "-"})


def _number(convert: Callable[[str], Any]) -> Callable[[str], Any]:
    def parse(digits: str) -> Any:
        if len(digits) > MAX_IMPORT_NUMBER_CHARS:
            raise _Unparsable(f"This file has a number {len(digits):,} characters long, {_NOT_OURS}")
        return convert(digits)

    return parse


def _no_constant(name: str) -> Any:
    raise _Unparsable(f"This file has {name}, which JSON does not allow, {_NOT_OURS}")


def _parsed(text: str) -> Any:
    """The file's JSON, parsed within limits (depth, number length) so no file reaches a traceback."""
    depth = _nesting(text)
    too_deep = f"This file nests {{}} levels deep, {_NOT_OURS}"
    if depth > MAX_IMPORT_DEPTH:
        raise ImportRefused([too_deep.format(f"{depth:,}")])
    try:
        return json.loads(
            text, parse_int=_number(int), parse_float=_number(float), parse_constant=_no_constant
        )
    except _Unparsable as exc:
        raise ImportRefused([str(exc)]) from None
    except RecursionError:  # not reached after _nesting; kept so no parse can ever show a traceback
        raise ImportRefused([too_deep.format("too many")]) from None
    except json.JSONDecodeError as exc:
        raise ImportRefused(
            [
                f"This is not valid JSON (line {exc.lineno}, column {exc.colno}): the file is damaged or not a "
                "Storyboard Studio storyboard."
            ]
        ) from None


def _unknown_fields(raw: dict[str, Any]) -> list[str]:
    """Version 1 names every field; an unknown one is a typo or a newer file, never silently dropped."""
    problems = _not_known(raw, Storyboard, "The storyboard has")
    shots = raw.get("shots")
    for i, shot in enumerate(shots if isinstance(shots, list) else [], 1):
        if isinstance(shot, dict):
            problems += _not_known(shot, Shot, f"Shot {i} has")
            parts = shot.get("parts")
            if isinstance(parts, dict):
                problems += _not_known(parts, PromptParts, f"Shot {i}'s prompt helper has")
    options = raw.get("options")
    if isinstance(options, dict):
        problems += _not_known(options, Options, "The options have")
    return problems


def _not_known(fields: dict[str, Any], model: type[BaseModel], where: str) -> list[str]:
    """One sentence per field of `fields` that `model` does not have, `where` saying whose it is."""
    return [
        f"{where} a field {_shown(k)} that Storyboard Studio does not know."
        for k in fields
        if k not in model.model_fields
    ]


_OPTION_WORDS = {
    "aspect_ratio": "The aspect ratio must be one of 16:9, 9:16 or 1:1.",
    "resolution": "The resolution must be 720p or 1080p.",
    "negative_prompt": "The negative prompt must be text.",
    "cfg_scale": "The prompt strength (cfg_scale) must be a number from 0 to 1.",
    "sound": "Sound must be true or false.",
    "shot_type": "The shot type must be 'customize' or 'intelligent'.",
}


def _sentences(exc: ValidationError, raw: dict[str, Any]) -> list[str]:
    """One sentence per pydantic error, naming the shot or option in the user's words."""
    out: list[str] = []
    for error in exc.errors():
        loc = error["loc"]
        head = loc[0] if loc else ""
        if head == "shots" and len(loc) == 1:
            out.append("The storyboard's 'shots' must be a list of shots.")
        elif head == "shots" and len(loc) == 2:
            out.append(f"Shot {int(loc[1]) + 1} must be an object with a prompt and a duration.")
        elif head == "shots":
            n, name = int(loc[1]) + 1, loc[2]
            if name == "duration":
                out.append(f"Shot {n}'s duration must be a whole number of seconds.")
            elif name == "prompt":
                out.append(f"Shot {n}'s prompt must be text.")
            else:
                out.append(f"Shot {n}'s {name} must be text.")
        elif head == "name" and error["type"] == "value_error":
            out.append(str(error["ctx"]["error"]).replace("A name", "The storyboard's name", 1))
        elif head == "name":
            out.append("The storyboard's name must be text.")
        elif head == "model":
            out.append(
                f"The model {_shown(raw.get('model'))} is not one Storyboard Studio knows; use one of "
                f"{', '.join(m.value for m in ModelId)}."
            )
        elif head == "provider":
            out.append(
                f"The provider {_shown(raw.get('provider'))} is not one Storyboard Studio knows; use one of "
                f"{', '.join(p.value for p in ProviderId)}."
            )
        elif head == "options" and len(loc) == 1:
            out.append("The storyboard's 'options' must be an object.")
        elif head == "options" and loc[1] in _OPTION_WORDS:
            out.append(_OPTION_WORDS[str(loc[1])])
        else:
            out.append(f"{'.'.join(str(x) for x in loc) or 'The storyboard'} is not valid: {error['msg']}.")
    return out


def _limit_problems(storyboard: Storyboard) -> list[str]:
    """What no provider accepts (the catalog's loosest limits, the editor's own)."""
    limits = EDITOR_LIMITS
    problems: list[str] = []
    n = len(storyboard.shots)
    if n < limits.min_shots:
        problems.append(f"The storyboard has no shots; it needs at least {limits.min_shots}.")
    if n > limits.max_shots:
        problems.append(f"The storyboard has {n} shots; a storyboard can have at most {limits.max_shots}.")
    for i, shot in enumerate(storyboard.shots, 1):
        if shot.duration < limits.min_shot_seconds:
            problems.append(
                f"Shot {i}'s duration is {shot.duration} s; it must be at least {limits.min_shot_seconds} s."
            )
        if len(shot.prompt) > limits.max_prompt_chars:
            problems.append(
                f"Shot {i}'s prompt is {len(shot.prompt)} characters; the limit is {limits.max_prompt_chars}."
            )
    total = storyboard.total_seconds
    if n and total > limits.max_total_seconds:
        problems.append(
            f"The shots add up to {total} s; a video can last at most {limits.max_total_seconds} s."
        )
    elif n and total < limits.min_total_seconds:
        problems.append(
            f"The shots add up to {total} s; a video must last at least {limits.min_total_seconds} s."
        )
    negative = storyboard.options.negative_prompt
    if len(negative) > limits.max_negative_prompt_chars:
        problems.append(
            f"The negative prompt is {len(negative)} characters; the limit is {limits.max_negative_prompt_chars}."
        )
    return problems


def _first_frame(
    raw: Any, provider: ProviderId
) -> tuple[FirstFrame | None, media.CheckedImage | None, str | None]:
    """The embedded first frame, checked as an upload is; or None and the sentence saying why it was left out.

    The file's details (SHA-256, size, format, pixels) only tell a damaged copy from a good one; the image
    itself then goes through media.check_image with the rules an upload meets (catalog.first_frame_rules),
    so its location data is dropped, it is turned upright, and CMYK, 16-bit, animated or polyglot files
    are normalised (the stored bytes are what the check writes) or refused like an upload."""
    name = raw.get("original_name") if isinstance(raw, dict) else None
    name = name if isinstance(name, str) else ""
    called = f" ({_shown(name)[1:-1]})" if name else ""
    damaged = (
        f"The first frame{called} in the file is damaged, so it was left out: add it again in the editor."
    )
    if not isinstance(raw, dict):
        return None, None, damaged
    if not raw.get("image_base64"):
        return (
            None,
            None,
            (
                f"The file names a first frame{called} but does not contain it, so it was left out: "
                "add it again in the editor."
            ),
        )
    try:
        data = base64.b64decode(str(raw["image_base64"]), validate=True)
        details = {k: v for k, v in raw.items() if k != "image_base64"}
        details["path"], details["original_name"] = "", ""  # the name is shortened like an upload's
        frame = FirstFrame.model_validate_json(json.dumps(details), strict=True)
        if hashlib.sha256(data).hexdigest() != frame.sha256 or len(data) != frame.size_bytes:
            return None, None, damaged
        with Image.open(io.BytesIO(data)) as im:
            if im.format != frame.format or im.size != (frame.width, frame.height):
                return None, None, damaged
    except (binascii.Error, ValueError, ValidationError, OSError, Image.DecompressionBombError, SyntaxError):
        return None, None, damaged
    checked = media.check_image(data, name, first_frame_rules(provider))
    if not checked.ok:
        fix = " to crop or pad it" if checked.aspect_fixable else ""
        return (
            None,
            None,
            f"The first frame{called} was left out: {checked.problem} Add it in the editor{fix}.",
        )
    return media.first_frame_details(checked, name), checked, None


def _fresh_ids(storyboard: Storyboard) -> Storyboard:
    """A new storyboard id; shot ids kept, except repeats (each shot's widgets are keyed by its id)."""
    seen: set[str] = set()
    shots = []
    for shot in storyboard.shots:
        if not shot.id or shot.id in seen:
            shot = shot.model_copy(update={"id": new_id()})
        seen.add(shot.id)
        shots.append(shot)
    return storyboard.model_copy(update={"id": new_id(), "shots": shots})


def _shown(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else f"'{value}'"
    return text if len(text) <= 60 else text[:57] + "…"


def _unique(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))


# ---- the provider requests ------------------------------------------------------------------------


class Submit(BaseModel):
    """One provider's paid submit, as the app sends it, with the key and base URL left as names."""

    provider: ProviderId
    base_env: str  # the environment variable that overrides the base URL (settings.BASE_URLS)
    path: str
    auth_scheme: str
    key_env: str
    body: dict[str, Any]
    image_field: str | None  # the body field that holds FIRST_FRAME_URL, when the model takes a picture

    @property
    def default_base(self) -> str:
        return BASE_URLS[self.base_env]


# How each hosted client addresses its submit and sends its key: the catalog's, as the clients use;
# test_exports.py runs every export against the provider fakes beside the client's own submit.
_HOSTED = [p for p, info in PROVIDERS.items() if info.auth_scheme and info.base_url_env]


def hosted_providers(model: ModelId) -> list[ProviderId]:
    """The providers with an HTTP request to export for this model."""
    return [p for p in _HOSTED if (p, model) in OFFERS]


def submit_request(storyboard: Storyboard, provider: ProviderId) -> Submit:
    """What Generate sends to `provider`; ValueError for Preview, which sends nothing."""
    if provider not in _HOSTED:
        raise ValueError(PREVIEW_HAS_NO_REQUEST)
    chosen = offer(provider, storyboard.model)
    sentinel = _sentinel()
    compiled = compile_request(storyboard, chosen, sentinel if chosen.takes_image else None)
    body = dict(compiled.body)
    path = compiled.path
    if chosen.takes_image:
        assert chosen.image_field is not None
        body[chosen.image_field] = None  # filled from FIRST_FRAME_URL by the script, in the same place
    info = PROVIDERS[provider]
    assert info.base_url_env and info.auth_scheme and info.key_env
    return Submit(
        provider=provider,
        base_env=info.base_url_env,
        path=path,
        auth_scheme=info.auth_scheme,
        key_env=info.key_env,
        body=body,
        image_field=chosen.image_field if chosen.takes_image else None,
    )


def _sentinel() -> str:
    return f"first-frame-{uuid.uuid4().hex}"


def _header(storyboard: Storyboard, provider: ProviderId, comment: str) -> list[str]:
    """The comment lines every script starts with: what it sends, what it costs, what it needs.

    Only the app's own words: no user text (a name, a file name, a prompt) is ever in a comment, where
    a `coding:` declaration or a line break Python or the shell reads differently could turn it into
    code. User text reaches a script only as data: a Python literal, or a quoted heredoc.
    """
    chosen = offer(provider, storyboard.model)
    label = PROVIDERS[provider].label
    price = quote(storyboard, chosen)
    submit = submit_request(storyboard, provider)
    lines = [
        f"Storyboard Studio: {MODELS[storyboard.model].label} on {label}.",
        "The same request the app sends when you press Generate. Running it starts a paid job: "
        f"{format_usd(price.total)} at the app's prices{'' if price.verified else ' (unverified)'}.",
        f"Needs {submit.key_env} (your {label} API key) in the environment; the key is never in this file.",
        f"{submit.base_env} changes the address (default {submit.default_base}).",
    ]
    if submit.image_field is not None:
        lines.append(
            f"{FIRST_FRAME_URL_ENV}: a public link to the first-frame image. The app uploads it to "
            f"{label}'s storage first; here you give its link."
        )
    lines += [f"The app would not send this yet: {_safe(p.message)}" for p in validate(storyboard, chosen)]
    lines.append("The answer is the job's JSON, with its id: follow it on the provider's dashboard or API.")
    return [f"{comment} {line}".rstrip() for line in lines]


def _safe(text: str) -> str:
    """An app message inside a comment line: printable characters only (no line break of any kind)."""
    return "".join(c if c.isprintable() else " " for c in text)


def curl_script(storyboard: Storyboard, provider: ProviderId) -> str:
    """A bash script that sends the request with curl.

    The body reaches curl only through quoted heredocs (`<<'JSON'`): nothing in them expands, and no
    line of JSON can be the bare delimiter. A first frame's link is printed between two heredocs (JSON
    allows the line breaks they add between tokens). `--fail-with-body` makes an HTTP error exit non-zero,
    the provider's answer still printed.
    """
    submit = submit_request(storyboard, provider)
    sentinel = _sentinel()
    body = dict(submit.body)
    if submit.image_field is not None:
        body[submit.image_field] = sentinel
    text = json.dumps(body, indent=2, ensure_ascii=False)
    lines = ["#!/usr/bin/env bash", *_header(storyboard, provider, "#"), "set -euo pipefail", ""]
    lines.append(
        f': "${{{submit.key_env}:?Set {submit.key_env} to your {PROVIDERS[provider].label} API key.}}"'
    )
    if submit.image_field is not None:
        lines += [
            f': "${{{FIRST_FRAME_URL_ENV}:?Set {FIRST_FRAME_URL_ENV} to a public link to your first-frame image.}}"',
            f'case "${FIRST_FRAME_URL_ENV}" in',
            f"  *'\"'* | *'\\'* | *[[:cntrl:]]*) echo '{FIRST_FRAME_URL_ENV} must be a plain link, without quotes, backslashes or line breaks.' >&2; exit 1 ;;",
            "esac",
        ]
    lines += [
        f'base_url="${{{submit.base_env}:-{submit.default_base}}}"',
        "",
    ]
    curl = [
        'curl --silent --show-error --fail-with-body --request POST "${base_url%/}' + submit.path + '"',
        f'  --header "Authorization: {submit.auth_scheme} ${submit.key_env}"',
        "  --header 'Content-Type: application/json'",
        "  --header 'Accept: application/json'",
        "  --data-binary @-",
    ]
    if submit.image_field is None:
        lines += [" \\\n".join(curl) + " <<'JSON'", text, "JSON"]
    else:
        before, after = text.split(json.dumps(sentinel), 1)
        lines += [
            "{",
            "  cat <<'JSON'",
            before,
            "JSON",
            f'  printf \'"%s"\' "${FIRST_FRAME_URL_ENV}"',
            "  cat <<'JSON'",
            after,
            "JSON",
            "} | " + " \\\n".join(curl),
        ]
    lines += ["echo", ""]
    return "\n".join(lines)


# The first two lines of every Python export, whatever the storyboard: Python reads a `coding:`
# declaration only on these two lines, so no later line can change how the file is decoded.
PYTHON_PREAMBLE = ("#!/usr/bin/env python3", "# -*- coding: utf-8 -*-")


def python_script(storyboard: Storyboard, provider: ProviderId) -> str:
    """A Python script (httpx) that sends the request.

    Every value is a literal built by `repr`, in the `body` dict or a constant: never in a comment or
    inside f-string text, so nothing typed in the app is ever evaluated.
    """
    submit = submit_request(storyboard, provider)
    label = PROVIDERS[provider].label
    lines = [
        *PYTHON_PREAMBLE,
        *_header(storyboard, provider, "#"),
        "# Run it with Python 3 and httpx (pip install httpx).",
        "",
    ]
    lines += [
        "import json",
        "import os",
        "import sys",
        "",
        "import httpx",
        "",
        "",
        "def need(name: str, what: str) -> str:",
        '    value = os.environ.get(name, "").strip()',
        "    if not value:",
        '        sys.exit(f"Set {name} to {what}.")',
        "    return value",
        "",
        "",
        f"API_KEY = need({submit.key_env!r}, {f'your {label} API key'!r})",
        f'BASE_URL = (os.environ.get({submit.base_env!r}) or {submit.default_base!r}).rstrip("/")',
        f"ENDPOINT = {submit.path!r}",
        f"AUTH_SCHEME = {submit.auth_scheme!r}",
    ]
    if submit.image_field is not None:
        lines.append(
            f"FIRST_FRAME_URL = need({FIRST_FRAME_URL_ENV!r}, 'a public link to your first-frame image')"
        )
    lines += ["", f"body = {_python_literal(submit.body, image_field=submit.image_field)}", ""]
    lines += [
        "response = httpx.post(",
        "    BASE_URL + ENDPOINT,",
        '    headers={"Authorization": AUTH_SCHEME + " " + API_KEY, "Accept": "application/json"},',
        "    json=body,",
        "    timeout=60,",
        ")",
        "try:",
        "    print(json.dumps(response.json(), indent=2, ensure_ascii=False))",
        "except ValueError:",
        "    print(response.text)",
        "if response.is_error:",
        '    sys.exit(f"HTTP {response.status_code}")',
        "",
    ]
    return "\n".join(lines)


def _python_literal(value: Any, indent: int = 0, image_field: str | None = None) -> str:
    pad, end = "    " * (indent + 1), "    " * indent
    if isinstance(value, dict):
        if not value:
            return "{}"
        items = []
        for k, v in value.items():
            shown = "FIRST_FRAME_URL" if indent == 0 and k == image_field else _python_literal(v, indent + 1)
            items.append(f"{pad}{k!r}: {shown},")
        return "{\n" + "\n".join(items) + f"\n{end}}}"
    if isinstance(value, list):
        if not value:
            return "[]"
        return "[\n" + "\n".join(f"{pad}{_python_literal(v, indent + 1)}," for v in value) + f"\n{end}]"
    return repr(value)


# ---- file names and the bundle ------------------------------------------------------------------


def slug(name: str) -> str:
    """A file-name stem from the storyboard's name ("Summer sale!" -> "summer-sale")."""
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:60] or "storyboard"


def storyboard_file_name(storyboard: Storyboard) -> str:
    return f"{slug(storyboard.name)}.storyboard.json"


def script_file_name(storyboard: Storyboard, provider: ProviderId, kind: str) -> str:
    return f"{slug(storyboard.name)}-{provider.value}.{kind}"


def all_requests_zip(storyboard: Storyboard) -> bytes:
    """Every hosted provider's request for this storyboard's model, as cURL and Python, in one zip."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as bundle:
        for provider in hosted_providers(storyboard.model):
            bundle.writestr(script_file_name(storyboard, provider, "sh"), curl_script(storyboard, provider))
            bundle.writestr(script_file_name(storyboard, provider, "py"), python_script(storyboard, provider))
    return buffer.getvalue()


def all_requests_zip_name(storyboard: Storyboard) -> str:
    return f"{slug(storyboard.name)}-requests.zip"
