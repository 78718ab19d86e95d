"""A full disk in real Chromium (issue 10 item 6): the data dir is a small tmpfs of its own; with
it filled, a typed prompt cannot be saved, the page says so beside the shot and the text stays;
once space is freed the edit is saved on its own, and the note goes."""

from __future__ import annotations

import errno
import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from storyboard.layout import DataDir
from tests.e2e.conftest import Server, screenshot
from tests.e2e.steps import open_editor, prompt_box, settle, shot_card, write_prompt

pytestmark = pytest.mark.e2e

FIRST = "A paper boat on a puddle"
SECOND = "A paper boat drifts down a rain-filled gutter, close-up"


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 4 MiB tmpfs as the data dir (the server's log stays outside it), or a skip saying why."""
    mount = tmp_path / "data"
    mount.mkdir()
    made = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mount)], capture_output=True)
    if made.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({made.stderr.decode().strip()}): needs root")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def _fill(disk: Path) -> Path:
    """Write until the disk is full; the filler is what a user would delete to free space."""
    filler = disk / "filler.bin"
    chunk = b"\0" * 65536
    with filler.open("wb") as f:
        try:
            while True:
                f.write(chunk)
                f.flush()
        except OSError as exc:
            assert exc.errno == errno.ENOSPC
    return filler


def _saved_prompt(data_dir: Path) -> str:
    with sqlite3.connect(DataDir(data_dir).db) as db:
        (body,) = db.execute("SELECT json_extract(body, '$.shots[0].prompt') FROM drafts").fetchone()
    return body


def test_a_full_disk_keeps_the_typed_prompt_says_so_and_saves_it_once_space_is_freed(
    page: Page, small_disk: Path
) -> None:
    server = Server(small_disk)
    server.start()
    try:
        open_editor(page, server.url)
        write_prompt(page, 1, FIRST)
        assert _saved_prompt(small_disk) == FIRST

        filler = _fill(small_disk)
        write_prompt(page, 1, SECOND)
        note = page.get_by_test_id("stAlertContentError")
        expect(note).to_have_text(
            f"Not saved yet, kept on this page: The disk holding {small_disk} is full, so this was not saved: "
            "free some space there and it is saved again."
        )
        expect(prompt_box(page, 1)).to_have_value(SECOND)  # the typed text stays
        card, said = shot_card(page, 1).bounding_box(), note.bounding_box()
        assert card and said and 0 <= said["y"] - (card["y"] + card["height"]) < 40  # right under the shot
        assert _saved_prompt(small_disk) == FIRST
        screenshot(page, "storage-disk-full")

        filler.unlink()  # space freed: saved on its own within a few seconds, no click needed
        expect(page.get_by_test_id("stAlertContentError")).to_have_count(0)
        settle(page)
        assert _saved_prompt(small_disk) == SECOND
        expect(prompt_box(page, 1)).to_have_value(SECOND)
    finally:
        server.stop()
