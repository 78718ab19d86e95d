"""A throwaway PostgreSQL cluster for tests and local stacks: initdb + pg_ctl from Debian's
`postgresql` package, in a temp dir, listening on 127.0.0.1 on a free port (its socket in the
temp dir, so it never meets a system cluster), durability off (fsync) since it is thrown away.

    with PostgresServer() as server:
        url = server.create_database("t1")      # postgresql+psycopg://...
        url = server.create_database("t2", template="t1")

initdb refuses to run as root: as root the cluster is made and run as the `postgres` user (which
the package creates), in a temp dir that user owns.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType

import psycopg
from psycopg import sql

BIN_DIRS = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name), reverse=True)
USER = "storyboard"  # the role the tests connect as (a superuser of the throwaway cluster)
PASSWORD = "test-only"  # a password in the URL, so the app's handling of one is exercised


def _bin(name: str) -> str:
    for folder in BIN_DIRS:
        if (folder / name).exists():
            return str(folder / name)
    found = shutil.which(name)
    if found is None:
        raise RuntimeError(
            f"PostgreSQL's {name} was not found: install Debian's postgresql package (apt-get install postgresql)."
        )
    return found


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PostgresServer:
    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="storyboard-pg-"))
        self.port = _free_port()
        self.started_in = 0.0  # seconds initdb + start took (reported by the tests' figures)
        self._as: list[str] = []
        self._owner: int | None = None
        if os.geteuid() == 0:
            entry = pwd.getpwnam("postgres")
            self._owner = entry.pw_uid
            os.chown(self.root, entry.pw_uid, entry.pw_gid)
            self._as = ["runuser", "-u", "postgres", "--"]

    @property
    def data(self) -> Path:
        return self.root / "cluster"

    def start(self) -> PostgresServer:
        try:
            return self._start()
        except BaseException:
            self.stop()  # nothing left running or on disk
            raise

    def _start(self) -> PostgresServer:
        began = time.perf_counter()
        pwfile = self.root / "pw"
        pwfile.write_text(PASSWORD)
        if self._owner is not None:
            os.chown(pwfile, self._owner, -1)
        self._run(
            _bin("initdb"), "-D", str(self.data), "-U", USER, f"--pwfile={pwfile}", "-A", "scram-sha-256",
            "-E", "UTF8", "--locale=C.UTF-8", "--no-sync", "--no-instructions",
        )  # fmt: skip
        options = (
            f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off"
            " -c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
        )
        self._run(
            _bin("pg_ctl"), "-D", str(self.data), "-l", str(self.root / "log"), "-o", options, "-w", "start"
        )
        self.started_in = time.perf_counter() - began
        return self

    def stop(self) -> None:
        if (self.data / "postmaster.pid").exists():
            self._run(_bin("pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> PostgresServer:
        return self.start()

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.stop()

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://{USER}:{PASSWORD}@127.0.0.1:{self.port}/{database}"

    def _admin(self) -> psycopg.Connection[tuple[object, ...]]:
        return psycopg.connect(
            host="127.0.0.1", port=self.port, user=USER, password=PASSWORD, dbname="postgres", autocommit=True
        )

    def create_database(self, name: str, template: str | None = None) -> str:
        """A new, empty database (or a copy of `template`, which nobody may be connected to); its URL."""
        statement = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
        if template is not None:
            statement += sql.SQL(" TEMPLATE {} STRATEGY FILE_COPY").format(sql.Identifier(template))
        with self._admin() as admin:
            admin.execute(statement)
        return self.url(name)

    def execute(self, database: str, statements: str) -> None:
        with psycopg.connect(self.url(database).replace("+psycopg", ""), autocommit=True) as conn:
            conn.execute(statements.encode())  # bytes: several statements in one call

    def drop_database(self, name: str) -> None:
        with self._admin() as admin:
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))

    def _run(self, *command: str) -> None:
        done = subprocess.run([*self._as, *command], capture_output=True, text=True, cwd=self.root)
        if done.returncode != 0:
            log = self.root / "log"
            tail = log.read_text()[-2000:] if log.exists() else ""
            raise RuntimeError(f"{' '.join(command)} failed: {done.stderr or done.stdout}{tail}")
