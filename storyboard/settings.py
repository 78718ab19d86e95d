"""Configuration: where data lives (the data dir, and the database: in it by default, or a
PostgreSQL server), and where each provider's key comes from.

Keys are read from the environment first, then `.streamlit/secrets.toml` (read with tomllib so the
core needs no Streamlit), or typed into the Settings page for one browser session. A key is never
written anywhere by this module; `KeyStatus` only says where a key came from and whether it can be
used, never what it is. It is the one verdict per provider that Settings, the editor and the
sidebar all show: ready, no key, a key that cannot be used (and why), or a secrets file that could
not be read.
"""

from __future__ import annotations

import functools
import ipaddress
import logging
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlparse

from storyboard.catalog import PROVIDERS
from storyboard.layout import DataDir
from storyboard.models import ProviderId

log = logging.getLogger(__name__)

KeySource = Literal["environment", "secrets file", "this session"]

DATA_DIR_ENV = "STORYBOARD_DATA_DIR"
# Where the providers can reach this app (an https address, e.g. a reverse proxy in front of it).
# Set, hosted submits ask the provider to call back when a take ends; unset, takes are polled.
PUBLIC_URL_ENV = "STORYBOARD_PUBLIC_URL"
# Where videos, posters and first frames are kept (storyboard/media_store.py): unset, the data dir;
# `s3://bucket/prefix`, an S3-compatible bucket, at STORYBOARD_S3_ENDPOINT_URL if it is not AWS.
# The bucket's credentials are boto3's own settings (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
# AWS_SESSION_TOKEN, AWS_PROFILE, AWS_REGION): read by boto3, never by the app, never shown.
MEDIA_URL_ENV = "STORYBOARD_MEDIA_URL"
S3_ENDPOINT_ENV = "STORYBOARD_S3_ENDPOINT_URL"
# The database: unset, SQLite in the data dir (layout.DataDir.db); for a team, a PostgreSQL server,
# postgresql://user:password@host:5432/database (through psycopg 3).
DATABASE_URL_ENV = "STORYBOARD_DATABASE_URL"
# Who drives takes when the database is PostgreSQL: "workers" (the default: `storyboard-worker`
# processes, through the job queue in that database; the app only admits and enqueues) or "app"
# (threads in the app, as on SQLite: a team on one server that runs no workers).
RUN_TAKES_ENV = "STORYBOARD_RUN_TAKES"
# How many takes of each provider run at once, across every worker: "fal=2,wavespeed=10". A fal
# account starts with few concurrent requests; the others allow more. Unnamed providers: DEFAULT_AT_ONCE.
TAKES_AT_ONCE_ENV = "STORYBOARD_TAKES_AT_ONCE"
DEFAULT_AT_ONCE = {"fal": 2, "wavespeed": 10, "evolink": 10, "preview": 2}
# Seconds between a worker's heartbeats; a worker silent for 3 of them is taken for dead and its
# takes are handed to another (storyboard.worker).
WORKER_HEARTBEAT_ENV = "STORYBOARD_WORKER_HEARTBEAT"

# Each provider's hosts, overridable for proxies and for the fake servers in tests [providers.md].
BASE_URLS = {
    "WAVESPEED_BASE_URL": "https://api.wavespeed.ai",
    "FAL_QUEUE_BASE_URL": "https://queue.fal.run",
    "FAL_REST_BASE_URL": "https://rest.fal.ai",
    "FAL_API_BASE_URL": "https://api.fal.ai",  # Platform APIs (model pricing)
    "EVOLINK_BASE_URL": "https://api.evolink.ai",
    "EVOLINK_FILES_BASE_URL": "https://files-api.evolink.ai",
    # The public keys fal signs its webhooks with (fal docs, Webhooks > Verifying your webhook);
    # the tests point it at the fake's own key set.
    "FAL_JWKS_URL": "https://rest.alpha.fal.ai/.well-known/jwks.json",
}
SECRETS_FILE = Path(".streamlit") / "secrets.toml"


@dataclass(frozen=True)
class KeyStatus:
    provider: ProviderId
    env_name: str | None
    source: KeySource | None  # None: no key
    problem: str | None = None  # why the key found (or the secrets file) cannot be used, in a sentence

    @property
    def ready(self) -> bool:
        return self.env_name is None or (self.source is not None and self.problem is None)


def data_dir(env: Mapping[str, str] | None = None) -> Path:
    """Where the data lives (made when the store opens it). Cheap: asked many times on every rerun."""
    env = os.environ if env is None else env
    where = Path(env.get(DATA_DIR_ENV) or "data").expanduser()
    return _resolved(where, None if where.is_absolute() else os.getcwd())


@functools.lru_cache(maxsize=16)
def _resolved(where: Path, cwd: str | None) -> Path:
    """`where` resolved once per setting (and working directory, when relative): resolving walks the
    path with a system call per part, and an editor rerun asks about 20 times (each system call lets
    another session's script thread take the interpreter, bench/editor_sessions.py)."""
    return where.resolve()


