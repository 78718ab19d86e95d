"""Drafts, jobs, what deleted takes cost, and the spending caps: the only module that reads and
writes rows (SQLAlchemy Core), on SQLite in the data dir or on PostgreSQL.

Safe to share between the UI and worker threads, and between processes on one database: every
write that checks before it changes (a claim, the caps check with the takes it admits, the caps'
read-change-write) is one transaction that holds the lock its check needs: on SQLite the database
write lock (BEGIN IMMEDIATE), on PostgreSQL the job's row (SELECT ... FOR UPDATE) or the spend
lock (a transaction-scoped advisory lock that whoever checks or changes the caps takes first).
No key is ever stored: jobs hold the storyboard, the quote and the provider's answers, never
request headers. Any database failure reaches callers as `StorageProblem`, one sentence that
says what to do.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, suppress
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from storyboard import job_states, settings
from storyboard.budget import (
    BILLED,
    COUNTED,
    Budget,
    Caps,
    CapsRecord,
    Spent,
    caps_from_record,
    caps_to_record,
    day_start,
    person_refusal,
    record_from_legacy_file,
)
from storyboard.catalog import PROVIDERS
from storyboard.layout import DataDir
from storyboard.models import UNTITLED, Job, JobState, ModelId, ProviderId, Storyboard, format_usd, utcnow
from storyboard.people import SOLO, Actor
from storyboard.permissions import Action, check
from storyboard.salvage import salvage
from storyboard.store import engines, schema
from storyboard.store.people import People, record
from storyboard.store.presence import Presence
from storyboard.store.problems import FAILURES, StorageProblem, newer_sentence, problem_sentence
from storyboard.store.reviews import Reviews
from storyboard.store.tables import caps as caps_table
from storyboard.store.tables import deleted_jobs, drafts, jobs, members

if TYPE_CHECKING:
    from storyboard.store.holds import Holds

log = logging.getLogger(__name__)

# States in which money may have been spent (a take's Compare view reads this). What counts
# towards the caps, the chart and the totals is `_billable` below.
BILLABLE = BILLED

SPEND_LOCK = 0x5B_5EED  # PostgreSQL advisory lock: held while the caps are checked or changed
MIGRATION_LOCK = 0x5B_0001  # PostgreSQL advisory lock: held while the schema is upgraded
WAKE_CHANNEL = "storyboard_wake"  # PostgreSQL NOTIFY channel: a take id, to wake whoever drives it


# ---- SQL that differs between the engines ----------------------------------------------------------


class _charged(FunctionElement[Any]):
    """A take that FAILED after the provider had it and billed it (its result link expired before
    the app could save it) still cost money. The runner marks such a take in its details; this is
    the one condition that names that marker, in the one definition of spend below."""

    type = sa.types.NullType()  # not Boolean: SQLite would be given "= 1" after it
    inherit_cache = True


@compiles(_charged, "sqlite")
def _charged_sqlite(element: _charged, compiler: SQLCompiler, **kw: Any) -> str:
    return f"json_extract({compiler.process(element.clauses, **kw)}, '$.charged') = 1"


@compiles(_charged, "postgresql")
def _charged_postgres(element: _charged, compiler: SQLCompiler, **kw: Any) -> str:
    # json, not jsonb: parsed as written, only the field read
    return f"(CAST({compiler.process(element.clauses, **kw)} AS JSON) ->> 'charged') IN ('true', '1')"


class _generation_seconds(FunctionElement[float]):
    """How long a take took from submit to result, from its details (NULL when not noted)."""

    type = sa.Float()
    inherit_cache = True


@compiles(_generation_seconds, "sqlite")
def _seconds_sqlite(element: _generation_seconds, compiler: SQLCompiler, **kw: Any) -> str:
    return f"json_extract({compiler.process(element.clauses, **kw)}, '$.generation_seconds')"


@compiles(_generation_seconds, "postgresql")
def _seconds_postgres(element: _generation_seconds, compiler: SQLCompiler, **kw: Any) -> str:
    details = compiler.process(element.clauses, **kw)
    return f"CAST(CAST({details} AS JSON) ->> 'generation_seconds' AS DOUBLE PRECISION)"


class _unindexed(FunctionElement[str]):
    """A column SQLite must not pick an index for (`+column`): the spend queries go by the
    created_at index, which narrows far more than the state one."""

    type = sa.Text()
    inherit_cache = True


@compiles(_unindexed)
def _unindexed_any(element: _unindexed, compiler: SQLCompiler, **kw: Any) -> str:
    return compiler.process(element.clauses, **kw)


@compiles(_unindexed, "sqlite")
def _unindexed_sqlite(element: _unindexed, compiler: SQLCompiler, **kw: Any) -> str:
    return f"+{compiler.process(element.clauses, **kw)}"


class _decimal_sum(FunctionElement[str]):
    """The exact sum of decimal-string costs, as a decimal string (NULL over no rows): summed where
    the rows are, so a total over 100,000 takes is one row sent, not 100,000 (bench/caps_check.py)."""

    type = sa.Text()
    inherit_cache = True


@compiles(_decimal_sum, "sqlite")
def _decimal_sum_sqlite(element: _decimal_sum, compiler: SQLCompiler, **kw: Any) -> str:
    # SQLite has no exact decimal type: engines.py gives each connection this aggregate, in Python
    return f"{engines.DECIMAL_SUM}({compiler.process(element.clauses, **kw)})"


@compiles(_decimal_sum, "postgresql")
def _decimal_sum_postgres(element: _decimal_sum, compiler: SQLCompiler, **kw: Any) -> str:
    return f"CAST(sum(CAST({compiler.process(element.clauses, **kw)} AS NUMERIC)) AS TEXT)"


def _billable(since: bool, *, author: bool = False, people: bool = False) -> sa.Subquery:
    """The one definition of spend: (provider, cost, created_at) of every take that counts,
    deleted or not; started since the `since` parameter when `since` (all when not).
    A take counts by its state, or (FAILED) by its charged marker: two parts per table, so the
    first, nearly every take, reads only columns of the jobs_spend index (an index-only scan;
    migration 0002) and only failed takes' rows are visited for their details.
    `author`: only the takes the `author` parameter started (a person's own cap; the
    jobs_author_spend index, migration 0004); `people`: with an `author` column, to sum per person."""
    # constants, written into the SQL (a list of parameters would be expanded on every run)
    counted: list[sa.ColumnElement[str]] = [sa.literal_column(f"'{s.value}'") for s in COUNTED]
    failed: sa.ColumnElement[str] = sa.literal_column(f"'{JobState.FAILED.value}'")
    parts = []
    for table in (jobs, deleted_jobs):
        for paid in (
            _unindexed(table.c.state).in_(counted),
            sa.and_(table.c.state == failed, _charged(table.c.details)),
        ):
            columns = [table.c.provider, table.c.cost, table.c.created_at]
            part = sa.select(*columns, *([table.c.author] if people else [])).where(paid)
            if author:
                part = part.where(table.c.author == sa.bindparam("author", type_=sa.Text()))
            if since:
                part = part.where(table.c.created_at >= sa.bindparam("since", type_=sa.Text()))
            parts.append(part)
    return sa.union_all(*parts).subquery("billable")


# Built once: the caps are checked on every rerun of the editor, and building a statement costs
# more than running it.
_SINCE, _EVER = _billable(since=True), _billable(since=False)
_SPEND_SINCE = sa.select(_decimal_sum(_SINCE.c.cost))
_SPENDS_SINCE = sa.select(  # two totals in one pass over the takes since the earlier moment
    *(
        _decimal_sum(sa.case((_SINCE.c.created_at >= sa.bindparam(name, type_=sa.Text()), _SINCE.c.cost)))
        for name in ("first", "second")
    )
)
_SPEND_BY_PROVIDER = {
    True: sa.select(_SINCE.c.provider, _decimal_sum(_SINCE.c.cost).label("cost")).group_by(_SINCE.c.provider),
    False: sa.select(_EVER.c.provider, _decimal_sum(_EVER.c.cost).label("cost")).group_by(_EVER.c.provider),
}
_BY_ONE = _billable(since=True, author=True)
_SPEND_SINCE_BY = sa.select(_decimal_sum(_BY_ONE.c.cost))
_PEOPLE_SINCE, _PEOPLE_EVER = _billable(since=True, people=True), _billable(since=False, people=True)
_SPEND_BY_PERSON = {
    since: sa.select(t.c.author, t.c.provider, _decimal_sum(t.c.cost).label("cost")).group_by(
        t.c.author, t.c.provider
    )
    for since, t in ((True, _PEOPLE_SINCE), (False, _PEOPLE_EVER))
}
_DAY = sa.func.substr(_SINCE.c.created_at, sa.literal_column("1"), sa.literal_column("10")).label("day")
_SPEND_BY_DAY = (
    sa.select(_DAY, _SINCE.c.provider, sa.func.sum(sa.cast(_SINCE.c.cost, sa.Float)).label("usd"))
    .group_by(_DAY, _SINCE.c.provider)
    .order_by(_DAY, _SINCE.c.provider)
)


def _details_text(details: dict[str, Any]) -> str:
    """Details as JSON text, with any NUL character (a garbled provider answer) replaced: PostgreSQL
    cannot read "\\u0000" in JSON, and one such row would stop every spend query."""

    def clean(value: Any) -> Any:
        if isinstance(value, str):
            return value.replace("\x00", "\ufffd")
        if isinstance(value, dict):
            return {clean(k): clean(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [clean(v) for v in value]
        return value

    return json.dumps(clean(details), default=str)


# ---- the store ---------------------------------------------------------------------------------------


class CapRefused(Exception):
    """The new takes would pass a spending cap: nothing was written. The message says why."""


@dataclass(frozen=True)
class OpenedDraft:
    storyboard: Storyboard
    problem: str | None = None  # what could not be read, when the saved draft no longer validates
    version: int = 1  # the draft's saved version (a save names the one it was made from)
    updated_by: str = ""  # the email of whoever saved it last ("" = people.SOLO)
    updated_by_name: str = ""  # their name as a member, else their email, else ""
    updated_at: str = ""


class DraftChanged(Exception):
    """A save made from an older version of a draft: someone (or another tab) saved it since.
    Nothing was written; `theirs` is the draft as it is now."""

    def __init__(self, theirs: OpenedDraft) -> None:
        super().__init__(f"draft {theirs.storyboard.id} is at version {theirs.version}")
        self.theirs = theirs


@dataclass(frozen=True)
class ListedDraft:
    id: str
    name: str
    updated_at: str
    storyboard: Storyboard | None  # read only when untitled (Store.listed_drafts)


@dataclass(frozen=True)
class _SpendIn:
    """The spend as seen by the transaction that checks the caps against it."""

    conn: sa.Connection

    def spend_since(self, since: datetime) -> Decimal:
        return _spend_since(self.conn, since)

    def spends_since(self, first: datetime | None, second: datetime | None) -> tuple[Decimal, Decimal]:
        return _spends_since(self.conn, first, second)


def _usd(total: str | None) -> Decimal:
    return Decimal(total) if total is not None else Decimal(0)


def _spend_since(conn: sa.Connection, since: datetime) -> Decimal:
    return _usd(conn.execute(_SPEND_SINCE, {"since": since.isoformat()}).scalar())


def _spends_since(conn: sa.Connection, first: datetime | None, second: datetime | None) -> tuple[Decimal, Decimal]:
    """(spend since `first`, spend since `second`), 0 for None, in ONE query: the takes since the
    earlier are read once and each total sums its own (the editor reads today's and the session's
    spend on every rerun with both caps set; two queries read the session's takes twice)."""
    moments = [m.isoformat() for m in (first, second) if m is not None]
    if not moments:
        return Decimal(0), Decimal(0)
    earliest = min(moments)  # as the SQL compares them: ISO text
    params = {
        "since": earliest,
        "first": earliest if first is None else first.isoformat(),
        "second": earliest if second is None else second.isoformat(),
    }
    row = conn.execute(_SPENDS_SINCE, params).one()
    return (
        _usd(row[0]) if first is not None else Decimal(0),
        _usd(row[1]) if second is not None else Decimal(0),
    )


def _spend_since_by(conn: sa.Connection, since: datetime, author: str) -> Decimal:
    """What the takes one person started since `since` count for (their own daily cap's figure)."""
    return _usd(conn.execute(_SPEND_SINCE_BY, {"since": since.isoformat(), "author": author}).scalar())


def _caps_said(before: Caps, after: Caps) -> str:
    """What a change of the workspace's caps did, for the activity log ("" when nothing changed)."""

    def usd(cap: Decimal | None) -> str:
        return "none" if cap is None else format_usd(cap)

    said = [
        f"the workspace's {which} cap to {usd(new)} (was {usd(old)})"
        for which, old, new in (("daily", before.daily, after.daily), ("session", before.session, after.session))
        if old != new or (before.damaged and not after.damaged)
    ]
    return "; ".join(said)


class Store:
    def __init__(self, where: Path | str, *, legacy_caps: Path | None = None) -> None:
        """Open (or create) the database and bring its schema up to date. `where`: a SQLite
        file's path, or a database URL (settings.database). `legacy_caps`: an earlier
        version's caps file, copied into the database by the migration that made the caps table."""
        self.url = engines.parse(where)
        self.path: Path | None = (
            Path(self.url.database or "") if self.url.get_backend_name() == "sqlite" else None
        )
        self._engine = engines.engine(self.url)
        self._writer = self._engine.execution_options(**{engines.WRITE: True})
        self._postgres = self._engine.dialect.name == "postgresql"
        # Reads of one statement each (consistent on its own): on PostgreSQL, no BEGIN before it and
        # no ROLLBACK after, two round trips fewer per read, and every editor rerun reads several
        # times (bench/editor_sessions.py). SQLite reads never begin (engines.py).
        self._reader = (
            self._engine.execution_options(isolation_level="AUTOCOMMIT") if self._postgres else self._engine
        )
        self._insert = postgresql.insert if self._postgres else sqlite.insert
        self._holds: Holds | None = None  # made when first needed (storyboard-worker)
        self.people = People(self)  # members, roles and the activity log (store/people.py)
        self.presence = Presence(self)  # who has a storyboard open now (store/presence.py)
        self.reviews = Reviews(self)  # reviews of storyboards and takes, and comments (store/reviews.py)
        self._holds_lock = threading.Lock()
        try:
            self._migrate(legacy_caps)
        except BaseException:
            self._engine.dispose()
            raise

    @classmethod
    def for_data_dir(cls, root: Path) -> Store:
        """The configured database of this data dir (settings.database: SQLite in it unless
        STORYBOARD_DATABASE_URL names a server), with an earlier version's caps file carried into
        it: how the app (and any worker process beside it) opens the store."""
        return cls(settings.database(root), legacy_caps=DataDir(root).legacy_caps)

    def close(self) -> None:
        if self._holds is not None:
            self._holds.close()
        self._engine.dispose()

    @property
    def postgres(self) -> bool:
        return self._postgres

    @property
    def libpq_url(self) -> str:
        """The database as libpq (psycopg, Procrastinate) takes it, password included: never logged."""
        return self.url.set(drivername="postgresql").render_as_string(hide_password=False)

    # ---- several processes on one PostgreSQL (storyboard-worker) ---------------------------------

    def send_wake(self, job_id: str) -> None:
        """Wake the take wherever it is driven (PostgreSQL: a NOTIFY every worker's
        `listen_for_wakes` hears; sent when the transaction commits)."""
        with self._tx() as conn:
            conn.execute(sa.select(sa.func.pg_notify(WAKE_CHANNEL, job_id)))

    def listen_for_wakes(self, stopping: threading.Event, wake: Callable[[str], None]) -> None:
        """Until `stopping`: call `wake(take id)` for each `send_wake`, from any process. A wake sent
        while the connection is down is missed: a wake only cuts a wait short, the take's next
        planned look still comes."""
        import psycopg  # only on PostgreSQL, where it is the driver

        while not stopping.is_set():
            try:
                with psycopg.connect(self.libpq_url, autocommit=True, connect_timeout=5) as conn:
                    conn.execute(f"LISTEN {WAKE_CHANNEL}")
                    while not stopping.is_set():
                        for note in conn.notifies(timeout=0.5):
                            wake(note.payload)
            except psycopg.Error as exc:
                log.warning("listening for wakes: %s; again in a second", type(exc).__name__)
                stopping.wait(1.0)

    def hold_take(self, job_id: str) -> AbstractContextManager[bool]:
        """Whether this process may drive the take: True for the block's length to one holder at a
        time (`hold`). SQLite: always True (one app drives, its data dir locked)."""
        return self.hold(f"take:{job_id}")

    @contextmanager
    def hold(self, name: str) -> Iterator[bool]:
        """Whether this process holds `name` (True to one holder at a time, for the block's length;
        PostgreSQL: store.holds, freed by the server if this process dies). SQLite: always True."""
        if not self._postgres:
            yield True
            return
        import psycopg  # only on PostgreSQL, where it is the driver

        from storyboard.store.holds import Holds

        with self._holds_lock:
            if self._holds is None:
                self._holds = Holds(self.libpq_url)
        try:
            held = self._holds.take(name)
        except psycopg.Error as exc:
            raise self._fail(exc) from exc
        try:
            yield held
        finally:
            if held:
                self._holds.give_back(name)

    def _fail(self, exc: BaseException) -> StorageProblem:
        # the driver's own message: SQLAlchemy's would add the statement and its parameters
        said = exc.orig if isinstance(exc, sa.exc.DBAPIError) else exc
        log.warning("storage failure on %s: %s", self.url.render_as_string(hide_password=True), said)
        return StorageProblem(problem_sentence(exc, self.url))

    def _read(self, statement: sa.Executable, params: dict[str, Any] | None = None) -> Sequence[sa.Row[Any]]:
        try:
            with self._reader.connect() as conn:
                return conn.execute(statement, params).all()
        except FAILURES as exc:
            raise self._fail(exc) from exc

    @contextmanager
    def _tx(self) -> Iterator[sa.Connection]:
        """One write transaction: committed when the block ends, rolled back if it raises."""
        try:
            with self._writer.begin() as conn:
                yield conn
        except FAILURES as exc:
            raise self._fail(exc) from exc

    def _lock_spend(self, conn: sa.Connection) -> None:
        """Whoever checks or changes the caps waits here for whoever does now."""
        self.advisory_lock(conn, SPEND_LOCK)

    def advisory_lock(self, conn: sa.Connection, key: int) -> None:
        """Wait, until this transaction ends, for whoever holds `key` (PostgreSQL; SQLite's write
        transaction already serialises every writer)."""
        if self._postgres:
            conn.execute(sa.select(sa.func.pg_advisory_xact_lock(key)))

    # ---- schema --------------------------------------------------------------------------------

    def _migrate(self, legacy_caps: Path | None) -> None:
        try:
            with self._engine.connect() as conn:
                if schema.revision(conn) == schema.head():
                    return
        except FAILURES as exc:
            raise self._fail(exc) from exc
        legacy = _read_legacy_caps(legacy_caps) if legacy_caps is not None else None
        try:
            with self._tx() as conn:
                if self._postgres:  # two replicas starting at once: one upgrades, the other waits
                    conn.execute(sa.select(sa.func.pg_advisory_xact_lock(MIGRATION_LOCK)))
                made_caps = schema.upgrade(conn)
                if made_caps and legacy is not None:
                    self._write_caps(conn, legacy)
        except schema.NewerSchema:
            raise StorageProblem(newer_sentence(self.url)) from None
        if made_caps and legacy is not None and legacy_caps is not None:
            # no longer read; kept under another name so nothing the person wrote is lost
            with suppress(OSError):
                legacy_caps.replace(legacy_caps.with_name(legacy_caps.name + ".migrated"))

    def schema_version(self) -> str | None:
        """The database's Alembic revision (schema.head() once opened)."""
        try:
            with self._engine.connect() as conn:
                return schema.revision(conn)
        except FAILURES as exc:
            raise self._fail(exc) from exc

    # ---- drafts --------------------------------------------------------------------------------

    def save_draft(self, storyboard: Storyboard, *, base: int | None = None, by: Actor = SOLO) -> int:
        """Save a draft and return its new version. `base`: the version the edit was made from
        (0: a new draft); if the draft has been saved since, nothing is written and DraftChanged
        says by whom: no edit silently overwrites another. None: written whatever is there (tests,
        tools). The check and the write are one transaction holding the draft's row. `by`: who
        saves it, refused unless they may change storyboards (issue 13)."""
        check(by, Action.EDIT_STORYBOARD)
        now = utcnow().isoformat()
        values = {
            "name": storyboard.name,
            "body": storyboard.model_dump_json(),
            "updated_at": now,
            "updated_by": by.email,
        }
        with self._tx() as conn:
            query = sa.select(drafts.c.version).where(drafts.c.id == storyboard.id)
            found = conn.execute(query.with_for_update() if self._postgres else query).scalar()
            if found is None:
                conn.execute(sa.insert(drafts).values(id=storyboard.id, author=by.email, version=1, **values))
                return 1
            if base is not None and base != found:
                theirs = self._opened(conn, storyboard.id)
                assert theirs is not None  # the row is locked: it is there
                raise DraftChanged(theirs)
            conn.execute(
                sa.update(drafts).where(drafts.c.id == storyboard.id).values(version=found + 1, **values)
            )
            return int(found) + 1

    def open_draft(self, draft_id: str | None = None) -> OpenedDraft | None:
        """A draft (the last edited one when `draft_id` is None), or None if there is none. A draft
        that no longer validates opens with what could be read, and the problem named."""
        try:
            with self._reader.connect() as conn:
                return self._opened(conn, draft_id)
        except FAILURES as exc:
            raise self._fail(exc) from exc

    @staticmethod
    def _opened(conn: sa.Connection, draft_id: str | None) -> OpenedDraft | None:
        d = drafts
        query = sa.select(
            d.c.id,
            d.c.name,
            d.c.body,
            d.c.version,
            d.c.updated_by,
            d.c.updated_at,
            members.c.name.label("who"),
        ).select_from(d.outerjoin(members, members.c.email == d.c.updated_by))
        if draft_id is None:
            query = query.order_by(d.c.updated_at.desc()).limit(1)
        else:
            query = query.where(d.c.id == draft_id)
        found = conn.execute(query).first()
        if found is None:
            return None
        sb, problem = salvage(found.body, found.id, found.name)
        if problem:
            log.warning("draft %s: %s", found.id, problem)
        who = found.who or found.updated_by
        return OpenedDraft(sb, problem, int(found.version), found.updated_by, who, found.updated_at)

    def draft_version(self, draft_id: str) -> int | None:
        """The draft's saved version (None: not saved), without reading it."""
        rows = self._read(sa.select(drafts.c.version).where(drafts.c.id == draft_id))
        return int(rows[0].version) if rows else None

    def load_draft(self, draft_id: str) -> Storyboard | None:
        opened = self.open_draft(draft_id)
        return opened.storyboard if opened else None

    def latest_draft(self) -> Storyboard | None:
        opened = self.open_draft()
        return opened.storyboard if opened else None

    def recent_drafts(self, limit: int = 20) -> list[tuple[str, str, str]]:
        """(id, name, updated_at) of the most recently edited drafts."""
        rows = self._read(
            sa.select(drafts.c.id, drafts.c.name, drafts.c.updated_at)
            .order_by(drafts.c.updated_at.desc())
            .limit(limit)
        )
        return [(r.id, r.name, r.updated_at) for r in rows]

    def listed_drafts(self, limit: int = 20) -> list[ListedDraft]:
        """The most recently edited drafts, for Open…, in ONE query: the untitled ones (the only ones
        that can be blank, which Open… leaves out) read whole. One query per untitled draft made
        every editor rerun wait on up to 20 round trips to the database (bench/editor_sessions.py)."""
        body = sa.case((drafts.c.name == UNTITLED, drafts.c.body), else_=sa.null()).label("body")
        rows = self._read(
            sa.select(drafts.c.id, drafts.c.name, drafts.c.updated_at, body)
            .order_by(drafts.c.updated_at.desc())
            .limit(limit)
        )
        listed = []
        for r in rows:
            storyboard = None
            if r.body is not None:
                storyboard, problem = salvage(r.body, r.id, r.name)
                if problem:
                    log.warning("draft %s: %s", r.id, problem)
            listed.append(ListedDraft(r.id, r.name, r.updated_at, storyboard))
        return listed

    def delete_draft(self, draft_id: str, actor: Actor = SOLO) -> None:
        """Forget a draft. Its takes stay: each keeps the storyboard it was made from."""
        check(actor, Action.EDIT_STORYBOARD)
        with self._tx() as conn:
            conn.execute(sa.delete(drafts).where(drafts.c.id == draft_id))

    # ---- spending caps ---------------------------------------------------------------------------

    def caps(self) -> Caps:
        """The saved caps (`Caps(damaged=True)` when the record holds anything but what was written)."""
        try:
            with self._reader.connect() as conn:
                return self._caps(conn)
        except FAILURES as exc:
            raise self._fail(exc) from exc

    def caps_and_spent(self, now: datetime | None = None) -> tuple[Budget, Spent]:
        """The saved caps and what counts against them, read on ONE connection (the editor's cap
        state, on every rerun: one pool checkout and its liveness ping instead of two). Shown, not
        admitted: create_jobs checks again in its own transaction under the spend lock."""
        try:
            with self._reader.connect() as conn:
                budget = Budget(self._caps(conn))
                return budget, budget.spent(_SpendIn(conn), now)
        except FAILURES as exc:
            raise self._fail(exc) from exc

    def update_caps(self, change: Callable[[Caps], Caps], actor: Actor = SOLO) -> Caps:
        """Read, change and write the caps in one transaction: two tabs or two processes changing
        them at once each see the other's change, and none is lost. `actor`: who changes them
        (Refused unless an admin); in a team the change is logged in the same transaction."""
        check(actor, Action.SET_CAPS)
        with self._tx() as conn:
            self._lock_spend(conn)
            before = self._caps(conn)
            caps = change(before)
            self._write_caps(conn, caps_to_record(caps))
            said = _caps_said(before, caps)
            if said and not actor.solo:
                record(conn, actor, "changed a cap", f"{actor.name} set {said}")
        return caps

    def daily_cap_of(self, email: str) -> str | None:
        """A member's own daily cap as saved (decimal text), or None (none, or not a member)."""
        rows = self._read(sa.select(members.c.daily_cap).where(members.c.email == email))
        return rows[0].daily_cap if rows else None

    @staticmethod
    def _caps(conn: sa.Connection) -> Caps:
        t = caps_table
        row = conn.execute(
            sa.select(t.c.daily, t.c.session, t.c.session_since, t.c.damaged).where(t.c.id == 1)
        ).first()
        if row is None:
            return Caps()
        values = [row.daily, row.session, row.session_since]
        if any(v is not None and not isinstance(v, str) for v in values):
            return Caps(damaged=True)
        daily, session, since = values
        return caps_from_record(CapsRecord(daily, session, since, damaged=bool(row.damaged)))

    def _write_caps(self, conn: sa.Connection, record: CapsRecord) -> None:
        values = {
            "daily": record.daily,
            "session": record.session,
            "session_since": record.session_since,
            "damaged": int(record.damaged),
        }
        row = self._insert(caps_table).values(id=1, **values)
        conn.execute(row.on_conflict_do_update(index_elements=[caps_table.c.id], set_=values))

    # ---- jobs ----------------------------------------------------------------------------------

    def create_jobs(self, jobs_: Sequence[Job], actor: Actor = SOLO) -> list[tuple[Job, bool]]:
        """Write the takes' rows before anything is sent, after checking the saved caps against
        what is spent plus the new takes' total, all in ONE transaction holding the spend lock:
        two sessions or two processes cannot both pass a cap. Returns (job, created) for each; a
        take whose idempotency key is already there is found (and not counted again), not written
        twice. Raises CapRefused (nothing written) when the new takes would pass a cap.
        `actor` (issue 13): who generates (Refused unless they may); the new takes are theirs
        (Job.author), their own daily cap (members.daily_cap) is checked beside the workspace's
        against what their takes count for today, and in a team the takes are logged in the same
        transaction."""
        check(actor, Action.GENERATE)
        keys = [job.idempotency_key for job in jobs_]
        with self._tx() as conn:
            self._lock_spend(conn)
            rows = conn.execute(
                sa.select(jobs.c.idempotency_key, jobs.c.body).where(jobs.c.idempotency_key.in_(keys))
            ).all()
            found = {r.idempotency_key: Job.model_validate_json(r.body) for r in rows}
            new = [
                job if job.author == actor.email else job.model_copy(update={"author": actor.email})
                for job in jobs_
                if job.idempotency_key not in found
            ]
            amount = sum((job.quote.total for job in new), Decimal(0))
            if amount > 0:
                verified = all(job.quote.verified for job in new)
                budget = Budget(self._caps(conn))
                refused = budget.check(
                    _SpendIn(conn), amount, verified=verified, takes=len(new), team=not actor.solo
                )
                if refused is None and not actor.solo:
                    cap = conn.execute(
                        sa.select(members.c.daily_cap).where(members.c.email == actor.email)
                    ).scalar()
                    if cap is not None:
                        mine = _spend_since_by(conn, day_start(), actor.email)
                        refused = person_refusal(cap, mine, amount, verified=verified, takes=len(new))
                if refused:
                    raise CapRefused(refused)
            if new:
                conn.execute(sa.insert(jobs), [job_row(job) for job in new])
                if not actor.solo:  # the single-person app has no one else to account to
                    record(conn, actor, "generated", _generated(actor, new, amount), new[0].storyboard.id)
            made = {job.idempotency_key: job for job in new}
        return [
            (found[key], False) if key in found else (made[key], True)
            for key in (job.idempotency_key for job in jobs_)
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
        exactly one of "submit" and "cancel" wins, whichever thread or process asks first: the
        job's row stays locked from the read to the write.
        A change of state must be one `job_states.ALLOWED` lists (IllegalTransition otherwise)."""
        with self._tx() as conn:
            row = conn.execute(
                sa.select(jobs.c.body, jobs.c.details).where(jobs.c.id == job_id).with_for_update()
            ).first()
            if row is None:
                raise KeyError(job_id)
            job = Job.model_validate_json(row.body)
            if from_states is not None and job.state not in set(from_states):
                return None
            if "state" in changes:  # the same state again is refused too: a second claim never wins
                job_states.check(job.state, JobState(changes["state"]))
            job = Job.model_validate({**job.model_dump(), **changes, "updated_at": utcnow()})
            merged = {**json.loads(row.details), **(details or {})}
            conn.execute(
                sa.update(jobs)
                .where(jobs.c.id == job_id)
                .values(
                    state=job.state.value,
                    body=job.model_dump_json(),
                    details=_details_text(merged),
                    updated_at=job.updated_at.isoformat(),
                )
            )
        return job

    def details(self, job_id: str) -> dict[str, Any]:
        """Provider answers and other raw facts about a job, for its details panel (never keys)."""
        rows = self._read(sa.select(jobs.c.details).where(jobs.c.id == job_id))
        return json.loads(rows[0].details) if rows else {}

    def get_job(self, job_id: str) -> Job | None:
        rows = self._read(sa.select(jobs.c.body).where(jobs.c.id == job_id))
        return Job.model_validate_json(rows[0].body) if rows else None

    def job_by_key(self, key: str) -> Job | None:
        rows = self._read(sa.select(jobs.c.body).where(jobs.c.idempotency_key == key))
        return Job.model_validate_json(rows[0].body) if rows else None

    def jobs_with_key_prefix(self, prefix: str) -> list[Job]:
        # A range on the unique index instead of substr(), which would scan every row.
        key = jobs.c.idempotency_key
        rows = self._read(
            sa.select(jobs.c.body)
            .where(key >= prefix, key < prefix + "\U0010ffff")
            .order_by(jobs.c.created_at)
        )
        return [Job.model_validate_json(r.body) for r in rows]

    def retired_keys_with_prefix(self, prefix: str) -> list[str]:
        """Idempotency keys of deleted takes: never handed out again."""
        key = deleted_jobs.c.idempotency_key
        rows = self._read(sa.select(key).where(key >= prefix, key < prefix + "\U0010ffff").order_by(key))
        return [r.idempotency_key for r in rows]

    def delete_job(self, job_id: str, from_states: Iterable[JobState], actor: Actor = SOLO) -> Job | None:
        """Delete a take's row if it is in one of `from_states` (checked in the same transaction).
        Returns the deleted job, or None when it was in another state. Its key and cost are kept.
        `actor`: Refused unless they may change this take (its author, or an admin); in a team the
        deletion is logged in the same transaction."""
        with self._tx() as conn:
            row = conn.execute(sa.select(jobs).where(jobs.c.id == job_id).with_for_update()).first()
            if row is None:
                raise KeyError(job_id)
            check(actor, Action.CHANGE_TAKE, owner=row.author)
            job = Job.model_validate_json(row.body)
            if job.state not in set(from_states):
                return None
            conn.execute(
                sa.insert(deleted_jobs).values(
                    id=row.id,
                    idempotency_key=row.idempotency_key,
                    storyboard_id=row.storyboard_id,
                    provider=row.provider,
                    state=row.state,
                    cost=row.cost,
                    created_at=row.created_at,
                    deleted_at=utcnow().isoformat(),
                    details=row.details,
                    author=row.author,
                )
            )
            conn.execute(sa.delete(jobs).where(jobs.c.id == job_id))
            if not actor.solo:
                name = job.title or job.storyboard.name
                record(
                    conn,
                    actor,
                    "deleted a take",
                    f"{actor.name} deleted the take “{name}” ({format_usd(job.quote.total)})",
                    job_id,
                )
        return job

    def list_jobs(
        self, storyboard_id: str | None = None, limit: int = 200, author: str | None = None
    ) -> list[Job]:
        """The newest takes (of one storyboard; started by one person, `author`, when given)."""
        query = sa.select(jobs.c.body).order_by(jobs.c.created_at.desc()).limit(limit)
        if storyboard_id:
            query = query.where(jobs.c.storyboard_id == storyboard_id)
        if author is not None:
            query = query.where(jobs.c.author == author)
        return [Job.model_validate_json(r.body) for r in self._read(query)]

    def unfinished_jobs(self) -> list[Job]:
        finished = [s.value for s in JobState if s.finished]
        rows = self._read(
            sa.select(jobs.c.body).where(jobs.c.state.not_in(finished)).order_by(jobs.c.created_at)
        )
        return [Job.model_validate_json(r.body) for r in rows]

    def recent_seconds(self, provider: ProviderId, model: ModelId, last: int = 10) -> list[float]:
        """How long recent takes of this provider and model took from submit to result (seconds,
        newest first): the poll plan goes by their spread, not by one typical figure."""
        took = _generation_seconds(jobs.c.details)
        rows = self._read(
            sa.select(took.label("took"))
            .where(
                jobs.c.provider == provider.value,
                jobs.c.model == model.value,
                jobs.c.state == JobState.DONE.value,
                took.is_not(None),
            )
            .order_by(jobs.c.created_at.desc())
            .limit(last)
        )
        return [float(r.took) for r in rows]

    # ---- spend: every figure below reads `_billable`, the one definition ------------------------

    def spend_since(self, since: datetime, author: str | None = None) -> Decimal:
        """What the takes started since `since` count for (the caps' figure); only the takes
        `author` started when given (their own daily cap's figure)."""
        try:
            with self._reader.connect() as conn:
                return _spend_since(conn, since) if author is None else _spend_since_by(conn, since, author)
        except FAILURES as exc:
            raise self._fail(exc) from exc

    def spends_since(self, first: datetime | None, second: datetime | None) -> tuple[Decimal, Decimal]:
        """(spend since `first`, spend since `second`), 0 for None, in one query (`Budget.spent`)."""
        if first is None and second is None:
            return Decimal(0), Decimal(0)
        try:
            with self._reader.connect() as conn:
                return _spends_since(conn, first, second)
        except FAILURES as exc:
            raise self._fail(exc) from exc

    def spend_by_provider(self, since: datetime | None = None) -> dict[ProviderId, Decimal]:
        query = _SPEND_BY_PROVIDER[since is not None]
        rows = self._read(query, {"since": since.isoformat()} if since is not None else None)
        return {ProviderId(row.provider): Decimal(row.cost) for row in rows}

    def spend_by_person(self, since: datetime | None = None) -> dict[str, dict[ProviderId, Decimal]]:
        """{author's email ("" = before sign-in, or the single-person app): {provider: spend}} of the
        takes that count (started since `since` when given): spend per person and per provider."""
        rows = self._read(
            _SPEND_BY_PERSON[since is not None], {"since": since.isoformat()} if since is not None else None
        )
        found: dict[str, dict[ProviderId, Decimal]] = {}
        for row in rows:
            found.setdefault(row.author, {})[ProviderId(row.provider)] = Decimal(row.cost)
        return found

    def spend_by_day(self, since: datetime) -> list[tuple[str, ProviderId, Decimal]]:
        """(UTC day 'YYYY-MM-DD', provider, spend) of the takes that count, started since `since`,
        oldest first (the Takes chart)."""
        rows = self._read(_SPEND_BY_DAY, {"since": since.isoformat()})
        # Costs have at most 3 decimals (catalog rates x whole seconds): rounding the sum is exact.
        return [(r.day, ProviderId(r.provider), Decimal(f"{r.usd:.3f}")) for r in rows]


def job_row(job: Job) -> dict[str, str]:
    """A new take's row in `jobs` (create_jobs writes it; the benchmarks bulk-load it)."""
    return {
        "id": job.id,
        "idempotency_key": job.idempotency_key,
        "storyboard_id": job.storyboard.id,
        "provider": job.provider.value,
        "model": job.model.value,
        "state": job.state.value,
        "cost": str(job.quote.total),
        "body": job.model_dump_json(),
        "details": "{}",
        "created_at": job.created_at.isoformat(),
        "updated_at": job.updated_at.isoformat(),
        "author": job.author,
    }


def _generated(actor: Actor, new: Sequence[Job], amount: Decimal) -> str:
    """The activity line of one Generate: "Ana generated 2 takes of “Launch” on fal.ai for $3.36"."""
    names = sorted({job.storyboard.name for job in new})
    where = sorted({PROVIDERS[job.provider].label for job in new})
    takes = "a take" if len(new) == 1 else f"{len(new)} takes"
    return (
        f"{actor.name} generated {takes} of {', '.join(f'“{n}”' for n in names)} on "
        f"{' and '.join(where)} for {format_usd(amount)}"
    )


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
