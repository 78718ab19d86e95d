"""How long fitting long text takes: the brief's title and a prompt block, and the animatic's header
line, for texts of 100 to 1,000,000 characters (one word, and words). Issue 10 item 5: a 10,000-character
name took over a minute, a million crashed. Names are limited at the model now (catalog.MAX_NAME_CHARS);
this measures the fitting itself, so any text (a prompt, an old draft) costs what is shown.

    .venv/bin/python -m bench.long_text

Prints the wall time of each case (one run each, after a warm-up). Asserts nothing.
"""

from __future__ import annotations

import time

from storyboard import animatic, brief


def main() -> None:
    title, body = animatic._font(46), animatic._font(22)
    cases = {
        "brief title line": lambda t: brief._line(t, title, 3000),
        "brief prompt block": lambda t: brief._block(t, body, 500, 6),
        "animatic header line": lambda t: animatic._fit_line(t, 1200, 40, 10),
        "animatic body block": lambda t: animatic._fit_block(t, 1200, 300, 36, 15),
    }
    for fit in cases.values():
        fit("warm up")
    print(f"{'case':24} {'text':>10} {'one word':>10} {'words':>10}")
    for name, fit in cases.items():
        for n in (100, 10_000, 1_000_000):
            times = []
            for text in ("W" * n, ("Wave " * n)[:n]):
                start = time.perf_counter()
                fit(text)
                times.append(time.perf_counter() - start)
            print(f"{name:24} {n:>10,} {times[0]:>9.3f}s {times[1]:>9.3f}s")


if __name__ == "__main__":
    main()
