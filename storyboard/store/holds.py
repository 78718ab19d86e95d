"""Holds: names this process has to itself among every process on one PostgreSQL (a take it
drives, the watcher's role), as session advisory locks, all on ONE connection of this process's
own. PostgreSQL frees them when that connection ends: a SIGKILLed worker's at once, a vanished
host's once TCP keepalives give up (~25 s). One connection for every hold, not one per take: a
worker driving 250 takes holds 250 locks on one connection.

If the connection breaks while names are held, the next call reconnects and takes them again;
one that another process took meanwhile is logged (both may then drive the take for a while,
which the driver's compare-and-set claims keep harmless).
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import threading
from typing import Any

import psycopg

log = logging.getLogger(__name__)


def key(name: str) -> int:
    """The name as a 64-bit advisory lock key (collisions: 1 in 2^64 per pair)."""
    return int.from_bytes(hashlib.blake2b(name.encode(), digest_size=8).digest(), "big", signed=True)


class Holds:
    def __init__(self, libpq_url: str) -> None:
        self._url = libpq_url
        self._conn: psycopg.Connection[Any] | None = None
        self._held: set[int] = set()
        self._lock = threading.Lock()  # one connection, used by one thread at a time

    def take(self, name: str) -> bool:
        """True: this process now holds `name` (until `give_back`); False: someone holds it,
        this process included (a second driver of one take in one worker is refused too).
        Raises psycopg.Error when the database cannot be reached."""
        wanted = key(name)
        with self._lock:
            if wanted in self._held:
                return False
            if not self._try(wanted):
                return False
            self._held.add(wanted)
            return True

    def give_back(self, name: str) -> None:
        freed = key(name)
        with self._lock:
            if freed not in self._held:
                return
            self._held.discard(freed)
            try:
                self._connection().execute("SELECT pg_advisory_unlock(%s)", (freed,))
            except psycopg.Error:  # the connection is gone, and the lock with it
                self._drop()

    def close(self) -> None:
        with self._lock:
            self._held.clear()
            self._drop()

    def _try(self, wanted: int) -> bool:
        for attempt in (1, 2):  # a broken connection is reconnected once
            try:
                row = self._connection().execute("SELECT pg_try_advisory_lock(%s)", (wanted,)).fetchone()
                return bool(row and row[0])
            except psycopg.OperationalError:
                self._drop()
                if attempt == 2:
                    raise
        return False

    def _connection(self) -> psycopg.Connection[Any]:
        if self._conn is not None and not self._conn.closed and not self._conn.broken:
            return self._conn
        self._drop()
        self._conn = psycopg.connect(
            self._url,
            autocommit=True,  # never idle in a transaction for a take's minutes
            connect_timeout=5,
            keepalives=1,
            keepalives_idle=10,
            keepalives_interval=5,
            keepalives_count=3,
            application_name="storyboard-holds",
        )
        for held in sorted(self._held):  # reconnected while holding: take them again
            row = self._conn.execute("SELECT pg_try_advisory_lock(%s)", (held,)).fetchone()
            if not (row and row[0]):
                log.warning("a hold was lost while reconnecting; another process has it now")
        return self._conn

    def _drop(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(psycopg.Error):
                self._conn.close()
            self._conn = None
