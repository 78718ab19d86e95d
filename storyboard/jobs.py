"""JobRunner: what the pages call to make takes. A thin facade over storyboard/runner/:
admission (checks and the rows, written before anything is sent), the executor (a thread per job
running its driver: upload, submit once, follow, download) and the registry of clients.

Which executor is the one choice made here (settings.takes_run_by_workers): on SQLite, the app's
threads (one runner per data dir, a file lock); on PostgreSQL, `storyboard-worker` processes, the
app only enqueuing (runner.queue.QueuedExecutor). On start-up every unfinished job is resumed
(`resume_unfinished`). Worker threads never touch Streamlit: they write to the store, pages read it.
"""

from __future__ import annotations

import contextlib
import fcntl
import threading
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from typing import IO

from storyboard import callbacks, formats, messages, settings
from storyboard.job_states import UNSENT
from storyboard.layout import DataDir
from storyboard.models import Job, JobState, ProviderId, Storyboard
from storyboard.people import SOLO, Actor
from storyboard.permissions import Action, check, refusal
from storyboard.providers.base import ProviderClient
from storyboard.providers.fal_webhook import FalKeys
from storyboard.runner import admission
from storyboard.runner.admission import GenerateRefused, PriceChanged
from storyboard.runner.executor import Executor
from storyboard.runner.queue import QueuedExecutor
from storyboard.runner.registry import Registry
from storyboard.store import Store

__all__ = ["DataDirBusy", "GenerateRefused", "JobRunner", "PriceChanged"]


class DataDirBusy(RuntimeError):
    """Another running copy of the app owns this data dir (or drives the takes of this database)."""


APP_DRIVES_TAKES = "storyboard-app-drives-takes"  # held (Store.hold) by the app whose threads drive takes


