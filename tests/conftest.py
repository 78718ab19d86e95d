"""Shared fixtures: a fresh data dir per test, and the app under AppTest with its runner stopped after."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    path = tmp_path / "data"
    monkeypatch.setenv("STORYBOARD_DATA_DIR", str(path))
    for name in ("WAVESPEED_API_KEY", "FAL_KEY", "EVOLINK_API_KEY"):
        monkeypatch.delenv(name, raising=False)
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


def write_tiny_mp4(path: Path, seconds: float = 1.0, size: tuple[int, int] = (64, 64), fps: int = 24) -> Path:
    """A real, small H.264 MP4 (what a provider would hand back), made with PyAV."""
    import av
    from PIL import Image

    path.parent.mkdir(parents=True, exist_ok=True)
    with av.open(str(path), "w", options={"movflags": "+faststart"}) as out:
        stream = out.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = size[0], size[1], "yuv420p"
        for i in range(round(seconds * fps)):
            frame = av.VideoFrame.from_image(Image.new("RGB", size, (i * 7 % 255, 80, 160)))
            frame.pts = i
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return path


@pytest.fixture(scope="session")
def tiny_mp4(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_tiny_mp4(tmp_path_factory.mktemp("video") / "tiny.mp4")
