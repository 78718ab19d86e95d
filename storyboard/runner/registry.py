"""Which client serves which job: the app's (keys from the environment or secrets file, every
session's) and the session-typed ones (a key typed on Settings serves only that session's jobs,
and the paid jobs it adopted). A key never leaves its client; this holds clients, never keys."""

from __future__ import annotations

import threading
from collections.abc import Mapping

from storyboard import messages
from storyboard.models import ProviderId
from storyboard.providers.base import ProviderClient


class Registry:
    def __init__(self, clients: Mapping[ProviderId, ProviderClient]) -> None:
        self.clients = dict(clients)  # the app's: every session may use them
        self._typed: dict[str, ProviderClient] = {}  # job id -> a key typed in one session
        self.adopted: set[str] = set()  # paid jobs handed a typed key after the app restarted
        self.waiting_for_key: set[str] = set()  # paid jobs whose provider took no key: kept, retried
        self.lock = threading.Lock()

    def can_generate(self, provider: ProviderId, client: ProviderClient | None = None) -> str | None:
        """Why Generate is unavailable on a provider (for a session holding `client`), or None."""
        if client is not None or provider in self.clients:
            return None
        return messages.no_key(provider)

    def give(self, job_id: str, client: ProviderClient) -> None:
        with self.lock:
            self._typed[job_id] = client

    def client_for(self, job_id: str, provider: ProviderId) -> ProviderClient | None:
        with self.lock:
            return self._typed.get(job_id) or self.clients.get(provider)

    def adopt(self, job_id: str, provider: ProviderId) -> bool:
        """Mark a paid job as adopted by a typed key if it waits for one: left without a key by a
        restart, or its key refused. False when it has a working client already."""
        with self.lock:
            keyless = job_id not in self._typed and provider not in self.clients
            if not (keyless or job_id in self.waiting_for_key):
                return False
            self.adopted.add(job_id)
            return True

    def release(self, job_id: str) -> None:
        """The job's thread ended: forget its typed client and its flags."""
        with self.lock:
            self._typed.pop(job_id, None)
            self.adopted.discard(job_id)
            self.waiting_for_key.discard(job_id)

    def close_all(self) -> None:
        with self.lock:
            every = {*self.clients.values(), *self._typed.values()}
        for client in every:
            client.close()
