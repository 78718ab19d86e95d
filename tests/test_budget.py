"""Spending caps: the refusal sentence, what counts as spent, the cap file, and the runner's check."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from test_jobs import ScriptedClient

from storyboard.budget import (
    CAPS_FILE,
    DAMAGED,
    Budget,
    Caps,
    Spent,
    day_start,
    days_back,
    load_caps,
    refusal,
    save_caps,
    spent_today,
    to_cap,
    update_caps,
)
from storyboard.catalog import offer
from storyboard.jobs import GenerateRefused, JobRunner
from storyboard.models import Job, JobState, ModelId, ProviderId, Shot, Storyboard
from storyboard.pricing import priced_take, quote
from storyboard.store import Store

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
    assert to_cap(None) is None and to_cap("") is None and to_cap(-1) is None and to_cap("abc") is None
    assert to_cap(0) == D("0.00")


# ---- what counts as spent --------------------------------------------------------------------


def _take(store: Store, state: JobState, seconds: int = 5, at: datetime = NOW, key: str = "") -> Job:
    sb = Storyboard(provider=ProviderId.FAL, shots=[Shot(prompt="a", duration=seconds)])
    job = priced_take(
        sb, idempotency_key=key or f"{state.value}-{at.isoformat()}-{seconds}", state=state, created_at=at
    )
    store.create_job(job)
    return job


def test_today_counts_takes_billed_running_or_on_their_way_not_failed_or_yesterdays(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.db")
    for state in (JobState.DONE, JobState.RUNNING, JobState.UNKNOWN, JobState.SUBMITTING, JobState.QUEUED):
        _take(store, state)  # $0.70 each
    _take(store, JobState.FAILED)
    _take(store, JobState.CANCELLED)
    _take(store, JobState.DONE, at=NOW - timedelta(days=1))
    _take(store, JobState.QUEUED, at=day_start(NOW) - timedelta(seconds=1))
    assert spent_today(store, NOW) == D("3.50")


def test_the_day_is_the_utc_day() -> None:
    assert day_start(datetime(2026, 11, 30, 23, 59, tzinfo=UTC)) == datetime(2026, 11, 30, tzinfo=UTC)


def test_a_session_counts_the_takes_started_since_its_cap_was_set(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.db")
    start = NOW - timedelta(hours=1)
    _take(store, JobState.DONE, seconds=5, at=start - timedelta(seconds=1), key="before")
    _take(store, JobState.DONE, seconds=10, at=start, key="mine")
    _take(store, JobState.FAILED, seconds=10, at=NOW, key="mine-failed")
    budget = Budget(Caps(session=D("5")).with_session(D("5"), now=start))
    assert budget.spent(store, NOW).session == D("1.40")
    assert budget.state(store, NOW) == "This session: $1.40 of $5.00"


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


def test_spend_by_day_groups_billed_takes_by_utc_day_and_provider(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.db")
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


# ---- the cap file --------------------------------------------------------------------------------


def test_both_caps_are_kept_in_the_data_dir(tmp_path: Path) -> None:
    assert load_caps(tmp_path) == Caps()
    caps = Caps(daily=D("10.50")).with_session(D("2"), now=NOW)
    save_caps(tmp_path, caps)
    assert load_caps(tmp_path) == caps
    save_caps(tmp_path, caps.with_daily(None).with_session(None))
    assert load_caps(tmp_path) == Caps()


@pytest.mark.parametrize(
    "text",
    [
        "{not json",
        "[]",
        '{"daily_usd": "ten", "session_usd": null, "session_since": null}',
        '{"daily_usd": "NaN"}',
        '{"session_usd": "2", "session_since": "yesterday"}',
        '{"session_usd": "2", "session_since": "2026-11-30T10:00:00"}',
    ],
)
def test_a_damaged_cap_file_holds_paid_takes_until_caps_are_set_again(tmp_path: Path, text: str) -> None:
    """A cap the user set must not vanish because its file was damaged: paid takes wait, free ones go."""
    (tmp_path / CAPS_FILE).write_text(text)
    caps = load_caps(tmp_path)
    assert caps.damaged
    store = Store(tmp_path / "s.db")
    assert Budget(caps).check(store, D("0.70")) == DAMAGED
    assert Budget(caps).check(store, D("0")) is None  # Preview
    assert "unreadable" in (Budget(caps).state(store) or "")
    update_caps(tmp_path, lambda c: c.with_daily(D("5")))  # set again on Settings
    assert load_caps(tmp_path) == Caps(daily=D("5"))


def test_a_session_start_in_another_offset_is_read_as_utc(tmp_path: Path) -> None:
    (tmp_path / CAPS_FILE).write_text('{"session_usd": "2", "session_since": "2026-11-30T11:00:00+01:00"}')
    assert load_caps(tmp_path).session_since == datetime(2026, 11, 30, 10, tzinfo=UTC)


def test_not_a_number_is_no_cap() -> None:
    assert to_cap("NaN") is None and to_cap(float("nan")) is None and to_cap("Infinity") is None


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
    with pytest.raises(GenerateRefused, match="This take costs \\$0.70 .* of your \\$0.50 daily cap"):
        r.generate(_storyboard(), budget=Budget(Caps(daily=D("0.50"))))
    assert store.list_jobs() == [] and client.submits == []


def test_generate_within_the_cap_goes_through_and_then_counts(
    runner: tuple[JobRunner, ScriptedClient, Store],
) -> None:
    r, client, store = runner
    budget = Budget(Caps(daily=D("1.00")))
    job = r.wait(r.generate(_storyboard(), budget=budget).id, timeout=20)
    assert job.state == JobState.DONE and len(client.submits) == 1
    with pytest.raises(GenerateRefused, match="today's spend is \\$0.70 of your \\$1.00"):
        r.generate(_storyboard(seconds=6), budget=budget)
    assert len(store.list_jobs()) == 1


def test_a_take_already_running_is_found_not_refused(
    runner: tuple[JobRunner, ScriptedClient, Store],
) -> None:
    r, client, _ = runner
    client.release.clear()  # hold it running: its $0.70 now counts towards the cap
    budget = Budget(Caps(daily=D("1.00")))
    sb = _storyboard()
    first = r.generate(sb, budget=budget)
    second = r.generate(sb, budget=budget)
    client.release.set()
    r.wait(first.id, timeout=20)
    assert second.id == first.id and len(client.submits) == 1
