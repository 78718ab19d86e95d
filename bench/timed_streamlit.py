"""`python -m streamlit`, with the time of each page script run, and of each fragment rerun (page
"fragment": a widget drawn in a fragment changed, so only it runs), appended to $BENCH_RUN_TIMES (one
line each: wall-clock start, seconds, page, how it ended, CPU seconds of the script's thread: on a
shared machine, what the run itself cost apart from waiting for a core or the GIL), for bench/editor_sessions.py: the server's
own figure, taken in the server process, as bench/page_timing.py takes it under AppTest.
With $BENCH_PROFILE set, every run is also profiled (cProfile, in its own thread: wall time, so a
wait for the GIL or a lock shows where it happens) and the sum is written there every 50 runs."""

from __future__ import annotations

import cProfile
import os
import pstats
import sys
import threading
import time
from collections.abc import Callable

from streamlit.navigation.page import StreamlitPage
from streamlit.runtime.fragment import Fragment, MemoryFragmentStorage
from streamlit.web import cli

_out = open(os.environ["BENCH_RUN_TIMES"], "a", buffering=1)  # noqa: SIM115 (open for the process' life)
_lock = threading.Lock()
_original_run = StreamlitPage.run
_original_lookup = MemoryFragmentStorage.lookup


_profile_to = os.environ.get("BENCH_PROFILE")
# BENCH_PROFILE_CLOCK=cpu: the script thread's CPU time instead, what each call costs apart from
# waiting (on a loaded machine the wall profile is mostly waiting, spread over whatever ran)
_cpu_clock = os.environ.get("BENCH_PROFILE_CLOCK") == "cpu"
_profiled: dict[str, pstats.Stats] = {}  # "total": the sum so far
_count = [0]


def _timed(page: str, run: Callable[[], None]) -> None:
    profile = (cProfile.Profile(time.thread_time) if _cpu_clock else cProfile.Profile()) if _profile_to else None
    started, start, cpu = time.time(), time.perf_counter(), time.thread_time()
    ended = "interrupted"  # a rerun request stops the run with an exception (RerunException)
    try:
        if profile is not None:
            profile.enable()
        run()
        ended = "done"
    finally:
        seconds, cpu = time.perf_counter() - start, time.thread_time() - cpu
        if profile is not None:
            profile.disable()
        with _lock:
            _out.write(f"{started:.6f} {seconds:.6f} {page} {ended} {cpu:.6f}\n")
            if profile is not None and _profile_to:
                if "total" in _profiled:
                    _profiled["total"].add(profile)
                else:
                    _profiled["total"] = pstats.Stats(profile)
                _count[0] += 1
                if _count[0] % 50 == 0:
                    _profiled["total"].dump_stats(_profile_to)


def _timed_run(self: StreamlitPage) -> None:
    _timed(self.url_path or "editor", lambda: _original_run(self))


def _timed_lookup(self: MemoryFragmentStorage, key: str) -> Fragment:
    """A fragment rerun (a widget drawn in a fragment changed): the run is the fragment's alone,
    not the page's, and is timed as one ("fragment")."""
    fragment = _original_lookup(self, key)
    return lambda: _timed("fragment", fragment)


MemoryFragmentStorage.lookup = _timed_lookup  # type: ignore[method-assign]
StreamlitPage.run = _timed_run  # type: ignore[method-assign]

if __name__ == "__main__":
    sys.exit(cli.main())
