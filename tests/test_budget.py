"""Spending caps: the refusal sentence, what counts as spent, the saved caps, and the runner's check."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa
from stores import OpenStore
from test_jobs import ScriptedClient

from storyboard import takes
from storyboard.budget import (
    ABSURD,
    DAMAGED,
    Budget,
    CapProblem,
    Caps,
    Spent,
    day_start,
    days_back,
    refusal,
    spent_today,
    to_cap,
)
from storyboard.catalog import offer
from storyboard.jobs import GenerateRefused, JobRunner
from storyboard.layout import DataDir
from storyboard.models import Job, JobState, ModelId, ProviderId, Shot, Storyboard, utcnow
from storyboard.pricing import priced_take, quote
from storyboard.store import CapRefused, Store, schema

D = Decimal
NOW = datetime(2026, 11, 30, 15, 0, tzinfo=UTC)


def test_the_sentence_says_the_price_the_spend_the_cap_and_what_to_do() -> None:
    said = refusal(Caps(daily=D("10")), Spent(today=D("9")), D("2.10"))
    assert said == (
        "This take costs $2.10 and today's spend is $9.00 of your $10.00 daily cap: "
        "raise the cap on Settings or make the take shorter."
    )


def test_reaching_a_cap_exactly_is_allowed_a_cent_more_is_not() -> None:
    caps = Caps(daily=D("10.00"))
    assert refusal(caps, Spent(today=D("7.90")), D("2.10")) is None
    assert refusal(caps, Spent(today=D("7.91")), D("2.10")) is not None


def test_the_session_cap_is_checked_with_the_sessions_own_spend() -> None:
    caps = Caps(daily=D("100"), session=D("2"))
    said = refusal(caps, Spent(today=D("50"), session=D("1.50")), D("0.70"))
    assert said is not None
    assert "this session's spend is $1.50 of your $2.00 session cap" in said
    assert refusal(caps, Spent(today=D("50"), session=D("1.30")), D("0.70")) is None


def test_an_unverified_price_is_checked_at_the_higher_figure_and_says_so() -> None:
    sb = Storyboard(model=ModelId.V3_PRO_T2V, provider=ProviderId.FAL, shots=[Shot(prompt="a", duration=10)])
    price = quote(sb, offer(ProviderId.FAL, ModelId.V3_PRO_T2V))
    assert not price.verified and price.total == D("2.24")  # fal's pages disagree: $2.24 or $1.12
    said = refusal(Caps(daily=D("2")), Spent(), price.total, verified=price.verified)
    assert said is not None and "costs up to $2.24 (the price is unverified)" in said


def test_preview_is_free_and_never_refused_even_past_a_cap() -> None:
    assert refusal(Caps(daily=D("0"), session=D("0")), Spent(today=D("5"), session=D("5")), D("0")) is None


def test_several_takes_at_once_are_checked_together() -> None:
    said = refusal(Caps(daily=D("5")), Spent(), D("2.10") * 3, takes=3)
    assert said is not None
    assert said.startswith("These 3 takes cost $6.30 and")
    assert said.endswith("generate fewer or shorter takes.")


def test_no_cap_no_refusal() -> None:
    assert refusal(Caps(), Spent(today=D("1000")), D("99")) is None


def test_a_cap_as_typed() -> None:
    assert to_cap(2.1) == D("2.10")
    assert to_cap(None) is None and to_cap("") is None and to_cap("  ") is None
    assert to_cap(0) == D("0.00")
    assert to_cap(1_000_000) == D("1000000.00")  # the largest cap accepted


@pytest.mark.parametrize(
    "typed", [1e26, "1e26", 1e300, 1_000_000.01, -1, "-0.01", "abc", "NaN", float("nan"), "Infinity"]
)
def test_a_cap_that_cannot_be_a_budget_is_refused_with_a_sentence_not_taken_as_no_cap(typed: object) -> None:
    """1e26 used to become "no cap" silently: the limit the person meant to set was lifted."""
    with pytest.raises(CapProblem) as refused:
        to_cap(typed)  # type: ignore[arg-type]
    assert str(refused.value) == ABSURD
    assert ABSURD == (
        "A cap is a dollar amount from $0.00 to $1,000,000.00: type it again, or leave it empty for no cap."
    )


def test_an_absurd_cap_leaves_the_saved_caps_as_they_were(store: Store) -> None:
    store.update_caps(lambda c: c.with_daily(D("2")))
    with pytest.raises(CapProblem):
        store.update_caps(lambda c: c.with_daily(to_cap(1e26)))
    assert store.caps() == Caps(daily=D("2"))


# ---- what counts as spent --------------------------------------------------------------------


def _take(store: Store, state: JobState, seconds: int = 5, at: datetime = NOW, key: str = "") -> Job:
    sb = Storyboard(provider=ProviderId.FAL, shots=[Shot(prompt="a", duration=seconds)])
    job = priced_take(
        sb, idempotency_key=key or f"{state.value}-{at.isoformat()}-{seconds}", state=state, created_at=at
    )
    store.create_job(job)
    return job


def test_today_counts_takes_billed_running_or_on_their_way_not_failed_or_yesterdays(store: Store) -> None:
    for state in (JobState.DONE, JobState.RUNNING, JobState.UNKNOWN, JobState.SUBMITTING, JobState.QUEUED):
        _take(store, state)  # $0.70 each
    _take(store, JobState.FAILED)
    _take(store, JobState.CANCELLED)
    _take(store, JobState.DONE, at=NOW - timedelta(days=1))
    _take(store, JobState.QUEUED, at=day_start(NOW) - timedelta(seconds=1))
    assert spent_today(store, NOW) == D("3.50")


def test_the_day_is_the_utc_day() -> None:
    assert day_start(datetime(2026, 11, 30, 23, 59, tzinfo=UTC)) == datetime(2026, 11, 30, tzinfo=UTC)


def test_a_session_counts_the_takes_started_since_its_cap_was_set(store: Store) -> None:
    start = NOW - timedelta(hours=1)
    _take(store, JobState.DONE, seconds=5, at=start - timedelta(seconds=1), key="before")
    _take(store, JobState.DONE, seconds=10, at=start, key="mine")
    _take(store, JobState.FAILED, seconds=10, at=NOW, key="mine-failed")
    budget = Budget(Caps(session=D("5")).with_session(D("5"), now=start))
    assert budget.spent(store, NOW).session == D("1.40")
    assert budget.state(store, NOW) == "This session: $1.40 of $5.00"
    # with a daily cap too (both read in one query): each figure counts its own takes
    both = Budget(Caps(daily=D("20")).with_session(D("5"), now=start))
    assert both.state(store, NOW) == "Today (UTC): $2.10 of $20.00 · This session: $1.40 of $5.00"
    store.update_caps(lambda _: both.caps)  # as the editor reads them beside Generate
    assert store.caps_and_spent(NOW) == (both, Spent(today=D("2.10"), session=D("1.40")))
    _take(store, JobState.DONE, seconds=5, at=day_start(NOW) - timedelta(hours=1), key="yesterday")
    longer = Budget(Caps(daily=D("20")).with_session(D("5"), now=day_start(NOW) - timedelta(days=1)))
    assert longer.spent(store, NOW) == Spent(today=D("2.10"), session=D("2.80"))


def test_a_new_amount_keeps_the_sessions_start_and_clearing_ends_it() -> None:
    started = Caps().with_session(D("5"), now=NOW)
    assert started.session_since == NOW
    raised = started.with_session(D("8"), now=NOW + timedelta(hours=1))
    assert (raised.session, raised.session_since) == (D("8"), NOW)  # what was spent still counts
    ended = raised.with_session(None)
    assert (ended.session, ended.session_since) == (None, None)
    again = ended.with_session(D("5"), now=NOW + timedelta(hours=2))
    assert again.session_since == NOW + timedelta(hours=2)  # a new session counts from zero
    assert again.with_daily(D("20")) == Caps(daily=D("20"), session=D("5"), session_since=again.session_since)


def test_spend_by_day_groups_billed_takes_by_utc_day_and_provider(store: Store) -> None:
    _take(store, JobState.DONE, at=NOW)
    _take(store, JobState.DONE, seconds=10, at=NOW)
    _take(store, JobState.DONE, at=NOW - timedelta(days=1))
    _take(store, JobState.FAILED, at=NOW)
    _take(store, JobState.DONE, at=NOW - timedelta(days=2))
    assert store.spend_by_day(days_back(2, NOW)) == [
        ("2026-11-29", ProviderId.FAL, D("0.70")),
        ("2026-11-30", ProviderId.FAL, D("2.10")),
    ]
    assert store.spend_by_day(days_back(1, NOW)) == [("2026-11-30", ProviderId.FAL, D("2.10"))]


# ---- one definition of spend: deleting a take does not give its money back -------------------------


def test_a_deleted_paid_take_still_counts_for_the_caps_the_chart_and_the_totals(
    store: Store, tmp_path: Path
) -> None:
    """Issue 9, defect 1: a $1.40 take against a $2.00 daily cap, then deleted, was no longer counted
    by the cap (nor by the chart), while "Spent" still said $1.40."""
    store.update_caps(lambda c: c.with_daily(D("2.00")))
    now = utcnow()
    paid = _take(store, JobState.DONE, seconds=10, at=now)  # $1.40
    assert paid.quote.total == D("1.40")
    assert takes.delete(store, tmp_path, paid.id) is None and store.get_job(paid.id) is None
    with pytest.raises(CapRefused, match="today's spend is \\$1.40 of your \\$2.00 daily cap"):
        store.create_job(_new(seconds=5))  # $0.70 more would pass $2.00
    assert spent_today(store, now) == D("1.40")
    assert store.spend_by_day(days_back(1, now)) == [(f"{now:%Y-%m-%d}", ProviderId.FAL, D("1.40"))]
    assert store.spend_by_provider() == {ProviderId.FAL: D("1.40")}


def _new(seconds: int, key: str = "") -> Job:
    """A take about to be sent (queued, started now)."""
    sb = Storyboard(provider=ProviderId.FAL, shots=[Shot(prompt="a", duration=seconds)])
    return priced_take(sb, idempotency_key=key or f"new-{seconds}")


def test_the_caps_check_and_the_rows_are_one_transaction(store: Store) -> None:
    store.update_caps(lambda c: c.with_daily(D("1.50")))
    batch = [_new(5, key=f"b:{i}") for i in range(3)]  # $2.10
    with pytest.raises(CapRefused, match="These 3 takes cost \\$2.10"):
        store.create_jobs(batch)
    assert store.list_jobs() == []  # nothing written
    made = store.create_jobs(batch[:2])  # $1.40 fits
    assert [created for _, created in made] == [True, True]
    again = store.create_jobs(batch[:2])  # found, not counted a second time, not refused
    assert [(j.id, created) for j, created in again] == [(j.id, False) for j, _ in made]


# ---- the saved caps: in the database ---------------------------------------------------------------


def test_both_caps_are_kept_in_the_database(open_store: OpenStore, tmp_path: Path) -> None:
    store = open_store()
    assert store.caps() == Caps()
    caps = Caps(daily=D("10.50")).with_session(D("2"), now=NOW)
    store.update_caps(lambda _: caps)
    assert open_store().caps() == caps  # reopened: a restart keeps them
    store.update_caps(lambda c: c.with_daily(None).with_session(None))
    assert open_store().caps() == Caps()
    assert not (tmp_path / "budget.json").exists()


@pytest.mark.parametrize(
    "text",
    [
        "{not json",
        "[]",
        '{"daily_usd": "ten", "session_usd": null, "session_since": null}',
        '{"daily_usd": "NaN"}',
        '{"daily_usd": "1e26"}',
        '{"daily_usd": true}',
        '{"session_usd": "2", "session_since": "yesterday"}',
        '{"session_usd": "2", "session_since": "2026-11-30T10:00:00"}',
    ],
)
def test_a_damaged_caps_file_carried_into_the_database_holds_paid_takes_until_caps_are_set_again(
    tmp_path: Path, text: str
) -> None:
    """A cap the user set must not vanish because its file was damaged: paid takes wait, free ones go."""
    layout = DataDir(tmp_path)
    layout.legacy_caps.write_text(text)
    store = Store(layout.db, legacy_caps=layout.legacy_caps)
    caps = store.caps()
    assert caps.damaged
    assert Budget(caps).check(store, D("0.70")) == DAMAGED
    assert Budget(caps).check(store, D("0")) is None  # Preview
    assert "unreadable" in (Budget(caps).state(store) or "")
    with pytest.raises(CapRefused, match="could not be read"):
        store.create_job(_new(5))
    store.update_caps(lambda c: c.with_daily(D("5")))  # set again on Settings
    assert store.caps() == Caps(daily=D("5"))


@pytest.mark.parametrize(
    "column, value", [("daily", "ten"), ("daily", "1e26"), ("session_since", "yesterday"), ("damaged", 1)]
)
def test_a_damaged_caps_record_holds_paid_takes(store: Store, column: str, value: object) -> None:
    store.update_caps(lambda c: c.with_daily(D("5")).with_session(D("2"), now=NOW))
    with store._tx() as db:  # a hand edit, or a bit flipped
        db.execute(sa.text(f"UPDATE caps SET {column} = :value"), {"value": value})
    assert store.caps().damaged
    with pytest.raises(CapRefused, match="could not be read"):
        store.create_job(_new(5))


def test_a_session_start_in_another_offset_is_read_as_utc(tmp_path: Path) -> None:
    layout = DataDir(tmp_path)
    layout.legacy_caps.write_text('{"session_usd": "2", "session_since": "2026-11-30T11:00:00+01:00"}')
    assert Store(layout.db, legacy_caps=layout.legacy_caps).caps().session_since == datetime(
        2026, 11, 30, 10, tzinfo=UTC
    )


RAISE_CAP = """
import sys
from decimal import Decimal as D
from pathlib import Path
from storyboard.store import Store
where = sys.argv[1]
store = Store(where if "://" in where else Path(where))
for _ in range(int(sys.argv[2])):
    store.update_caps(lambda c: c.with_daily((c.daily or D(0)) + D("0.01")))
