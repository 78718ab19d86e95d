"""Wakes a take's driver out of a wait: its provider has called back (the driver then asks for
the status at once instead of at its next planned poll), a key came for it, a cancel was asked for,
or the app is stopping (`stop`).

In this process, one `threading.Event` per take. The interface is the two calls a driver and the
callback route need (`wake`, `wait`) plus housekeeping, so that a worker pool on PostgreSQL can
implement it with LISTEN/NOTIFY: `wake` sends `NOTIFY <channel>, '<take id>'` from whichever
replica got the callback, and each worker's listener sets the local event `wait` is blocked on.
A wake is a hint, never a result: a lost one costs latency (the next planned poll still comes).
"""

from __future__ import annotations

import threading


class Waker:
    def __init__(self) -> None:
        self._events: dict[str, threading.Event] = {}
        self._lock = threading.Lock()
        self._stopped = False

    def _event(self, job_id: str) -> threading.Event:
        with self._lock:
            event = self._events.get(job_id)
            if event is None:
                event = self._events[job_id] = threading.Event()
                if self._stopped:
                    event.set()
            return event

    def wake(self, job_id: str) -> None:
        """Cut this take's current (or next) wait short. A wake before the wait is kept, not lost:
        the callback may come while the driver is busy with a status request."""
        self._event(job_id).set()

    def wait(self, job_id: str, seconds: float) -> bool:
        """Wait up to `seconds` for a wake (or `stop`); True when woken."""
        event = self._event(job_id)
        woken = event.wait(max(0.0, seconds))
        if woken and not self._stopped:
            event.clear()  # one wake, one status request: repeated calls back coalesce
        return woken

    def forget(self, job_id: str) -> None:
        """The take's driver has ended: drop its event."""
        with self._lock:
            self._events.pop(job_id, None)

    def stop(self) -> None:
        """Shutting down: every wait, now and later, returns at once."""
        with self._lock:
            self._stopped = True
            for event in self._events.values():
                event.set()
