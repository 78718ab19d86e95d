"""A first visit, as a non-technical person makes it (issue 11, item 6): what a blank storyboard and a
provider without a key say, Generate's tooltip, prices read to the cent, each storyboard its own
address, and Open… without empty entries, its drafts deletable."""

from __future__ import annotations

from app_steps import (
    OPEN_MENU,
    build,
    generate_button,
    open_exports,
    open_menu,
    run_until,
    set_prompt,
    storyboard,
)
from streamlit.testing.v1 import AppTest

from components.runtime import runtime
from components.templates import MENU_KEY
from storyboard.catalog import PROVIDERS
from storyboard.models import ProviderId

SETTING_NAMES = ("WAVESPEED_API_KEY", "FAL_KEY", "EVOLINK_API_KEY", "secrets.toml", "environment")


def _page_text(at: AppTest) -> str:
    kinds = ("markdown", "caption", "info", "warning", "error", "success")
    return " ".join(str(e.value) for kind in kinds for e in getattr(at, kind))


def _unknown(at: AppTest, kind: str) -> list:  # noqa: ANN001 (AppTest has no class for these)
    return [e.proto for e in at.get(kind)]


def test_a_blank_storyboard_prices_every_provider_and_gives_one_hint(app: AppTest) -> None:
    labels = app.radio(key="w:provider").options
    assert not any("can't take this" in label for label in labels)
    assert "WaveSpeedAI · $0.70" in labels  # 5 s at $0.14/s: the price for the current length
    assert "fal.ai · $0.70" in labels
    assert "EvoLink · $0.66" in labels  # 5 s at $0.132/s = $0.66
    text = _page_text(app)
    assert text.count("Describe what happens in shot 1") == 1
    assert "has no prompt" not in text and "✗" not in text  # no provider "refuses" an empty prompt


def test_no_key_links_settings_and_the_providers_key_page_without_setting_names(app: AppTest) -> None:
    build(app, [5])
    app.radio(key="w:provider").set_value(ProviderId.FAL).run()
    assert [i.value for i in app.info] == ["To generate on fal.ai, add its API key on Settings."]
    (settings_link,) = _unknown(app, "page_link")
    assert settings_link.label == "Settings" and settings_link.page.endswith("settings")
    (key_link,) = _unknown(app, "link_button")
    assert key_link.url == PROVIDERS[ProviderId.FAL].key_url == "https://fal.ai/dashboard/keys"
    assert key_link.label == "Get a fal.ai key"
    editor = _page_text(app)
    # and in what the editor's menus and export panel draw once opened
    for open_it in (open_exports, lambda at: open_menu(at, MENU_KEY), lambda at: open_menu(at, OPEN_MENU)):
        open_it(app)
        editor += _page_text(app)
    assert "Start a new storyboard from a template" in editor  # they were open
    assert not any(name in editor for name in SETTING_NAMES)
    button = generate_button(app)
    assert button.disabled
    assert button.proto.help == "To generate on fal.ai, add its API key on Settings."

    app.radio(key="w:provider").set_value(ProviderId.EVOLINK).run()
    assert _unknown(app, "link_button")[0].url == PROVIDERS[ProviderId.EVOLINK].key_url

    app.switch_page("pages/settings.py").run()  # the setting names stay where an admin looks
    assert "FAL_KEY" in _page_text(app)


def test_a_greyed_out_generate_says_why_in_its_tooltip(app: AppTest) -> None:
    assert generate_button(app).disabled
    assert generate_button(app).proto.help == "Describe what happens in shot 1 first."
    set_prompt(app, 0, "A bottle on wet sand")
    assert not generate_button(app).disabled
    assert generate_button(app).proto.help == "Sends this storyboard to Preview (free, offline)."


