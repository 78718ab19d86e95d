"""Timing a Streamlit page's own script under AppTest, for the page benchmarks."""

from __future__ import annotations

import statistics
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


@contextmanager
def page_times() -> Iterator[list[float]]:
    """Inside this block, each run of a page script (the router's `StreamlitPage.run`) appends its
    seconds to the yielded list: the page's own cost, without AppTest's round trip."""
    from streamlit.navigation.page import StreamlitPage

    times: list[float] = []
    original_run = StreamlitPage.run

    def timed_run(self: StreamlitPage) -> None:
        start = time.perf_counter()
        original_run(self)
        times.append(time.perf_counter() - start)

    StreamlitPage.run = timed_run  # type: ignore[method-assign]
    try:
        yield times
    finally:
        StreamlitPage.run = original_run  # type: ignore[method-assign]


def round_trips(at: Any, runs: int) -> list[float]:
    """Seconds of `runs` AppTest reruns, each as a browser would wait for it."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        at.run()
        times.append(time.perf_counter() - start)
    return times


def ms(values: list[float]) -> str:
    cut = sorted(values)
    return (
        f"median {statistics.median(cut) * 1000:.1f} ms, p90 {cut[int(len(cut) * 0.9) - 1] * 1000:.1f} ms"
        f" over {len(cut)} reruns"
    )
