from __future__ import annotations

import json
import shutil
import socket
import sqlite3
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa
from servers.postgres import PostgresServer
from stores import OpenStore

from storyboard.budget import Caps
from storyboard.catalog import MAX_NAME_CHARS
from storyboard.models import UNTITLED, Job, JobState, ModelId, ProviderId, Shot, Storyboard
from storyboard.pricing import priced_take
from storyboard.store import CapRefused, StorageProblem, Store, schema


def _job(sb: Storyboard, key: str = "k1", provider: ProviderId = ProviderId.FAL) -> Job:
    sb = sb.model_copy(update={"provider": provider})
    return priced_take(sb, idempotency_key=key)


def _storyboard() -> Storyboard:
    return Storyboard(name="Teaser", shots=[Shot(prompt="a", duration=5), Shot(prompt="b", duration=5)])


def test_a_draft_survives_reopening_the_database(open_store: OpenStore) -> None:
    sb = _storyboard()
    open_store().save_draft(sb)
    again = open_store()
    assert again.load_draft(sb.id) == sb
    assert again.latest_draft() == sb


def test_latest_draft_is_the_last_one_edited(store: Store) -> None:
    first, second = _storyboard(), _storyboard()
    store.save_draft(first)
    store.save_draft(second)
    store.save_draft(first.model_copy(update={"name": "edited"}))
    latest = store.latest_draft()
    assert latest is not None and latest.id == first.id and latest.name == "edited"


def test_open_lists_drafts_newest_first_reading_only_the_untitled_ones(store: Store) -> None:
    # Open… leaves blank drafts out, and only an untitled one can be blank: those come read whole,
    # in the same one query, so the editor's rerun does not read each draft by itself.
    named, untitled, older = _storyboard(), Storyboard(shots=[Shot(prompt="a wave", duration=5)]), _storyboard()
    for sb in (older, untitled, named):
        store.save_draft(sb)
    listed = store.listed_drafts()
    assert [(d.id, d.name) for d in listed] == [(named.id, "Teaser"), (untitled.id, UNTITLED), (older.id, "Teaser")]
    assert [d.storyboard for d in listed] == [None, untitled, None]
    assert len(store.listed_drafts(limit=2)) == 2


def test_the_same_idempotency_key_never_makes_a_second_job(store: Store) -> None:
    sb = _storyboard()
    first, created = store.create_job(_job(sb))
    second, created_again = store.create_job(_job(sb))
    assert created and not created_again
    assert second.id == first.id
    assert len(store.list_jobs()) == 1


