"""Throwaway servers for trying the team setup on one machine (`make team`) and for the tests:

- PostgresServer: a PostgreSQL cluster from Debian's `postgresql` package (initdb + pg_ctl) in a
  temp dir, listening on 127.0.0.1 on a free port (its socket in the temp dir, so it never meets a
  system cluster), durability off (fsync) since it is thrown away. initdb refuses to run as root:
  as root the cluster is made and run as the `postgres` user (which the package creates), in a temp
  dir that user owns.
- S3Server: an S3 emulator (moto's standalone server, `pip install -e '.[team]'`) on 127.0.0.1, in
  its own process, answering for every bucket it is asked to make; it stops when its stdin closes.
- `python -m storyboard.devstack` (what `make team` runs): both of those, two `storyboard-worker`
  processes and the app, all on this machine; Ctrl-C stops them and removes every temp dir.

    with PostgresServer() as server:
        url = server.create_database("t1")      # postgresql+psycopg://...
    with S3Server() as s3:
        env = s3.env(s3.make_bucket("takes"))   # STORYBOARD_MEDIA_URL, STORYBOARD_S3_ENDPOINT_URL, AWS_*

Nothing here is used by the app itself. Every process is started in a session of its own, so a
Ctrl-C in the terminal reaches only the launcher, which stops them in order (the app, the workers,
then the bucket and the database they write to).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from types import FrameType, TracebackType
from typing import Any

import httpx
import psycopg
from psycopg import sql

from storyboard import settings
from storyboard.catalog import PROVIDERS

BIN_DIRS = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name), reverse=True)
USER = "storyboard"  # the role everyone connects as (a superuser of the throwaway cluster)
PASSWORD = "test-only"  # a password in the URL, so the app's handling of one is exercised
ROOT = Path(__file__).resolve().parent.parent  # the checkout: serve.py is run from there


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


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


class PostgresServer:
    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="storyboard-pg-"))
        self.port = free_port()
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
        """The server gone at once (immediate: nothing to keep) and its dir removed."""
        pid_file = self.data / "postmaster.pid"
        if pid_file.exists():
            try:
                self._run(_bin("pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop")
            except RuntimeError:  # pg_ctl could not stop it: the postmaster itself, by its pid
                with contextlib.suppress(OSError, ValueError, IndexError):
                    os.kill(int(pid_file.read_text().split()[0]), signal.SIGQUIT)
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
        # A session of its own: the postmaster pg_ctl leaves running never sees the terminal's Ctrl-C
        # (its owner stops it, in order, after the processes that use it).
        done = subprocess.run(
            [*self._as, *command], capture_output=True, text=True, cwd=self.root, start_new_session=True
        )
        if done.returncode != 0:
            log = self.root / "log"
            tail = log.read_text()[-2000:] if log.exists() else ""
            raise RuntimeError(f"{' '.join(command)} failed: {done.stderr or done.stdout}{tail}")


# Started by a few lines of Python rather than the `moto_server` script: the server picks a free port
# (no race between choosing one and binding it) and says which; it stops when its stdin closes, so it
# never outlives whoever started it, even one that is killed.
_SERVE_S3 = """
import sys
from moto.server import ThreadedMotoServer
server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
server.start()
print(server.get_host_and_port()[1], flush=True)
sys.stdin.read()
server.stop()
"""

# moto accepts any credentials; these are what the app's boto3 client finds in the environment.
CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing-access-key",
    "AWS_SECRET_ACCESS_KEY": "testing-secret-key-never-shown",
    "AWS_DEFAULT_REGION": "us-east-1",
}


def said_port(process: subprocess.Popen[str]) -> int | None:
    """The port a child server says on its first line of output once it listens (None: it did not)."""
    assert process.stdout is not None
    port = process.stdout.readline().strip()
    return int(port) if port.isdigit() else None


def stop_by_stdin(process: subprocess.Popen[str]) -> None:
    """Stop a child server that ends when its stdin closes (killed if it has not within 10 s)."""
    assert process.stdin is not None
    process.stdin.close()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


class S3Server:
    def __init__(self) -> None:
        self.process: subprocess.Popen[str] | None = None
        self.url = ""
        self._client: Any = None

    def __enter__(self) -> S3Server:
        self.process = subprocess.Popen(
            [sys.executable, "-c", _SERVE_S3],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,  # a line per request otherwise
            text=True,
            start_new_session=True,  # stopped by its owner (stdin closed), not by the terminal's Ctrl-C
        )
        port = said_port(self.process)
        if port is None:
            self.__exit__()
            raise RuntimeError("The S3 emulator did not start: install it with pip install -e '.[team]'.")
        self.url = f"http://127.0.0.1:{port}"
        return self

    def __exit__(self, *exc: object) -> None:
        if self.process is not None:
            stop_by_stdin(self.process)
            self.process = None

    def client(self) -> Any:
        """A boto3 client of the emulator, to make buckets and look inside them (made once: ~0.1 s)."""
        import boto3

        if self._client is not None:
            return self._client
        self._client = boto3.session.Session(
            aws_access_key_id=CREDENTIALS["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
            region_name=CREDENTIALS["AWS_DEFAULT_REGION"],
        ).client("s3", endpoint_url=self.url)
        return self._client

    def make_bucket(self, name: str | None = None) -> str:
        """A new, empty bucket (a fresh name each call unless given)."""
        name = name or f"takes-{uuid.uuid4().hex[:12]}"
        self.client().create_bucket(Bucket=name)
        return name

    def env(self, bucket: str, prefix: str = "studio") -> dict[str, str]:
        """The settings that point the app's media at `bucket/prefix` on this emulator."""
        return {
            settings.MEDIA_URL_ENV: f"s3://{bucket}/{prefix}",
            settings.S3_ENDPOINT_ENV: self.url,
            **CREDENTIALS,
        }