class JobRunner:
    def __init__(
        self,
        store: Store,
        data_dir: Path,
        clients: Mapping[ProviderId, ProviderClient],
        *,
        backoff: float = 0.5,
        public_url: str | None = None,
        fal_keys: FalKeys | None = None,
        workers: bool | None = None,
    ) -> None:
        """`backoff`: the first wait before retrying a call, in seconds (doubling, with jitter).
        `public_url` (settings.public_url): set, hosted takes ask their provider to call back into
        `callback` instead of being polled; `fal_keys`: where fal's webhook keys come from (by
        default FAL_JWKS_URL, fetched when fal first calls). `workers`: whether workers drive the
        takes (by default settings.takes_run_by_workers for the store's database)."""
        self.store = store
        self.data_dir = data_dir
        self._registry = Registry(clients)
        if workers is None:
            workers = settings.takes_run_by_workers(store.url.render_as_string())
        self.workers = workers
        self._executor: Executor | QueuedExecutor
        if workers:  # keys in team mode are the server's (the workers' environment); none typed
            self._executor = QueuedExecutor(store)
        else:
            self._executor = Executor(store, data_dir, self._registry, backoff=backoff, public_url=public_url)
        self._fal_keys = fal_keys
        self._fal_keys_lock = threading.Lock()
        self._admission = threading.Lock()  # caps checked and rows written together
        # Threads driving takes from two apps would both drive them (each resumes every unfinished
        # take when it starts): one app drives takes per data dir, and per PostgreSQL database when
        # the app's threads drive them there (STORYBOARD_RUN_TAKES=app), replicas having data dirs
        # of their own. With workers the app drives none: replicas share the database freely.
        self._held = contextlib.ExitStack()
        self._lockfile: IO[bytes] | None = None
        try:
            if not workers:
                self._lockfile = _lock_data_dir(data_dir)
            if not workers and store.postgres and not self._held.enter_context(store.hold(APP_DRIVES_TAKES)):
                raise DataDirBusy(
                    "Another copy of Storyboard Studio drives the takes of this database "
                    f"({settings.RUN_TAKES_ENV}=app): stop it, or unset {settings.RUN_TAKES_ENV} and run "
                    "storyboard-worker processes to run several copies."
                )
        except BaseException:
            self.shutdown(0)
            raise

    @property
    def clients(self) -> dict[ProviderId, ProviderClient]:
        """The app's clients (keys from the environment or secrets file): every session's."""
        return self._registry.clients

    # ---- what the UI calls ---------------------------------------------------------------------

    def adopt(self, client: ProviderClient) -> int:
        """Hand this client (a key typed on Settings) the paid takes on its provider that wait for a
        key: left without one by a restart, or refused by the provider. Returns how many (none
        with workers: a typed key stays in its browser session; workers use the server's keys)."""
        if isinstance(self._executor, QueuedExecutor):
            return 0
        adopted = 0
        for job in self.store.unfinished_jobs():
            if (
                job.provider != client.provider
                or job.state in UNSENT
                or not self._registry.adopt(job.id, job.provider)
            ):
                continue
            self._executor.start(job.id, client)
            adopted += 1
        return adopted

    def can_generate(self, provider: ProviderId, client: ProviderClient | None = None) -> str | None:
        """Why Generate is unavailable on a provider (for a session holding `client`), or None."""
        if self.workers:  # the workers' keys are the server's: a session's typed key never reaches them
            return None if provider in self.clients else messages.no_server_key(provider)
        return self._registry.can_generate(provider, client)

    def cancellable(self, job: Job) -> bool:
        """Can the Cancel button do anything: nothing sent yet, or a provider that stops started jobs."""
        if job.state in UNSENT:
            return True
        client = self._registry.client_for(job.id, job.provider)
        return client is not None and client.cancellable

    def generate(self, storyboard: Storyboard, client: ProviderClient | None = None) -> Job:
        """Create (or find) the take for this storyboard and start it. Safe to call twice.
        `client`: the session's own (a key typed on Settings), else the app's for that provider.
        The caps saved in the store refuse it, before anything is written or sent, if it would pass one."""
        return self.generate_takes(storyboard, 1, client)[0]

    def generate_takes(
        self,
        storyboard: Storyboard,
        count: int,
        client: ProviderClient | None = None,
        *,
        shown_total: Decimal | None = None,
        actor: Actor = SOLO,
    ) -> list[Job]:
        """Create (or find) `count` takes of this storyboard in each of its formats and start them,
        each with its own key. While takes of the same storyboard run, pressing again finds those,
        never more. `shown_total`: the price for every take the person saw on the button; if the
        price differs now, PriceChanged says the new one and nothing is written or sent. With a first
        frame, each format's take sends the frame fitted to that format (saved before any row).
        `actor`: who presses Generate (issue 13): refused before anything is read or written unless
        their role may generate; the takes are theirs, and their own daily cap applies."""
        not_theirs = refusal(actor, Action.GENERATE)
        if not_theirs:
            raise GenerateRefused(not_theirs)
        blocker = self.can_generate(storyboard.provider, client)
        try:
            per_format = formats.take_storyboards(storyboard, self.data_dir)
        except formats.FrameUnusable as unusable:
            raise GenerateRefused(str(unusable)) from None
        prices = admission.check_formats(per_format, count, shown_total)
        if blocker:
            raise GenerateRefused(blocker)
        with self._admission:  # keys numbered and rows written together (caps: one store transaction)
            orders = [
                (board, admission.take_keys(self.store, board, count), price)
                for board, price in zip(per_format, prices, strict=True)
            ]
            jobs, created = admission.write_orders(self.store, orders, actor)
        if isinstance(self._executor, QueuedExecutor):
            self._executor.start_jobs([job for job in jobs if job.id in created])
        else:
            for job_id in created:
                self.start(job_id, client)
        return jobs

    def start(self, job_id: str, client: ProviderClient | None = None) -> None:
        self._executor.start(job_id, client)

    def resume_unfinished(self) -> int:
        jobs = self.store.unfinished_jobs()
        if isinstance(self._executor, QueuedExecutor):
            self._executor.resume(jobs)
        else:
            for job in jobs:
                self.start(job.id)
        return len(jobs)

    def cancel(self, job_id: str, actor: Actor = SOLO) -> None:
        """Cancel now if nothing was sent; otherwise whoever drives the take asks the provider.
        Raises Refused unless `actor` may change the take (its author, or an admin)."""
        if not actor.solo:  # SOLO may change every take: no read for the single-person app
            job = self.store.get_job(job_id)
            check(actor, Action.CHANGE_TAKE, owner=None if job is None else job.author)
        self.store.transition(job_id, UNSENT, state=JobState.CANCELLED, message=messages.CANCELLED_UNSENT)
        self._executor.cancel(job_id)

    def callback(
        self, provider: str, job_id: str, token: str, headers: Mapping[str, str], body: bytes
    ) -> int:
        """A provider's call to `/api/callback/<provider>/<job id>?t=<token>`: the HTTP status to
        answer; a genuine call wakes the take (see storyboard.callbacks). `headers` in lower case."""
        return callbacks.answer(
            self.store,
            self._executor.wake,
            self._keys_of_fal,
            provider=provider,
            job_id=job_id,
            token=token,
            headers=headers,
            body=body,
        )

    def _keys_of_fal(self) -> FalKeys:
        with self._fal_keys_lock:
            if self._fal_keys is None:
                self._fal_keys = FalKeys()
            return self._fal_keys

    def wait(self, job_id: str, timeout: float | None = None) -> Job:
        """Block until a job's thread ends (for tests and scripts; the UI never waits)."""
        self._executor.wait(job_id, timeout)
        job = self.store.get_job(job_id)
        assert job is not None
        return job

    def shutdown(self, timeout: float = 5.0) -> None:
        """Stop following jobs (they stay unfinished and resume next time) and free the data dir."""
        self._executor.shutdown(timeout)
        self._registry.close_all()
        if self._fal_keys is not None:
            self._fal_keys.close()
        if self._lockfile is not None:
            self._lockfile.close()
        self._held.close()


def _lock_data_dir(data_dir: Path) -> IO[bytes]:
    data_dir.mkdir(parents=True, exist_ok=True)
    handle = DataDir(data_dir).lock.open("ab")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        raise DataDirBusy(
            f"Another copy of Storyboard Studio is using {data_dir}. Close it, or set STORYBOARD_DATA_DIR "
            "to another folder."
        ) from None
    return handle