def media_url(env: Mapping[str, str] | None = None) -> str | None:
    """`s3://bucket/prefix`, or None: media in the data dir."""
    env = os.environ if env is None else env
    return env.get(MEDIA_URL_ENV, "").strip() or None


def s3_endpoint_url(env: Mapping[str, str] | None = None) -> str | None:
    """The S3-compatible store's address (None: AWS itself)."""
    env = os.environ if env is None else env
    return env.get(S3_ENDPOINT_ENV, "").strip().rstrip("/") or None


def database(data_dir: Path, env: Mapping[str, str] | None = None) -> Path | str:
    """The database the store opens for this data dir, the one place that chooses it: the URL
    set in STORYBOARD_DATABASE_URL, or the SQLite file in the data dir (a path, not a URL: a
    folder's name may hold '#' or '?')."""
    env = os.environ if env is None else env
    return env.get(DATABASE_URL_ENV, "").strip() or DataDir(data_dir).db


def takes_run_by_workers(database: Path | str, env: Mapping[str, str] | None = None) -> bool:
    """Whether `storyboard-worker` processes drive the takes (PostgreSQL, unless told "app"), not
    the app's own threads: the one place that decides. `database`: as `database()` gives it."""
    env = os.environ if env is None else env
    url = database if isinstance(database, str) else ""  # a path: SQLite
    postgres = url.split(":", 1)[0].split("+", 1)[0] in ("postgresql", "postgres")
    return postgres and (env.get(RUN_TAKES_ENV) or "workers").strip().lower() != "app"


def takes_at_once(env: Mapping[str, str] | None = None) -> dict[ProviderId, int]:
    """How many takes of each provider may run at once across all workers (at least 1 each)."""
    env = os.environ if env is None else env
    limits = dict(DEFAULT_AT_ONCE)
    for part in (env.get(TAKES_AT_ONCE_ENV) or "").split(","):
        name, _, number = part.partition("=")
        name = name.strip().lower()
        if name in limits and number.strip().isdigit():
            limits[name] = max(1, int(number))
        elif part.strip():
            log.warning("%s: %r is not provider=number; ignored", TAKES_AT_ONCE_ENV, part.strip())
    return {ProviderId(name): number for name, number in limits.items()}


def worker_heartbeat(env: Mapping[str, str] | None = None) -> float:
    env = os.environ if env is None else env
    try:
        return max(0.1, float(env.get(WORKER_HEARTBEAT_ENV) or 10.0))
    except ValueError:
        return 10.0


def base_url(name: str, env: Mapping[str, str] | None = None) -> str:
    env = os.environ if env is None else env
    return (env.get(name) or BASE_URLS[name]).rstrip("/")


def public_url(env: Mapping[str, str] | None = None) -> str | None:
    """This app's public address for provider callbacks, or None (poll only). Only an https address
    with a host name or a public IP: EvoLink refuses any other callback URL [providers.md §3.1] and
    WaveSpeed asks for a public https one [§1], so anything else is ignored, saying why in the log."""
    env = os.environ if env is None else env
    value = (env.get(PUBLIC_URL_ENV) or "").strip().rstrip("/")
    return _usable_public_url(value) if value else None


@functools.lru_cache(maxsize=4)
def _usable_public_url(value: str) -> str | None:
    """Checked (and a refusal logged) once per value: the runner asks on every start."""
    parsed = urlparse(value)
    host = parsed.hostname or ""
    try:
        private = not ipaddress.ip_address(host).is_global
    except ValueError:  # a name: whether it resolves publicly is the deployment's business
        private = host in ("", "localhost")
    if parsed.scheme != "https" or private or parsed.query or parsed.fragment:
        log.warning(
            "%s is not a public https address without a query; takes are polled instead", PUBLIC_URL_ENV
        )
        return None
    return value


def _secrets(path: Path) -> tuple[dict[str, object], str | None]:
    """The secrets file's values, and why it could not be read (None: read, or there is none)."""
    try:
        stamp = path.stat().st_mtime_ns
    except FileNotFoundError:
        return {}, None
    except OSError as exc:
        return {}, exc.strerror or type(exc).__name__
    return _parse_secrets(path, stamp)


@functools.lru_cache(maxsize=4)
def _parse_secrets(path: Path, stamp: int) -> tuple[dict[str, object], str | None]:
    """Parsed once per version of the file (the sidebar asks on every rerun). Of tomllib's message
    only the line and column are kept: the rest may quote the file, key included."""
    try:
        with path.open("rb") as f:
            return tomllib.load(f), None
    except OSError as exc:
        return {}, exc.strerror or type(exc).__name__
    except tomllib.TOMLDecodeError as exc:
        at = re.search(r"line \d+, column \d+", str(exc))
        return {}, f"it is not valid TOML{f' at {at[0]}' if at else ''}"
    except UnicodeDecodeError:
        return {}, "it is not UTF-8 text"


