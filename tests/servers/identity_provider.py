"""A real OpenID Connect provider on 127.0.0.1 for the sign-in tests: the certified `oidc-provider`
npm package run with node (tests/servers/oidc/provider.js), with test users whose email,
email_verified and name are in the ID token, as st.login needs.

    with IdentityProvider([TestUser("ana@example.com", "Ana", "pw")], redirect_uri=...) as idp:
        idp.auth_table()   # the app's `[auth]` table: server_metadata_url, client_id, ...

Installing it: `npm ci` from tests/servers/oidc's package-lock.json into a cache dir named for the
lock's and the script's contents (~5 s once, then nothing), under a file lock so two test workers
do not install at once. `.ci/run` runs the same step (`python3 tests/servers/identity_provider.py`).
Only the standard library at import: .ci/run calls it before the venv exists.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent / "oidc"
FILES = ("package.json", "package-lock.json", "provider.js")
NODE = "node"


class NotInstallable(RuntimeError):
    """node or npm is missing, or `npm ci` failed (the sentence says which and what to install)."""


def cache_root() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "storyboard-tests"


def install() -> Path:
    """The provider's folder with its node_modules, installed by `npm ci` if not yet (once per
    version of the lock file and script). Raises NotInstallable."""
    if shutil.which(NODE) is None or shutil.which("npm") is None:
        raise NotInstallable("node and npm are needed for the sign-in tests: apt-get install nodejs npm")
    digest = hashlib.sha256(b"".join((HERE / name).read_bytes() for name in FILES)).hexdigest()[:16]
    folder = cache_root() / f"oidc-provider-{digest}"
    folder.parent.mkdir(parents=True, exist_ok=True)
    with (folder.parent / f"{folder.name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # the other test worker waits for this one's install
        if (folder / ".installed").exists():
            return folder
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir()
        for name in FILES:
            shutil.copy2(HERE / name, folder / name)
        done = subprocess.run(
            ["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"],
            cwd=folder,
            capture_output=True,
            text=True,
            timeout=600,
        )
        if done.returncode != 0:
            raise NotInstallable(f"npm ci of the test identity provider failed: {done.stderr[-1500:]}")
        (folder / ".installed").touch()
    return folder


@dataclass(frozen=True)
class TestUser:
    __test__ = False  # not a pytest test class

    email: str
    name: str
    password: str
    email_verified: bool = True


@dataclass
class IdentityProvider:
    """One provider process; stops when the `with` block ends (or when its stdin closes)."""

    users: list[TestUser]
    redirect_uri: str  # the app's /oauth2callback
    client_id: str = "storyboard-studio"
    client_secret: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    url: str = ""
    process: subprocess.Popen[str] | None = None
    log: Path | None = None

    def __enter__(self) -> IdentityProvider:
        folder = install()
        config = {
            "users": [asdict(u) for u in self.users],
            "client_id": self.client_id,
            "client_secret": self.client_secret,
            "redirect_uri": self.redirect_uri,
            "cookie_keys": [secrets.token_urlsafe(24)],
        }
        handle, log = tempfile.mkstemp(prefix="oidc-provider-", suffix=".log")  # its warnings; removed at exit
        os.close(handle)
        self.log = Path(log)
        self.process = subprocess.Popen(
            [NODE, "provider.js"],
            cwd=folder,
            env={**os.environ, "OIDC_TEST_CONFIG": json.dumps(config), "NODE_ENV": "test"},
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.log.open("w"),
            text=True,
            start_new_session=True,
        )
        from storyboard.devstack import said_port  # not at import: .ci/run runs this before the venv

        port = said_port(self.process)
        if port is None:
            said = self.log.read_text()[-2000:]
            self.__exit__()
            raise RuntimeError(f"the test identity provider did not start: {said}")
        self.url = f"http://127.0.0.1:{port}"
        return self

    def __exit__(self, *exc: object) -> None:
        from storyboard.devstack import stop_by_stdin

        if self.process is not None:
            stop_by_stdin(self.process)
            self.process = None
        if self.log is not None:
            self.log.unlink(missing_ok=True)

    @property
    def metadata_url(self) -> str:
        return f"{self.url}/.well-known/openid-configuration"

    def auth_table(self, cookie_secret: str) -> dict[str, str]:
        """The app's `[auth]` table in `.streamlit/secrets.toml`, as the README documents it."""
        return {
            "redirect_uri": self.redirect_uri,
            "cookie_secret": cookie_secret,
            "client_id": self.client_id,
            "client_secret": self.client_secret,
            "server_metadata_url": self.metadata_url,
        }


if __name__ == "__main__":  # .ci/run: install before the suite, so no test waits on npm
    try:
        print(f"test identity provider installed in {install()}")
    except NotInstallable as problem:
        sys.exit(str(problem))
