"""Takes of one storyboard in the core: N takes per press, versions, star, rename, delete."""

from __future__ import annotations

import sqlite3
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from test_jobs import ScriptedClient, _storyboard

from storyboard import takes
from storyboard.catalog import MAX_TAKES_PER_GENERATE
from storyboard.jobs import GenerateRefused, JobRunner
from storyboard.models import Job, JobState, ProviderId, Shot
from storyboard.pricing import priced_take
from storyboard.store import Store


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store(tmp_path / "studio.db")


@pytest.fixture
def client(tiny_mp4: Path) -> ScriptedClient:
    return ScriptedClient(tiny_mp4)


@pytest.fixture
def runner(store: Store, client: ScriptedClient, tmp_path: Path):
    r = JobRunner(store, tmp_path, {ProviderId.FAL: client}, backoff=0.001)
    yield r
    r.shutdown()


def test_three_takes_get_three_keys_and_pressing_again_while_they_run_finds_the_same_three(
    runner: JobRunner, client: ScriptedClient, store: Store
) -> None:
    client.release.clear()  # hold them running
    sb = _storyboard()
    first = runner.generate_takes(sb, 3)
    again = runner.generate_takes(sb, 3)
    once_more = runner.generate(sb)
    client.release.set()
    for job in first:
        assert runner.wait(job.id, timeout=20).state == JobState.DONE
    assert len({job.idempotency_key for job in first}) == 3
    assert {j.id for j in again} == {j.id for j in first} and once_more.id in {j.id for j in first}
    assert len(client.submits) == 3 and len(store.list_jobs()) == 3
    assert len({key for _, key in client.submits}) == 3


def test_more_takes_than_the_catalog_allows_are_refused(runner: JobRunner, store: Store) -> None:
    with pytest.raises(GenerateRefused, match=f"1 to {MAX_TAKES_PER_GENERATE} takes"):
        runner.generate_takes(_storyboard(), MAX_TAKES_PER_GENERATE + 1)
    assert store.list_jobs() == []


def test_a_deleted_takes_key_is_never_given_again(
    runner: JobRunner, client: ScriptedClient, store: Store, tmp_path: Path
) -> None:
    sb = _storyboard()
    made = [runner.wait(j.id, timeout=20) for j in runner.generate_takes(sb, 2)]
    assert takes.delete(store, tmp_path, made[1].id) is None
    newer = runner.wait(runner.generate(sb).id, timeout=20)
    assert newer.state == JobState.DONE
    assert newer.idempotency_key not in {j.idempotency_key for j in made}
    assert len(client.submits) == 3


def test_delete_removes_the_row_and_its_files_but_not_what_it_cost(
    runner: JobRunner, store: Store, tmp_path: Path
) -> None:
    job = runner.wait(runner.generate(_storyboard()).id, timeout=20)
    poster = tmp_path / job.poster_path
    from storyboard import media

    thumb = media.thumbnail(poster, max_width=320)
    files = [tmp_path / job.video_path, poster, thumb]
    assert all(f.exists() for f in files)
    spent = store.spend_by_provider()
    assert takes.delete(store, tmp_path, job.id) is None
    assert store.get_job(job.id) is None
    assert not any(f.exists() for f in files)
    assert store.spend_by_provider() == spent == {ProviderId.FAL: job.quote.total}
    assert takes.delete(store, tmp_path, job.id) is None  # a second click: nothing to do


def test_a_running_take_or_one_of_unknown_outcome_is_never_deleted(
    runner: JobRunner, client: ScriptedClient, store: Store, tmp_path: Path
) -> None:
    client.release.clear()
    job = runner.generate(_storyboard())
    refused = takes.delete(store, tmp_path, job.id)
    assert refused and "still being made" in refused
    assert store.get_job(job.id) is not None
    client.release.set()
    runner.wait(job.id, timeout=20)
    unknown = _job(store, _storyboard(), 0, JobState.UNKNOWN)  # the submit's answer was lost
    refused = takes.delete(store, tmp_path, unknown.id)
    assert refused and "dashboard" in refused and store.get_job(unknown.id) is not None


def _job(store: Store, sb, minutes: int, state: JobState = JobState.DONE) -> Job:  # noqa: ANN001
    from storyboard.models import utcnow

    job = priced_take(sb, state=state, created_at=utcnow() + timedelta(minutes=minutes))
    return store.create_job(job)[0]


