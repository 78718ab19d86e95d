"""A take's Details on the Takes page (issue 9): what was sent and what the provider answered, with
the key hidden even where the provider's answer repeats it. Through the real app (AppTest) on a
loopback WaveSpeed fake that refuses the submit with an answer quoting the key."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from app_steps import build, generate_button, run_until
from fakes.wavespeed import FakeWaveSpeed, wavespeed_fault
from streamlit.testing.v1 import AppTest

from components import runtime
from storyboard.models import JobState

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def fake(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeWaveSpeed]:
    with FakeWaveSpeed() as server:
        monkeypatch.setenv("WAVESPEED_API_KEY", server.key)
        monkeypatch.setenv("WAVESPEED_BASE_URL", server.url)
        yield server


def _page_text(at: AppTest) -> str:
    kinds = ("markdown", "caption", "error", "info", "warning", "json", "text", "code")
    return "\n".join(str(getattr(e, "value", "")) for kind in kinds for e in getattr(at, kind))


def test_a_refused_take_shows_what_was_sent_and_answered_without_the_key(fake: FakeWaveSpeed) -> None:
    fake.fail_next(
        "submit", wavespeed_fault(400, message=f"Invalid request (key {fake.key} is on a trial plan)")
    )
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.run()
    build(at, [5])
    generate_button(at).click().run()
    store = runtime.runtime().store
    run_until(at, lambda: store.list_jobs()[0].state.finished, timeout=60)
    (job,) = store.list_jobs()
    assert job.state == JobState.FAILED

    at.switch_page("pages/takes.py").run()
    assert [e.label for e in at.expander if e.label == "Details"] == ["Details"]
    assert not at.json  # read only when opened
    at.session_state[f"details:take:{job.id}"] = True  # the person opens it
    at.run()
    assert not at.exception, at.exception
    (shown,) = at.json
    details = json.loads(shown.value)
    assert details["request"]["body"]["prompt"].startswith("Shot 1: the bottle on the sand")
    assert details["submit_error"]["status"] == 400
    assert "is on a trial plan" in details["submit_error"]["body"]["message"]
    assert fake.key not in _page_text(at)
