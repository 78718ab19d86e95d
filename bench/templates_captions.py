"""Templates and shot captions: what they add to a page run.

Loading and checking every template against the catalog (done once per process: the editor caches
it), and building a take's WebVTT shot track (done on every run that shows a player). Prints
figures; asserts nothing.

    .venv/bin/python -m bench.templates_captions
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

from storyboard.captions import webvtt
from storyboard.models import Shot, Storyboard
from storyboard.templates import TEMPLATES_DIR, load_all


def _median_ms(run: Callable[[], object], repeat: int) -> tuple[float, float]:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    times.sort()
    return statistics.median(times) * 1000, times[int(len(times) * 0.9) - 1] * 1000


def main() -> None:
    load_all()  # imports and first reads out of the way
    count = len(load_all())
    median, p90 = _median_ms(load_all, 50)
    print(f"templates: load and check all {count} in {TEMPLATES_DIR.name}/ against every provider")
    print(f"  median {median:.2f} ms, p90 {p90:.2f} ms over 50 runs (once per process in the app)")

    six = Storyboard(
        shots=[Shot(prompt="A glass bottle lies on wet sand at golden hour " * 10, duration=2)] * 6
    )
    median, p90 = _median_ms(lambda: webvtt(six), 2000)
    print(f"captions: WebVTT track of a 6-shot take ({len(six.shots[0].prompt)}-character prompts)")
    print(
        f"  median {median * 1000:.1f} µs, p90 {p90 * 1000:.1f} µs over 2000 runs; {len(webvtt(six))} bytes"
    )


if __name__ == "__main__":
    main()