def test_concurrent_creates_with_one_key_make_one_job(store: Store) -> None:
    sb = _storyboard()
    results: list[bool] = []
    threads = [
        threading.Thread(target=lambda: results.append(store.create_job(_job(sb))[1])) for _ in range(8)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results.count(True) == 1
    assert len(store.list_jobs()) == 1


def test_updates_persist_and_unfinished_jobs_are_found(open_store: OpenStore) -> None:
    store = open_store()
    job, _ = store.create_job(_job(_storyboard()))
    store.transition(job.id, (JobState.QUEUED,), state=JobState.SUBMITTING)
    store.transition(job.id, (JobState.SUBMITTING,), state=JobState.RUNNING, remote_id="req-1")
    reopened = open_store()
    again = reopened.get_job(job.id)
    assert again is not None and again.state == JobState.RUNNING and again.remote_id == "req-1"
    assert [j.id for j in reopened.unfinished_jobs()] == [job.id]
    reopened.transition(job.id, (JobState.RUNNING,), state=JobState.DOWNLOADING)
    reopened.transition(job.id, (JobState.DOWNLOADING,), state=JobState.DONE)
    assert reopened.unfinished_jobs() == []


def test_spend_counts_only_jobs_that_reached_the_provider(store: Store) -> None:
    sb = _storyboard()
    sent, _ = store.create_job(_job(sb, "a").model_copy(update={"state": JobState.DONE}))
    refused, _ = store.create_job(_job(sb, "b"))
    store.transition(refused.id, (JobState.QUEUED,), state=JobState.FAILED)
    assert store.spend_by_provider() == {ProviderId.FAL: sent.quote.total}
    assert sent.quote.total == Decimal("1.40")


def test_job_details_merge_and_never_need_a_key(store: Store) -> None:
    job, _ = store.create_job(_job(_storyboard()))
    store.update_job(job.id, details={"submission": {"remote_id": "x"}})
    store.update_job(job.id, details={"failure": {"error": "boom"}})
    assert store.details(job.id) == {"submission": {"remote_id": "x"}, "failure": {"error": "boom"}}


def test_list_jobs_by_storyboard_newest_first(store: Store) -> None:
    sb, other = _storyboard(), _storyboard()
    a, _ = store.create_job(_job(sb, "a"))
    b, _ = store.create_job(_job(sb, "b").model_copy(update={"created_at": a.created_at.replace(year=2099)}))
    store.create_job(_job(other, "c"))
    assert [j.id for j in store.list_jobs(storyboard_id=sb.id)] == [b.id, a.id]
    assert store.list_jobs(storyboard_id=sb.id, limit=1)[0].model == ModelId.TURBO_PRO_T2V


# ---- storage failures: one sentence that says what to do, never a raw traceback ---------------------


def test_a_damaged_database_file_is_named_with_what_to_do(tmp_path: Path) -> None:
    db = tmp_path / "studio.db"
    db.write_bytes(b"this is not a database, it was overwritten " * 200)
    with pytest.raises(StorageProblem) as problem:
        Store(db)
    assert str(problem.value) == (
        f"The database {db} is damaged: stop the app, move that file aside (keep it, it may be recoverable) "
        "and start again, or set STORYBOARD_DATA_DIR to another folder."
    )


def test_a_data_dir_that_cannot_be_written_is_named_with_what_to_do(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    with pytest.raises(StorageProblem) as problem:
        Store(blocker / "data" / "studio.db")
    assert str(problem.value) == (
        f"Storyboard Studio cannot write to {blocker / 'data'}: give it write access, or set "
        "STORYBOARD_DATA_DIR to a folder it can write to."
    )


def test_a_database_from_a_newer_version_is_not_touched(open_store: OpenStore) -> None:
    store = open_store()
    store.save_draft(sb := _storyboard())
    with store._tx() as db:  # a revision this app does not have: a newer app's
        db.execute(sa.text("UPDATE alembic_version SET version_num = '9999'"))
    with pytest.raises(StorageProblem) as problem:
        open_store()
    if open_store.engine == "sqlite":
        assert str(problem.value) == (
            f"The database {open_store.where} was written by a newer version of Storyboard Studio: update the app, "
            "or set STORYBOARD_DATA_DIR to another folder."
        )
    else:
        assert str(problem.value).endswith(
            "was written by a newer version of Storyboard Studio: update the app, or set STORYBOARD_DATABASE_URL "
            "to another database."
        )
    assert store.schema_version() == "9999" and store.load_draft(sb.id) == sb  # untouched


def test_a_studio_db_from_after_the_previous_release_is_not_touched(tmp_path: Path) -> None:
    db = tmp_path / "studio.db"
    with sqlite3.connect(db) as raw:
        raw.execute(f"PRAGMA user_version = {len(schema.LEGACY) + 1}")
    with pytest.raises(
        StorageProblem, match="written by a newer version of Storyboard Studio: update the app"
    ):
        Store(db)


def test_a_full_disk_says_so_and_keeps_what_was_saved(tmp_path: Path) -> None:
    store = Store(tmp_path / "studio.db")
    sb = _storyboard()
    store.save_draft(sb)
    with (
        store._engine.connect() as db
    ):  # the store's one SQLite connection: it cannot grow, as on a full disk
        db.exec_driver_sql("PRAGMA max_page_count = 1")
    # A long negative prompt, not a name: names are limited at the model (catalog.MAX_NAME_CHARS).
    bigger = sb.model_copy(
        update={"options": sb.options.model_copy(update={"negative_prompt": "x" * 50_000})}
    )
    with pytest.raises(StorageProblem) as problem:
        store.save_draft(bigger)
    assert str(problem.value) == (
        f"The disk holding {tmp_path} is full, so this was not saved: free some space there and it is saved again."
    )
    assert store.load_draft(sb.id) == sb


def test_a_draft_that_no_longer_validates_opens_with_what_could_be_read(store: Store) -> None:
    sb = _storyboard()
    store.save_draft(sb)
    body = json.loads(sb.model_dump_json())
    body["provider"] = "gone-provider"  # a provider a later version dropped
    body["shots"][1]["duration"] = "five"
    with store._tx() as db:
        db.execute(
            sa.text("UPDATE drafts SET body = :body WHERE id = :id"), {"body": json.dumps(body), "id": sb.id}
        )
    opened = store.open_draft(sb.id)
    assert opened is not None
    assert opened.storyboard.id == sb.id and opened.storyboard.name == "Teaser"
    assert [s.prompt for s in opened.storyboard.shots] == ["a", "b"]  # the prompts are kept
    assert opened.problem == (
        "Part of this draft could not be read (shot 2 duration, provider) and was reset: check it before you generate."
    )
    assert store.latest_draft() == opened.storyboard


def test_a_draft_that_is_not_json_at_all_opens_by_its_name(store: Store) -> None:
    sb = _storyboard()
    store.save_draft(sb)
    with store._tx() as db:
        db.execute(sa.text("UPDATE drafts SET body = '{cut short' WHERE id = :id"), {"id": sb.id})
    opened = store.open_draft(sb.id)
    assert opened is not None and opened.storyboard.id == sb.id and opened.storyboard.name == "Teaser"
    assert opened.problem is not None and opened.problem.startswith(
        "The draft \u201cTeaser\u201d could not be read"
    )


def test_a_draft_named_before_names_had_a_limit_opens_with_its_name_shortened(store: Store) -> None:
    sb = _storyboard()
    store.save_draft(sb)
    long_name = "Spring launch " * 20  # 280 characters, saved by an earlier version
    body = json.loads(sb.model_dump_json()) | {"name": long_name}
    with store._tx() as db:
        db.execute(
            sa.text("UPDATE drafts SET name = :name, body = :body WHERE id = :id"),
            {"name": long_name, "body": json.dumps(body), "id": sb.id},
        )
    opened = store.open_draft(sb.id)
    assert opened is not None and opened.storyboard.name == long_name[:MAX_NAME_CHARS].rstrip()
    assert [s.prompt for s in opened.storyboard.shots] == ["a", "b"]
    assert opened.problem is not None and f"name, shortened to {MAX_NAME_CHARS} characters" in opened.problem
    with store._tx() as db:
        db.execute(sa.text("UPDATE drafts SET body = '{cut short' WHERE id = :id"), {"id": sb.id})
    cut = store.open_draft(sb.id)  # nothing readable but the name column: that is shortened too
    assert cut is not None and cut.storyboard.name == long_name[:MAX_NAME_CHARS].rstrip()


def test_a_new_database_is_at_the_latest_schema_version(store: Store) -> None:
    from alembic.script import ScriptDirectory

    assert (
        store.schema_version() == schema.head() == ScriptDirectory(str(schema.MIGRATIONS)).get_current_head()
    )


def test_a_failed_take_the_provider_billed_still_counts_deleted_or_not(store: Store) -> None:
    """A take that FAILED after the provider made it (its result link expired) is marked `charged`
    by the runner: it joins the spend in caps, chart and totals, deleted or not; one never sent does not."""
    sb = _storyboard()
    expired, _ = store.create_job(_job(sb, "expired"))
    store.transition(expired.id, None, state=JobState.FAILED, details={"charged": True})
    never_sent, _ = store.create_job(_job(sb, "never-sent"))
    store.transition(never_sent.id, None, state=JobState.FAILED)
    assert store.spend_by_provider() == {ProviderId.FAL: Decimal("1.40")}
    store.delete_job(expired.id, [JobState.FAILED])
    assert store.spend_by_provider() == {ProviderId.FAL: Decimal("1.40")}  # its details went with it
    assert store.spend_since(expired.created_at) == Decimal("1.40")


def test_recent_durations_and_a_garbled_answer_read_the_same_on_both_engines(store: Store) -> None:
    """The two queries that read inside a take's details (its duration, the `charged` mark) give
    the same answers on both engines; a NUL in a provider's answer (PostgreSQL's JSON cannot hold
    one) neither fails the spend nor is lost from the details panel."""
    sb = _storyboard()
    for i, took in enumerate((10.0, 30.0, 20.0)):
        job, _ = store.create_job(_job(sb, f"done-{i}").model_copy(update={"state": JobState.DONE}))
        store.update_job(job.id, details={"generation_seconds": took})
    garbled, _ = store.create_job(_job(sb, "garbled"))
    store.transition(
        garbled.id, None, state=JobState.FAILED, details={"error": "bad\x00answer", "charged": True}
    )
    assert sorted(store.recent_seconds(job.provider, job.model)) == [10.0, 20.0, 30.0]
    assert store.recent_seconds(ProviderId.EVOLINK, job.model) == []
    assert store.spend_by_provider() == {ProviderId.FAL: Decimal("1.40") * 4}
    assert store.details(garbled.id)["error"] == "bad\ufffdanswer"


# ---- a studio.db from before Alembic is upgraded in place ------------------------------------------

V2 = Path(__file__).parent / "fixtures" / "data_v2"  # made by the Store of 1a201aa (user_version 2)


def test_a_studio_db_made_by_the_previous_release_is_upgraded_in_place_losing_nothing(tmp_path: Path) -> None:
    data = tmp_path / "data"
    shutil.copytree(V2, data)
    store = Store.for_data_dir(data)  # as the app opens it
    assert store.schema_version() == schema.head()
    draft = store.load_draft("draft-v2")
    assert draft is not None and draft.name == "Lighthouse at dusk" and len(draft.shots) == 2
    takes = {job.id: job for job in store.list_jobs()}
    assert {i: j.state for i, j in takes.items()} == {
        "take-done": JobState.DONE,
        "take-running": JobState.RUNNING,
        "take-failed-charged": JobState.FAILED,
    }
    assert takes["take-done"].title == "Keeper" and takes["take-done"].starred
    assert store.details("take-failed-charged") == {"charged": True}
    assert [j.id for j in store.unfinished_jobs()] == ["take-running"]
    assert store.retired_keys_with_prefix("k:") == ["k:4"]  # the deleted take's key stays retired
    at = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    assert store.caps() == Caps(daily=Decimal("25.00"), session=Decimal("5.00"), session_since=at)
    # done $1.40 + running $0.70 + billed-though-failed $0.70 + deleted $0.70
    assert store.spend_by_provider() == {ProviderId.FAL: Decimal("3.50")}
    assert store.spend_by_day(at) == [("2026-12-01", ProviderId.FAL, Decimal("3.50"))]
    assert store.recent_seconds(ProviderId.FAL, takes["take-done"].model) == [42.5]
    store.close()
    with sqlite3.connect(data / "studio.db") as raw:  # an app from before Alembic now refuses the file
        assert raw.execute("PRAGMA user_version").fetchone()[0] > len(schema.LEGACY)
    again = Store.for_data_dir(data)  # a second start migrates nothing
    assert again.caps() == Caps(daily=Decimal("25.00"), session=Decimal("5.00"), session_since=at)
    assert len(again.list_jobs()) == 3


@pytest.mark.parametrize("version", range(len(schema.LEGACY) + 1))
def test_a_studio_db_at_any_earlier_schema_version_is_upgraded_losing_nothing(
    tmp_path: Path, version: int
) -> None:
    """Made with the SQL each earlier version ran (schema.LEGACY), rows as that version wrote them."""
    db = tmp_path / "studio.db"
    sb = _storyboard()
    kept, gone = (_job(sb, key).model_copy(update={"state": JobState.DONE}) for key in ("k:1", "k:2"))
    with sqlite3.connect(db) as raw:
        for statements in schema.LEGACY[: max(version, 1)]:
            for statement in statements:
                raw.execute(statement)
        raw.execute(f"PRAGMA user_version = {version}")
        raw.execute(
            "INSERT INTO drafts VALUES (?, ?, ?, ?)", (sb.id, sb.name, sb.model_dump_json(), "2026-11-30")
        )
        for job in (kept, gone):
            raw.execute(
                "INSERT INTO jobs VALUES (?, ?, ?, 'fal', ?, 'done', ?, ?, '{}', ?, ?)",
                (job.id, job.idempotency_key, sb.id, job.model.value, str(job.quote.total), job.model_dump_json(),
                 job.created_at.isoformat(), job.updated_at.isoformat()),
            )  # fmt: skip
    store = Store(db)
    store.delete_job(gone.id, [JobState.DONE])  # a delete works on the upgraded schema
    assert store.load_draft(sb.id) == sb
    assert [j.id for j in store.list_jobs()] == [kept.id]
    assert store.spend_by_provider() == {ProviderId.FAL: Decimal("2.80")}
    assert store.caps() == Caps() and store.update_caps(
        lambda c: c.with_daily(Decimal("9"))
    ).daily == Decimal("9")


def test_an_upgrade_that_fails_leaves_the_file_as_it_was(tmp_path: Path) -> None:
    """The earlier versions' SQL, the stamp and the revisions are one transaction: a file whose
    upgrade fails halfway is left at its old version, to be upgraded by a fixed app."""
    db = tmp_path / "studio.db"
    with sqlite3.connect(db) as raw:
        for statement in schema.V1:
            raw.execute(statement)
        raw.execute("ALTER TABLE deleted_jobs ADD COLUMN details TEXT")  # V2 adds it again: fails
        raw.execute("PRAGMA user_version = 1")
    with pytest.raises(StorageProblem):
        Store(db)
    with sqlite3.connect(db) as raw:
        assert raw.execute("PRAGMA user_version").fetchone()[0] == 1
        tables = {name for (name,) in raw.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert tables == {"drafts", "jobs", "deleted_jobs"}  # no caps, no alembic_version


# ---- the configured database -----------------------------------------------------------------------


def test_the_setting_chooses_the_database_and_the_data_dir_keeps_the_default(
    postgres_server: PostgresServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = tmp_path / "my #1 data?"  # a folder name a URL would misread
    data.mkdir()
    (data / "budget.json").write_text('{"daily_usd": "7.00"}')  # an earlier version's caps, carried in
    monkeypatch.setenv("STORYBOARD_DATABASE_URL", postgres_server.create_database("configured"))
    try:
        team = Store.for_data_dir(data)
        team.save_draft(sb := _storyboard())
        assert team.caps() == Caps(daily=Decimal("7.00")) and team.path is None
        assert not (data / "studio.db").exists()  # nothing in the data dir: the server has it
        team.close()
        monkeypatch.delenv("STORYBOARD_DATABASE_URL")
        alone = Store.for_data_dir(data)
        assert alone.path == data / "studio.db" and alone.load_draft(sb.id) is None
    finally:
        postgres_server.drop_database("configured")


def test_replicas_opening_a_new_database_at_once_upgrade_it_once(
    open_store: OpenStore, tmp_path: Path
) -> None:
    where: Path | str = tmp_path / "new.db"
    if open_store.server is not None:
        where = open_store.server.create_database("new_at_once")
    barrier = threading.Barrier(4)
    opened: list[Store] = []

    def start() -> None:
        barrier.wait()
        opened.append(Store(where))

    threads = [threading.Thread(target=start) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [store.schema_version() for store in opened] == [schema.head()] * 4
    for store in opened:
        store.close()
    if open_store.server is not None:
        open_store.server.drop_database("new_at_once")


def _claim_race(stores: list[Store], attempt: Callable[[Store], object]) -> list[object]:
    """Eight threads, four per store (as two processes), let go at once."""
    barrier = threading.Barrier(8)
    results: list[object] = []

    def run(store: Store) -> None:
        barrier.wait()
        try:
            results.append(attempt(store))
        except CapRefused as refused:
            results.append(refused)

    threads = [threading.Thread(target=run, args=(stores[i % 2],)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def test_two_processes_racing_past_a_cap_admit_only_what_fits(open_store: OpenStore) -> None:
    """On PostgreSQL the check and the rows it admits hold the spend lock: without it, each
    transaction reads the spend before the others commit and most of eight $1.40 takes pass $3.00."""
    first, second = open_store(), open_store()
    first.update_caps(lambda c: c.with_daily(Decimal("3.00")))
    keys = iter(range(8))
    results = _claim_race(
        [first, second], lambda store: store.create_job(_job(_storyboard(), f"r:{next(keys)}"))
    )
    assert sum(1 for r in results if isinstance(r, tuple) and r[1]) == 2
    assert sum(1 for r in results if isinstance(r, CapRefused)) == 6
    assert len(second.list_jobs()) == 2 and second.spend_since(datetime(2000, 1, 1, tzinfo=UTC)) == Decimal(
        "2.80"
    )


def test_two_processes_claiming_one_take_one_wins(open_store: OpenStore) -> None:
    """The claim reads and writes the take's row in one transaction holding it (FOR UPDATE on
    PostgreSQL): of eight claims at once, one wins, every time."""
    first, second = open_store(), open_store()
    for attempt in range(5):
        job, _ = first.create_job(_job(_storyboard(), f"claimed-{attempt}"))
        results = _claim_race(
            [first, second],
            lambda store, job_id=job.id: store.transition(
                job_id, (JobState.QUEUED,), state=JobState.SUBMITTING
            ),
        )
        assert sum(1 for r in results if r is not None) == 1


# ---- a PostgreSQL that cannot be used: one sentence, never the password ------------------------------


def test_a_postgresql_that_cannot_be_used_is_named_with_what_to_do(postgres_server: PostgresServer) -> None:
    port = postgres_server.port
    with socket.socket() as s:  # a port nothing listens on: a server that is down
        s.bind(("127.0.0.1", 0))
        down = s.getsockname()[1]
    said = {}
    for case, url in {
        "down": f"postgres://storyboard:s3cret@127.0.0.1:{down}/studio",  # the short scheme too
        "password": f"postgresql://storyboard:s3cret@127.0.0.1:{port}/postgres",
        "database": postgres_server.url("missing"),
    }.items():
        with pytest.raises(StorageProblem) as problem:
            Store(url)
        said[case] = str(problem.value)
    assert said == {
        "down": f"The PostgreSQL server on 127.0.0.1:{down} cannot be reached: start it (or fix the host and "
        "port in STORYBOARD_DATABASE_URL), then reload the page.",
        "password": f"PostgreSQL on 127.0.0.1:{port} refused the user and password in STORYBOARD_DATABASE_URL: "
        "fix them there, then restart the app.",
        "database": f"The database missing does not exist on 127.0.0.1:{port}: create it (createdb missing) or "
        "fix STORYBOARD_DATABASE_URL, then reload the page.",
    }
    with pytest.raises(
        StorageProblem, match="^STORYBOARD_DATABASE_URL names a database Storyboard Studio cannot"
    ):
        Store("mysql://storyboard:s3cret@127.0.0.1/studio")
