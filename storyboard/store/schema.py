"""The schema's versions: Alembic revisions (migrations/versions), run by the store itself when it
opens a database, inside its own transaction: nobody runs a migration tool by hand.

Before Alembic, a SQLite file carried its version in `PRAGMA user_version` and was upgraded by the
SQL below (LEGACY, kept as it was run). Such a file, from any of those versions, is first brought
to the last of them by that SQL, then stamped with the baseline revision (which is that schema),
then upgraded by the revisions after it, all in one transaction. From then on its user_version
says ALEMBIC_ERA, which every earlier app refuses as "written by a newer version" instead of
writing to a schema it does not know.

New revision: `python -m storyboard.store.schema "what it changes"` writes the file to fill in.
"""

from __future__ import annotations

import functools
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import sqlalchemy as sa

if TYPE_CHECKING:
    from alembic.config import Config

# Alembic itself is imported only to upgrade: at ~0.2 s it would double what opening an
# up-to-date store costs a new process (the app, a worker, a test's subprocess).
MIGRATIONS = Path(__file__).with_name("migrations")
BASELINE = "0001"

V1 = [  # the schema of the first release, as it was created then
    """CREATE TABLE IF NOT EXISTS drafts (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        body TEXT NOT NULL,
        updated_at TEXT NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS jobs (
        id TEXT PRIMARY KEY,
        idempotency_key TEXT NOT NULL UNIQUE,
        storyboard_id TEXT NOT NULL,
        provider TEXT NOT NULL,
        model TEXT NOT NULL,
        state TEXT NOT NULL,
        cost TEXT NOT NULL,
        body TEXT NOT NULL,
        details TEXT NOT NULL DEFAULT '{}',
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS jobs_state ON jobs(state)",
    "CREATE INDEX IF NOT EXISTS jobs_created ON jobs(created_at)",
    """CREATE TABLE IF NOT EXISTS deleted_jobs (
        id TEXT PRIMARY KEY,
        idempotency_key TEXT NOT NULL UNIQUE,
        storyboard_id TEXT NOT NULL,
        provider TEXT NOT NULL,
        state TEXT NOT NULL,
        cost TEXT NOT NULL,
        created_at TEXT NOT NULL,
        deleted_at TEXT NOT NULL
    )""",
]
V2 = [
    "ALTER TABLE deleted_jobs ADD COLUMN details TEXT NOT NULL DEFAULT '{}'",
    "CREATE INDEX IF NOT EXISTS deleted_jobs_created ON deleted_jobs(created_at)",
    """CREATE TABLE caps (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        daily TEXT,
        session TEXT,
        session_since TEXT,
        damaged INTEGER NOT NULL DEFAULT 0
    )""",
]
LEGACY: list[list[str]] = [V1, V2]  # index + 1 is the user_version each one left
CAPS_MIGRATION = 2  # the version that moved the caps from budget.json into the database
ALEMBIC_ERA = len(LEGACY) + 1


class NewerSchema(Exception):
    """The database was written by a newer version of the app: it is left untouched."""


_NAMED = re.compile(r"""^(revision|down_revision)\b[^=\n]*=\s*["']?(\w+)""", re.MULTILINE)


@functools.cache
def head() -> str:
    """The newest revision: the one no other revision names as the one it follows (read from
    the files, as Alembic does; test_store checks they agree)."""
    revisions: set[str] = set()
    followed: set[str] = set()
    for path in (MIGRATIONS / "versions").glob("*.py"):
        named = dict(_NAMED.findall(path.read_text()))
        revisions.add(named["revision"])
        followed.add(named.get("down_revision", "None"))
    (newest,) = revisions - followed
    return newest


def revision(conn: sa.Connection) -> str | None:
    """The database's revision; None for a database Alembic has not touched (new, or older)."""
    if not sa.inspect(conn).has_table("alembic_version"):
        return None
    return conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()


def _config(conn: sa.Connection | None) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if conn is not None:
        config.attributes["connection"] = conn
    return config


def upgrade(conn: sa.Connection) -> bool:
    """Bring the database to the head revision, in `conn`'s transaction (the caller holds the
    lock that keeps two processes from doing it at once). Returns whether this made the caps
    table, so that an earlier version's caps file is to be carried into it. Raises NewerSchema."""
    from alembic import command
    from alembic.script import ScriptDirectory

    current = revision(conn)
    made_caps = False
    if current is None:
        legacy = _legacy_version(conn) if conn.dialect.name == "sqlite" else None
        if legacy is None:  # an empty database: the baseline makes it
            made_caps = True
        else:
            for statements in LEGACY[legacy:]:
                for statement in statements:
                    conn.exec_driver_sql(statement)
            command.stamp(_config(conn), BASELINE)
            made_caps = legacy < CAPS_MIGRATION
    elif current not in {script.revision for script in ScriptDirectory(str(MIGRATIONS)).walk_revisions()}:
        raise NewerSchema(current)
    command.upgrade(_config(conn), "head")
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql(f"PRAGMA user_version = {ALEMBIC_ERA}")
    return made_caps


def _legacy_version(conn: sa.Connection) -> int | None:
    """The user_version of a SQLite file made before Alembic; None for an empty file."""
    version = int(conn.exec_driver_sql("PRAGMA user_version").scalar_one())
    if version > len(LEGACY):
        raise NewerSchema(version)
    if version == 0 and not sa.inspect(conn).get_table_names():
        return None
    return version


def new_revision(message: str) -> None:
    """Write a new, empty revision after the head, to fill in (for developers)."""
    from alembic import command

    command.revision(_config(None), message, rev_id=f"{int(head()) + 1:04d}")


if __name__ == "__main__":
    new_revision(" ".join(sys.argv[1:]) or "change")
