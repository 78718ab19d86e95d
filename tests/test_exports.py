"""Exports and import (storyboard/exports.py): the storyboard file round-trips, a bad file is refused
in plain words having written nothing, and each exported request, run for real with bash + curl and
with Python, reaches the provider fakes exactly as the app's own client sends it, with no key inside.

Limits come from catalog.EDITOR_LIMITS, never written here.
"""

from __future__ import annotations

import ast
import base64
import io
import json
import os
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import hypothesis.strategies as st
import pytest
from export_samples import BAD_FILES, edited, shots, valid
from fakes.base import FakeServer, Recorded
from fakes.evolink import FakeEvoLink
from fakes.fal import FakeFal
from fakes.wavespeed import FakeWaveSpeed
from hypothesis import HealthCheck, given, settings
from PIL import Image

from storyboard import exports, media
from storyboard.catalog import EDITOR_LIMITS, OFFERS, PROVIDERS, TURBO_IMAGE_RULES, offer
from storyboard.compile import compile_request
from storyboard.exports import ImportRefused, import_storyboard, parse_storyboard
from storyboard.models import ModelId, Options, ProviderId, Shot, Storyboard
from storyboard.providers.evolink import EvoLinkClient
from storyboard.providers.fal import FalClient
from storyboard.providers.wavespeed import WaveSpeedClient
from storyboard.settings import BASE_URLS

LIM = EDITOR_LIMITS
KEYS = {
    ProviderId.WAVESPEED: "ws-test-key-0123456789abcdef",
    ProviderId.FAL: "fal-test-id:fal-test-secret",
    ProviderId.EVOLINK: "evo-test-key-0123456789",
}
HOSTED = list(KEYS)
FIRST_FRAME_URL = "https://cdn.example.com/frames/first.jpg"
# Everything a shell or a Python literal could mistake for code, in a prompt (no ';': EvoLink's
# multi-shot syntax reads it as the end of a shot).
TRICKY = 'It\'s a "quiet" $HOME `date` night \\n — {0} 镜头, café\nnew line'


# ---- storyboards ----------------------------------------------------------------------------------

text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=80)


@st.composite
def durations(draw: st.DrawFn) -> list[int]:
    """1 to 6 whole-second shots, each at least the shortest allowed, adding up to 3..15 s."""
    n = draw(st.integers(LIM.min_shots, LIM.max_shots))
    total = draw(st.integers(max(LIM.min_total_seconds, n * LIM.min_shot_seconds), LIM.max_total_seconds))
    out: list[int] = []
    for i in range(n):
        left = total - sum(out)
        if i == n - 1:
            out.append(left)
        else:
            out.append(draw(st.integers(LIM.min_shot_seconds, left - (n - i - 1) * LIM.min_shot_seconds)))
    return out


@st.composite
def storyboards(draw: st.DrawFn) -> Storyboard:
    lengths = draw(durations())
    prompts = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=LIM.max_prompt_chars)
    return Storyboard(
        name=draw(text),
        shots=[Shot(prompt=draw(prompts), duration=d) for d in lengths],
        model=draw(st.sampled_from(list(ModelId))),
        provider=draw(st.sampled_from(list(ProviderId))),
        options=Options(
            aspect_ratio=draw(st.sampled_from(["16:9", "9:16", "1:1"])),
            resolution=draw(st.sampled_from(["720p", "1080p"])),
            negative_prompt=draw(text),
            cfg_scale=draw(st.floats(0.0, 1.0, allow_nan=False)),
            sound=draw(st.booleans()),
            shot_type=draw(st.sampled_from(["customize", "intelligent"])),
        ),
    )


def _same_but_id(a: Storyboard, b: Storyboard) -> None:
    assert a.model_dump(exclude={"id"}) == b.model_dump(exclude={"id"})
    assert a.id != b.id


def _document(sb: Storyboard, data_dir: Path) -> dict[str, Any]:
    return json.loads(exports.export_storyboard(sb, data_dir))


@pytest.fixture
def empty_dir(tmp_path: Path) -> Path:
    path = tmp_path / "data"
    path.mkdir()
    return path


def _files(root: Path) -> set[Path]:
    return {p for p in root.rglob("*") if p.is_file()}


# ---- the storyboard file ------------------------------------------------------------------------


