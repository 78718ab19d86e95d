"""Issue 10 item 1: an exported script never runs code planted in a storyboard.

A name, a prompt, a negative prompt or a first frame's file name is whatever an imported file says.
Whatever it holds (a `coding:` declaration, any Unicode line break, quotes, backslashes, `$()`,
backticks, a heredoc's delimiter), the Python export starts with its fixed two lines, user text is only
in the `body` literal, and the cURL export's shell sees it only inside quoted heredocs: the rest of
either script is the same as for a plain storyboard. Run against the loopback fakes, both scripts send
exactly the app's body and nothing planted runs.
"""

from __future__ import annotations

import ast
import io
import json
import subprocess
import sys
import tempfile
import tokenize
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import hypothesis.strategies as st
import pytest
from fakes.base import FakeServer
from fakes.evolink import FakeEvoLink
from fakes.fal import FakeFal
from fakes.wavespeed import FakeWaveSpeed
from hypothesis import HealthCheck, assume, example, given, settings

from storyboard import exports
from storyboard.catalog import OFFERS, offer
from storyboard.compile import compile_request
from storyboard.models import FirstFrame, ModelId, Options, ProviderId, Shot, Storyboard
from storyboard.validate import validate

KEYS = {
    ProviderId.WAVESPEED: "ws-test-key-0123456789abcdef",
    ProviderId.FAL: "fal-test-id:fal-test-secret",
    ProviderId.EVOLINK: "evo-test-key-0123456789",
}
FAKES: dict[ProviderId, type[FakeServer]] = {
    ProviderId.WAVESPEED: FakeWaveSpeed,
    ProviderId.FAL: FakeFal,
    ProviderId.EVOLINK: FakeEvoLink,
}
SUBMIT_ROUTE = {ProviderId.WAVESPEED: "submit", ProviderId.FAL: "submit", ProviderId.EVOLINK: "generate"}
FIRST_FRAME_URL = "https://cdn.example.com/frames/first.jpg"
PLANTED = "PLANTED"  # the file any planted code would create in the script's folder

# Every Unicode line break Python's str.splitlines knows (the tokenizer only \n and \r; a shell only \n).
LINE_BREAKS = ["\n", "\r", "\r\n", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029"]
FRAGMENTS = [
    *LINE_BREAKS,
    "coding:unicode_escape",
    "coding:utf-7",
    " -*- coding: latin-1 -*-",
    "\\u000a",
    "\\n",
    "\\",
    "'",
    '"',
    "'''",
    '"""',
    f"open('{PLANTED}', 'w')",
    f"\\u000aopen('{PLANTED}','w')#",
    f"+AAo-open('{PLANTED}','w')",
    f"$(touch {PLANTED})",
    f"`touch {PLANTED}`",
    "${HOME}",
    "$FAL_KEY",
    "{API_KEY}",
    "{0}",
    "JSON",
    "\nJSON\n",
    "EOF",
    "#",
    " ",
    "镜头",
    "café",
    "\u202e",  # right-to-left override
    "\ufeff",  # byte-order mark
    "\x00",
]


@st.composite
def hostile_text(draw: st.DrawFn, max_size: int = 8) -> str:
    """A letter (so the text is never blank) and a few hostile fragments or arbitrary characters.

    No ';': EvoLink's multi-shot syntax reads it as the end of a shot, and the app refuses it."""
    pieces = st.one_of(
        st.sampled_from(FRAGMENTS),
        st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters=";"), max_size=6),
    )
    return "a" + "".join(draw(st.lists(pieces, min_size=1, max_size=max_size)))


def _frame(original_name: str) -> FirstFrame:
    """A first frame whose file name is what the person's file was called."""
    return FirstFrame(
        path="first_frames/x.png",
        width=1280,
        height=720,
        format="PNG",
        size_bytes=10_000,
        sha256="0" * 64,
        original_name=original_name,
    )


@st.composite
def hostile_storyboards(draw: st.DrawFn) -> tuple[Storyboard, ProviderId]:
    provider = draw(st.sampled_from(list(KEYS)))
    model = draw(st.sampled_from([m for m in ModelId if (provider, m) in OFFERS]))
    durations = draw(st.sampled_from([[5], [10], [3, 5, 4], [5, 5], [4, 4, 4, 3]]))
    shots = [Shot(prompt=draw(hostile_text()), duration=d) for d in durations]
    frame = _frame(draw(hostile_text()) + ".png")
    sb = Storyboard(
        name=draw(hostile_text()),
        shots=shots,
        model=model,
        provider=provider,
        options=Options(negative_prompt=draw(hostile_text()), aspect_ratio="9:16", resolution="720p"),
        first_frame=frame if model == ModelId.TURBO_PRO_I2V else None,
    )
    assume(not validate(sb, offer(provider, model)))
    return sb, provider


