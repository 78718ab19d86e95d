"""A throwaway PostgreSQL filled with many takes, for the benchmarks that time the store at scale.

    with throwaway_postgres() as url:      # postgresql+psycopg://... of an empty database
        bulk_load(url, (make_take(i) for i in range(100_000)))

The cluster is tests/servers/postgres.py's (as the tests start it; initdb runs as `postgres` when
we are root). Takes go in through the store's own `jobs` table and row shape (store.job_row), in
batches of one INSERT per many rows: one create_jobs per take would take minutes and time the cap
check 100,000 times, which is not what is being measured.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from itertools import islice
from pathlib import Path

import sqlalchemy as sa

from storyboard.models import Job
from storyboard.store import Store
from storyboard.store.store import job_row
from storyboard.store.tables import jobs

ROOT = Path(__file__).resolve().parent.parent
BATCH = 2_000


@contextmanager
def throwaway_postgres() -> Iterator[str]:
    """The URL of an empty database on a new cluster, stopped and removed afterwards."""
    sys.path.insert(0, str(ROOT / "tests"))  # tests/servers is not a package of the app
    from servers.postgres import PostgresServer

    with PostgresServer() as server:
        yield server.create_database("bench")


def bulk_load(url: str, takes: Iterable[Job]) -> tuple[int, float]:
    """Write `takes` into the store at `url` (migrated first by opening it); (count, seconds)."""
    Store(url).close()  # the schema, as the app makes it
    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    start = time.perf_counter()
    count = 0
    iterator = iter(takes)
    with engine.begin() as conn:
        # The throwaway cluster commits asynchronously (synchronous_commit=off); a VACUUM just after
        # an asynchronous commit cannot set the rows' hint bits, so it marks no page all-visible and
        # every "index-only" scan reads the table anyway (relallvisible stayed 0 of 16,667 pages with
        # 100,000 takes). This commit waits for its WAL, as every commit does with PostgreSQL's
        # default, so the VACUUM below does what autovacuum does on a server.
        conn.exec_driver_sql("SET LOCAL synchronous_commit = on")
        while batch := [job_row(job) for job in islice(iterator, BATCH)]:
            conn.execute(sa.insert(jobs), batch)
            count += len(batch)
    # What autovacuum does soon after so many inserts (autovacuum_vacuum_insert_threshold): the
    # planner's counts, and the visibility map an index-only scan needs to skip the table.
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("VACUUM ANALYZE jobs")
    engine.dispose()
    return count, time.perf_counter() - start
