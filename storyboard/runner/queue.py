"""Takes on a job queue: with PostgreSQL, the app admits a take and enqueues it here; any number
of `storyboard-worker` processes (storyboard.worker), on any host, take it from the queue and run
its driver. The queue is Procrastinate's, in the same database (its tables come with the store's
migrations): no broker, `FOR UPDATE SKIP LOCKED` claims, retries, and heartbeats from which a dead
worker's takes are found and handed to another.

- One queue per provider (`takes.fal`, ...): a worker can be kept to some providers (`--queue`).
- How many takes of a provider run at once, across every worker, is settings.takes_at_once: each
  take is enqueued with one of that many Procrastinate locks (`fal#0`, `fal#1`), the least busy.
  Procrastinate never starts a job while another job holding its lock is running (its fetch query,
  in the database, for every worker), so at most N takes of a provider run at once, whatever the
  number of workers and their concurrency. A take left by a dead worker keeps its lock until it is
  handed on, so the provider never sees more than N either.
- A take is enqueued at most once at a time (queueing lock `take:<id>`); a take is driven by one
  worker at a time (Store.hold_take). Neither is what keeps a paid submit from being sent twice:
  the driver's compare-and-set claim in the store is, as it is for the app's threads.
- Cancel and "the provider called back" reach the worker through the store: a cancel is a flag in
  the take's details (CANCEL) that the worker's driver reads on each look at the take, and both
  are a NOTIFY (Store.send_wake) that the worker's listener turns into the take's wake.
"""

from __future__ import annotations

import contextlib
import logging
import time
from typing import Any

import procrastinate
from procrastinate import exceptions as procrastinate_errors
from procrastinate.retry import BaseRetryStrategy, RetryDecision

from storyboard import settings
from storyboard.models import Job, ProviderId
from storyboard.store import Store

log = logging.getLogger(__name__)

TASK = "storyboard.drive_take"  # the one task: drive this take (its id) to its end
CANCEL = "cancel_requested"  # in a take's details: someone pressed Cancel (read by the worker)
SWEEP_SECONDS = 60.0  # how often the watching worker enqueues takes that are in no queue job
BUSY_RETRY_SECONDS = 5  # a take another worker holds: looked at again after this long


def queue_name(provider: ProviderId) -> str:
    return f"takes.{provider.value}"


def slots(provider: ProviderId, at_once: int) -> list[str]:
    """The Procrastinate locks of a provider's takes: one per take that may run at once."""
    return [f"{provider.value}#{i}" for i in range(at_once)]


def app_for(store: Store, *, sync: bool) -> procrastinate.App:
    """A Procrastinate app on the store's database (not opened). The app's is synchronous (a small
    pool, to enqueue from page scripts); a worker's is asynchronous (its event loop)."""
    connector: Any
    if sync:
        connector = procrastinate.SyncPsycopgConnector(conninfo=store.libpq_url, min_size=1, max_size=4)
    else:
        connector = procrastinate.PsycopgConnector(conninfo=store.libpq_url, min_size=2, max_size=10)
    return procrastinate.App(connector=connector)


class WorkerStopping(Exception):
    """The worker is stopping with the take unfinished: it goes back to the queue at once."""


class TakeBusy(Exception):
    """Another worker holds the take (or held it, on a host that vanished): look again shortly."""


class TakeUnfinished(Exception):
    """The driver stopped with the take unfinished (a storage failure, say): try again later."""


class Again(BaseRetryStrategy):
    """A take's job is retried until its take has finished: a failed Procrastinate job would be a
    take nobody drives. Stopping: at once (another worker); otherwise after a growing wait."""

    def get_retry_decision(self, *, exception: BaseException, job: Any) -> RetryDecision | None:
        if isinstance(exception, WorkerStopping):
            return RetryDecision(retry_in={"seconds": 0})
        if isinstance(exception, TakeBusy):
            return RetryDecision(retry_in={"seconds": BUSY_RETRY_SECONDS})
        return RetryDecision(retry_in={"seconds": min(60, 2 ** min(int(job.attempts), 6))})


class QueuedExecutor:
    """The app's executor when workers drive the takes: `start` enqueues, nothing is driven here.
    Same calls as runner.executor.Executor (the one JobRunner holds is chosen in JobRunner)."""

    def __init__(self, store: Store, at_once: dict[ProviderId, int] | None = None) -> None:
        self.store = store
        self.at_once = at_once if at_once is not None else settings.takes_at_once()
        self.app = app_for(store, sync=True)
        self.app.open()

    def start(self, job_id: str, client: object | None = None) -> None:
        """Enqueue the take (a key typed in a session never reaches a worker: `client` is unused)."""
        job = self.store.get_job(job_id)
        if job is not None:
            self.start_jobs([job])

    def start_jobs(self, jobs: list[Job]) -> None:
        """Enqueue these takes (a Generate's, just written). If that fails, they wait in the store:
        a worker's sweep (`resume`) enqueues them."""
        try:
            enqueue(self.app, [job for job in jobs if not job.state.finished], self.at_once)
        except Exception as exc:  # the rows are written: not lost, only later
            log.warning(
                "%d takes not enqueued now (%s); a worker's sweep will", len(jobs), type(exc).__name__
            )

    def cancel(self, job_id: str) -> None:
        self.store.update_job(job_id, details={CANCEL: True})
        self.store.send_wake(job_id)

    def wake(self, job_id: str) -> None:
        self.store.send_wake(job_id)

    def resume(self, jobs: list[Job]) -> None:
        """Enqueue the unfinished takes that are in no queue job (made before workers ran takes,
        or left by a failure between writing the take and enqueuing it). Done by the app when it
        starts and by the watching worker every SWEEP_SECONDS; a take enqueued twice is harmless
        (the second finds it held, or finished)."""
        queued = queued_takes(self.app)
        enqueue(self.app, [job for job in jobs if job.id not in queued], self.at_once)

    def wait(self, job_id: str, timeout: float | None = None) -> None:
        """Until the take has finished, as the store says (for scripts and tests; pages never wait)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while deadline is None or time.monotonic() < deadline:
            job = self.store.get_job(job_id)
            if job is None or job.state.finished:
                return
            time.sleep(0.05)

    def shutdown(self, timeout: float) -> None:
        self.app.close()


def enqueue(app: procrastinate.App, jobs: list[Job], at_once: dict[ProviderId, int]) -> None:
    """Put each take in its provider's queue under its least busy slot (the locks read once for
    them all, each take counted as it is placed); a take already waiting: nothing."""
    busy: dict[str, int] = {}
    for provider in {job.provider for job in jobs}:
        for lock in app.job_manager.list_locks(queue=queue_name(provider)):
            busy[lock["name"]] = lock["todo"] + lock["doing"]
    for job in jobs:
        slot = min(slots(job.provider, at_once.get(job.provider, 1)), key=lambda name: busy.get(name, 0))
        busy[slot] = busy.get(slot, 0) + 1
        deferrer = app.configure_task(
            TASK, queue=queue_name(job.provider), lock=slot, queueing_lock=f"take:{job.id}"
        )
        with contextlib.suppress(procrastinate_errors.AlreadyEnqueued):  # waiting in the queue already
            deferrer.defer(take_id=job.id)


def queued_takes(app: procrastinate.App) -> set[str]:
    """Takes with a queue job waiting or running."""
    found: set[str] = set()
    for status in ("todo", "doing"):
        for row in app.job_manager.list_jobs(task=TASK, status=status):
            found.add(str(row.task_kwargs.get("take_id")))
    return found
