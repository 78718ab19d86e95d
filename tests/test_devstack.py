"""`make team`'s launcher (python -m storyboard.devstack), as a person runs it: it says where the app
is, the app answers there, both workers have registered with the queue; Ctrl-C (SIGINT) stops it
and nothing is left: no process it started (app, workers, moto, PostgreSQL), no temp dir.
Cost: 4-5 s (initdb beside moto's start, then the app's and the workers'), 14 s once on a busier machine."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import psycopg
from waiting import wait_until

from storyboard.devstack import free_port

ROOT = Path(__file__).resolve().parent.parent


def _descendants(pid: int) -> set[int]:
    """Every process below `pid`, from /proc (the launcher's children and theirs)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parents[int(entry.name)] = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
    found: set[int] = set()
    todo = [pid]
    while todo:
        parent = todo.pop()
        for child, its_parent in parents.items():
            if its_parent == parent and child not in found:
                found.add(child)
                todo.append(child)
    return found


def _alive(pid: int) -> bool:
    try:
        state = (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_make_team_starts_the_app_and_two_workers_and_ctrl_c_leaves_nothing_running(tmp_path: Path) -> None:
    port = free_port()
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("STORYBOARD_", "WAVESPEED", "FAL", "EVOLINK"))
    }
    out = tmp_path / "team.log"
    with out.open("wb") as log:
        launcher = subprocess.Popen(
            [sys.executable, "-m", "storyboard.devstack", "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        banner = wait_until(
            lambda: "Press Ctrl-C" in (text := out.read_text(errors="replace")) and text,
            timeout=90,
            what="the launcher to say what it started",
        )
        assert f"app         http://localhost:{port}" in banner
        assert httpx.get(f"http://127.0.0.1:{port}/_stcore/health", timeout=5).text == "ok"
        (database,) = re.findall(r"PostgreSQL  (\S+)", banner)
        (temp_dir,) = re.findall(r"temp dir    (\S+)", banner)
        with psycopg.connect(database.replace("+psycopg", ""), autocommit=True) as conn:
            count = "SELECT count(*) FROM procrastinate_workers"
            wait_until(
                lambda: (row := conn.execute(count).fetchone()) is not None and row[0] >= 2,
                timeout=30,
                what="both workers to register",
            )
            registered = conn.execute(count).fetchone()
            cluster = Path(str(conn.execute("SHOW data_directory").fetchone()[0]))  # type: ignore[index]
        assert registered == (2,)
        postmaster = int((cluster / "postmaster.pid").read_text().split()[0])  # not below the launcher
        started = _descendants(launcher.pid) | {postmaster}
        assert len(started) >= 5  # the app, two workers, moto, PostgreSQL

        launcher.send_signal(signal.SIGINT)  # Ctrl-C
        assert launcher.wait(timeout=60) == 0
    finally:
        if launcher.poll() is None:
            launcher.kill()
    left = sorted(pid for pid in started if _alive(pid))
    assert left == [], f"still running: {left}"
    assert not Path(temp_dir).exists() and not cluster.parent.exists()
    assert "Stopped; nothing is left running" in out.read_text()
