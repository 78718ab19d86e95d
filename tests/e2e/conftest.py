"""Real Chromium against the real app: `streamlit run serve.py` (as `make run`) on a free port, driven by Playwright.

Debian's chromium is used (never `playwright install`). Without it these tests skip and say why,
except in CI (CI=true), where a missing browser is a failure.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from waiting import wait_until
from warm_start import Started, start, warm_up

from tests.e2e.hosted_app import hosted  # noqa: F401 (a fixture: the app on a loopback WaveSpeed fake)

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
CHROMIUM_FLAGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--autoplay-policy=no-user-gesture-required",
]


def chromium_path() -> str | None:
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# Each test's app is a new server, but the browser's cache is keyed by address: the first server a
# test starts gets this worker's one port (once the last test's server has gone), so the Streamlit
# bundle each page load needs is compiled once per worker, not once per test (see `page`).
_HOME_PORT = _free_port()
_home_taken = False
_ORIGINS: set[str] = set()  # every address a test's page may have stored something for


# One client for every health check: httpx.get() makes a client (and its TLS context) per call, ~20 ms
# of CPU, every 50 ms while an app starts, taken from the app starting beside it. No keep-alive: the
# next check may meet another process on the same port (a restart).
_HEALTH = httpx.Client(timeout=1, limits=httpx.Limits(max_keepalive_connections=0))


class _PortTaken(Exception):
    """Another process bound the chosen port between `_free_port()` and streamlit binding it."""


class Server:
    """One `streamlit run` process on its own data dir; can be killed and started again. Forked
    from this worker's warm process (tests/warm_start.py): the imports are done once, not per start."""

    def __init__(self, data_dir: Path, env: dict[str, str] | None = None, cwd: Path = ROOT, base: str = "") -> None:
        """`cwd`: where the app runs from, whose `.streamlit/` it reads (config and secrets).
        `base`: the server's baseUrlPath (the app served under /<base>/, as behind a proxy)."""
        global _home_taken
        self.data_dir = data_dir
        self.cwd = cwd
        self.base = base.strip("/")
        self.home = not _home_taken
        _home_taken = True
        self.port = _HOME_PORT if self.home else _free_port()
        self.env = {**os.environ, "STORYBOARD_DATA_DIR": str(data_dir), **(env or {})}
        for name in ("WAVESPEED_API_KEY", "FAL_KEY", "EVOLINK_API_KEY"):
            if name not in (env or {}):
                self.env.pop(name, None)
        self.proc: Started | None = None
        self.log = data_dir.parent / f"streamlit-{self.port}.log"

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        """The app's address: its origin, and its baseUrlPath if it has one."""
        return f"{self.origin}/{self.base}" if self.base else self.origin

    def start(self) -> None:
        """Start the app and return once it answers. A first start whose port was taken in the
        meantime (by a test running beside this one) tries another; a restart keeps its port."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        first = self.proc is None
        for _ in range(3):
            self._spawn()
            try:
                wait_until(self._healthy, timeout=60, every=0.05, what=f"streamlit to answer on {self.url}")
                _ORIGINS.add(self.origin)
                return
            except _PortTaken:
                if not first:
                    raise
                self.port = _free_port()
                self.log = self.data_dir.parent / f"streamlit-{self.port}.log"
        raise RuntimeError("no free port for streamlit after three tries")

    def _spawn(self) -> None:
        cmd = [
            "streamlit", "run", str(ROOT / "serve.py"),
            "--server.headless", "true",
            "--server.address", "127.0.0.1",
            "--server.port", str(self.port),
            "--browser.gatherUsageStats", "false",
            "--server.fileWatcherType", "none",
        ]  # fmt: skip
        if self.base:
            cmd += ["--server.baseUrlPath", self.base]
        self.proc = start(cmd, self.env, self.cwd, self.log)

    def _healthy(self) -> bool:
        assert self.proc is not None
        if self.proc.poll() is not None:
            log = self.log.read_text()
            if f"Port {self.port} is not available" in log:
                raise _PortTaken(self.port)
            raise RuntimeError(f"streamlit exited: {log[-2000:]}")
        try:
            return _HEALTH.get(f"{self.url}/_stcore/health").text == "ok"
        except httpx.HTTPError:
            return False

    def kill(self) -> None:
        """SIGKILL: the app gets no chance to tidy up, as in a crash."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)

    def stop(self) -> None:
        """At the end of a test: gone at once (its data dir is thrown away), so the next test's
        server can have this worker's port."""
        global _home_taken
        self.kill()
        if self.home:
            self.home = _home_taken = False


