"""`storyboard-worker`: drives takes from the job queue on PostgreSQL (storyboard.runner.queue).
Run any number, on any host that reaches the database, the providers and the data dir (the videos
are written there). Configured like the app: STORYBOARD_DATABASE_URL, STORYBOARD_DATA_DIR, the
providers' keys (a team's keys live here, in the server's configuration), STORYBOARD_PUBLIC_URL,
STORYBOARD_TAKES_AT_ONCE, STORYBOARD_WORKER_HEARTBEAT.

A take is driven by the same Executor.drive and Driver as the app's threads, on a thread of this
process. SIGTERM or SIGINT: the drivers stop where they are (everything they did is in the store),
their takes go back to the queue at once for another worker. SIGKILL (or a host that vanishes):
the worker's heartbeat stops; after 3 missed beats any worker's watcher hands its takes back to
the queue, and whoever picks one up resumes it from the store, where the driver's compare-and-set
claims make sure a submit is never sent twice.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import sys
import threading
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import cast

import procrastinate

from storyboard import settings
from storyboard.providers import build_clients
from storyboard.runner import queue
from storyboard.runner.executor import Executor
from storyboard.runner.registry import Registry
from storyboard.store import StorageProblem, Store

log = logging.getLogger("storyboard.worker")
MISSED_BEATS = 3  # a worker this many heartbeats late is taken for dead
WATCHER = "storyboard-watcher"  # held (Store.hold) by the one worker that hands back dead workers' takes
BACKOFF = 0.5  # seconds before the first retry of a call (doubling, with jitter), as in the app


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="storyboard-worker", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--concurrency",
        type=int,
        default=None,
        help="takes this process drives at once (default: every provider's limit added up)",
    )
    parser.add_argument(
        "--queue",
        action="append",
        dest="queues",
        help="only these queues (takes.fal, takes.wavespeed, takes.evolink, takes.preview); repeatable",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    logging.getLogger("procrastinate.worker").addFilter(_expected_without_traceback)

    data_dir = settings.data_dir()
    database = settings.database(data_dir)
    if not settings.takes_run_by_workers(database):
        print(
            "storyboard-worker drives takes from PostgreSQL: set STORYBOARD_DATABASE_URL to "
            "postgresql://user:password@host/database (and leave STORYBOARD_RUN_TAKES unset).",
            file=sys.stderr,
        )
        return 2
    try:
        store = Store.for_data_dir(data_dir)  # brings the schema (the queue's too) up to date
    except StorageProblem as problem:
        print(problem, file=sys.stderr)
        return 1
    concurrency = args.concurrency or sum(settings.takes_at_once().values())
    registry = Registry(build_clients(data_dir))
    executor = Executor(
        store,
        data_dir,
        registry,
        backoff=BACKOFF,
        public_url=settings.public_url(),
        cancel_flag=lambda job_id: bool(store.details(job_id).get(queue.CANCEL)),
        server_keys=True,
    )
    try:
        asyncio.run(work(store, executor, max(1, concurrency), args.queues, settings.worker_heartbeat()))
    finally:
        registry.close_all()
        store.close()
    return 0


def _expected_without_traceback(record: logging.LogRecord) -> bool:
    """A take put back on purpose (stopping, held elsewhere) is one log line, not a traceback."""
    if record.exc_info and isinstance(record.exc_info[1], queue.WorkerStopping | queue.TakeBusy):
        record.exc_info = None
    return True


async def work(
    store: Store, executor: Executor, concurrency: int, queues: list[str] | None, heartbeat: float
) -> None:
    """Run the worker until SIGTERM or SIGINT."""
    loop = asyncio.get_running_loop()
    threads = ThreadPoolExecutor(concurrency, thread_name_prefix="take")
    app = queue.app_for(store, sync=False)

    driving: set[str] = set()  # the takes driven here: the only ones a wake is for

    def drive(take_id: str) -> None:
        """On a thread of `threads`: the take to its end, or an exception that puts it back."""
        with store.hold_take(take_id) as held:
            if not held:  # another worker, or another thread here: leave its state alone
                raise queue.TakeBusy(take_id)
            driving.add(take_id)
            try:
                executor.drive(take_id)
            finally:
                driving.discard(take_id)
                executor.forget(take_id)
        take = store.get_job(take_id)
        if take is None or take.state.finished:
            return
        if executor.stopping.is_set():
            raise queue.WorkerStopping(take_id)
        raise queue.TakeUnfinished(take_id)

    @app.task(name=queue.TASK, retry=queue.Again())
    async def drive_take(take_id: str) -> None:
        # Our own pool, as large as the concurrency: the loop's default one has cpu + 4 threads.
        await loop.run_in_executor(threads, drive, take_id)

    def woken(take_id: str) -> None:  # every worker hears every wake
        if take_id in driving:
            executor.wake(take_id)

    listener = threading.Thread(
        target=store.listen_for_wakes, args=(executor.stopping, woken), name="wakes", daemon=True
    )
    listener.start()
    async with app.open_async():
        worker = asyncio.create_task(
            app.run_worker_async(
                name="storyboard-worker",
                queues=cast(Iterable[str], queues),  # None: every queue (its default; typed Iterable)
                concurrency=concurrency,
                install_signal_handlers=False,  # ours below stop the drivers first
                update_heartbeat_interval=heartbeat,
                stalled_worker_timeout=MISSED_BEATS * heartbeat,
                # New jobs come by NOTIFY at once; a job put back to wait (retried) is found by this.
                fetch_job_polling_interval=heartbeat,
                delete_jobs="successful",  # a take's history is in the store; failed jobs stay to read
            )
        )
        watcher = asyncio.create_task(hand_back_stalled(app, store, heartbeat))

        def stop() -> None:
            log.info("stopping: unfinished takes go back to the queue")
            executor.stopping.set()
            executor.waker.stop()
            worker.cancel()

        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop)
        try:
            await worker
        except asyncio.CancelledError:
            pass
        finally:
            watcher.cancel()
            executor.stopping.set()
            threads.shutdown(wait=False)


async def hand_back_stalled(app: procrastinate.App, store: Store, heartbeat: float) -> None:
    """Every heartbeat, put back in the queue the takes of workers that stopped beating (killed,
    or their host gone); every SWEEP_SECONDS, enqueue unfinished takes that are in no queue job.
    One worker at a time does it (the one holding WATCHER; when it dies, the next to try takes
    over): two would race, one listing a job that the other has already put back and a live worker
    taken since, and put that back too. Beside the worker loop rather than as a periodic job: a
    periodic job would wait for a free slot, and slots are held by takes for minutes."""
    loop = asyncio.get_running_loop()
    while True:
        with contextlib.ExitStack() as held:
            try:  # connecting off the loop: a slow database must not hold up the heartbeats
                watching = await loop.run_in_executor(None, held.enter_context, store.hold(WATCHER))
            except StorageProblem:
                watching = False
            swept = -queue.SWEEP_SECONDS
            while watching:
                if loop.time() - swept >= queue.SWEEP_SECONDS:
                    swept = loop.time()
                    await loop.run_in_executor(None, _sweep, store)
                await asyncio.sleep(heartbeat)
                await _hand_back(app, heartbeat)
        await asyncio.sleep(heartbeat)


def _sweep(store: Store) -> None:
    """Enqueue the unfinished takes that are in no queue job (on its own small, synchronous pool)."""
    try:
        sweeper = queue.QueuedExecutor(store)
        try:
            sweeper.resume(store.unfinished_jobs())
        finally:
            sweeper.shutdown(0)
    except Exception as exc:  # the database is away: the next sweep tries again
        log.warning("sweeping for takes in no queue job: %s", type(exc).__name__)


async def _hand_back(app: procrastinate.App, heartbeat: float) -> None:
    try:
        stalled = await app.job_manager.get_stalled_jobs(
            task_name=queue.TASK, seconds_since_heartbeat=MISSED_BEATS * heartbeat
        )
        for job in stalled:
            await app.job_manager.retry_job(job)
            log.info("take %s: its worker stopped beating; back in the queue", job.task_kwargs.get("take_id"))
    except Exception as exc:  # the database is away: the next beat tries again
        log.warning("handing back stalled takes: %s", type(exc).__name__)


if __name__ == "__main__":
    sys.exit(main())
