"""Storage failures as one sentence saying what to do, on either engine.

A PostgreSQL server is named by host, port and database, never by its URL: the URL may hold a
password, and these sentences reach the page and the log.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import sqlalchemy as sa

from storyboard.settings import DATA_DIR_ENV, DATABASE_URL_ENV

# What a store operation may raise that means "the database cannot be used", on either engine:
# the driver's errors as SQLAlchemy wraps them, SQLite's raw from its connect hook (engines.py),
# and a pool with no connection free in time.
FAILURES: tuple[type[Exception], ...] = (sa.exc.DBAPIError, sa.exc.TimeoutError, sqlite3.Error)


class StorageProblem(Exception):
    """The data dir or its database cannot be used; the message is one sentence saying what to do."""


def server(url: sa.URL) -> str:
    """'PostgreSQL database studio on db.example:5432', without user or password."""
    return f"PostgreSQL database {url.database} on {url.host or 'localhost'}:{url.port or 5432}"


def newer_sentence(url: sa.URL) -> str:
    if url.get_backend_name() == "sqlite":
        return (
            f"The database {url.database} was written by a newer version of Storyboard Studio: update the app, "
            f"or set {DATA_DIR_ENV} to another folder."
        )
    return (
        f"The {server(url)} was written by a newer version of Storyboard Studio: "
        f"update the app, or set {DATABASE_URL_ENV} to another database."
    )


def unsupported_sentence() -> str:
    return (
        f"{DATABASE_URL_ENV} names a database Storyboard Studio cannot use: set it to "
        "postgresql://user:password@host:5432/database, or unset it to keep the data in the data dir."
    )


def problem_sentence(exc: BaseException, where: sa.URL | Path) -> str:
    """One sentence for a storage failure on the database at `where` (a URL, or a SQLite file's
    path), saying what to do."""
    if isinstance(exc, sa.exc.DBAPIError) and exc.orig is not None:
        exc = exc.orig
    if isinstance(where, Path):
        return sqlite_sentence(exc, where)
    if where.get_backend_name() == "sqlite":
        return sqlite_sentence(exc, Path(where.database or "studio.db"))
    return postgres_sentence(exc, where)


def sqlite_sentence(exc: BaseException, db: Path) -> str:
    root = db.parent
    code = getattr(exc, "sqlite_errorcode", None)
    primary = code & 0xFF if isinstance(code, int) else None
    if primary == sqlite3.SQLITE_FULL or "disk is full" in str(exc) or getattr(exc, "errno", None) == 28:
        return f"The disk holding {root} is full, so this was not saved: free some space there and it is saved again."
    if primary in (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB):
        return (
            f"The database {db} is damaged: stop the app, move that file aside (keep it, it may be recoverable) "
            f"and start again, or set {DATA_DIR_ENV} to another folder."
        )
    if primary in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED) or isinstance(exc, sa.exc.TimeoutError):
        return f"The database {db} stayed locked by another program: close that program, then try again."
    if primary == sqlite3.SQLITE_IOERR:
        return f"Reading or writing {db} failed with a disk error: check the disk, then try again."
    return (
        f"Storyboard Studio cannot write to {root}: give it write access, or set {DATA_DIR_ENV} to a folder "
        "it can write to."
    )


def postgres_sentence(exc: BaseException, url: sa.URL) -> str:
    # SQLSTATE classes: https://www.postgresql.org/docs/current/errcodes-appendix.html
    state = getattr(exc, "sqlstate", None) or _refused_at_connect(str(exc))
    where = server(url)
    host = f"{url.host or 'localhost'}:{url.port or 5432}"
    if state.startswith("28"):
        return (
            f"PostgreSQL on {host} refused the user and password in {DATABASE_URL_ENV}: fix them there, "
            "then restart the app."
        )
    if state == "3D000":
        return (
            f"The database {url.database} does not exist on {host}: create it (createdb {url.database}) "
            f"or fix {DATABASE_URL_ENV}, then reload the page."
        )
    if state == "53100":
        return f"The disk of the {where} is full, so this was not saved: free some space there and it is saved again."
    if state == "53300" or isinstance(exc, sa.exc.TimeoutError):
        return (
            f"The PostgreSQL server on {host} has no connection free: raise its max_connections or stop some "
            "of its clients, then try again."
        )
    if state == "42501":
        return (
            f"The user in {DATABASE_URL_ENV} may not change the {where}: grant it the rights to create and "
            "write tables there, or use another user, then restart the app."
        )
    if state == "FATAL":  # refused at connect, for a reason told in the server's language
        reason = str(exc).split("FATAL:", 1)[1].strip().splitlines()[0]
        return (
            f"PostgreSQL on {host} refused the connection ({reason}): fix {DATABASE_URL_ENV} or the server, "
            "then reload the page."
        )
    if not state or state.startswith(("08", "57P")):  # no answer, or the server went away
        return (
            f"The PostgreSQL server on {host} cannot be reached: start it (or fix the host and port in "
            f"{DATABASE_URL_ENV}), then reload the page."
        )
    return f"The {where} failed (SQLSTATE {state}): see the server's log, then try again."


def _refused_at_connect(message: str) -> str:
    """libpq gives no SQLSTATE for a connection the server refused, only its message: the
    SQLSTATE it would have been (English messages), "FATAL" for another refusal, "" for none."""
    if "FATAL:" not in message:
        return ""
    if "password authentication failed" in message or "no pg_hba.conf entry" in message or "role" in message:
        return "28P01"
    if "database" in message and "does not exist" in message:
        return "3D000"
    if "too many clients" in message or "remaining connection slots" in message:
        return "53300"
    if "the database system is" in message:  # starting up, shutting down
        return "57P03"
    return "FATAL"