@given(sb=storyboards())
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_any_storyboard_comes_back_identical_from_its_json_with_a_fresh_id(
    empty_dir: Path, sb: Storyboard
) -> None:
    text_ = exports.export_storyboard(sb, empty_dir)
    document = json.loads(text_)
    assert (document["schema"], document["version"]) == (exports.SCHEMA, exports.VERSION)
    imported = import_storyboard(text_, empty_dir)
    _same_but_id(imported.storyboard, sb)
    assert imported.notes == []
    # bytes (as uploaded) import the same as text (as pasted)
    _same_but_id(import_storyboard(text_.encode(), empty_dir).storyboard, sb)


def _first_frame(data_dir: Path, size: tuple[int, int] = (640, 360)) -> Any:
    buffer = io.BytesIO()
    Image.radial_gradient("L").resize(size).convert("RGB").save(buffer, "JPEG")
    checked = media.check_image(buffer.getvalue(), "beach photo.jpg", TURBO_IMAGE_RULES)
    assert checked.ok
    return media.save_first_frame(checked, data_dir, "beach photo.jpg")


def test_the_first_frame_travels_inside_the_json_to_another_computer(tmp_path: Path) -> None:
    here, there = tmp_path / "here", tmp_path / "there"
    frame = _first_frame(here)
    sb = Storyboard(
        name="Beach", shots=[Shot(prompt="Waves", duration=5)], model=ModelId.TURBO_PRO_I2V, first_frame=frame
    )
    text_ = exports.export_storyboard(sb, here)
    assert str(here) not in text_ and frame.path not in text_  # no path into this computer's data folder

    imported = import_storyboard(text_, there)
    _same_but_id(imported.storyboard, sb)
    assert (there / frame.path).read_bytes() == (here / frame.path).read_bytes()
    assert imported.notes == []


def test_a_first_frame_missing_from_the_file_is_left_out_and_said(tmp_path: Path) -> None:
    here = tmp_path / "here"
    sb = Storyboard(shots=[Shot(prompt="Waves", duration=5)], first_frame=_first_frame(here))
    (here / sb.first_frame.path).unlink()  # type: ignore[union-attr]
    assert exports.first_frame_missing(sb, here)
    imported = import_storyboard(exports.export_storyboard(sb, here), tmp_path / "there")
    assert imported.storyboard.first_frame is None
    assert imported.notes == [
        "The file names a first frame (beach photo.jpg) but does not contain it, so it was left out: "
        "add it again in the editor."
    ]
    _same_but_id(imported.storyboard, sb.model_copy(update={"first_frame": None}))


def test_a_damaged_first_frame_is_left_out_and_nothing_of_it_is_written(tmp_path: Path) -> None:
    here, there = tmp_path / "here", tmp_path / "there"
    sb = Storyboard(shots=[Shot(prompt="Waves", duration=5)], first_frame=_first_frame(here))
    document = _document(sb, here)
    image = base64.b64decode(document["storyboard"]["first_frame"]["image_base64"])
    document["storyboard"]["first_frame"]["image_base64"] = base64.b64encode(image[:-200]).decode()
    imported = import_storyboard(json.dumps(document), there)
    assert imported.storyboard.first_frame is None
    assert imported.notes == [
        "The first frame (beach photo.jpg) in the file is damaged, so it was left out: add it again in the editor."
    ]
    assert not there.exists() or not _files(there)


@pytest.mark.parametrize("case", list(BAD_FILES))
def test_a_bad_file_is_refused_with_one_sentence_per_problem_and_writes_nothing(
    case: str, empty_dir: Path
) -> None:
    content, sentences = BAD_FILES[case]
    with pytest.raises(ImportRefused) as refused:
        import_storyboard(content, empty_dir)
    assert refused.value.problems == sentences
    assert not _files(empty_dir)


def test_an_import_never_reuses_the_id_it_was_exported_with() -> None:
    sb = valid()
    ids = {
        parse_storyboard(exports.export_storyboard(sb, Path("/nonexistent"))).storyboard.id for _ in range(5)
    }
    assert sb.id not in ids and len(ids) == 5


def test_repeated_shot_ids_get_fresh_ones_so_the_editor_can_key_each_shot() -> None:
    text_ = edited(lambda d: d["storyboard"].update(shots=shots(2, 5)[:1] * 3))
    got = parse_storyboard(text_).storyboard.shots
    assert len({s.id for s in got}) == 3 and got[0].id == "s0"


# ---- the request exports: their text ----------------------------------------------------------


def _heredoc_body(script: str) -> Any:
    return json.loads(script.split("<<'JSON'\n", 1)[1].split("\nJSON\n", 1)[0])


def _python_body(script: str) -> Any:
    tree = ast.parse(script)
    node = next(
        n for n in tree.body if isinstance(n, ast.Assign) and getattr(n.targets[0], "id", "") == "body"
    )
    return ast.literal_eval(node.value)


