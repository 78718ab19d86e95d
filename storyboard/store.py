"""SQLite: drafts, jobs, what deleted takes cost, and the spending caps. The only module that
writes SQL.

Safe to share between the UI and worker threads: one connection, used under one lock by every
thread (Streamlit runs each rerun in a new thread, so per-thread connections would be opened, and
leaked, on every rerun); WAL mode lets other processes read while one writes. No key is ever
stored: jobs hold the storyboard, the quote and the provider's answers, never request headers.

The schema is versioned (`PRAGMA user_version`): `MIGRATIONS` run in order, each once, in one
transaction with the version bump, so a database from any earlier version is upgraded in place.
Any SQLite failure reaches callers as `StorageProblem`, one sentence that says what to do.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from storyboard import job_states
from storyboard.budget import (
    BILLED,
    COUNTED,
    Budget,
    Caps,
    CapsRecord,
    caps_from_record,
    caps_to_record,
    record_from_legacy_file,
)
from storyboard.layout import DataDir
from storyboard.models import Job, JobState, ModelId, ProviderId, Storyboard, utcnow
from storyboard.salvage import salvage
from storyboard.settings import DATA_DIR_ENV

log = logging.getLogger(__name__)

# States in which money may have been spent (a take's Compare view reads this). What counts
# towards the caps, the chart and the totals is `_billable` below.
BILLABLE = BILLED

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
    # Deleted takes: their keys are never used again, and what they cost still counts as spent.
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
    # A deleted take keeps its details, so whatever marks a take as paid still counts it.
    "ALTER TABLE deleted_jobs ADD COLUMN details TEXT NOT NULL DEFAULT '{}'",
    "CREATE INDEX IF NOT EXISTS deleted_jobs_created ON deleted_jobs(created_at)",
    # The spending caps, beside the spend they are checked against (one row; budget.py reads it).
    """CREATE TABLE caps (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        daily TEXT,
        session TEXT,
        session_since TEXT,
        damaged INTEGER NOT NULL DEFAULT 0
    )""",
]
MIGRATIONS: list[list[str]] = [V1, V2]  # index + 1 is the user_version each one leaves
CAPS_MIGRATION = 2  # the version that moved the caps from budget.json into the database

# A take that FAILED after the provider had it and billed it (its result link expired before the
# app could save it) still cost money. The runner marks such a take in its details; this is the one
# condition that names that marker (SQL on a row's `details`), in the one definition of spend below.
PAID_THOUGH_FAILED = "json_extract(details, '$.charged') = 1"


def _billable(where: str) -> str:
    """The one definition of spend: (provider, cost, created_at) of every take that counts, deleted
    or not, filtered by `where` (its `?` marks are bound twice: once per table)."""
    counted = ",".join(f"'{s.value}'" for s in COUNTED)
    paid = f"(+state IN ({counted}) OR (state = '{JobState.FAILED.value}' AND {PAID_THOUGH_FAILED}))"
    return (
        f"SELECT provider, cost, created_at FROM jobs WHERE {paid} AND {where}"
        f" UNION ALL SELECT provider, cost, created_at FROM deleted_jobs WHERE {paid} AND {where}"
    )


class StorageProblem(Exception):
    """The data dir or its database cannot be used; the message is one sentence saying what to do."""


class CapRefused(Exception):
    """The new takes would pass a spending cap: nothing was written. The message says why."""


@dataclass(frozen=True)
class OpenedDraft:
    storyboard: Storyboard
    problem: str | None = None  # what could not be read, when the saved draft no longer validates


def problem_sentence(exc: BaseException, db: Path) -> str:
    """One sentence for a storage failure, saying what to do."""
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
    if primary in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
        return f"The database {db} stayed locked by another program: close that program, then try again."
    if primary == sqlite3.SQLITE_IOERR:
        return f"Reading or writing {db} failed with a disk error: check the disk, then try again."
    return (
        f"Storyboard Studio cannot write to {root}: give it write access, or set {DATA_DIR_ENV} to a folder "
        "it can write to."
    )


class Store:
    def __init__(self, path: Path, *, legacy_caps: Path | None = None) -> None:
        """Open (or create) the database at `path` and bring its schema up to date. `legacy_caps`:
        an earlier version's caps file, copied into the database by the migration that moved them."""
        self.path = path
        self._lock = threading.RLock()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)
        except (OSError, sqlite3.Error) as exc:
            raise StorageProblem(problem_sentence(exc, path)) from exc
        self._db.row_factory = sqlite3.Row
        try:
            with self._lock:
                self._db.execute("PRAGMA journal_mode=WAL")
                self._db.execute("PRAGMA synchronous=FULL")  # a committed job row survives a power cut
            self._migrate(legacy_caps)
        except sqlite3.Error as exc:
            self._db.close()
            raise self._fail(exc) from exc
        except BaseException:
            self._db.close()
            raise

    @classmethod
    def for_data_dir(cls, root: Path) -> Store:
        """The data dir's database, with an earlier version's caps file carried into it: how the app
        (and any worker process beside it) opens the store."""
        layout = DataDir(root)
        return cls(layout.db, legacy_caps=layout.legacy_caps)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def _fail(self, exc: sqlite3.Error) -> StorageProblem:
        log.warning("storage failure on %s: %s", self.path, exc)
        return StorageProblem(problem_sentence(exc, self.path))

    def _read(self, sql: str, args: Sequence[Any] = ()) -> list[sqlite3.Row]:
        with self._lock:
            try:
                return self._db.execute(sql, args).fetchall()
            except sqlite3.Error as exc:
                raise self._fail(exc) from exc

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        """One write transaction, taken at once (IMMEDIATE): other processes wait for it."""
        with self._lock:
            try:
                self._db.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as exc:
                raise self._fail(exc) from exc
            try:
                yield self._db
                self._db.execute("COMMIT")
            except BaseException as exc:
                if self._db.in_transaction:
                    self._db.execute("ROLLBACK")
                if isinstance(exc, sqlite3.Error):
                    raise self._fail(exc) from exc
                raise

    # ---- schema --------------------------------------------------------------------------------

    def _migrate(self, legacy_caps: Path | None) -> None:
        version = self._read("PRAGMA user_version")[0][0]
        if version > len(MIGRATIONS):
            raise StorageProblem(
                f"The database {self.path} was written by a newer version of Storyboard Studio: update the app, "
                f"or set {DATA_DIR_ENV} to another folder."
            )
        if version == len(MIGRATIONS):
            return
        legacy = _read_legacy_caps(legacy_caps) if legacy_caps is not None else None
        with self._tx() as db:
            version = db.execute("PRAGMA user_version").fetchone()[0]  # another process may have done it
            for number in range(version + 1, len(MIGRATIONS) + 1):
                for statement in MIGRATIONS[number - 1]:
                    db.execute(statement)
                if number == CAPS_MIGRATION and legacy is not None:
                    self._write_caps(db, legacy)
            db.execute(f"PRAGMA user_version = {len(MIGRATIONS)}")  # with the tables, or not at all
        if legacy is not None and legacy_caps is not None:
            # no longer read; kept under another name so nothing the person wrote is lost
            with suppress(OSError):
                legacy_caps.replace(legacy_caps.with_name(legacy_caps.name + ".migrated"))

    def schema_version(self) -> int:
        return int(self._read("PRAGMA user_version")[0][0])

    # ---- drafts --------------------------------------------------------------------------------

    def save_draft(self, storyboard: Storyboard) -> None:
        with self._tx() as db:
            db.execute(
                "INSERT INTO drafts(id, name, body, updated_at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT(id) DO UPDATE SET name=excluded.name, body=excluded.body, updated_at=excluded.updated_at",
                (storyboard.id, storyboard.name, storyboard.model_dump_json(), utcnow().isoformat()),
            )

    def open_draft(self, draft_id: str | None = None) -> OpenedDraft | None:
        """A draft (the last edited one when `draft_id` is None), or None if there is none. A draft
        that no longer validates opens with what could be read, and the problem named."""
        if draft_id is None:
            rows = self._read("SELECT id, name, body FROM drafts ORDER BY updated_at DESC LIMIT 1")
        else:
            rows = self._read("SELECT id, name, body FROM drafts WHERE id = ?", (draft_id,))
        if not rows:
            return None
        sb, problem = salvage(rows[0]["body"], rows[0]["id"], rows[0]["name"])
        if problem:
            log.warning("draft %s: %s", rows[0]["id"], problem)
        return OpenedDraft(sb, problem)

    def load_draft(self, draft_id: str) -> Storyboard | None:
        opened = self.open_draft(draft_id)
        return opened.storyboard if opened else None

    def latest_draft(self) -> Storyboard | None:
        opened = self.open_draft()
        return opened.storyboard if opened else None

    def recent_drafts(self, limit: int = 20) -> list[tuple[str, str, str]]:
        """(id, name, updated_at) of the most recently edited drafts."""
        rows = self._read(
            "SELECT id, name, updated_at FROM drafts ORDER BY updated_at DESC LIMIT ?", (limit,)
        )
        return [(r["id"], r["name"], r["updated_at"]) for r in rows]

    def delete_draft(self, draft_id: str) -> None:
        """Forget a draft. Its takes stay: each keeps the storyboard it was made from."""
        with self._tx() as db:
            db.execute("DELETE FROM drafts WHERE id = ?", (draft_id,))

    # ---- spending caps ---------------------------------------------------------------------------

    def caps(self) -> Caps:
        """The saved caps (`Caps(damaged=True)` when the record holds anything but what was written)."""
        with self._lock:
            try:
                return self._caps(self._db)
            except sqlite3.Error as exc:
                raise self._fail(exc) from exc

    def update_caps(self, change: Callable[[Caps], Caps]) -> Caps:
        """Read, change and write the caps in one transaction: two tabs or two processes changing
        them at once each see the other's change, and none is lost."""
        with self._tx() as db:
            caps = change(self._caps(db))
            self._write_caps(db, caps_to_record(caps))
        return caps

    @staticmethod
    def _caps(db: sqlite3.Connection) -> Caps:
        row = db.execute("SELECT daily, session, session_since, damaged FROM caps WHERE id = 1").fetchone()
        if row is None:
            return Caps()
        values = [row["daily"], row["session"], row["session_since"]]
        if any(v is not None and not isinstance(v, str) for v in values):
            return Caps(damaged=True)
        daily, session, since = values
        return caps_from_record(CapsRecord(daily, session, since, damaged=bool(row["damaged"])))

    @staticmethod
    def _write_caps(db: sqlite3.Connection, record: CapsRecord) -> None:
        db.execute(
            "INSERT OR REPLACE INTO caps(id, daily, session, session_since, damaged) VALUES (1, ?, ?, ?, ?)",
            (record.daily, record.session, record.session_since, int(record.damaged)),
        )

    # ---- jobs ----------------------------------------------------------------------------------

    def create_jobs(self, jobs: Sequence[Job]) -> list[tuple[Job, bool]]:
        """Write the takes' rows before anything is sent, after checking the saved caps against
        what is spent plus the new takes' total, all in ONE transaction: two sessions or two
        processes cannot both pass a cap. Returns (job, created) for each; a take whose
        idempotency key is already there is found (and not counted again), not written twice.
        Raises CapRefused (nothing written) when the new takes would pass a cap."""
        with self._tx() as db:
            found: dict[str, Job] = {}
            for job in jobs:
                row = db.execute(
                    "SELECT body FROM jobs WHERE idempotency_key = ?", (job.idempotency_key,)
                ).fetchone()
                if row is not None:
                    found[job.idempotency_key] = Job.model_validate_json(row["body"])
            new = [job for job in jobs if job.idempotency_key not in found]
            amount = sum((job.quote.total for job in new), Decimal(0))
            if amount > 0:
                verified = all(job.quote.verified for job in new)
                refused = Budget(self._caps(db)).check(self, amount, verified=verified, takes=len(new))
                if refused:
                    raise CapRefused(refused)
            for job in new:
                db.execute(
                    "INSERT INTO jobs(id, idempotency_key, storyboard_id, provider, model, state, cost,"
                    " body, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        job.id,
                        job.idempotency_key,
                        job.storyboard.id,
                        job.provider.value,
                        job.model.value,
                        job.state.value,
                        str(job.quote.total),
                        job.model_dump_json(),
                        job.created_at.isoformat(),
                        job.updated_at.isoformat(),
                    ),
                )
        return [
            (found[job.idempotency_key], False) if job.idempotency_key in found else (job, True)
            for job in jobs
        ]

    def create_job(self, job: Job) -> tuple[Job, bool]:
        """One take through `create_jobs` (the caps apply to it as to any)."""
        return self.create_jobs([job])[0]

    def update_job(self, job_id: str, details: dict[str, Any] | None = None, **changes: Any) -> Job:
        """Change a job's fields (never its state: see `transition`) and merge into its details, in
        ONE transaction, and return it."""
        if "state" in changes:
            raise TypeError(
                "update_job does not change a job's state; use transition(job_id, from_states, ...)."
            )
        job = self.transition(job_id, None, details, **changes)
        assert job is not None
        return job

    def transition(
        self,
        job_id: str,
        from_states: Iterable[JobState] | None,
        details: dict[str, Any] | None = None,
        **changes: Any,
    ) -> Job | None:
        """Compare-and-set: apply the changes only if the job is in one of `from_states` (any state
        when None). Returns the changed job, or None when it was not in those states. This is how
        exactly one of "submit" and "cancel" wins, whichever thread or process asks first.
        A change of state must be one `job_states.ALLOWED` lists (IllegalTransition otherwise)."""
        with self._tx() as db:
            row = db.execute("SELECT body, details FROM jobs WHERE id = ?", (job_id,)).fetchone()
            if row is None:
                raise KeyError(job_id)
            job = Job.model_validate_json(row["body"])
            if from_states is not None and job.state not in set(from_states):
                return None
            if "state" in changes:  # the same state again is refused too: a second claim never wins
                job_states.check(job.state, JobState(changes["state"]))
            job = Job.model_validate({**job.model_dump(), **changes, "updated_at": utcnow()})
            merged = {**json.loads(row["details"]), **(details or {})}
            db.execute(
                "UPDATE jobs SET state = ?, body = ?, details = ?, updated_at = ? WHERE id = ?",
                (
                    job.state.value,
                    job.model_dump_json(),
                    json.dumps(merged, default=str),
                    job.updated_at.isoformat(),
                    job_id,
                ),
            )
        return job

    def details(self, job_id: str) -> dict[str, Any]:
        """Provider answers and other raw facts about a job, for its details panel (never keys)."""
        rows = self._read("SELECT details FROM jobs WHERE id = ?", (job_id,))
        return json.loads(rows[0]["details"]) if rows else {}

    def get_job(self, job_id: str) -> Job | None:
        rows = self._read("SELECT body FROM jobs WHERE id = ?", (job_id,))
        return Job.model_validate_json(rows[0]["body"]) if rows else None

    def job_by_key(self, key: str) -> Job | None:
        rows = self._read("SELECT body FROM jobs WHERE idempotency_key = ?", (key,))
        return Job.model_validate_json(rows[0]["body"]) if rows else None

    def jobs_with_key_prefix(self, prefix: str) -> list[Job]:
        # A range on the unique index instead of substr(), which would scan every row.
        rows = self._read(
            "SELECT body FROM jobs WHERE idempotency_key >= ? AND idempotency_key < ? ORDER BY created_at",
            (prefix, prefix + "\U0010ffff"),
        )
        return [Job.model_validate_json(r["body"]) for r in rows]

    def retired_keys_with_prefix(self, prefix: str) -> list[str]:
        """Idempotency keys of deleted takes: never handed out again."""
        rows = self._read(
            "SELECT idempotency_key FROM deleted_jobs WHERE idempotency_key >= ? AND idempotency_key < ?",
            (prefix, prefix + "\U0010ffff"),
        )
        return [r["idempotency_key"] for r in rows]

    def delete_job(self, job_id: str, from_states: Iterable[JobState]) -> Job | None:
        """Delete a take's row if it is in one of `from_states` (checked in the same transaction).
        Returns the deleted job, or None when it was in another state. Its key and cost are kept."""
        with self._tx() as db:
            row = db.execute("SELECT * FROM jobs WHERE id = ?", (job_id,)).fetchone()
            if row is None:
                raise KeyError(job_id)
            job = Job.model_validate_json(row["body"])
            if job.state not in set(from_states):
                return None
            db.execute(
                "INSERT INTO deleted_jobs(id, idempotency_key, storyboard_id, provider, state, cost, created_at,"
                " deleted_at, details) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    row["id"],
                    row["idempotency_key"],
                    row["storyboard_id"],
                    row["provider"],
                    row["state"],
                    row["cost"],
                    row["created_at"],
                    utcnow().isoformat(),
                    row["details"],
                ),
            )
            db.execute("DELETE FROM jobs WHERE id = ?", (job_id,))
        return job

    def list_jobs(self, storyboard_id: str | None = None, limit: int = 200) -> list[Job]:
        if storyboard_id:
            rows = self._read(
                "SELECT body FROM jobs WHERE storyboard_id = ? ORDER BY created_at DESC LIMIT ?",
                (storyboard_id, limit),
            )
        else:
            rows = self._read("SELECT body FROM jobs ORDER BY created_at DESC LIMIT ?", (limit,))
        return [Job.model_validate_json(r["body"]) for r in rows]

    def unfinished_jobs(self) -> list[Job]:
        finished = tuple(s.value for s in JobState if s.finished)
        marks = ",".join("?" * len(finished))
        rows = self._read(f"SELECT body FROM jobs WHERE state NOT IN ({marks}) ORDER BY created_at", finished)
        return [Job.model_validate_json(r["body"]) for r in rows]

    def recent_seconds(self, provider: ProviderId, model: ModelId, last: int = 10) -> list[float]:
        """How long recent takes of this provider and model took from submit to result (seconds,
        newest first): the poll plan goes by their spread, not by one typical figure."""
        rows = self._read(
            "SELECT json_extract(details, '$.generation_seconds') AS took FROM jobs WHERE provider = ? AND model = ?"
            " AND state = ? AND took IS NOT NULL ORDER BY created_at DESC LIMIT ?",
            (provider.value, model.value, JobState.DONE.value, last),
        )
        return [float(r["took"]) for r in rows]

    # ---- spend: every figure below reads `_billable`, the one definition ------------------------

    def spend_since(self, since: datetime) -> Decimal:
        """What the takes started since `since` count for (the caps' figure)."""
        rows = self._read(f"SELECT cost FROM ({_billable('created_at >= ?')})", [since.isoformat()] * 2)
        return sum((Decimal(r["cost"]) for r in rows), Decimal(0))

    def spend_by_provider(self, since: datetime | None = None) -> dict[ProviderId, Decimal]:
        where, args = ("created_at >= ?", [since.isoformat()] * 2) if since is not None else ("1", [])
        totals: dict[ProviderId, Decimal] = {}
        for row in self._read(f"SELECT provider, cost FROM ({_billable(where)})", args):
            provider = ProviderId(row["provider"])
            totals[provider] = totals.get(provider, Decimal(0)) + Decimal(row["cost"])
        return totals

    def spend_by_day(self, since: datetime) -> list[tuple[str, ProviderId, Decimal]]:
        """(UTC day 'YYYY-MM-DD', provider, spend) of the takes that count, started since `since`,
        oldest first (the Takes chart)."""
        rows = self._read(
            "SELECT substr(created_at, 1, 10) AS day, provider, SUM(CAST(cost AS REAL)) AS usd"
            f" FROM ({_billable('created_at >= ?')}) GROUP BY day, provider ORDER BY day, provider",
            [since.isoformat()] * 2,
        )
        # Costs have at most 3 decimals (catalog rates x whole seconds): rounding the sum is exact.
        return [(r["day"], ProviderId(r["provider"]), Decimal(f"{r['usd']:.3f}")) for r in rows]


def _read_legacy_caps(path: Path) -> CapsRecord | None:
    """An earlier version's caps file as a record; None when there is none. A file that is there
    but cannot be read gives a damaged record: paid takes wait until the caps are set again."""
    try:
        text = path.read_text()
    except FileNotFoundError:
        return None
    except OSError:
        return CapsRecord(damaged=True)
    try:
        saved: object = json.loads(text)
    except ValueError:
        saved = None
    return record_from_legacy_file(saved)
