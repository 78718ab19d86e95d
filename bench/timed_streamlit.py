"""`python -m streamlit`, with the time of each page script run appended to $BENCH_RUN_TIMES (one
line each: wall-clock start, seconds, page, how it ended), for bench/editor_sessions.py: the server's
own figure, taken in the server process, as bench/page_timing.py takes it under AppTest."""

from __future__ import annotations

import os
import sys
import threading
import time

from streamlit.navigation.page import StreamlitPage
from streamlit.web import cli

_out = open(os.environ["BENCH_RUN_TIMES"], "a", buffering=1)  # noqa: SIM115 (open for the process' life)
_lock = threading.Lock()
_original_run = StreamlitPage.run


def _timed_run(self: StreamlitPage) -> None:
    started, start = time.time(), time.perf_counter()
    ended = "interrupted"  # a rerun request stops the run with an exception (RerunException)
    try:
        _original_run(self)
        ended = "done"
    finally:
        seconds = time.perf_counter() - start
        with _lock:
            _out.write(f"{started:.6f} {seconds:.6f} {self.url_path or 'editor'} {ended}\n")


StreamlitPage.run = _timed_run  # type: ignore[method-assign]

if __name__ == "__main__":
    sys.exit(cli.main())
