"""The process the tests' apps and workers are forked from (tests/warm_start.py) has one thread
when it forks: a child forked while another thread holds a lock waits on it for ever, which is how
3 of 5 workers hung in a fault run when pandas and pyarrow (two native threads each) were preloaded."""

from __future__ import annotations

import os
import subprocess
import sys
import types
from pathlib import Path

import pytest
from warm_start import PRELOAD, start

ROOT = Path(__file__).resolve().parent.parent


def test_one_thread_when_forking() -> None:
    imports = "; ".join(f"import {module}" for module in PRELOAD)
    count = "import os; print(len(os.listdir('/proc/self/task')))"
    out = subprocess.run(
        [sys.executable, "-c", f"{imports}; {count}"], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "1", out.stdout


def test_a_start_runs_the_program_whatever_main_module_the_test_process_holds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After an AppTest, __main__ is the app's page script; a start must not run it again."""
    page = tmp_path / "page.py"
    page.write_text(f"open({str(tmp_path / 'page-ran')!r}, 'w').close()\nraise SystemExit(3)\n")
    program = tmp_path / "program.py"
    program.write_text(f"open({str(tmp_path / 'program-ran')!r}, 'w').close()\n")
    main = types.ModuleType("__main__")
    main.__file__ = str(page)
    monkeypatch.setitem(sys.modules, "__main__", main)

    started = start([str(program)], dict(os.environ), tmp_path, tmp_path / "log")
    assert started.wait(timeout=60) == 0, (tmp_path / "log").read_text()
    assert (tmp_path / "program-ran").exists()
    assert not (tmp_path / "page-ran").exists()