def test_takes_are_grouped_by_storyboard_with_versions_by_content(store: Store) -> None:
    v1 = _storyboard(provider=ProviderId.PREVIEW)
    v2 = v1.model_copy(update={"shots": [Shot(id=v1.shots[0].id, prompt="changed", duration=5), v1.shots[1]]})
    renamed_v1 = v1.model_copy(update={"name": "Renamed"})  # same content: still v1
    other = _storyboard(provider=ProviderId.PREVIEW, name="Other")
    jobs = [
        _job(store, v1, 0),
        _job(store, v1, 1),
        _job(store, v2, 2),
        _job(store, renamed_v1, 3),
        _job(store, other, 4),
    ]
    groups = takes.group_by_storyboard(store.list_jobs())
    assert [g.name for g in groups] == ["Other", "Renamed"]
    mine = groups[1]
    assert [j.id for j in mine.takes] == [j.id for j in reversed(jobs[:4])]
    assert [mine.versions[j.id] for j in jobs[:4]] == [1, 1, 2, 1]
    assert mine.version_count == 2 and groups[0].version_count == 1
    # look-alike takes of one version are told apart by number, oldest first; a lone one needs none
    assert [mine.label(j.id) for j in jobs[:4]] == ["v1 · take 1", "v1 · take 2", "v2", "v1 · take 3"]
    assert groups[0].label(jobs[4].id) == "v1"


def test_star_and_title_are_kept_and_a_long_title_is_refused(store: Store) -> None:
    job = _job(store, _storyboard(provider=ProviderId.PREVIEW), 0)
    takes.set_starred(store, job.id, True)
    assert takes.rename(store, job.id, "  The  good one ") is None
    again = Store(store.path).get_job(job.id)
    assert again.starred and again.title == "The good one" and takes.title(again) == "The good one"
    refused = takes.rename(store, job.id, "x" * (takes.MAX_TITLE_CHARS + 1))
    assert refused and "shorten" in refused
    assert takes.rename(store, job.id, "") is None
    assert takes.title(store.get_job(job.id)) == job.storyboard.name


OLD_SCHEMA = """
CREATE TABLE drafts (id TEXT PRIMARY KEY, name TEXT NOT NULL, body TEXT NOT NULL, updated_at TEXT NOT NULL);
CREATE TABLE jobs (
    id TEXT PRIMARY KEY, idempotency_key TEXT NOT NULL UNIQUE, storyboard_id TEXT NOT NULL,
    provider TEXT NOT NULL, model TEXT NOT NULL, state TEXT NOT NULL, cost TEXT NOT NULL,
    body TEXT NOT NULL, details TEXT NOT NULL DEFAULT '{}', created_at TEXT NOT NULL, updated_at TEXT NOT NULL
);
"""


def test_a_studio_db_from_before_takes_had_names_opens_with_every_row(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    sb = _storyboard()
    job = priced_take(sb, state=JobState.DONE)
    body = job.model_dump(mode="json")
    del body["title"], body["starred"]  # as an older app wrote it
    import json

    with sqlite3.connect(path) as db:
        db.executescript(OLD_SCHEMA)
        db.execute(
            "INSERT INTO jobs VALUES (?, ?, ?, ?, ?, ?, ?, ?, '{}', ?, ?)",
            (job.id, job.idempotency_key, sb.id, "fal", sb.model.value, "done", str(job.quote.total),
             json.dumps(body), job.created_at.isoformat(), job.updated_at.isoformat()),
        )  # fmt: skip
    store = Store(path)
    (old,) = store.list_jobs()
    assert old.id == job.id and not old.starred and old.title == ""
    takes.set_starred(store, job.id, True)
    assert Store(path).get_job(job.id).starred
    assert store.spend_by_provider() == {ProviderId.FAL: job.quote.total}
    assert isinstance(store.spend_by_provider()[ProviderId.FAL], Decimal)


def _offer(sb):  # noqa: ANN001, ANN202
    from storyboard.catalog import offer

    return offer(sb.provider, sb.model)


def test_renaming_or_starring_a_take_deleted_meanwhile_says_so(store: Store, tmp_path: Path) -> None:
    job = _job(store, _storyboard(provider=ProviderId.PREVIEW), 0)
    assert takes.delete(store, tmp_path, job.id) is None
    assert takes.rename(store, job.id, "late") == takes.GONE
    takes.set_starred(store, job.id, True)  # no error
    assert store.get_job(job.id) is None
