"""One verdict per provider's key, the same on Settings, in the editor and in the sidebar (issue 10,
item 8): a key with spaces is "unusable" everywhere (not "found" on Settings while the editor asks for
a key), and a secrets file that cannot be read is said, not ignored."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from storyboard import settings
from storyboard.catalog import PROVIDERS
from storyboard.models import ProviderId

ROOT = Path(__file__).resolve().parents[2]
SPACED = "fal key with spaces 0123456789"
UNUSABLE = (
    "The fal.ai key in the environment (`FAL_KEY`) is unusable: it has spaces, line breaks or other "
    "characters no key has. Set it again without them."
)

# The editor says the verdict without setting names (those are for whoever runs the app) and points
# to Settings, which says exactly what is wrong (issue 11, item 6).
EDITOR_UNUSABLE = "The fal.ai key cannot be used: Settings says why, and takes another."


def _session() -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.run()
    assert not at.exception, at.exception
    return at


def _settings_line(at: AppTest, provider: ProviderId) -> list[str]:
    """What Settings says of a hosted provider's key (its line, one per hosted provider, in order)."""
    at.switch_page("pages/settings.py").run()
    assert not at.exception, at.exception
    lines = [m.value for m in at.markdown if m.value.startswith(("⛔", "⚪", "🔑"))]
    hosted = [p for p in PROVIDERS if PROVIDERS[p].key_env]
    assert len(lines) == len(hosted)
    return [lines[hosted.index(provider)]]


def _editor_says(at: AppTest) -> list[str]:
    at.switch_page("pages/editor.py").run()
    at.radio(key="w:provider").set_value(ProviderId.FAL).run()
    assert not at.exception, at.exception
    return [i.value for i in at.info if not i.value.startswith("Describe what happens")]


def _sidebar_ready(at: AppTest) -> str:
    """The sidebar's "Can generate on" line, as the first page of a session draws it."""
    return next(m.value for m in at.markdown if m.value.startswith("**Can generate on:**"))


def test_a_key_with_spaces_is_unusable_on_settings_and_in_the_editor_alike(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAL_KEY", SPACED)
    at = _session()
    assert "fal.ai" not in _sidebar_ready(at)
    assert _settings_line(at, ProviderId.FAL) == [f"⛔ {UNUSABLE}"]
    text = " ".join(
        str(e.value) for kind in ("markdown", "caption", "info", "error") for e in getattr(at, kind)
    )
    assert "Key found" not in text and SPACED not in text
    assert not any(b.key == "check:fal" for b in at.button)  # nothing to check: it cannot be sent
    assert _editor_says(at) == [EDITOR_UNUSABLE]  # the same verdict; the details (and `FAL_KEY`) on Settings


def test_an_unreadable_secrets_file_is_said_where_a_key_was_looked_for(
    data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    secrets = tmp_path / "secrets.toml"
    secrets.write_text('FAL_KEY = "fal-0123456789abcdef\nWAVESPEED_API_KEY = ')  # a quote never closed
    monkeypatch.setattr(settings, "SECRETS_FILE", secrets)
    at = _session()
    said = (
        f"`{secrets}` could not be read (it is not valid TOML at line 1, column 32), so no fal.ai key was "
        "taken from it: fix the file and restart the app, or set `FAL_KEY` in the environment."
    )
    assert _settings_line(at, ProviderId.FAL) == [f"⛔ {said}"]
    assert "fal-0123456789abcdef" not in " ".join(m.value for m in at.markdown)
    assert _editor_says(at) == [EDITOR_UNUSABLE]


def test_a_good_key_is_ready_everywhere(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FAL_KEY", "fal-0123456789abcdef")
    at = _session()
    assert "fal.ai" in _sidebar_ready(at)
    assert _settings_line(at, ProviderId.FAL) == ["🔑 Key found in the environment."]
    assert _editor_says(at) == []