"""


def test_two_processes_updating_the_caps_lose_no_update(open_store: OpenStore) -> None:
    """Issue 10.7: with the caps in a file, two processes lost 483 of 600 updates. Each process is
    a plain interpreter running the store (not a fork of the test runner), its errors read back."""
    open_store()
    times = 60
    root = Path(__file__).resolve().parent.parent
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", RAISE_CAP, str(open_store.where), str(times)],
            cwd=root,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    said = [w.communicate(timeout=600)[1] for w in workers]  # a guard against a hang, not a speed bound
    assert [w.returncode for w in workers] == [0, 0], said
    assert open_store().caps().daily == D("0.01") * 2 * times


# ---- a data dir left by the previous version -----------------------------------------------------

V0 = Path(__file__).parent / "fixtures" / "data_v0"  # made by the code of 1eed3cc: studio.db + budget.json


def test_a_data_dir_from_the_previous_version_is_upgraded_in_place_losing_nothing(tmp_path: Path) -> None:
    data = tmp_path / "data"
    shutil.copytree(V0, data)
    layout = DataDir(data)
    store = Store.for_data_dir(data)  # as the app opens it
    assert store.schema_version() == schema.head()
    draft = store.load_draft("draft-v0")
    assert draft is not None and draft.name == "Bottle on sand"
    assert draft.shots[0].prompt == "a bottle on wet sand, a wave rolls over it"
    (kept,) = store.list_jobs()
    assert kept.id == "take-kept" and kept.state == JobState.DONE and kept.quote.total == D("1.40")
    assert store.retired_keys_with_prefix("k:") == ["k:1"]  # the deleted take's key stays retired
    at = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
    assert store.caps() == Caps(daily=D("10.50"), session=D("2.00"), session_since=at)
    assert store.spend_by_provider() == {ProviderId.FAL: D("2.80")}  # the deleted take's $1.40 included
    assert not layout.legacy_caps.exists() and (data / "budget.json.migrated").exists()
    again = Store(layout.db, legacy_caps=layout.legacy_caps)  # a second start migrates nothing
    assert again.caps() == store.caps() and len(again.list_jobs()) == 1


# ---- the runner refuses before anything is written or sent ------------------------------------------


@pytest.fixture
def runner(tmp_path: Path, tiny_mp4: Path) -> Iterator[tuple[JobRunner, ScriptedClient, Store]]:
    store = Store(tmp_path / "studio.db")
    client = ScriptedClient(tiny_mp4, store)
    r = JobRunner(store, tmp_path, {ProviderId.FAL: client}, backoff=0.001)
    yield r, client, store
    r.shutdown()


def _storyboard(seconds: int = 5) -> Storyboard:
    return Storyboard(provider=ProviderId.FAL, shots=[Shot(prompt="a bottle on sand", duration=seconds)])


def test_generate_over_the_cap_writes_and_sends_nothing(
    runner: tuple[JobRunner, ScriptedClient, Store],
) -> None:
    r, client, store = runner
    store.update_caps(lambda c: c.with_daily(D("0.50")))
    with pytest.raises(GenerateRefused, match="This take costs \\$0.70 .* of your \\$0.50 daily cap"):
        r.generate(_storyboard())
    assert store.list_jobs() == [] and client.submits == []


def test_generate_within_the_cap_goes_through_and_then_counts(
    runner: tuple[JobRunner, ScriptedClient, Store],
) -> None:
    r, client, store = runner
    store.update_caps(lambda c: c.with_daily(D("1.00")))
    job = r.wait(r.generate(_storyboard()).id, timeout=20)
    assert job.state == JobState.DONE and len(client.submits) == 1
    with pytest.raises(GenerateRefused, match="today's spend is \\$0.70 of your \\$1.00"):
        r.generate(_storyboard(seconds=6))
    assert len(store.list_jobs()) == 1


def test_deleting_a_paid_take_does_not_let_the_next_one_pass_the_cap(
    runner: tuple[JobRunner, ScriptedClient, Store], tmp_path: Path
) -> None:
    r, client, store = runner
    store.update_caps(lambda c: c.with_daily(D("2.00")))
    paid = r.wait(r.generate(_storyboard(seconds=10)).id, timeout=20)  # $1.40
    assert paid.state == JobState.DONE
    assert takes.delete(store, tmp_path, paid.id) is None
    with pytest.raises(GenerateRefused, match="today's spend is \\$1.40 of your \\$2.00 daily cap"):
        r.generate(_storyboard(seconds=5))
    assert len(client.submits) == 1


def test_a_take_already_running_is_found_not_refused(
    runner: tuple[JobRunner, ScriptedClient, Store],
) -> None:
    r, client, store = runner
    client.release.clear()  # hold it running: its $0.70 now counts towards the cap
    store.update_caps(lambda c: c.with_daily(D("1.00")))
    sb = _storyboard()
    first = r.generate(sb)
    second = r.generate(sb)
    client.release.set()
    r.wait(first.id, timeout=20)
    assert second.id == first.id and len(client.submits) == 1
