"""Templates: every file in templates/ loads, is checked against the catalog, and opens as a new
storyboard; a broken file fails here, never the app."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from storyboard.catalog import MODELS, offer
from storyboard.models import ProviderId
from storyboard.templates import (
    TEMPLATES_DIR,
    TemplateError,
    load,
    load_all,
    pick_provider,
    problems,
    providers_for,
)
from storyboard.validate import validate

FILES = sorted(TEMPLATES_DIR.glob("*.json"))


def test_the_repo_ships_a_handful_of_templates() -> None:
    assert 5 <= len(FILES) <= 8
    assert len(load_all()) == len(FILES)  # none left out


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_every_template_loads_and_validates_on_at_least_one_provider(path: Path) -> None:
    template = load(path)
    assert template.id == path.stem
    assert template.name.strip() and template.description.strip()
    working = providers_for(template)
    assert working, f"{path.name}: no provider takes it"
    for provider in working:
        assert problems(template, provider) == []


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_an_opened_template_is_named_without_a_length_its_shots_would_soon_contradict(path: Path) -> None:
    template = load(path)
    name = template.storyboard(ProviderId.PREVIEW).name
    assert name.strip() and not re.search(r"\d+\s*s\b", name), name
    assert name.startswith(template.name.split(" · ")[0])  # still recognisably the template


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_a_template_says_a_first_frame_is_needed_exactly_when_its_model_starts_from_one(path: Path) -> None:
    template = load(path)
    assert bool(template.first_frame) == MODELS[template.model].takes_image
    if template.first_frame:
        # opened, it has no frame yet: the editor asks for one
        sb = template.storyboard(ProviderId.PREVIEW)
        assert sb.first_frame is None
        messages = [p.message for p in validate(sb, offer(ProviderId.PREVIEW, template.model))]
        assert any("first-frame image" in m for m in messages)


def test_the_marketer_staples_are_there() -> None:
    templates = {t.id: t for t in load_all()}
    teaser = templates["product-teaser"]
    assert [s.duration for s in teaser.shots] == [5, 5, 5]
    assert templates["social-hook"].options.aspect_ratio == "9:16"
    assert templates["before-after"].options.aspect_ratio == "1:1"
    logo = templates["logo-reveal"]
    assert logo.total_seconds == 5 and MODELS[logo.model].takes_image


def test_each_opening_is_a_new_storyboard_with_fresh_ids() -> None:
    (template, *_) = load_all()
    first, second = template.storyboard(ProviderId.PREVIEW), template.storyboard(ProviderId.FAL)
    assert first.id != second.id
    assert not {s.id for s in first.shots} & {s.id for s in second.shots}
    assert [(s.prompt, s.duration) for s in first.shots] == [(s.prompt, s.duration) for s in template.shots]
    assert (first.provider, second.provider) == (ProviderId.PREVIEW, ProviderId.FAL)


def _write(folder: Path, name: str, body: object) -> Path:
    path = folder / name
    path.write_text(body if isinstance(body, str) else json.dumps(body), encoding="utf-8")
    return path


GOOD = {
    "name": "Good",
    "description": "Fine.",
    "model": "kling-v3-turbo-pro-t2v",
    "options": {"aspect_ratio": "16:9"},
    "shots": [{"prompt": "A bottle on the sand", "duration": 5}],
}
BROKEN = {
    "not-json.json": "{ not json",
    "too-long.json": {**GOOD, "shots": [{"prompt": "x", "duration": 10}, {"prompt": "y", "duration": 10}]},
    "misspelt-option.json": {**GOOD, "options": {"aspect": "16:9"}},
    "unknown-model.json": {**GOOD, "model": "kling-v9"},
    "no-prompt.json": {**GOOD, "shots": [{"prompt": " ", "duration": 5}]},
    "frame-missing.json": {**GOOD, "model": "kling-v3-turbo-pro-i2v"},
    "frame-for-t2v.json": {**GOOD, "first_frame": "Upload your logo."},
    "no-shots.json": {**GOOD, "shots": []},
}


@pytest.mark.parametrize("name", list(BROKEN))
def test_a_broken_template_fails_loading_with_the_files_name(tmp_path: Path, name: str) -> None:
    path = _write(tmp_path, name, BROKEN[name])
    with pytest.raises(TemplateError, match=name):
        load(path)


def test_a_broken_template_is_left_out_of_the_app_not_raised(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    for name, body in BROKEN.items():
        _write(tmp_path, name, body)
    _write(tmp_path, "good.json", GOOD)
    assert [t.id for t in load_all(tmp_path)] == ["good"]
    assert sum("template skipped" in r.message for r in caplog.records) == len(BROKEN)


def test_the_provider_is_the_first_candidate_that_takes_the_template(tmp_path: Path) -> None:
    # 1 s shots: Kling (Preview, EvoLink) takes them; fal and WaveSpeed need 3 s per shot
    quick = load(_write(tmp_path, "quick.json", {**GOOD, "shots": [{"prompt": "a", "duration": 1}] * 4}))
    assert pick_provider(quick, [ProviderId.FAL, ProviderId.EVOLINK]) == ProviderId.EVOLINK
    assert pick_provider(quick, [ProviderId.EVOLINK, ProviderId.FAL]) == ProviderId.EVOLINK
    # none takes it as it is: the first, and the editor says what to change
    assert pick_provider(quick, [ProviderId.FAL, ProviderId.WAVESPEED]) == ProviderId.FAL