@given(sb=storyboards().filter(lambda s: s.model != ModelId.TURBO_PRO_I2V), provider=st.sampled_from(HOSTED))
@settings(max_examples=100, deadline=None)
def test_any_storyboard_s_scripts_carry_exactly_the_compiled_body(
    sb: Storyboard, provider: ProviderId
) -> None:
    """Whatever is typed in a prompt stays data: a quoted heredoc for bash, a literal for Python."""
    body = exports.submit_request(sb, provider).body
    assert body == {**compile_request(sb, offer(provider, sb.model)).body}
    assert _heredoc_body(exports.curl_script(sb, provider)) == body
    assert _python_body(exports.python_script(sb, provider)) == body


def test_preview_has_no_request_to_export() -> None:
    sb = valid().model_copy(update={"provider": ProviderId.PREVIEW})
    with pytest.raises(ValueError, match="no HTTP request"):
        exports.curl_script(sb, ProviderId.PREVIEW)
    assert ProviderId.PREVIEW not in exports.hosted_providers(sb.model)


def test_a_script_says_what_it_costs_and_what_the_app_would_refuse() -> None:
    sb = valid().model_copy(update={"shots": [Shot(prompt="x", duration=1), Shot(prompt="y", duration=4)]})
    script = exports.curl_script(sb, ProviderId.FAL)
    assert "Running it starts a paid job: $0.70" in script
    assert "# The app would not send this yet: Shot 1 is 1 s; fal.ai needs at least 3 s per shot." in script


def test_a_name_cannot_break_out_of_a_comment() -> None:
    sb = valid().model_copy(update={"name": "Sale\nrm -rf ~\r\n\u2028print('pwned')\x0cprint('pwned')"})
    for script in (exports.curl_script(sb, ProviderId.FAL), exports.python_script(sb, ProviderId.FAL)):
        assert not any(line.startswith(("rm ", "print(")) for line in script.splitlines())


# ---- the request exports, run against the fakes -------------------------------------------------

FAKES: dict[ProviderId, type[FakeServer]] = {
    ProviderId.WAVESPEED: FakeWaveSpeed,
    ProviderId.FAL: FakeFal,
    ProviderId.EVOLINK: FakeEvoLink,
}
SUBMIT_ROUTE = {ProviderId.WAVESPEED: "submit", ProviderId.FAL: "submit", ProviderId.EVOLINK: "generate"}


@pytest.fixture(params=HOSTED, ids=lambda p: p.value)
def fake(request: pytest.FixtureRequest) -> Iterator[tuple[ProviderId, FakeServer]]:
    provider: ProviderId = request.param
    server = FAKES[provider](key=KEYS[provider])  # type: ignore[call-arg]
    server.start()
    yield provider, server
    server.stop()


def _client_submit(provider: ProviderId, server: FakeServer, sb: Storyboard) -> Recorded:
    """The request the app's own client sends for this storyboard, as the fake recorded it."""
    chosen = offer(provider, sb.model)
    request = compile_request(sb, chosen, FIRST_FRAME_URL if chosen.takes_image else None)
    key = KEYS[provider]
    client: Any
    if provider == ProviderId.WAVESPEED:
        client = WaveSpeedClient(key, base_url=server.url)
    elif provider == ProviderId.FAL:
        client = FalClient(key, queue_base=server.url, rest_base=server.url)
    else:
        client = EvoLinkClient(key, base_url=server.url, files_base_url=server.url)
    before = len(server.calls(SUBMIT_ROUTE[provider]))
    client.submit(request, "idem-1")
    client.close()
    calls = server.calls(SUBMIT_ROUTE[provider])
    assert len(calls) == before + 1
    return calls[-1]


def _run(
    command: list[str], provider: ProviderId, server: FakeServer, tmp_path: Path
) -> tuple[str, Recorded]:
    submit = exports.submit_request(_storyboard(ModelId.TURBO_PRO_T2V, "multi"), provider)
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        submit.key_env: KEYS[provider],
        submit.base_env: server.url,
        exports.FIRST_FRAME_URL_ENV: FIRST_FRAME_URL,
    }
    before = len(server.calls(SUBMIT_ROUTE[provider]))
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert done.returncode == 0, done.stderr + done.stdout
    calls = server.calls(SUBMIT_ROUTE[provider])
    assert len(calls) == before + 1, done.stdout + done.stderr
    return done.stdout, calls[-1]