def _plain(sb: Storyboard) -> Storyboard:
    """The same storyboard with every user text a plain word."""
    frame = sb.first_frame
    return sb.model_copy(
        update={
            "name": "Plain",
            "shots": [s.model_copy(update={"prompt": "plain"}) for s in sb.shots],
            "options": sb.options.model_copy(update={"negative_prompt": "plain"}),
            "first_frame": frame.model_copy(update={"original_name": "plain.png"}) if frame else None,
        }
    )


# ---- the Python export -----------------------------------------------------------------------------


def _body_node(tree: ast.Module) -> ast.Assign:
    return next(
        n for n in tree.body if isinstance(n, ast.Assign) and getattr(n.targets[0], "id", "") == "body"
    )


def _python_skeleton(script: str) -> tuple[str, list[str]]:
    """Everything but the body's value: the code's AST and every comment, as Python itself reads them."""
    tree = ast.parse(script)
    _body_node(tree).value = ast.Constant(None)
    comments = [
        t.string for t in tokenize.generate_tokens(io.StringIO(script).readline) if t.type == tokenize.COMMENT
    ]
    return ast.dump(tree), comments


@given(case=hostile_storyboards())
@settings(max_examples=150, deadline=None)
def test_user_text_is_only_in_the_python_body_literal(case: tuple[Storyboard, ProviderId]) -> None:
    sb, provider = case
    script = exports.python_script(sb, provider)
    # The fixed two first lines: Python looks for a coding declaration on these only.
    assert script.split("\n", 2)[:2] == ["#!/usr/bin/env python3", "# -*- coding: utf-8 -*-"]
    encoding, _ = tokenize.detect_encoding(io.BytesIO(script.encode("utf-8")).readline)
    assert encoding == "utf-8"
    # Outside the body literal the script is the one a plain storyboard gets: code, constants, comments.
    assert _python_skeleton(script) == _python_skeleton(exports.python_script(_plain(sb), provider))
    value = _body_node(ast.parse(script)).value
    assert isinstance(value, ast.Dict)
    # The first frame's link is the one name in the body (FIRST_FRAME_URL); the body holds None there.
    value.values = [ast.Constant(None) if isinstance(v, ast.Name) else v for v in value.values]
    assert ast.literal_eval(value) == exports.submit_request(sb, provider).body


# ---- the cURL export ------------------------------------------------------------------------------


def _split_heredocs(script: str) -> tuple[list[str], list[str]]:
    """(the lines the shell reads as commands, the text of each quoted heredoc)."""
    shell: list[str] = []
    docs: list[str] = []
    current: list[str] | None = None
    for line in script.split("\n"):
        if current is not None:
            if line == "JSON":
                docs.append("\n".join(current))
                current = None
                shell.append(line)
            else:
                current.append(line)
        else:
            shell.append(line)
            if line.endswith("<<'JSON'"):
                current = []
    assert current is None, "a heredoc is never closed"
    return shell, docs


@given(case=hostile_storyboards())
@settings(max_examples=150, deadline=None)
def test_user_text_reaches_the_shell_only_inside_quoted_heredocs(case: tuple[Storyboard, ProviderId]) -> None:
    sb, provider = case
    script = exports.curl_script(sb, provider)
    shell, docs = _split_heredocs(script)
    assert shell == _split_heredocs(exports.curl_script(_plain(sb), provider))[0]
    body = exports.submit_request(sb, provider).body
    link = json.dumps(FIRST_FRAME_URL) if exports.submit_request(sb, provider).image_field else ""
    expected = {k: (FIRST_FRAME_URL if v is None else v) for k, v in body.items()}
    assert json.loads(link.join(docs)) == expected


# ---- both, run against the fakes -----------------------------------------------------------------


@pytest.fixture(scope="module")
def fakes() -> Iterator[dict[ProviderId, FakeServer]]:
    servers = {p: FAKES[p](key=KEYS[p]) for p in KEYS}  # type: ignore[call-arg]
    for server in servers.values():
        server.start()
    yield servers
    for server in servers.values():
        server.stop()


