"""The process the tests' apps and workers are forked from (tests/warm_start.py) has one thread
when it forks: a child forked while another thread holds a lock waits on it for ever, which is how
3 of 5 workers hung in a fault run when pandas and pyarrow (two native threads each) were preloaded."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from warm_start import PRELOAD

ROOT = Path(__file__).resolve().parent.parent


def test_one_thread_when_forking() -> None:
    imports = "; ".join(f"import {module}" for module in PRELOAD)
    count = "import os; print(len(os.listdir('/proc/self/task')))"
    out = subprocess.run(
        [sys.executable, "-c", f"{imports}; {count}"], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "1", out.stdout
