"""Runs each job's Driver on its own thread, and decides what an error means for the job.

One thread per unfinished job in the app (`start`); a `storyboard-worker` calls `drive` on the
threads its job queue gives it (storyboard.worker). Once the
provider has a job it is never given up on: passing problems and key problems are waited out
(RECOVERY policy) until the job completes, the provider says it failed, or its link expired.
Worker threads never touch Streamlit: they write to the store, pages read it.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from storyboard import messages
from storyboard.job_states import UNSENT
from storyboard.models import Job, JobState
from storyboard.providers.base import ProviderClient, ProviderError
from storyboard.runner.driver import CHARGED, Driver
from storyboard.runner.policies import Policies
from storyboard.runner.registry import Registry
from storyboard.runner.waker import Waker
from storyboard.store import Store

log = logging.getLogger(__name__)


class KeyMissing(Exception):
    """A paid job's provider has no key in this app right now."""


class Executor:
    def __init__(
        self,
        store: Store,
        data_dir: Path,
        registry: Registry,
        *,
        backoff: float,
        public_url: str | None = None,
        cancel_flag: Callable[[str], bool] | None = None,
        server_keys: bool = False,
    ) -> None:
        """`public_url`: where providers can call back (settings.public_url), or None: poll only.
        `cancel_flag`: whether a take's cancel was asked for elsewhere (a worker reads the store's
        flag, storyboard.runner.queue); asked besides `cancel`'s own set. `server_keys`: keys come
        only from the server's configuration (a worker): a take without one says so."""
        self.store = store
        self.data_dir = data_dir
        self.registry = registry
        self.stopping = threading.Event()
        self.policies = Policies(backoff, self.stopping)
        self.cancel_requested: set[str] = set()
        self._cancel_flag = cancel_flag
        self.server_keys = server_keys
        self.public_url = public_url
        # Cuts a job's wait short: a provider called back (storyboard.callbacks), a key came, a cancel
        # was asked for, or shutdown.
        self.waker = Waker()
        self._threads: dict[str, threading.Thread] = {}
        self.lock = threading.Lock()

    def start(self, job_id: str, client: ProviderClient | None = None) -> None:
        """Drive the job on its own thread; a job already driven gets the new client at once."""
        with self.lock:  # registered and started under the lock: a second start() sees it alive
            if client is not None:
                self.registry.give(job_id, client)
            thread = self._threads.get(job_id)
            if thread is not None and thread.is_alive():
                self.waker.wake(job_id)  # a new client: use it now
                return
            thread = threading.Thread(target=self._run, args=(job_id,), name=f"job-{job_id}", daemon=True)
            self._threads[job_id] = thread
            thread.start()

    def cancel(self, job_id: str) -> None:
        """Ask the take's driver to cancel it (with the provider, if sent), now."""
        self.cancel_requested.add(job_id)
        self.waker.wake(job_id)  # a take waiting for its call back hears it now

    def wake(self, job_id: str) -> None:
        """A provider called back about this take: look at it now."""
        self.waker.wake(job_id)

    def cancelling(self, job_id: str) -> bool:
        return job_id in self.cancel_requested or (
            self._cancel_flag is not None and self._cancel_flag(job_id)
        )

    def wait(self, job_id: str, timeout: float | None = None) -> None:
        with self.lock:
            thread = self._threads.get(job_id)
        if thread is not None:
            thread.join(timeout)

    def shutdown(self, timeout: float) -> None:
        self.stopping.set()
        self.waker.stop()
        with self.lock:
            threads = list(self._threads.values())
        for thread in threads:
            thread.join(timeout)

    # ---- one job's thread ----------------------------------------------------------------------

    def drive(self, job_id: str) -> None:
        """Drive the take on this thread until it has finished, or stops moving (shutting down, a
        paid take whose provider has no key: waited out here). Errors end here, recorded on it."""
        woken = functools.partial(self.waker.wait, job_id)
        with contextlib.suppress(Exception):  # already recorded on the job by _recover, or shutting down
            self.policies.RECOVERY(woken, lambda exc: self._recover(job_id, exc))(self._drive, job_id)

    def forget(self, job_id: str) -> None:
        """The take's driver has ended here: drop its wake and its typed client."""
        self.waker.forget(job_id)
        self.registry.release(job_id)
        self.cancel_requested.discard(job_id)

    def _run(self, job_id: str) -> None:
        try:
            self.drive(job_id)
        finally:
            with self.lock:
                if self._threads.get(job_id) is threading.current_thread():
                    del self._threads[job_id]
                    self.waker.forget(job_id)
                    self.registry.release(job_id)

    def _drive(self, job_id: str) -> None:
        job = self.store.get_job(job_id)
        if job is None or job.state.finished:
            return
        client = self.registry.client_for(job_id, job.provider)
        if client is None:
            self._without_key(job)
            return
        driver = Driver(
            self.store,
            self.data_dir,
            client,
            self.policies,
            stopping=self.stopping,
            cancel_requested=self.cancelling,
            waker=self.waker,
            public_url=self.public_url,
        )
        driver.run(job_id)

    def _without_key(self, job: Job) -> None:
        """No key for this job's provider (it was typed in a session that ended with the app)."""
        if job.state in UNSENT:
            self.store.transition(
                job.id,
                UNSENT,
                state=JobState.FAILED,
                message=messages.keyless_unsent(job.provider, self.server_keys),
            )
        elif job.state == JobState.SUBMITTING:
            self.store.transition(
                job.id,
                (JobState.SUBMITTING,),
                state=JobState.UNKNOWN,
                message=messages.unknown(job.provider, messages.stopped_while_sending(job.provider)),
            )
        else:  # paid and on the provider: kept until a key can collect it (see _recover)
            raise KeyMissing(f"No {messages.label(job.provider)} key.")

    def _recover(self, job_id: str, exc: BaseException) -> bool:
        """Record what an error means for the job. True: wait and drive it again."""
        job = self.store.get_job(job_id)
        if job is None or job.state.finished:
            return False
        said = exc.message if isinstance(exc, ProviderError) else None
        if job.state in UNSENT:
            reason = said or messages.failed_before_sending(exc)
            self.store.transition(
                job_id, UNSENT, state=JobState.FAILED, message=f"{reason}{messages.NOTHING_CHARGED}"
            )
            return False
        if job.state == JobState.SUBMITTING:
            client = self.registry.client_for(job_id, job.provider)
            reason = said or messages.unreadable_answer(job.provider, exc)
            if client is not None:
                driver = Driver(self.store, self.data_dir, client, self.policies, stopping=self.stopping)
                found = driver.unknown(job, reason) == JobState.RUNNING  # in the provider's history
                return found and not self.stopping.is_set()
            self.store.transition(
                job_id,
                (JobState.SUBMITTING,),
                state=JobState.UNKNOWN,
                message=messages.unknown(job.provider, reason),
            )
            return False
        # RUNNING or DOWNLOADING: the provider has the job and it is paid for. Never give up on it
        # for a passing problem, nor for a key problem (no key, a key refused, or a typed key of an
        # account that does not know the job): keep it and wait for a working key. A definite "no"
        # about the job itself ends it with the provider's reason. (A refused result link never
        # gets here: the driver fails the take, saying the link expired.)
        adopted = job_id in self.registry.adopted
        if isinstance(exc, KeyMissing) or (
            isinstance(exc, ProviderError)
            and (exc.status_code in (401, 403) or (exc.status_code == 404 and adopted))
        ):
            with self.registry.lock:
                self.registry.waiting_for_key.add(job_id)
            self.store.update_job(
                job_id,
                message=messages.waiting_for_key(job.provider, said, self.server_keys),
                details={"last_error": f"{type(exc).__name__}: {exc}"},
            )
            return True
        if isinstance(exc, ProviderError) and not exc.retryable:
            details: dict[str, Any] = {"failure": {"status": exc.status_code, "body": exc.raw}}
            if job.state == JobState.DOWNLOADING:
                details[CHARGED] = True  # the provider made it: it is paid for
            self.store.transition(job_id, (job.state,), details, state=JobState.FAILED, message=exc.message)
            return False
        log.warning("job %s: %s; will try again", job_id, exc)
        self.store.update_job(
            job_id,
            message=messages.retrying(job.provider, said),
            details={"last_error": f"{type(exc).__name__}: {exc}"},
        )
        return True