# ---- `make team` ---------------------------------------------------------------------------------

STOP_SECONDS = 20.0  # a process asked to stop (SIGTERM) is killed after this long


class _Stopping:
    """Set by SIGINT (Ctrl-C), SIGTERM or SIGHUP: startup goes on to a known point, then all stops."""

    def __init__(self) -> None:
        self.event = threading.Event()
        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(signum, self._set)

    def _set(self, _signum: int, _frame: FrameType | None) -> None:
        self.event.set()


def _spawn(command: list[str], env: dict[str, str], cwd: Path) -> subprocess.Popen[bytes]:
    # Its own session: the terminal's Ctrl-C reaches the launcher only, which stops it in order.
    return subprocess.Popen(command, env=env, cwd=cwd, start_new_session=True)


def _end(*processes: subprocess.Popen[bytes]) -> None:
    """SIGTERM to all at once (each stops in its own time), SIGKILL to any still there after STOP_SECONDS."""
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + STOP_SECONDS
    for process in processes:
        try:
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _answers(client: httpx.Client, url: str) -> bool:
    try:
        return client.get(f"{url}/_stcore/health").text == "ok"
    except httpx.HTTPError:
        return False


def run_team(host: str, port: int, workers: int, stopping: threading.Event) -> int:
    """The stack, until `stopping` is set or one of its processes ends; everything stopped and
    removed on the way out. 0 when stopped as asked, 1 when a piece failed."""
    root = Path(tempfile.mkdtemp(prefix="storyboard-team-"))
    children: list[subprocess.Popen[bytes]] = []
    failed = 0
    try:
        with contextlib.ExitStack() as servers:
            postgres, s3 = PostgresServer(), S3Server()
            servers.callback(postgres.stop)  # last: the workers and the app use it to the end
            servers.callback(s3.__exit__)
            with ThreadPoolExecutor(2) as pool:  # initdb and moto's import take ~2 s each: together
                starting: list[Future[object]] = [pool.submit(postgres.start), pool.submit(s3.__enter__)]
            for started in starting:
                started.result()  # a RuntimeError saying what to install
            # The person's settings and keys pass on (STORYBOARD_TAKES_AT_ONCE, ...), but not what
            # would point the stack elsewhere: the database, bucket and data dirs are set below.
            elsewhere = (settings.RUN_TAKES_ENV, "AWS_PROFILE", "AWS_SESSION_TOKEN")
            env = {k: v for k, v in os.environ.items() if k not in elsewhere}
            env.update(
                {
                    settings.DATABASE_URL_ENV: postgres.create_database("studio"),
                    **s3.env(s3.make_bucket("studio")),
                    "PYTHONUNBUFFERED": "1",  # the workers' lines as they happen
                }
            )
            for n in range(1, workers + 1):
                data = root / f"worker-{n}"  # Preview's working files: each worker its own
                children.append(
                    _spawn(
                        [sys.executable, "-m", "storyboard.worker"],
                        {**env, settings.DATA_DIR_ENV: str(data)},
                        ROOT,
                    )
                )
            serve = [
                sys.executable, "-m", "streamlit", "run", "serve.py", "--server.headless", "true",
                "--server.address", host, "--server.port", str(port), "--browser.gatherUsageStats", "false",
            ]  # fmt: skip
            app = _spawn(serve, {**env, settings.DATA_DIR_ENV: str(root / "app")}, ROOT)
            children.append(app)
            url = f"http://{'localhost' if host in ('127.0.0.1', 'localhost') else host}:{port}"
            probe = f"http://{'127.0.0.1' if host in ('0.0.0.0', '::', 'localhost') else host}:{port}"
            # one client for every check: httpx.get() makes one (with its TLS context) per call, ~20 ms
            # of CPU each, taken from the app starting beside it
            with httpx.Client(timeout=1, limits=httpx.Limits(max_keepalive_connections=0)) as health:
                while not _answers(health, probe):
                    if stopping.wait(0.2) or app.poll() is not None:
                        break
                else:
                    keys = [
                        name for p in PROVIDERS if (name := PROVIDERS[p].key_env) and os.environ.get(name)
                    ]
                    print(_started(url, env, s3.url, [c.pid for c in children[:-1]], keys, root), flush=True)
            while not stopping.is_set():
                ended = [c for c in children if c.poll() is not None]
                if ended:
                    print(
                        f"A piece of the team stack stopped (pid {ended[0].pid}): stopping the rest.",
                        flush=True,
                    )
                    failed = 1
                    break
                stopping.wait(0.5)
            print("Stopping the app, the workers, the bucket and the database…", flush=True)
            _end(*children)
    except RuntimeError as problem:  # PostgreSQL or moto not installed, or would not start
        print(problem, file=sys.stderr, flush=True)
        failed = 1
    finally:
        _end(*children)  # after a failure midway; a second time costs nothing
        shutil.rmtree(root, ignore_errors=True)
    if not failed:
        print("Stopped; nothing is left running and the temp dirs are removed.", flush=True)
    return failed


def _started(
    url: str, env: dict[str, str], s3_url: str, workers: list[int], keys: list[str], root: Path
) -> str:
    database = env[settings.DATABASE_URL_ENV]
    return "\n".join(
        [
            "Storyboard Studio, team stack on this machine (thrown away on Ctrl-C):",
            f"  app         {url}",
            f"  PostgreSQL  {database}",
            "              drafts, takes, spending caps and the takes' queue, shared by every app and worker",
            f"  bucket      {env[settings.MEDIA_URL_ENV]} on {s3_url} (moto's S3 emulator)",
            "              videos, posters and first frames; the page plays them from there",
            f"  workers     {len(workers)} storyboard-worker processes (pids {', '.join(map(str, workers))})",
            "              drive the takes the app enqueues; their log lines follow",
            f"  keys        {', '.join(keys) if keys else 'none in the environment: Preview only'}",
            f"  temp dir    {root}",
            "Press Ctrl-C to stop everything.",
        ]
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m storyboard.devstack", description="A local team stack.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8501)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)
    return run_team(args.host, args.port, max(1, args.workers), _Stopping().event)


if __name__ == "__main__":
    sys.exit(main())