def _run(script: str, kind: str, provider: ProviderId, server: FakeServer) -> tuple[Any, list[str]]:
    """Run the script in an empty folder; (the body the fake received, what is in the folder after)."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"request.{kind}"
        path.write_text(script, encoding="utf-8")
        env = {
            "PATH": "/usr/bin:/bin",
            "HOME": folder,
            exports.FIRST_FRAME_URL_ENV: FIRST_FRAME_URL,
            "WAVESPEED_API_KEY": KEYS[ProviderId.WAVESPEED],
            "FAL_KEY": KEYS[ProviderId.FAL],
            "EVOLINK_API_KEY": KEYS[ProviderId.EVOLINK],
        }
        for name in ("WAVESPEED_BASE_URL", "FAL_QUEUE_BASE_URL", "EVOLINK_BASE_URL"):
            env[name] = server.url
        before = len(server.calls(SUBMIT_ROUTE[provider]))
        command = ["bash"] if kind == "sh" else [sys.executable]
        done = subprocess.run(
            [*command, str(path)], env=env, capture_output=True, text=True, timeout=60, cwd=folder
        )
        assert done.returncode == 0, done.stderr + done.stdout
        calls = server.calls(SUBMIT_ROUTE[provider])
        assert len(calls) == before + 1
        left = sorted(p.name for p in Path(folder).iterdir())
    return calls[-1].json, left


def _reported_attack() -> tuple[Storyboard, ProviderId]:
    """The issue's reproduction: a coding declaration in the name, an escaped line break in the file name."""
    sb = Storyboard(
        name="Promo coding:unicode_escape",
        shots=[Shot(prompt="A bottle on wet sand.", duration=5)],
        model=ModelId.TURBO_PRO_I2V,
        provider=ProviderId.WAVESPEED,
        first_frame=_frame(f"logo\\u000aopen('{PLANTED}', 'w').write('x')#.png"),
    )
    return sb, ProviderId.WAVESPEED


@given(case=hostile_storyboards())
@example(case=_reported_attack())
@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_run_against_the_fake_each_script_sends_exactly_the_app_s_body_and_runs_nothing_planted(
    fakes: dict[ProviderId, FakeServer], case: tuple[Storyboard, ProviderId]
) -> None:
    sb, provider = case
    chosen = offer(provider, sb.model)
    app_body = compile_request(sb, chosen, FIRST_FRAME_URL if chosen.takes_image else None).body
    for kind, script in (
        ("sh", exports.curl_script(sb, provider)),
        ("py", exports.python_script(sb, provider)),
    ):
        sent, left = _run(script, kind, provider, fakes[provider])
        assert sent == app_body, kind
        assert left == [f"request.{kind}"], f"{kind} wrote {left}"


def test_the_reported_attack_writes_no_file_before_the_key_check(tmp_path: Path) -> None:
    sb, provider = _reported_attack()
    path = tmp_path / "request.py"
    path.write_text(exports.python_script(sb, provider), encoding="utf-8")
    done = subprocess.run(
        [sys.executable, str(path)],
        env={"PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )
    assert done.returncode != 0 and "WAVESPEED_API_KEY" in done.stderr  # stopped at the key check
    assert not (tmp_path / PLANTED).exists()


def test_curl_fails_on_an_http_error_with_the_provider_s_answer_shown(tmp_path: Path) -> None:
    """Issue 10 item 10: an HTTP 400 is a failed run (exit status), not a silent success."""
    from fakes.wavespeed import wavespeed_fault

    sb = Storyboard(shots=[Shot(prompt="A bottle on wet sand.", duration=5)], provider=ProviderId.WAVESPEED)
    with FakeWaveSpeed(key=KEYS[ProviderId.WAVESPEED]) as server:  # type: ignore[call-arg]
        server.fail_next("submit", wavespeed_fault(400, message="prompt: nope"))
        path = tmp_path / "request.sh"
        path.write_text(exports.curl_script(sb, ProviderId.WAVESPEED), encoding="utf-8")
        env = {
            "PATH": "/usr/bin:/bin",
            "WAVESPEED_API_KEY": KEYS[ProviderId.WAVESPEED],
            "WAVESPEED_BASE_URL": server.url,
        }
        done = subprocess.run(["bash", str(path)], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode != 0
    assert "prompt: nope" in done.stdout
