"""Configuration: where data lives and where each provider's key comes from.

Keys are read from the environment first, then `.streamlit/secrets.toml` (read with tomllib so the
core needs no Streamlit), or typed into the Settings page for one browser session. A key is never
written anywhere by this module; `KeyStatus` only says where a key came from, never what it is.
"""

from __future__ import annotations

import functools
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from storyboard.catalog import PROVIDERS
from storyboard.models import ProviderId

KeySource = Literal["environment", "secrets file", "this session"]

DATA_DIR_ENV = "STORYBOARD_DATA_DIR"

# Each provider's hosts, overridable for proxies and for the fake servers in tests [providers.md].
BASE_URLS = {
    "WAVESPEED_BASE_URL": "https://api.wavespeed.ai",
    "FAL_QUEUE_BASE_URL": "https://queue.fal.run",
    "FAL_REST_BASE_URL": "https://rest.fal.ai",
    "FAL_API_BASE_URL": "https://api.fal.ai",  # Platform APIs (model pricing)
    "EVOLINK_BASE_URL": "https://api.evolink.ai",
    "EVOLINK_FILES_BASE_URL": "https://files-api.evolink.ai",
}
SECRETS_FILE = Path(".streamlit") / "secrets.toml"


@dataclass(frozen=True)
class KeyStatus:
    provider: ProviderId
    env_name: str | None
    source: KeySource | None  # None: no key

    @property
    def ready(self) -> bool:
        return self.env_name is None or self.source is not None


def data_dir(env: Mapping[str, str] | None = None) -> Path:
    """Where the data lives (made when the store opens it). Cheap: asked on every rerun."""
    env = os.environ if env is None else env
    return Path(env.get(DATA_DIR_ENV) or "data").expanduser().resolve()


def base_url(name: str, env: Mapping[str, str] | None = None) -> str:
    env = os.environ if env is None else env
    return (env.get(name) or BASE_URLS[name]).rstrip("/")


def _secrets(path: Path) -> dict[str, object]:
    try:
        stamp = path.stat().st_mtime_ns
    except OSError:
        return {}
    return _parse_secrets(path, stamp)


@functools.lru_cache(maxsize=4)
def _parse_secrets(path: Path, stamp: int) -> dict[str, object]:
    """Parsed once per version of the file (the sidebar asks on every rerun)."""
    try:
        with path.open("rb") as f:
            return tomllib.load(f)
    except (OSError, tomllib.TOMLDecodeError):
        return {}


def resolve_key(
    provider: ProviderId,
    session_keys: Mapping[ProviderId, str] | None = None,
    env: Mapping[str, str] | None = None,
    secrets_path: Path = SECRETS_FILE,
) -> tuple[str | None, KeyStatus]:
    """The key to use for a provider and where it came from. The key itself goes only to its client."""
    env = os.environ if env is None else env
    name = PROVIDERS[provider].key_env
    if name is None:
        return None, KeyStatus(provider, None, None)
    typed = (session_keys or {}).get(provider, "").strip()
    if typed:
        return typed, KeyStatus(provider, name, "this session")
    if env.get(name, "").strip():
        return env[name].strip(), KeyStatus(provider, name, "environment")
    value = _secrets(secrets_path).get(name)
    if isinstance(value, str) and value.strip():
        return value.strip(), KeyStatus(provider, name, "secrets file")
    return None, KeyStatus(provider, name, None)


def key_statuses(session_keys: Mapping[ProviderId, str] | None = None) -> list[KeyStatus]:
    return [resolve_key(p, session_keys)[1] for p in PROVIDERS]