@pytest.fixture(scope="session")
def chromium() -> str:
    path = chromium_path()
    if path is None:
        if os.environ.get("CI"):
            pytest.fail("Chromium is required in CI: apt-get install chromium")
        pytest.skip("Chromium not found: apt-get install chromium to run the browser tests")
    return path


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    srv = Server(tmp_path / "data")
    srv.start()
    yield srv
    srv.stop()
    # An exception in a script run shows as a red box a test may never look at: none is allowed.
    log = srv.log.read_text(errors="replace") if srv.log.exists() else ""
    if "Uncaught app execution" in log:
        pytest.fail(f"the app raised during the test:\n{log[log.index('Uncaught app execution'):][:3000]}")


@pytest.fixture(scope="session")
def playwright(chromium: str) -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    warm_up()  # the apps' forkserver imports while Chromium starts
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def browser(playwright, chromium: str) -> Iterator[object]:  # noqa: ANN001
    """A second Chromium, for tests that open a browser of their own (a new visitor, a phone):
    started once, when the first such test asks, as in Streamlit's own e2e suite."""
    b = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_FLAGS)
    yield b
    b.close()


VIEWPORT = {"width": 1400, "height": 1000}
_STORED = "local_storage,indexeddb,cache_storage,service_workers"  # what a site keeps, but not the HTTP cache


@pytest.fixture(scope="session")
def warm_context(playwright, chromium: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:  # noqa: ANN001
    """One browser profile for the session, whose cache keeps Streamlit's compiled bundle: a page
    load in a fresh context costs about 2.3 s of CPU, in this one about 0.5 s (measured with
    /proc on 2 cores). Each test still starts clean: `page` clears cookies and storage after it."""
    context = playwright.chromium.launch_persistent_context(
        str(tmp_path_factory.mktemp("chromium-profile")),
        executable_path=chromium,
        args=CHROMIUM_FLAGS,
        viewport=VIEWPORT,
        accept_downloads=True,
    )
    yield context
    context.close()


@pytest.fixture
def page(warm_context) -> Iterator[object]:  # noqa: ANN001
    """A new tab for each test, nothing kept from the last one but the browser's cache."""
    from playwright.sync_api import expect

    pg = warm_context.new_page()
    pg.set_default_timeout(30_000)
    expect.set_options(timeout=20_000)  # assertions too (5 s by default): a loaded CI machine is slow
    yield pg
    for tab in list(warm_context.pages):
        tab.close()
    warm_context.clear_cookies()
    blank = warm_context.new_page()
    cdp = warm_context.new_cdp_session(blank)
    for origin in _ORIGINS:
        cdp.send("Storage.clearDataForOrigin", {"origin": origin, "storageTypes": _STORED})
    _ORIGINS.clear()
    cdp.detach()
    blank.close()


_CONTENT_HEIGHT = """() => {
    // Streamlit scrolls its main area (and the sidebar), not the document: measure those.
    const areas = [...document.querySelectorAll('[data-testid="stMain"], [data-testid="stSidebarContent"]')];
    areas.forEach(e => e.scrollTo(0, 0));
    return Math.max(document.documentElement.scrollHeight, ...areas.map(e => e.scrollHeight));
}"""
_TWO_FRAMES = "() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))"


def screenshot(page, name: str) -> Path:  # noqa: ANN001
    """The whole page, top to bottom: the viewport is stretched to the content for the shot."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    size = page.viewport_size
    height = page.evaluate(_CONTENT_HEIGHT)
    if size and height > size["height"]:
        page.set_viewport_size({"width": size["width"], "height": min(height, 10_000)})
        page.evaluate(_TWO_FRAMES)
    try:
        page.screenshot(path=str(path), full_page=True)
    finally:
        if size:
            page.set_viewport_size(size)
    return path