def test_prices_are_read_to_the_cent_and_the_line_items_keep_the_billed_figure(app: AppTest) -> None:
    build(app, [7])
    app.radio(key="w:provider").set_value(ProviderId.EVOLINK).run()  # 7 s at $0.132/s = $0.924
    assert "EvoLink · $0.92" in app.radio(key="w:provider").options
    assert generate_button(app).label == "Generate · $0.92"
    table = next(m.value for m in app.markdown if m.value.startswith("| | seconds"))
    assert "$0.132/s | $0.924 |" in table  # the line item: exactly what is billed
    assert "**$0.92**" in table
    assert any("Billed exactly $0.924" in c.value for c in app.caption)


def test_the_address_names_the_storyboard_and_going_back_to_it_opens_it(app: AppTest) -> None:
    set_prompt(app, 0, "First storyboard")
    first = storyboard(app).id
    assert app.query_params["draft"] == first
    app.button(key="w:new-storyboard").click().run()
    set_prompt(app, 0, "Second storyboard")
    second = storyboard(app).id
    assert app.query_params["draft"] == second

    app.query_params["draft"] = first  # what the browser's Back sends
    app.run()
    assert storyboard(app).id == first
    assert app.text_area(key=f"w:prompt:{storyboard(app).shots[0].id}").value == "First storyboard"


def test_new_storyboard_leaves_no_empty_entries_in_open(app: AppTest) -> None:
    set_prompt(app, 0, "Kept")  # untitled, but written in: it stays
    kept = storyboard(app).id
    for _ in range(3):
        app.button(key="w:new-storyboard").click().run()
    open_menu(app, OPEN_MENU)
    open_buttons = [b for b in app.button if (b.key or "").startswith("w:open:")]
    assert [b.key for b in open_buttons] == [f"w:open:{storyboard(app).id}", f"w:open:{kept}"]
    assert open_buttons[0].disabled  # the one open now; the two left empty are gone
    assert len(runtime().store.recent_drafts()) == 2


def test_a_draft_is_deleted_when_confirmed_and_its_takes_stay(app: AppTest) -> None:
    set_prompt(app, 0, "To delete")
    doomed = storyboard(app).id
    generate_button(app).click().run()
    store = runtime().store
    run_until(app, lambda: all(j.state.finished for j in store.list_jobs(storyboard_id=doomed)))
    app.button(key="w:new-storyboard").click().run()
    set_prompt(app, 0, "Another")

    open_menu(app, OPEN_MENU)
    app.button(key=f"w:delete:{doomed}").click().run()
    assert any("Its takes stay on Takes" in w.value for w in app.warning)
    assert store.load_draft(doomed) is not None  # asked first: nothing deleted yet
    app.button(key=f"w:delete-yes:{doomed}").click().run()
    assert not app.exception, app.exception
    assert store.load_draft(doomed) is None
    assert not any((b.key or "") == f"w:open:{doomed}" for b in app.button)
    assert any((b.key or "") == f"w:open:{storyboard(app).id}" for b in app.button)  # Open… is still open
    assert len(store.list_jobs(storyboard_id=doomed)) == 1  # the take stays

    app.switch_page("pages/takes.py").run()
    assert "To delete" in _page_text(app)


def test_deleting_the_open_storyboard_opens_the_last_edited_other(app: AppTest) -> None:
    set_prompt(app, 0, "Older")
    older = storyboard(app).id
    app.button(key="w:new-storyboard").click().run()
    set_prompt(app, 0, "Current")
    current = storyboard(app).id
    open_menu(app, OPEN_MENU)
    app.button(key=f"w:delete:{current}").click().run()
    app.button(key=f"w:delete-yes:{current}").click().run()
    assert not app.exception, app.exception
    assert storyboard(app).id == older
    assert app.query_params["draft"] == older


def test_the_first_frame_uploader_says_the_real_limit(app: AppTest) -> None:
    """The drop zone says 50 MB (the catalog's image limit), not the server's 68 MB or Streamlit's 200."""
    (first_frame,) = [u for u in _unknown(app, "file_uploader") if u.label.startswith("First frame")]
    assert first_frame.max_upload_size_mb == 50
