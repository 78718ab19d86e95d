"""Steps a user takes in the app, for AppTest tests: build shots, upload, wait for a take."""

from __future__ import annotations

import io
from collections.abc import Callable

from PIL import Image
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1.element_tree import Button
from waiting import wait_until

from components.exports import PANEL_KEY
from components.menus import popover_key
from components.runtime import STORYBOARD
from components.take_count import GENERATE_KEY
from storyboard.models import Storyboard


def storyboard(at: AppTest) -> Storyboard:
    return at.session_state[STORYBOARD]


def generate_button(at: AppTest) -> Button:
    """Generate: its key names the price and count it shows (components/take_count.py)."""
    (button,) = [b for b in at.button if (b.key or "").startswith(f"{GENERATE_KEY}:")]
    return button


def shot_ids(at: AppTest) -> list[str]:
    return [s.id for s in storyboard(at).shots]


def slider_seconds(at: AppTest, shot_id: str) -> list[int]:
    """The lengths a shot's slider offers, read from its labels ("3 s")."""
    return [int(o.removesuffix(" s")) for o in at.select_slider(key=f"w:dur:{shot_id}").options]


def set_duration(at: AppTest, index: int, seconds: int) -> None:
    at.select_slider(key=f"w:dur:{shot_ids(at)[index]}").set_value(seconds).run()
    assert not at.exception, at.exception


def set_prompt(at: AppTest, index: int, text: str) -> None:
    at.text_area(key=f"w:prompt:{shot_ids(at)[index]}").input(text).run()
    assert not at.exception, at.exception


def add_shot(at: AppTest) -> None:
    at.button(key="w:add-shot").click().run()
    assert not at.exception, at.exception


def build(at: AppTest, durations: list[int]) -> None:
    """Make the storyboard have these shot lengths, the way a user would: shorten, add, repeat."""
    for i, seconds in enumerate(durations):
        if i > 0:
            add_shot(at)
        set_duration(at, i, seconds)
        set_prompt(at, i, f"Shot {i + 1}: the bottle on the sand, wave {i + 1}")


def photo(size: tuple[int, int] = (1280, 720)) -> bytes:
    buf = io.BytesIO()
    Image.radial_gradient("L").resize(size).convert("RGB").save(buf, "JPEG")
    return buf.getvalue()


RERUN_EVERY = 0.3  # seconds between reruns: a rerun costs CPU the job being waited for needs


def run_until(at: AppTest, done: Callable[[], bool], timeout: float = 90) -> None:
    """run_every never fires under AppTest: rerun until the condition holds."""

    def rerun_and_check() -> bool:
        at.run()
        assert not at.exception, at.exception
        return done()

    wait_until(rerun_and_check, timeout=timeout, every=RERUN_EVERY, what="the page to show it")


OPEN_MENU = "open-menu"  # pages/editor.py's OPEN_MENU: a page script, which importing would run


def open_menu(at: AppTest, key: str) -> None:
    """Click a menu (components/menus.py) open: its items are drawn from the rerun that makes."""
    at.session_state[popover_key(key, at.session_state)] = True
    at.run()


def open_exports(at: AppTest) -> None:
    """Expand the editor's Export or import panel (drawn only while open)."""
    at.session_state[PANEL_KEY] = True
    at.run()
