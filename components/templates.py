"""The "Templates" menu at the top of the editor: starting storyboards, each opened as a new one.

Opening a template never touches the storyboard being edited: it is saved as it was and stays in
"Open…". The new storyboard gets fresh ids and the provider a new storyboard would get.
"""

from __future__ import annotations

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from components.menus import close_menu, menu
from components.roles import read_only, say_refused
from components.runtime import new_storyboard, open_storyboard, ready_providers, refused_edit
from components.text import plain
from storyboard import templates
from storyboard.templates import Template

MENU_KEY = "templates-menu"  # the popover's open state: closed once a template is opened


@st.cache_resource(show_spinner=False)
def _templates() -> list[Template]:
    """Read and checked once per process: the files are part of the app (templates/)."""
    return templates.load_all()


def _open(template_id: str) -> None:
    not_allowed = refused_edit()  # a template opens as a new storyboard
    if not_allowed:
        say_refused(not_allowed)
        return
    template = next((t for t in _templates() if t.id == template_id), None)
    if template is None:
        return
    # The provider a new storyboard starts on, unless the template needs another ready one.
    provider = templates.pick_provider(template, [new_storyboard().provider, *ready_providers()])
    open_storyboard(template.storyboard(provider))
    close_menu(MENU_KEY)  # show the template, not the menu over it
    note = f" {template.first_frame}" if template.first_frame else ""
    st.toast(f"Opened “{plain(template.name)}” as a new storyboard.{note}", icon="📋")


def templates_menu(where: DeltaGenerator) -> None:
    """A popover listing every template with its description; a click opens it as a new storyboard."""
    menu(where, "Templates", MENU_KEY, _template_list, width="stretch")


def _template_list() -> None:
    st.caption("Start a new storyboard from a template. The one you are editing stays in Open….")
    for template in _templates():
        st.button(
            template.name,
            key=f"w:template:{template.id}",
            on_click=_open,
            args=(template.id,),
            width="stretch",
            disabled=read_only(),
        )
        about = template.description
        if template.first_frame:
            about += f" After opening: {template.first_frame[0].lower()}{template.first_frame[1:]}"
        st.caption(about)
