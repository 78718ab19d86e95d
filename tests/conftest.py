"""Shared fixtures: a fresh data dir per test, and the app under AppTest with its runner stopped after."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from fakes.wavespeed import FakeWaveSpeed
from samples import write_mp4
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    path = tmp_path / "data"
    monkeypatch.setenv("STORYBOARD_DATA_DIR", str(path))
    for name in ("WAVESPEED_API_KEY", "FAL_KEY", "EVOLINK_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    # The fakes finish a job in a fraction of a second, where a real one takes minutes: the app's
    # first look at a job (1 s, the official SDKs' default) is most of an AppTest's wait. The poll
    # plan itself is tested in test_job_machine.py and measured by bench/hosted_latency.py.
    from storyboard.providers.hosted import HostedClient

    monkeypatch.setattr(HostedClient, "poll_interval", 0.05)
    for client in HostedClient.__subclasses__():
        monkeypatch.setattr(client, "poll_interval", 0.05)
    yield path
    from components import runtime  # imported late: core-only test files need no UI

    runtime.shutdown()


@pytest.fixture
def app(data_dir: Path) -> AppTest:
    """The whole app, as a browser session would see it, on a fresh data dir."""
    os.chdir(ROOT)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.run()
    assert not at.exception, at.exception
    return at


@pytest.fixture(scope="session")
def tiny_mp4(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real 1 s H.264 MP4, as a provider would hand back."""
    return write_mp4(tmp_path_factory.mktemp("video") / "tiny.mp4", frames=24)


@pytest.fixture
def fake(data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeWaveSpeed]:
    """The app's WaveSpeed key and base URL point at a loopback fake that hands back a 1 s MP4
    (AppTests of paid takes; provider test files define their own `fake`)."""
    with FakeWaveSpeed() as server:
        server.video_bytes = write_mp4(tmp_path / "result.mp4", frames=24).read_bytes()
        monkeypatch.setenv("WAVESPEED_API_KEY", server.key)
        monkeypatch.setenv("WAVESPEED_BASE_URL", server.url)
        yield server
