"""The app pointed at a loopback WaveSpeed fake, for Chromium tests that need real, non-zero prices.

As in test_e2e_hosted.py: a fresh key in the app's environment and WAVESPEED_BASE_URL at the fake,
so a new storyboard defaults to WaveSpeedAI and Generate shows the price.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from fakes.wavespeed import FakeWaveSpeed
from playwright.sync_api import Locator, Page
from samples import write_mp4

from storyboard.store import Store

if TYPE_CHECKING:  # conftest imports this module for its fixture
    from tests.e2e.conftest import Server


@dataclass
class HostedApp:
    fake: FakeWaveSpeed
    server: Server

    @property
    def submits(self) -> int:
        return len(self.fake.calls("submit"))

    def store(self) -> Store:
        return Store(self.server.data_dir / "studio.db")

    def jobs_end_at_once(self) -> None:
        """For a test about something other than how a job runs: each job sent from now on is
        completed at the app's first status call. (With the fixture's 0.2 s jobs, answered in every
        phase, the app polls created, then processing a second later, then completed: ~2 s a take.)"""
        self.fake.job_seconds = 0
        self.fake.every_phase = False


def mp4(path: Path, seconds: int) -> bytes:
    """A real H.264 MP4 (64×64, 24 fps) lasting `seconds`: what the fake hands back as the take."""
    return write_mp4(path, frames=24 * seconds).read_bytes()


@pytest.fixture
def hosted(tmp_path: Path) -> Iterator[HostedApp]:
    from tests.e2e.conftest import Server

    fake = FakeWaveSpeed(key=f"ws-e2e-{secrets.token_hex(16)}", job_seconds=0.2)
    fake.video_bytes = mp4(tmp_path / "result.mp4", 1)
    fake.start()
    server = Server(tmp_path / "data", env={"WAVESPEED_API_KEY": fake.key, "WAVESPEED_BASE_URL": fake.url})
    try:
        server.start()
        yield HostedApp(fake, server)
    finally:
        server.stop()
        fake.stop()


def paid_generate(page: Page) -> Locator:
    """A paid provider's Generate button shows the price."""
    return page.get_by_role("button", name=re.compile(r"^Generate · \$\d+\.\d\d\d?$"))


def go_to(page: Page, title: str) -> None:
    """Another page through the sidebar's navigation: the same browser session (unlike a goto)."""
    page.get_by_test_id("stSidebarNav").get_by_role("link", name=title).click()
