"""Where keys come from and the one verdict on each (storyboard/settings.py), and keys hidden from
what a page shows of a take's details."""

from __future__ import annotations

from pathlib import Path

from storyboard import settings
from storyboard.models import ProviderId
from storyboard.settings import (
    HIDDEN,
    public_url,
    resolve_key,
    takes_at_once,
    takes_run_by_workers,
    without_keys,
)

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


def test_only_a_public_https_address_turns_callbacks_on() -> None:
    def public(value: str) -> str | None:
        return public_url({"STORYBOARD_PUBLIC_URL": value})

    assert public("https://studio.example.com/") == "https://studio.example.com"
    assert public("https://studio.example.com/storyboard") == "https://studio.example.com/storyboard"
    assert public("https://203.0.113.9:8443") is None  # a documentation range: not reachable
    assert public("https://8.8.8.8") == "https://8.8.8.8"
    # EvoLink refuses anything but a public https URL [providers.md §3.1]: these would fail the take
    for refused in (
        "http://studio.example.com",
        "https://localhost:8501",
        "https://10.0.0.5",
        "https://127.0.0.1",
        "https://[::1]",
        "https://studio.example.com/?a=1",
        "studio.example.com",
    ):
        assert public(refused) is None, refused
    assert public("") is None and public_url({}) is None


def test_workers_drive_takes_on_postgresql_unless_told_the_app_does() -> None:
    assert takes_run_by_workers("postgresql://u:p@db/studio", {})
    assert takes_run_by_workers("postgresql+psycopg://u:p@db/studio", {})
    assert takes_run_by_workers("postgres://u:p@db/studio", {})
    assert not takes_run_by_workers("postgresql://u:p@db/studio", {"STORYBOARD_RUN_TAKES": "app"})
    assert not takes_run_by_workers("sqlite:////data/studio.db", {})


def test_takes_at_once_per_provider_with_defaults_for_those_not_named() -> None:
    limits = takes_at_once({"STORYBOARD_TAKES_AT_ONCE": "fal=5, wavespeed=0, nonsense, evolink=x"})
    assert limits[ProviderId.FAL] == 5
    assert limits[ProviderId.WAVESPEED] == 1  # at least one, or its takes would never run
    assert limits[ProviderId.EVOLINK] == 10 and limits[ProviderId.PREVIEW] == 2  # the defaults
    assert takes_at_once({})[ProviderId.FAL] == 2  # a new fal account's few concurrent requests


def test_in_a_team_a_key_pasted_in_a_tab_is_ignored_and_the_servers_is_used(tmp_path: Path) -> None:
    secrets = tmp_path / "secrets.toml"
    typed = {ProviderId.FAL: "fal-typed-in-a-tab-000"}
    key, status = resolve_key(ProviderId.FAL, typed, env={"FAL_KEY": GOOD}, secrets_path=secrets)
    assert key == "fal-typed-in-a-tab-000" and status.source == "this session"  # the single-person app
    secrets.write_text('[auth]\nredirect_uri = "https://studio.example.com/oauth2callback"\n')
    key, status = resolve_key(ProviderId.FAL, typed, env={"FAL_KEY": GOOD}, secrets_path=secrets)
    assert key == GOOD and status.source == "environment"
    key, status = resolve_key(ProviderId.FAL, typed, env={}, secrets_path=secrets)
    assert key is None and status.source is None


def test_a_broken_secrets_file_turns_sign_in_off_only_when_it_cannot_hold_an_auth_table(tmp_path: Path) -> None:
    secrets = tmp_path / "secrets.toml"
    secrets.write_text('FAL_KEY = "fal-0123\nauthor = 1\n')  # not TOML; keys only
    assert settings.sign_in(secrets) == settings.SignIn(False)  # the single-person app, which says so per key
    for text in ('[auth\nclient_id = "x"\n', 'FAL_KEY = "x\n[auth.google]\n', 'auth.client_id = "x\nbad'):
        secrets.write_text(text)
        found = settings.sign_in(secrets)
        assert not found.on and found.problem and "cannot tell who may use it" in found.problem, text
