"""SQLite: drafts and jobs (spend is derived from jobs). The only module that writes SQL.

Safe to share between the UI and worker threads: one connection used under one lock (see
`Store.__init__`), in WAL mode so another process can read while this one writes. No key is ever stored: jobs hold the storyboard, the quote
and the provider's answers, never request headers.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from storyboard import job_states
from storyboard.models import Job, JobState, ModelId, ProviderId, Storyboard, utcnow

SCHEMA = """
CREATE TABLE IF NOT EXISTS drafts (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    body TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS jobs (
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
);
CREATE INDEX IF NOT EXISTS jobs_state ON jobs(state);
CREATE INDEX IF NOT EXISTS jobs_created ON jobs(created_at);
-- Deleted takes: their keys are never used again, and what they cost still counts as spent.
CREATE TABLE IF NOT EXISTS deleted_jobs (
    id TEXT PRIMARY KEY,
    idempotency_key TEXT NOT NULL UNIQUE,
    storyboard_id TEXT NOT NULL,
    provider TEXT NOT NULL,
    state TEXT NOT NULL,
    cost TEXT NOT NULL,
    created_at TEXT NOT NULL,
    deleted_at TEXT NOT NULL
);
"""

# States in which money may have been spent: the quote counts towards spend. So does a FAILED take
# whose details say `charged` (the provider made it, but its video could not be saved).
BILLABLE = (JobState.RUNNING, JobState.DOWNLOADING, JobState.DONE, JobState.UNKNOWN)
CHARGED_SQL = "json_extract(details, '$.charged') = 1"


class Store:
    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        # One connection, used under one lock by every thread: Streamlit runs each rerun in a new
        # thread, so per-thread connections would be opened (and leaked) on every rerun.
        self._db = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)
        self._db.row_factory = sqlite3.Row
        self._lock = threading.RLock()
        with self._lock:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")  # a committed job row survives a power cut
            self._db.executescript(SCHEMA)

    def _read(self, sql: str, args: Sequence[Any] = ()) -> list[sqlite3.Row]:
        with self._lock:
            return self._db.execute(sql, args).fetchall()

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    # ---- drafts --------------------------------------------------------------------------------

    def save_draft(self, storyboard: Storyboard) -> None:
        with self._tx() as db:
            db.execute(
                "INSERT INTO drafts(id, name, body, updated_at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT(id) DO UPDATE SET name=excluded.name, body=excluded.body, updated_at=excluded.updated_at",
                (storyboard.id, storyboard.name, storyboard.model_dump_json(), utcnow().isoformat()),
            )

    def load_draft(self, draft_id: str) -> Storyboard | None:
        rows = self._read("SELECT body FROM drafts WHERE id = ?", (draft_id,))
        return Storyboard.model_validate_json(rows[0]["body"]) if rows else None

    def latest_draft(self) -> Storyboard | None:
        rows = self._read("SELECT body FROM drafts ORDER BY updated_at DESC LIMIT 1")
        return Storyboard.model_validate_json(rows[0]["body"]) if rows else None

    def recent_drafts(self, limit: int = 20) -> list[tuple[str, str, str]]:
        """(id, name, updated_at) of the most recently edited drafts."""
        rows = self._read(
            "SELECT id, name, updated_at FROM drafts ORDER BY updated_at DESC LIMIT ?", (limit,)
        )
        return [(r["id"], r["name"], r["updated_at"]) for r in rows]

    # ---- jobs ----------------------------------------------------------------------------------

    def create_job(self, job: Job) -> tuple[Job, bool]:
        """Insert the job before anything is sent. Returns (job, created); an existing row with
        the same idempotency key is returned instead of a second one."""
        with self._tx() as db:
            cur = db.execute(
                "INSERT OR IGNORE INTO jobs(id, idempotency_key, storyboard_id, provider, model, state, cost,"
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
            created = cur.rowcount == 1
        if created:
            return job, True
        existing = self.job_by_key(job.idempotency_key)
        assert existing is not None
        return existing, False

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
                " deleted_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    row["id"],
                    row["idempotency_key"],
                    row["storyboard_id"],
                    row["provider"],
                    row["state"],
                    row["cost"],
                    row["created_at"],
                    utcnow().isoformat(),
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

    def spend_by_provider(self, since: datetime | None = None) -> dict[ProviderId, Decimal]:
        marks = ",".join("?" * len(BILLABLE))
        sql = f"SELECT provider, cost, created_at FROM jobs WHERE (state IN ({marks}) OR {CHARGED_SQL})"
        sql += f" UNION ALL SELECT provider, cost, created_at FROM deleted_jobs WHERE state IN ({marks})"
        args: list[Any] = [s.value for s in BILLABLE] * 2
        if since is not None:
            sql = f"SELECT provider, cost FROM ({sql}) WHERE created_at >= ?"
            args.append(since.isoformat())
        totals: dict[ProviderId, Decimal] = {}
        for row in self._read(sql, args):
            provider = ProviderId(row["provider"])
            totals[provider] = totals.get(provider, Decimal(0)) + Decimal(row["cost"])
        return totals

    def spend_in(self, states: Iterable[JobState], since: datetime | None = None) -> Decimal:
        """The quoted cost of the jobs in `states` (and of charged failed ones), created since `since`."""
        values = [s.value for s in states]
        # `+state`: the state index would visit most rows; created_at's visits only these.
        sql = f"SELECT cost FROM jobs WHERE (+state IN ({','.join('?' * len(values))}) OR {CHARGED_SQL})"
        args: list[Any] = list(values)
        if since is not None:
            sql += " AND created_at >= ?"
            args.append(since.isoformat())
        return sum((Decimal(r["cost"]) for r in self._read(sql, args)), Decimal(0))

    def spend_by_day(self, since: datetime) -> list[tuple[str, ProviderId, Decimal]]:
        """(UTC day 'YYYY-MM-DD', provider, spend) of billable jobs created since `since`, oldest first."""
        marks = ",".join("?" * len(BILLABLE))
        rows = self._read(
            "SELECT substr(created_at, 1, 10) AS day, provider, SUM(CAST(cost AS REAL)) AS usd FROM jobs"
            f" WHERE (+state IN ({marks}) OR {CHARGED_SQL}) AND created_at >= ? GROUP BY day, provider ORDER BY day, provider",
            [*(s.value for s in BILLABLE), since.isoformat()],
        )
        # Costs have at most 3 decimals (catalog rates x whole seconds): rounding the sum is exact.
        return [(r["day"], ProviderId(r["provider"]), Decimal(f"{r['usd']:.3f}")) for r in rows]