def _storyboard(model: ModelId, kind: str) -> Storyboard:
    if kind == "single":
        shots = [Shot(prompt=TRICKY, duration=5)]
    else:
        shots = [Shot(prompt=f"Shot {i}: {TRICKY}", duration=d) for i, d in enumerate([3, 5, 4], 1)]
    return Storyboard(
        name="Night sale",
        shots=shots,
        model=model,
        options=Options(
            aspect_ratio="9:16", resolution="720p", negative_prompt="blur, 'text'", cfg_scale=0.7, sound=True
        ),
    )


@pytest.mark.parametrize("kind", ["single", "multi"])
@pytest.mark.parametrize("model", list(ModelId), ids=lambda m: m.value)
def test_the_curl_and_python_exports_send_what_the_app_sends(
    fake: tuple[ProviderId, FakeServer], model: ModelId, kind: str, tmp_path: Path
) -> None:
    provider, server = fake
    assert (provider, model) in OFFERS
    sb = _storyboard(model, kind).model_copy(update={"provider": provider})
    app = _client_submit(provider, server, sb)

    for name, script, command in (
        ("sh", exports.curl_script(sb, provider), ["bash"]),
        ("py", exports.python_script(sb, provider), [sys.executable]),
    ):
        path = tmp_path / f"request.{name}"
        path.write_text(script, encoding="utf-8")
        out, sent = _run([*command, str(path)], provider, server, tmp_path)
        assert (sent.method, sent.path) == (app.method, app.path), name
        assert sent.json == app.json, name
        assert sent.headers["authorization"] == app.headers["authorization"], name
        assert sent.headers["content-type"].startswith("application/json"), name
        assert json.loads(out), name  # the provider's answer (the job) is printed


def test_a_script_without_its_key_stops_before_sending_anything(tmp_path: Path) -> None:
    sb = _storyboard(ModelId.TURBO_PRO_I2V, "single").model_copy(update={"provider": ProviderId.FAL})
    with FakeFal() as server:
        for name, script, command in (
            ("sh", exports.curl_script(sb, ProviderId.FAL), ["bash"]),
            ("py", exports.python_script(sb, ProviderId.FAL), [sys.executable]),
        ):
            path = tmp_path / f"request.{name}"
            path.write_text(script, encoding="utf-8")
            env = {
                "PATH": "/usr/bin:/bin",
                "FAL_QUEUE_BASE_URL": server.url,
                exports.FIRST_FRAME_URL_ENV: FIRST_FRAME_URL,
            }
            done = subprocess.run([*command, str(path)], env=env, capture_output=True, text=True, timeout=60)
            assert done.returncode != 0
            assert "FAL_KEY" in done.stderr and "fal.ai API key" in done.stderr
        assert server.calls("submit") == []


def test_the_scripts_default_to_the_providers_real_addresses() -> None:
    for provider in HOSTED:
        submit = exports.submit_request(valid(), provider)
        default = BASE_URLS[submit.base_env]
        assert f'"${{{submit.base_env}:-{default}}}"' in exports.curl_script(valid(), provider)
        assert f"os.environ.get({submit.base_env!r}) or {default!r}" in exports.python_script(
            valid(), provider
        )


# ---- no key in any export -------------------------------------------------------------------------


def test_no_export_contains_a_key(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for provider, key in KEYS.items():
        env = PROVIDERS[provider].key_env
        assert env is not None
        monkeypatch.setenv(env, key)
    exported: dict[str, bytes] = {}
    for model in ModelId:
        sb = _storyboard(model, "multi").model_copy(update={"first_frame": _first_frame(tmp_path)})
        exported[f"{model}.json"] = exports.export_storyboard(sb, tmp_path).encode()
        bundle = exports.all_requests_zip(sb)
        with zipfile.ZipFile(io.BytesIO(bundle)) as z:
            assert sorted(z.namelist()) == sorted(
                exports.script_file_name(sb, p, kind) for p in HOSTED for kind in ("sh", "py")
            )
            exported.update({f"{model}/{n}": z.read(n) for n in z.namelist()})
        exported[f"{model}.zip"] = bundle
        for provider in HOSTED:
            exported[f"{model}-{provider}.sh"] = exports.curl_script(sb, provider).encode()
            exported[f"{model}-{provider}.py"] = exports.python_script(sb, provider).encode()
    assert len(exported) == 3 * (2 + 6 + 6)
    for name, data in exported.items():
        for key in KEYS.values():
            for form in (key, key.split(":")[-1], base64.b64encode(key.encode()).decode()):
                assert form.encode() not in data, f"{name} contains a key"
    assert all(os.environ[PROVIDERS[p].key_env or ""] == KEYS[p] for p in HOSTED)  # they were set
