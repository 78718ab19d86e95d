"""What the spending caps and the prompt helper add to a rerun, with a long history of takes.

    .venv/bin/python -m bench.caps_check [--takes 10000] [--database-url postgresql://...]
    .venv/bin/python -m bench.caps_check --postgres          # 100,000 takes, throwaway PostgreSQL

Goal (issue 12): the cap check <= 5 ms with 100,000 takes in PostgreSQL. `--postgres` starts a
throwaway cluster (tests/servers/postgres.py) and bulk-loads the takes (bench/pg_takes.py); a
`--database-url` database is bulk-loaded the same way. Fills a scratch store with `--takes` takes over 60 days (most done, a few failed or still queued),
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
from collections.abc import Callable, Iterator
from contextlib import nullcontext
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

from bench.pg_takes import bulk_load, throwaway_postgres
from storyboard.budget import days_back
from storyboard.catalog import OFFERS
from storyboard.layout import DataDir
from storyboard.models import Job, JobState, ProviderId, Shot, Storyboard, utcnow
from storyboard.pricing import priced_take
from storyboard.prompt_parts import prompt_limit
from storyboard.store import Store

RUNS = 50


def _takes(takes: int) -> Iterator[Job]:
    rng = random.Random(4)
    now = utcnow()
    states = [JobState.DONE] * 16 + [JobState.FAILED, JobState.CANCELLED, JobState.QUEUED, JobState.RUNNING]
    for i in range(takes):
        provider = rng.choice([ProviderId.WAVESPEED, ProviderId.FAL, ProviderId.EVOLINK, ProviderId.PREVIEW])
        sb = Storyboard(provider=provider, shots=[Shot(prompt=f"take {i}", duration=rng.randint(3, 15))])
        minutes = rng.randint(0, 60 * 24 * 60)
        yield priced_take(
            sb,
            idempotency_key=f"bench-{i}",
            state=rng.choice(states),
            created_at=now - timedelta(minutes=minutes),
        )


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
    parser.add_argument("--takes", type=int, help="default: 10,000 (100,000 with --postgres)")
    where = parser.add_mutually_exclusive_group()
    where.add_argument(
        "--database-url", help="an empty PostgreSQL database to fill (default: a scratch SQLite file)"
    )
    where.add_argument("--postgres", action="store_true", help="a throwaway PostgreSQL cluster")
    args = parser.parse_args()
    takes = args.takes or (100_000 if args.postgres else 10_000)
    with throwaway_postgres() if args.postgres else nullcontext(args.database_url) as url:
        _measure(url, takes)


def _measure(url: str | None, takes: int) -> None:
    start = time.perf_counter()
    if url is not None:
        bulk_load(url, _takes(takes))
        store = Store(url)
    else:  # SQLite: through the store, take by take, as the app writes them
        store = Store(DataDir(Path(tempfile.mkdtemp(prefix="bench-caps-"))).db)
        for job in _takes(takes):
            store.create_job(job)
    print(
        f"caps and prompt helper, {takes} takes over 60 days on {store.url.get_backend_name()}"
        f" (filled in {time.perf_counter() - start:.1f} s)"
    )
    # a session that started at midnight UTC two days ago: about 3 of the 60 days' takes count
    store.update_caps(
        lambda caps: caps.with_daily(Decimal("1000")).with_session(Decimal("50"), now=days_back(3))
    )

    def editor_caps() -> None:  # what the editor does on a rerun with both caps set (components/caps.py)
        budget, spent = store.caps_and_spent()
        budget.describe(spent)
        budget.refuses(spent, Decimal("2.10"))

    print(f"  cap state + check (daily and session caps):  {_ms(editor_caps)}")
    print(f"  spend per day for the Takes chart (30 days): {_ms(lambda: store.spend_by_day(days_back(30)))}")
    shots = [Shot(prompt="a bottle on wet sand, a wave rolls over it " * 8, duration=2) for _ in range(6)]
    per_offer = []
    for (provider, model), o in OFFERS.items():
        sb = Storyboard(provider=provider, model=model, shots=shots)
        per_offer.append(lambda sb=sb, o=o: [prompt_limit(sb, o, i) for i in range(6)])
    print(f"  prompt limits, 6 shots, all {len(per_offer)} offers:  {_ms(lambda: [f() for f in per_offer])}")
    store.close()


if __name__ == "__main__":
    main()
