"""Settings through the real app: provider readiness, key sources, and keys that never leak."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

TEST_KEY = "fal-test-key-9f8e7d6c5b4a"


def _page_text(at: AppTest) -> str:
    parts = [
        str(e.value)
        for kind in ("markdown", "caption", "text_input", "info", "error", "warning")
        for e in getattr(at, kind)
    ]
    return "\n".join(parts)


def test_without_keys_preview_is_ready_and_each_provider_says_which_variable_to_set(app: AppTest) -> None:
    app.switch_page("pages/settings.py").run()
    text = _page_text(app)
    assert "Ready: free and offline" in text
    for name in ("WAVESPEED_API_KEY", "FAL_KEY", "EVOLINK_API_KEY"):
        assert f"No key. Set `{name}`" in text


def test_a_key_in_the_environment_is_found_and_not_shown(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAL_KEY", TEST_KEY)
    at = AppTest.from_file(str(Path(__file__).resolve().parent.parent / "app.py"), default_timeout=60)
    at.switch_page("pages/settings.py").run()
    text = _page_text(at)
    assert "Key found in the environment" in text
    assert TEST_KEY not in text


def test_a_typed_key_is_used_for_the_session_and_never_shown_or_stored(app: AppTest, data_dir: Path) -> None:
    app.switch_page("pages/settings.py").run()
    app.text_input(key="key:fal").input(TEST_KEY).run()
    assert not app.exception, app.exception
    text = _page_text(app)
    assert (
        "Key typed here (kept in this tab's memory only, until it is reloaded or closed; never saved)" in text
    )
    assert TEST_KEY not in text
    assert app.text_input(key="key:fal").value == ""
    for path in data_dir.rglob("*"):
        if path.is_file():
            assert TEST_KEY.encode() not in path.read_bytes(), path


FAL_BLOCKED = "No key. Set `FAL_KEY` or type one below."


def test_settings_say_once_what_no_key_means_and_never_send_the_user_to_settings(app: AppTest) -> None:
    app.switch_page("pages/settings.py").run()
    text = _page_text(app)
    assert "on Settings" not in text
    assert "meanwhile" not in text
    assert text.count("Preview is free and needs none") == 1
    for name in ("WAVESPEED_API_KEY", "FAL_KEY", "EVOLINK_API_KEY"):
        assert text.count(name) == 1  # the provider's own line, nothing repeated under it


def test_a_typed_key_makes_the_provider_ready_in_this_session_only(app: AppTest) -> None:
    app.switch_page("pages/settings.py").run()
    assert FAL_BLOCKED in _page_text(app)
    app.text_input(key="key:fal").input(TEST_KEY).run()
    assert FAL_BLOCKED not in _page_text(app)
    assert "Key typed here" in _page_text(app)

    other = AppTest.from_file(str(Path(__file__).resolve().parent.parent / "app.py"), default_timeout=60)
    other.switch_page("pages/settings.py").run()  # another browser, same app process
    assert FAL_BLOCKED in _page_text(other)


def test_a_damaged_key_is_refused_in_words_and_not_echoed(app: AppTest) -> None:
    app.switch_page("pages/settings.py").run()
    app.text_input(key="key:evolink").input("evo key with spaces").run()
    assert any("has spaces or line breaks in it" in e.value for e in app.error)
    assert "evo key with spaces" not in _page_text(app)
