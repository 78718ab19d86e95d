"""Takes driven by a `storyboard-worker` process on PostgreSQL, as a team runs them: the app (a real
JobRunner behind the real callback route, tests/callback_server.py) only admits and enqueues; the
worker drives. What a person does in the app still reaches the take in the worker: Cancel stops a
take the provider is making, and the provider's call back wakes the take in the worker (through
PostgreSQL NOTIFY), so it ends without waiting for its first fallback poll (30 s here). The whole
app (AppTest) on PostgreSQL enqueues and shows the take a worker made; a take written but never
enqueued is found by the worker's sweep; a take is held by one driver at a time; a take the
workers have no key for says where a team's keys go.
Cost: one worker process (~3 s to start) for the module; 0.3 to 4 s a test after that (~12 s in all).
"""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest
import warm_start
from callback_server import CallbackServer
from fakes.fal import FakeFal
from fakes.wavespeed import FakeWaveSpeed
from servers.postgres import PostgresServer
from waiting import wait_until

from storyboard import messages
from storyboard.catalog import offer
from storyboard.jobs import JobRunner
from storyboard.models import JobState, ModelId, ProviderId, Shot, Storyboard
from storyboard.pricing import quote
from storyboard.providers.fal import FalClient
from storyboard.providers.fal_webhook import FalKeys
from storyboard.providers.wavespeed import WaveSpeedClient
from storyboard.runner import admission
from storyboard.store import Store

ROOT = Path(__file__).resolve().parent.parent
PUBLIC = "https://studio.example"


class Team:
    def __init__(
        self, runner: JobRunner, wavespeed: FakeWaveSpeed, fal: FakeFal, database: str, data_dir: Path
    ) -> None:
        self.runner, self.wavespeed, self.fal = runner, wavespeed, fal
        self.database, self.data_dir = database, data_dir
        self.log = data_dir.parent / "worker.log"


@pytest.fixture(scope="module")
def team(
    postgres_server: PostgresServer, tiny_mp4: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Team]:
    database = postgres_server.create_database("jobs_workers")
    root = tmp_path_factory.mktemp("team")
    data_dir = root / "data"
    app = CallbackServer()
    wavespeed, fal = FakeWaveSpeed(job_seconds=0.5), FakeFal()
    fal.job_seconds = 60.0  # still being made when it is cancelled
    for fake in (wavespeed, fal):
        fake.video_bytes = tiny_mp4.read_bytes()  # type: ignore[attr-defined]
        fake.callback_origins[PUBLIC] = app.url
        fake.start()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("STORYBOARD_", "WAVESPEED", "FAL"))}
    env.update(
        PYTHONPATH=str(ROOT),
        STORYBOARD_DATABASE_URL=database,
        STORYBOARD_DATA_DIR=str(data_dir),
        STORYBOARD_WORKER_HEARTBEAT="0.5",  # the sweep for takes in no queue job: each second
        STORYBOARD_PUBLIC_URL=PUBLIC,  # the workers ask providers to call the app back
        WAVESPEED_API_KEY=wavespeed.key,
        WAVESPEED_BASE_URL=wavespeed.url,
        FAL_KEY=fal.key,
        FAL_QUEUE_BASE_URL=fal.url,
        FAL_REST_BASE_URL=fal.url,
    )
    # `python tests/worker_process.py`, forked from a process that has imported it (tests/warm_start.py)
    worker = warm_start.start([str(ROOT / "tests" / "worker_process.py")], env, root, root / "worker.log")
    store = Store(database)
    clients = {
        ProviderId.WAVESPEED: WaveSpeedClient(wavespeed.key, wavespeed.url),
        ProviderId.FAL: FalClient(fal.key, fal.url, fal.url, api_base=fal.url),
    }
    runner = JobRunner(store, data_dir, clients, fal_keys=FalKeys(fal.jwks_url))
    app.runner = runner
    try:
        yield Team(runner, wavespeed, fal, database, data_dir)
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=20)
        runner.shutdown()
        store.close()
        app.stop()
        wavespeed.stop()
        fal.stop()


def _storyboard(provider: ProviderId, prompt: str) -> Storyboard:
    return Storyboard(provider=provider, model=ModelId.TURBO_PRO_T2V, shots=[Shot(prompt=prompt, duration=5)])


def test_the_app_enqueues_and_the_providers_call_wakes_the_take_in_the_worker(team: Team) -> None:
    runner = team.runner
    assert runner.workers
    # Keys are the server's: one typed in a session would never reach a worker, so it opens nothing.
    typed = WaveSpeedClient(team.wavespeed.key, team.wavespeed.url)
    assert runner.can_generate(ProviderId.EVOLINK, typed) == messages.no_server_key(ProviderId.EVOLINK)
    job = runner.generate(_storyboard(ProviderId.WAVESPEED, "A wave rolls in."))
    # The first fallback poll would come 30 s after the submit: done before that, it was woken.
    job = wait_until(
        lambda: (found := runner.store.get_job(job.id)) and found.state.finished and found,
        timeout=25,
        what="the take to end",
    )
    assert job.state == JobState.DONE, job.message
    (call,) = team.wavespeed.callbacks
    assert call.status == 200  # the app's route answered, and woke the take in the worker
    polls = team.wavespeed.calls("result")
    assert len(polls) == 1 and polls[0].at >= call.sent_at
    assert len(team.wavespeed.calls("submit")) == 1


