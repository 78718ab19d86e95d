"""Provider clients, one module each. `build_clients` returns those that can run here and now."""

from __future__ import annotations

from pathlib import Path

from storyboard.models import ProviderId
from storyboard.providers.base import ProviderClient
from storyboard.providers.preview import PreviewClient


def build_clients(data_dir: Path) -> dict[ProviderId, ProviderClient]:
    return {ProviderId.PREVIEW: PreviewClient(data_dir / "preview")}
