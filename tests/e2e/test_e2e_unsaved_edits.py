"""A prompt typed and never left (no Tab, no click elsewhere) survives a refresh.

Streamlit commits a text box on blur only; components/unsaved_edits.py commits it after a pause in
typing, and on leaving the page asks first while it commits what was typed since.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Dialog, Page, WebSocketRoute, expect

from components.unsaved_edits import PAUSE_MS
from storyboard.store import Store
from tests.e2e.conftest import Server, screenshot
from tests.e2e.steps import open_editor, prompt_box, settle, shot_card

pytestmark = pytest.mark.e2e


def _counter(page: Page, characters: int):  # noqa: ANN202
    return shot_card(page, 1).get_by_text(re.compile(rf"^{characters} / \d+ characters$"))


def test_a_pause_keeps_a_prompt_a_name_waits_for_enter_and_a_key_is_never_sent(
    page: Page, server: Server
) -> None:
    """A prompt is committed after a pause in typing; the storyboard's name (one line) only on Enter
    or on leaving the box; a password box is not committed by the guard: a key goes only where its
    owner sends it."""
    open_editor(page, server.url)
    box = prompt_box(page, 1)
    box.click()
    page.keyboard.type("A red kite over the dunes")
    # No Tab, no click elsewhere: the server hears of it after the pause, and the caret stays put.
    expect(_counter(page, 25)).to_be_visible()
    expect(box).to_be_focused()
    page.keyboard.type(", then it dives")
    expect(_counter(page, 40)).to_be_visible()
    assert box.input_value() == "A red kite over the dunes, then it dives"  # nothing typed was dropped
    settle(page)
    page.reload()
    expect(prompt_box(page, 1)).to_have_value("A red kite over the dunes, then it dives")
    screenshot(page, "editor-after-refresh")

    # the storyboard's name: committed on Enter or on leaving the box, never in a pause
    name = page.get_by_role("textbox", name="Storyboard name", exact=True)
    name.fill("")
    name.click()
    page.keyboard.type("Kite film")
    page.wait_for_timeout(2 * PAUSE_MS)  # twice the pause after which a prompt would have been committed
    expect(name).to_be_focused()
    expect(page.get_by_text("Press Enter to apply", exact=False)).to_be_visible()  # still not sent
    page.keyboard.press("Enter")
    expect(page.get_by_text("Press Enter to apply", exact=False)).to_have_count(0)
    settle(page)
    asked = _dialogs(page)
    page.reload()  # nothing is unsaved now: no "Leave site?"
    expect(page.get_by_role("textbox", name="Storyboard name", exact=True)).to_have_value("Kite film")
    assert asked == []

    # a key typed on Settings but not entered
    page.goto(f"{server.url}/settings")
    box = page.get_by_label("fal.ai API key for this tab")
    box.click()
    page.keyboard.type("not-meant-for-fal")
    page.wait_for_timeout(2 * PAUSE_MS)  # twice the pause after which a prompt would have been committed
    asked = _dialogs(page)
    page.reload()
    expect(page.get_by_label("fal.ai API key for this tab")).to_have_value("")
    assert asked == []
    assert "not-meant-for-fal" not in server.log.read_text()


def test_leaving_right_after_typing_asks_first_and_keeps_the_text(page: Page, server: Server) -> None:
    asked: list[str] = []

    def answer(dialog: Dialog) -> None:
        asked.append(dialog.type)
        page.wait_for_timeout(1500)  # a person reads "Leave site?" (a second or two) before pressing Reload
        dialog.accept()

    page.on("dialog", answer)
    # The commit made on leaving is sometimes never sent before the unload (about 1 reload in 10
    # alone, stop 16, and most reloads with the websocket routed as here): here it is lost every
    # time, as every message carrying the text on the page before the reload (its first websocket)
    # is dropped on its way to the server. The box gets it back from the tab's sessionStorage. The
    # storyboard was never saved (this was its first edit), so the reload shows a new one, whose
    # first shot's box it fills.
    lost: list[bytes] = []
    sockets: list[WebSocketRoute] = []

    def route(ws: WebSocketRoute) -> None:
        server_side = ws.connect_to_server()
        sockets.append(ws)
        before_reload = len(sockets) == 1

        def from_page(message: str | bytes) -> None:
            if before_reload and isinstance(message, bytes) and b"Waves at night" in message:
                lost.append(message)
                return
            server_side.send(message)

        ws.on_message(from_page)

    page.route_web_socket(re.compile(r"/_stcore/stream$"), route)
    open_editor(page, server.url)
    prompt_box(page, 1).click()
    page.keyboard.press("ControlOrMeta+A")
    page.keyboard.type("Waves at night")
    page.reload()  # at once, before the pause has passed
    assert asked == ["beforeunload"]
    expect(prompt_box(page, 1)).to_have_value("Waves at night")
    store = Store.for_data_dir(server.data_dir)  # and it reached the draft, not only the box
    try:
        for _ in range(100):
            latest = store.latest_draft()
            if latest is not None and latest.shots[0].prompt == "Waves at night":
                break
            page.wait_for_timeout(100)
        assert latest is not None and latest.shots[0].prompt == "Waves at night"
    finally:
        store.close()
    page.reload()  # nothing pending now: no question, and the text is there
    expect(prompt_box(page, 1)).to_have_value("Waves at night")
    assert asked == ["beforeunload"]


def _dialogs(page: Page) -> list[str]:
    """The dialogs the page opens from now on (each accepted), by type."""
    seen: list[str] = []

    def answer(dialog: Dialog) -> None:
        seen.append(dialog.type)
        dialog.accept()

    page.on("dialog", answer)
    return seen
