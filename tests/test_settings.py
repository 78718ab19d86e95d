"""Where keys come from and the one verdict on each (storyboard/settings.py), and keys hidden from
what a page shows of a take's details."""

from __future__ import annotations

from pathlib import Path

from storyboard.models import ProviderId
from storyboard.settings import HIDDEN, resolve_key, without_keys

GOOD = "fal-0123456789abcdef"


def test_a_key_with_spaces_is_found_but_unusable(tmp_path: Path) -> None:
    key, status = resolve_key(
        ProviderId.FAL, env={"FAL_KEY": "fal 0123 4567"}, secrets_path=tmp_path / "none"
    )
    assert key is None and status.source == "environment" and not status.ready
    assert status.problem is not None and "unusable" in status.problem and "0123" not in status.problem


def test_an_unreadable_secrets_file_is_a_verdict_naming_only_where(tmp_path: Path) -> None:
    secrets = tmp_path / "secrets.toml"
    secrets.write_text(f'FAL_KEY = "{GOOD}\n')
    key, status = resolve_key(ProviderId.FAL, env={}, secrets_path=secrets)
    assert key is None and not status.ready
    assert status.problem is not None and "could not be read" in status.problem and GOOD not in status.problem
    # a key in the environment still serves: the file only matters when it was needed
    key, status = resolve_key(ProviderId.FAL, env={"FAL_KEY": GOOD}, secrets_path=secrets)
    assert key == GOOD and status.ready and status.problem is None


def test_details_hide_known_keys_and_credential_fields(monkeypatch) -> None:  # noqa: ANN001
    monkeypatch.setenv("FAL_KEY", GOOD)
    details = {
        "request": {"body": {"prompt": "a wave"}, "headers": {"Authorization": "Key abc"}},
        "answers": [{"message": f"bad key {GOOD}", "token": "t-123"}],
        "status": 400,
    }
    assert without_keys(details) == {
        "request": {"body": {"prompt": "a wave"}, "headers": {"Authorization": HIDDEN}},
        "answers": [{"message": f"bad key {HIDDEN}", "token": HIDDEN}],
        "status": 400,
    }
    assert without_keys(details, {ProviderId.WAVESPEED: "ws-typed-key"}) == without_keys(details)
    assert without_keys({"m": "ws-typed-key"}, {ProviderId.WAVESPEED: "ws-typed-key"}) == {"m": HIDDEN}