@dataclass(frozen=True)
class SignIn:
    """Whether people sign in (issue 13): on when the secrets file has Streamlit's `[auth]` table
    (st.login's settings), which makes this a team's app; off, the single-person app. `problem`:
    the secrets file is there but cannot be read, so whether sign-in is wanted is unknown and
    nothing is shown (an unreadable file must not turn a team's app into an open one)."""

    on: bool
    problem: str | None = None


def sign_in(secrets_path: Path | None = None) -> SignIn:
    secrets_path = SECRETS_FILE if secrets_path is None else secrets_path
    secrets, unreadable = _secrets(secrets_path)
    if unreadable and not _may_have_auth(secrets_path):
        return SignIn(False)  # a file of keys only, broken: the single-person app says so per key
    if unreadable:
        return SignIn(
            False,
            f"`{secrets_path}` could not be read ({unreadable}), so the app cannot tell who may use it: "
            "fix the file and restart the app.",
        )
    return SignIn(isinstance(secrets.get("auth"), dict))


# An `[auth]` table (or `[auth.provider]`, or a dotted `auth.x = ...` key), even half written.
_AUTH_TABLE = re.compile(r"""(?m)^\s*(\[+\s*["']?auth\b|["']?auth["']?\s*\.)""")


def _may_have_auth(path: Path) -> bool:
    """Whether a secrets file that is not valid TOML may hold sign-in's settings: True unless its
    text can be read and has nothing like an `auth` table (an unreadable file may have anything)."""
    try:
        return _AUTH_TABLE.search(path.read_text(encoding="utf-8", errors="replace")) is not None
    except OSError:
        return True


def team_mode(secrets_path: Path | None = None) -> bool:
    """A team's app: sign-in configured, or its configuration unreadable (which must not open a
    team's app to anyone): roles apply, keys are the server's only."""
    found = sign_in(secrets_path)
    return found.on or found.problem is not None


def _unusable(key: str) -> bool:
    """The clients' own rule (providers/http.usable_key): imported here, when asked, because the
    providers package imports this module."""
    from storyboard.providers.http import usable_key

    try:
        usable_key(key, "")
    except ValueError:
        return True
    return False


_WHERE = {"environment": "the environment", "secrets file": "the secrets file", "this session": "this tab"}


def resolve_key(
    provider: ProviderId,
    session_keys: Mapping[ProviderId, str] | None = None,
    env: Mapping[str, str] | None = None,
    secrets_path: Path | None = None,
) -> tuple[str | None, KeyStatus]:
    """The key to use for a provider and where it came from. The key itself goes only to its client."""
    env = os.environ if env is None else env
    secrets_path = SECRETS_FILE if secrets_path is None else secrets_path
    name = PROVIDERS[provider].key_env
    if name is None:
        return None, KeyStatus(provider, None, None)
    typed = (session_keys or {}).get(provider, "").strip()
    if typed and team_mode(secrets_path):  # a team's keys are the server's: one pasted in a tab is ignored
        typed = ""
    secrets, unreadable = _secrets(secrets_path)
    found: tuple[str, KeySource] | None = None
    if typed:
        found = typed, "this session"
    elif env.get(name, "").strip():
        found = env[name].strip(), "environment"
    elif isinstance(value := secrets.get(name), str) and value.strip():
        found = value.strip(), "secrets file"
    if found is None:
        problem = (
            f"`{secrets_path}` could not be read ({unreadable}), so no {PROVIDERS[provider].label} key was "
            f"taken from it: fix the file and restart the app, or set `{name}` in the environment."
            if unreadable
            else None
        )
        return None, KeyStatus(provider, name, None, problem)
    key, source = found
    if _unusable(key):  # the clients would refuse it; say so here rather than "found"
        return None, KeyStatus(
            provider,
            name,
            source,
            f"The {PROVIDERS[provider].label} key in {_WHERE[source]} (`{name}`) is unusable: it has spaces, "
            "line breaks or other characters no key has. Set it again without them.",
        )
    return key, KeyStatus(provider, name, source)


def key_statuses(session_keys: Mapping[ProviderId, str] | None = None) -> list[KeyStatus]:
    return [resolve_key(p, session_keys)[1] for p in PROVIDERS]


# Field names whose values are credentials wherever they appear in a provider's answer.
_SECRET_FIELD = re.compile(r"(?i)authori[sz]ation|api[-_]?key|secret|password|token|cookie|^key$")
HIDDEN = "[hidden]"


def without_keys(value: Any, session_keys: Mapping[ProviderId, str] | None = None) -> Any:
    """`value` (a job's details: request body, provider answers, errors) with every key this app
    knows (environment, secrets file, this session's) and every credential-named field hidden, for
    showing on a page."""
    known = [key for p in PROVIDERS if (key := resolve_key(p, session_keys)[0])]

    def scrub(v: Any) -> Any:
        if isinstance(v, Mapping):
            return {k: HIDDEN if _SECRET_FIELD.search(str(k)) else scrub(x) for k, x in v.items()}
        if isinstance(v, list | tuple):
            return [scrub(x) for x in v]
        if isinstance(v, str):
            for key in known:
                v = v.replace(key, HIDDEN)
        return v

    return scrub(value)
