"""An SQLAlchemy engine for the configured database: SQLite in the data dir, or PostgreSQL
through psycopg 3.

SQLite: one connection per store, lent to one thread at a time (Streamlit runs each rerun in a
new thread: per-thread connections would be opened, and leaked, on every rerun); WAL lets other
processes read while one writes; a write transaction is taken at once (BEGIN IMMEDIATE), so two
processes never both pass a check they then write on. pysqlite's own transaction handling is off:
it would begin late and commit early, around DDL.
PostgreSQL: a small pool per store, each connection checked before use (a restarted server costs
no failed page), and a short connect timeout so a server that is down is said at once.
"""

from __future__ import annotations

import sqlite3
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event

from storyboard.store.problems import StorageProblem, problem_sentence, unsupported_sentence

DECIMAL_SUM = "decimal_sum"  # SQLite aggregate: exact sum of decimal strings (store.py's spend)
WRITE = "storyboard_write"  # execution option: this transaction writes (SQLite: BEGIN IMMEDIATE)


def parse(where: Path | str) -> sa.URL:
    """A SQLite file's path, or a database URL, as the URL of a database this app can use.
    postgresql:// (and postgres://) go through psycopg 3, the driver this app ships."""
    if isinstance(where, Path):
        return sa.URL.create("sqlite", database=str(where))
    try:
        url = sa.make_url(where)
    except sa.exc.ArgumentError:
        raise StorageProblem(unsupported_sentence()) from None
    backend, _, driver = url.drivername.partition("+")  # not url.get_driver_name(): it loads the dialect
    if backend in ("postgresql", "postgres") and driver in ("", "psycopg", "psycopg2"):
        return url.set(drivername="postgresql+psycopg")
    if backend == "sqlite" and driver in ("", "pysqlite") and url.database not in (None, "", ":memory:"):
        return url
    raise StorageProblem(unsupported_sentence())


def engine(url: sa.URL) -> sa.Engine:
    if url.get_backend_name() == "sqlite":
        return _sqlite(Path(url.database or ""))
    return sa.create_engine(
        url,
        pool_size=5,
        max_overflow=10,
        pool_pre_ping=True,
        connect_args={"connect_timeout": 5, "application_name": "storyboard-studio"},
    )


def _sqlite(path: Path) -> sa.Engine:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StorageProblem(problem_sentence(exc, path)) from exc
    made = sa.create_engine(
        sa.URL.create("sqlite", database=str(path)),
        poolclass=sa.QueuePool,
        pool_size=1,
        max_overflow=0,
        pool_timeout=30,  # as long as SQLite waits for another process's lock
        connect_args={"timeout": 30, "check_same_thread": False},
    )

    @event.listens_for(made, "connect")
    def _connect(dbapi: Any, _record: Any) -> None:
        dbapi.isolation_level = None  # no implicit BEGIN/COMMIT by pysqlite: SQLAlchemy's "begin" below
        _wal(dbapi)
        dbapi.execute("PRAGMA synchronous=FULL")  # a committed job row survives a power cut
        dbapi.create_aggregate(DECIMAL_SUM, 1, _DecimalSum)

    @event.listens_for(made, "begin")
    def _begin(conn: sa.Connection) -> None:
        # A read is one statement, consistent on its own: no BEGIN (it would cost a round trip
        # on every rerun's reads); a write takes the write lock at once.
        if conn.get_execution_options().get(WRITE):
            conn.exec_driver_sql("BEGIN IMMEDIATE")

    return made


class _DecimalSum:
    """sum() over decimal strings without binary floating point ('0.1' three times is '0.3')."""

    def __init__(self) -> None:
        self.total: Decimal | None = None

    def step(self, value: str | None) -> None:
        if value is not None:
            self.total = (self.total or Decimal(0)) + Decimal(value)

    def finalize(self) -> str | None:
        return None if self.total is None else str(self.total)


def _wal(dbapi: sqlite3.Connection, wait: float = 30.0) -> None:
    """WAL mode, kept in the file once set. Setting it needs the file to itself, and SQLite says
    "locked" at once rather than wait when another process is making the same new file: wait
    for that one (it sets WAL too) as long as any other lock is waited for."""
    deadline = time.monotonic() + wait
    while dbapi.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
        try:
            dbapi.execute("PRAGMA journal_mode=WAL")
        except sqlite3.OperationalError as exc:
            if exc.sqlite_errorcode & 0xFF != sqlite3.SQLITE_BUSY or time.monotonic() > deadline:
                raise
            time.sleep(0.01)
