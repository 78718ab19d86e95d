"""Shared fixtures: a fresh data dir per test, and the app under AppTest with its runner stopped after."""

from __future__ import annotations

import functools
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from fakes.wavespeed import FakeWaveSpeed
from samples import write_mp4
from servers.postgres import PostgresServer
from servers.s3 import S3Server
from stores import OpenStore
from streamlit.components.v2 import manifest_scanner
from streamlit.testing.v1 import AppTest

from storyboard.store import Store, schema, tables

ROOT = Path(__file__).resolve().parent.parent

# Each new AppTest's first run scans every installed distribution's metadata for Streamlit component
# manifests (~0.13 s, a few hundred AppTests in the suite); nothing is installed or removed while
# the tests run, so the scan is made once per test process and its findings handed to each AppTest.
_scan_component_manifests = functools.cache(manifest_scanner.scan_component_manifests)


def _scanned_once(max_workers: int | None = None) -> list[tuple[manifest_scanner.ComponentManifest, Path]]:
    return list(_scan_component_manifests(max_workers))


manifest_scanner.scan_component_manifests = _scanned_once


def pytest_collection_finish(session: pytest.Session) -> None:
    """Apps and worker processes are forked from a process that imports the app's libraries first
    (tests/warm_start.py, ~4 s of CPU): when a test here starts any, those imports begin now, beside
    the first tests, rather than when the first start waits for them."""
    if any(_starts_processes(item) for item in session.items):
        import warm_start

        warm_start.warm_up()


def _starts_processes(item: pytest.Item) -> bool:
    module = getattr(item, "module", None)  # a test function's module (its tests start workers)
    return item.get_closest_marker("e2e") is not None or hasattr(module, "warm_start")


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    path = tmp_path / "data"
    monkeypatch.setenv("STORYBOARD_DATA_DIR", str(path))
    for name in ("WAVESPEED_API_KEY", "FAL_KEY", "EVOLINK_API_KEY", "STORYBOARD_MEDIA_URL"):
        monkeypatch.delenv(name, raising=False)
    # The fakes finish a job in a fraction of a second, where a real one takes minutes: the app's
    # first look at a job (1 s, the official SDKs' default) is most of an AppTest's wait. The poll
    # plan itself is tested in test_job_machine.py and measured by bench/hosted_latency.py.
    from storyboard.providers.hosted import HostedClient

    monkeypatch.setattr(HostedClient, "poll_interval", 0.05)
    for client in HostedClient.__subclasses__():
        monkeypatch.setattr(client, "poll_interval", 0.05)
    yield path
    from components import runtime  # imported late: core-only test files need no UI

    runtime.shutdown()


@pytest.fixture(scope="session")
def s3_server() -> Iterator[S3Server]:
    """One S3 emulator per test worker, started when a test first asks for a bucket (~1 s)."""
    with S3Server() as server:
        yield server


@pytest.fixture
def bucket(s3_server: S3Server, data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """The app's media in a fresh, empty bucket on the emulator (the database stays in the data dir)."""
    name = s3_server.make_bucket()
    for setting in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"):
        monkeypatch.delenv(setting, raising=False)
    for setting, value in s3_server.env(name).items():
        monkeypatch.setenv(setting, value)
    return name


@pytest.fixture(params=["data dir", "bucket"])
def media_in(request: pytest.FixtureRequest, data_dir: Path) -> str:
    """Runs the test twice: media in the data dir, then in a fresh bucket on the emulator."""
    if request.param == "bucket":
        request.getfixturevalue("bucket")
    return str(request.param)


@pytest.fixture
def app(data_dir: Path) -> AppTest:
    """The whole app, as a browser session would see it, on a fresh data dir."""
    os.chdir(ROOT)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.run()
    assert not at.exception, at.exception
    return at


@pytest.fixture
def team_dir(data_dir: Path, tmp_path: Path) -> Iterator[Path]:
    """The app run from a folder whose `.streamlit/secrets.toml` has an `[auth]` table (the secrets
    file is read relative to the working directory, as `streamlit run` does), on a data dir that
    already holds a storyboard no stranger may see (team_steps.SECRET)."""
    from team_steps import AUTH, SECRET

    from components.runtime import open_runtime  # imported late: core-only test files need no UI

    open_runtime().store.save_draft(SECRET)
    folder = tmp_path / "team"
    (folder / ".streamlit").mkdir(parents=True)
    (folder / ".streamlit" / "secrets.toml").write_text(AUTH)
    os.chdir(folder)
    yield folder
    os.chdir(ROOT)


@pytest.fixture(scope="session")
def tiny_mp4(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real 1 s H.264 MP4, as a provider would hand back."""
    return write_mp4(tmp_path_factory.mktemp("video") / "tiny.mp4", frames=24)


@pytest.fixture
def fake(data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeWaveSpeed]:
    """The app's WaveSpeed key and base URL point at a loopback fake that hands back a 1 s MP4
    (AppTests of paid takes; provider test files define their own `fake`)."""
    with FakeWaveSpeed() as server:
        server.video_bytes = write_mp4(tmp_path / "result.mp4", frames=24).read_bytes()
        monkeypatch.setenv("WAVESPEED_API_KEY", server.key)
        monkeypatch.setenv("WAVESPEED_BASE_URL", server.url)
        yield server


# ---- the store on both engines ---------------------------------------------------------------------

ENGINES = ["sqlite", "postgresql"]
TESTS_DATABASE = "storyboard_tests"  # migrated once per worker, emptied before each test


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """One throwaway PostgreSQL cluster per pytest worker (tests/servers/postgres.py), with one
    migrated database the store's tests share, one at a time."""
    with PostgresServer() as server:
        Store(server.create_database(TESTS_DATABASE)).close()
        yield server


@pytest.fixture(params=ENGINES)
def open_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[OpenStore]:
    """The store's tests run on SQLite (a file in tmp_path) and on PostgreSQL (the worker's
    database, emptied: a few ms, where a new database each time costs ~0.2 s), same assertions."""
    if request.param == "sqlite":
        opener = OpenStore("sqlite", tmp_path / "studio.db")
    else:
        server: PostgresServer = request.getfixturevalue("postgres_server")
        server.execute(
            TESTS_DATABASE,
            f"TRUNCATE {', '.join(tables.metadata.tables)};"
            f" UPDATE alembic_version SET version_num = '{schema.head()}'",
        )
        opener = OpenStore("postgresql", server.url(TESTS_DATABASE), server)
    yield opener
    for store in opener.opened:
        store.close()


@pytest.fixture
def store(open_store: OpenStore) -> Store:
    return open_store()
