"""Provider clients, one module each. `build_clients` returns those that can run here and now."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from storyboard.layout import DataDir
from storyboard.models import ProviderId
from storyboard.providers.base import ProviderClient, ProviderError
from storyboard.providers.evolink import EvoLinkClient
from storyboard.providers.fal import FalClient
from storyboard.providers.preview import PreviewClient
from storyboard.providers.wavespeed import WaveSpeedClient
from storyboard.settings import resolve_key

log = logging.getLogger(__name__)

HOSTED: dict[ProviderId, Callable[[str], ProviderClient]] = {
    ProviderId.WAVESPEED: WaveSpeedClient,
    ProviderId.FAL: FalClient,
    ProviderId.EVOLINK: EvoLinkClient,
}


def build_clients(data_dir: Path) -> dict[ProviderId, ProviderClient]:
    """Preview always; each hosted provider whose key is set (environment or secrets file)."""
    clients: dict[ProviderId, ProviderClient] = {ProviderId.PREVIEW: PreviewClient(DataDir(data_dir).preview)}
    for provider, make in HOSTED.items():
        key, _ = resolve_key(provider)
        if not key:
            continue
        try:
            clients[provider] = make(key)
        except (ValueError, ProviderError):  # a damaged key (spaces, line breaks): never logged
            log.warning("the %s key is not usable; check it", provider.value)
    return clients
