"""What the spending caps and the prompt helper add to a rerun, with a long history of takes.

    .venv/bin/python -m bench.caps_check [--takes 10000] [--database-url postgresql://...]

Fills a scratch store with `--takes` takes over 60 days (most done, a few failed or still queued),
then times what the editor does on every rerun with a daily and a session cap set (the cap state
beside Generate and the check Generate makes), what Takes does (spend per day for the chart), and
the prompt helper's limit for each of 6 shots on every offer. Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

from storyboard.budget import Budget, days_back
from storyboard.catalog import OFFERS
from storyboard.layout import DataDir
from storyboard.models import JobState, ProviderId, Shot, Storyboard, utcnow
from storyboard.pricing import priced_take
from storyboard.prompt_parts import prompt_limit
from storyboard.store import Store

RUNS = 50


def _fill(store: Store, takes: int) -> None:
    rng = random.Random(4)
    now = utcnow()
    states = [JobState.DONE] * 16 + [JobState.FAILED, JobState.CANCELLED, JobState.QUEUED, JobState.RUNNING]
    for i in range(takes):
        provider = rng.choice([ProviderId.WAVESPEED, ProviderId.FAL, ProviderId.EVOLINK, ProviderId.PREVIEW])
        sb = Storyboard(provider=provider, shots=[Shot(prompt=f"take {i}", duration=rng.randint(3, 15))])
        minutes = rng.randint(0, 60 * 24 * 60)
        job = priced_take(
            sb,
            idempotency_key=f"bench-{i}",
            state=rng.choice(states),
            created_at=now - timedelta(minutes=minutes),
        )
        store.create_job(job)


def _ms(call: Callable[[], object], runs: int = RUNS) -> str:
    call()  # warm
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    cut = sorted(times)
    return f"median {statistics.median(cut) * 1000:.2f} ms, p90 {cut[int(len(cut) * 0.9) - 1] * 1000:.2f} ms"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--takes", type=int, default=10_000)
    parser.add_argument(
        "--database-url", help="an empty PostgreSQL database to fill (default: a scratch SQLite file)"
    )
    args = parser.parse_args()
    store = Store(args.database_url or DataDir(Path(tempfile.mkdtemp(prefix="bench-caps-"))).db)
    start = time.perf_counter()
    _fill(store, args.takes)
    print(
        f"caps and prompt helper, {args.takes} takes over 60 days on {store.url.get_backend_name()}"
        f" (filled in {time.perf_counter() - start:.1f} s)"
    )
    # a session that started at midnight UTC two days ago: about 3 of the 60 days' takes count
    store.update_caps(
        lambda caps: caps.with_daily(Decimal("1000")).with_session(Decimal("50"), now=days_back(3))
    )

    def editor_caps() -> None:  # what the editor does on a rerun with both caps set
        budget = Budget(store.caps())
        budget.state(store)
        budget.check(store, Decimal("2.10"))

    print(f"  cap state + check (daily and session caps):  {_ms(editor_caps)}")
    print(f"  spend per day for the Takes chart (30 days): {_ms(lambda: store.spend_by_day(days_back(30)))}")
    shots = [Shot(prompt="a bottle on wet sand, a wave rolls over it " * 8, duration=2) for _ in range(6)]
    per_offer = []
    for (provider, model), o in OFFERS.items():
        sb = Storyboard(provider=provider, model=model, shots=shots)
        per_offer.append(lambda sb=sb, o=o: [prompt_limit(sb, o, i) for i in range(6)])
    print(f"  prompt limits, 6 shots, all {len(per_offer)} offers:  {_ms(lambda: [f() for f in per_offer])}")


if __name__ == "__main__":
    main()
