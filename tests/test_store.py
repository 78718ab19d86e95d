from __future__ import annotations

import threading
from decimal import Decimal
from pathlib import Path

from storyboard.models import Job, JobState, ModelId, ProviderId, Shot, Storyboard
from storyboard.pricing import priced_take
from storyboard.store import Store


def _job(sb: Storyboard, key: str = "k1", provider: ProviderId = ProviderId.FAL) -> Job:
    sb = sb.model_copy(update={"provider": provider})
    return priced_take(sb, idempotency_key=key)


def _storyboard() -> Storyboard:
    return Storyboard(name="Teaser", shots=[Shot(prompt="a", duration=5), Shot(prompt="b", duration=5)])


def test_a_draft_survives_reopening_the_database(tmp_path: Path) -> None:
    sb = _storyboard()
    Store(tmp_path / "s.db").save_draft(sb)
    again = Store(tmp_path / "s.db")
    assert again.load_draft(sb.id) == sb
    assert again.latest_draft() == sb


def test_latest_draft_is_the_last_one_edited(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.db")
    first, second = _storyboard(), _storyboard()
    store.save_draft(first)
    store.save_draft(second)
    store.save_draft(first.model_copy(update={"name": "edited"}))
    latest = store.latest_draft()
    assert latest is not None and latest.id == first.id and latest.name == "edited"


def test_the_same_idempotency_key_never_makes_a_second_job(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.db")
    sb = _storyboard()
    first, created = store.create_job(_job(sb))
    second, created_again = store.create_job(_job(sb))
    assert created and not created_again
    assert second.id == first.id
    assert len(store.list_jobs()) == 1


def test_concurrent_creates_with_one_key_make_one_job(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.db")
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


def test_updates_persist_and_unfinished_jobs_are_found(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.db")
    job, _ = store.create_job(_job(_storyboard()))
    store.transition(job.id, (JobState.QUEUED,), state=JobState.SUBMITTING)
    store.transition(job.id, (JobState.SUBMITTING,), state=JobState.RUNNING, remote_id="req-1")
    reopened = Store(tmp_path / "s.db")
    again = reopened.get_job(job.id)
    assert again is not None and again.state == JobState.RUNNING and again.remote_id == "req-1"
    assert [j.id for j in reopened.unfinished_jobs()] == [job.id]
    reopened.transition(job.id, (JobState.RUNNING,), state=JobState.DOWNLOADING)
    reopened.transition(job.id, (JobState.DOWNLOADING,), state=JobState.DONE)
    assert reopened.unfinished_jobs() == []


def test_spend_counts_only_jobs_that_reached_the_provider(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.db")
    sb = _storyboard()
    sent, _ = store.create_job(_job(sb, "a").model_copy(update={"state": JobState.DONE}))
    refused, _ = store.create_job(_job(sb, "b"))
    store.transition(refused.id, (JobState.QUEUED,), state=JobState.FAILED)
    assert store.spend_by_provider() == {ProviderId.FAL: sent.quote.total}
    assert sent.quote.total == Decimal("1.40")


def test_job_details_merge_and_never_need_a_key(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.db")
    job, _ = store.create_job(_job(_storyboard()))
    store.update_job(job.id, details={"submission": {"remote_id": "x"}})
    store.update_job(job.id, details={"failure": {"error": "boom"}})
    assert store.details(job.id) == {"submission": {"remote_id": "x"}, "failure": {"error": "boom"}}


def test_list_jobs_by_storyboard_newest_first(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.db")
    sb, other = _storyboard(), _storyboard()
    a, _ = store.create_job(_job(sb, "a"))
    b, _ = store.create_job(_job(sb, "b").model_copy(update={"created_at": a.created_at.replace(year=2099)}))
    store.create_job(_job(other, "c"))
    assert [j.id for j in store.list_jobs(storyboard_id=sb.id)] == [b.id, a.id]
    assert store.list_jobs(storyboard_id=sb.id, limit=1)[0].model == ModelId.TURBO_PRO_T2V
