"""What the store's tests open: a test imports it from here (a module named `conftest` is
ambiguous once tests/e2e/conftest.py is collected in the same run)."""

from __future__ import annotations

from pathlib import Path

from servers.postgres import PostgresServer

from storyboard.store import Store


class OpenStore:
    """Opens the test's database (again): a second call is a restart, or another process."""

    def __init__(self, engine: str, where: Path | str, server: PostgresServer | None = None) -> None:
        self.engine = engine
        self.where = where  # a SQLite file's path or a PostgreSQL URL: what Store() takes
        self.server = server  # the worker's cluster, on PostgreSQL
        self.opened: list[Store] = []

    def __call__(self, *, legacy_caps: Path | None = None) -> Store:
        store = Store(self.where, legacy_caps=legacy_caps)
        self.opened.append(store)
        return store