def test_cancel_in_the_app_reaches_the_take_in_the_worker(team: Team) -> None:
    runner = team.runner
    job = runner.generate(_storyboard(ProviderId.FAL, "A bottle on the sand."))
    wait_until(
        lambda: (found := runner.store.get_job(job.id)) and found.state == JobState.RUNNING,
        timeout=25,
        what="the worker to send the take",
    )
    runner.cancel(job.id)
    job = wait_until(
        lambda: (found := runner.store.get_job(job.id)) and found.state.finished and found,
        timeout=25,
        what="the take to end",
    )
    assert job.state == JobState.CANCELLED, job.message
    assert len(team.fal.calls("cancel")) == 1  # the worker asked fal to stop it
    assert len(team.fal.calls("submit")) == 1


def test_a_take_written_but_never_enqueued_is_found_by_a_workers_sweep(team: Team) -> None:
    """The app wrote the take, then could not enqueue it (the database went away between the two)."""
    store = team.runner.store
    board = _storyboard(ProviderId.WAVESPEED, "A gull over the pier.")
    keys = admission.take_keys(store, board, 1)
    _, (take_id,) = admission.write_takes(
        store, board, keys, quote(board, offer(board.provider, board.model))
    )
    job = wait_until(
        lambda: (found := store.get_job(take_id)) and found.state.finished and found,
        timeout=25,
        what="a worker to find and drive the take",
    )
    assert job.state == JobState.DONE, job.message


def test_the_app_on_postgresql_enqueues_and_shows_the_take_a_worker_made(
    team: Team, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The whole app (AppTest) with the team's settings: Generate writes and enqueues the take, the
    app's own runner drives nothing, and the page shows the video the worker made."""
    from app_steps import build, generate_button, run_until
    from streamlit.testing.v1 import AppTest

    from components import runtime

    monkeypatch.setenv("STORYBOARD_DATABASE_URL", team.database)
    monkeypatch.setenv("STORYBOARD_DATA_DIR", str(team.data_dir))
    monkeypatch.chdir(ROOT)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    try:
        at.run()
        assert runtime.runtime().runner.workers
        build(at, [3])
        generate_button(at).click().run()
        assert not at.exception, at.exception
        run_until(at, lambda: len(at.get("video")) > 0, timeout=60)
    finally:
        runtime.shutdown()
    (take,) = [j for j in team.runner.store.list_jobs() if j.provider == ProviderId.PREVIEW]
    assert take.state == JobState.DONE
    assert f"take_id='{take.id}'" in team.log.read_text()  # driven by the worker, not the app


def test_a_take_is_held_by_one_driver_at_a_time_and_freed_when_its_process_dies(team: Team) -> None:
    """Store.hold_take: what keeps a take put back twice (a duplicate job) from two drivers at once."""
    first, other = team.runner.store, Store(team.database)  # two processes' stores
    try:
        with first.hold_take("t1") as held:
            assert held
            with first.hold_take("t1") as again, other.hold_take("t1") as elsewhere:
                assert not again and not elsewhere  # not a second thread here, nor another process
            with other.hold_take("t2") as unrelated:
                assert unrelated
        with other.hold_take("t1") as now:
            assert now  # given back at the end of the block
        with other.hold_take("t3") as held:
            assert held
            other.close()  # the process holding it ends: PostgreSQL frees its holds

            def taken() -> bool:
                with first.hold_take("t3") as freed:
                    return freed

            # once the server has seen the connection end (its backend exits a moment after the close)
            wait_until(taken, timeout=10, what="the closed connection's hold to be freed")
    finally:
        other.close()


def test_a_take_for_a_provider_the_workers_have_no_key_for_fails_saying_where_keys_go(team: Team) -> None:
    """In team mode keys are the server's: the sentence names the setting, not the Settings page."""
    store = team.runner.store
    board = _storyboard(ProviderId.EVOLINK, "A kite on the beach.")  # the workers have no EvoLink key
    keys = admission.take_keys(store, board, 1)
    _, (take_id,) = admission.write_takes(
        store, board, keys, quote(board, offer(board.provider, board.model))
    )
    job = wait_until(
        lambda: (found := store.get_job(take_id)) and found.state.finished and found,
        timeout=25,
        what="a worker to end the take",
    )
    assert job.state == JobState.FAILED
    assert job.message == messages.keyless_unsent(ProviderId.EVOLINK, server_keys=True)
    assert "EVOLINK_API_KEY" in job.message and "type its key on Settings" not in job.message


def test_a_second_app_driving_takes_itself_on_the_same_database_is_refused(
    postgres_server: PostgresServer, tmp_path: Path
) -> None:
    """STORYBOARD_RUN_TAKES=app on PostgreSQL: every app resumes and drives every unfinished take,
    so two replicas (each with a data dir of its own, which the data dir's file lock cannot see)
    would both drive each one. The second is refused in a sentence; once the first stops, it starts."""
    from storyboard.jobs import DataDirBusy

    database = postgres_server.create_database("app_drives_takes")
    first, second = Store(database), Store(database)  # two app processes' stores
    runner = JobRunner(first, tmp_path / "a", {}, workers=False)
    try:
        with pytest.raises(
            DataDirBusy, match="Another copy of Storyboard Studio drives the takes of this database"
        ):
            JobRunner(second, tmp_path / "b", {}, workers=False)
        runner.shutdown()
        JobRunner(second, tmp_path / "b", {}, workers=False).shutdown()
    finally:
        runner.shutdown()
        first.close()
        second.close()
