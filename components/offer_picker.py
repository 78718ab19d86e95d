"""Model and provider pickers, and the options of the chosen offer (only those it has)."""

from __future__ import annotations

from typing import Any

import streamlit as st
from pydantic import ValidationError

from components.lengths import whole_page
from components.roles import read_only, team
from components.runtime import commit, current
from storyboard.catalog import MODELS, PROVIDERS, Offer
from storyboard.models import ModelId, ProviderId, Storyboard, format_usd
from storyboard.pricing import compare

CANT_TAKE = "can't take this"


def _set(field: str, key: str) -> None:
    try:
        changed = current().model_copy(update={field: st.session_state[key]})
    except ValidationError:  # not one of the options: see _set_option
        return
    commit(changed)
    whole_page()  # the provider picker is drawn in a LengthFigures place: its prices follow the lengths


def _set_option(field: str, key: str) -> None:
    sb = current()
    try:
        changed = sb.model_copy(update={"options": sb.options.model_copy(update={field: st.session_state[key]})})
    except ValidationError:
        # Not one of the options: a radio whose labels changed in the same instant (the prices in the
        # provider picker follow the sound switch) sends the old label, or a crafted value. Nothing
        # changes; the widget is drawn again from the storyboard on this run.
        return
    commit(changed)


def _bind(key: str, value: Any) -> str:
    st.session_state[key] = value
    return key


def _use_preview() -> None:
    commit(current().model_copy(update={"provider": ProviderId.PREVIEW}))


def no_key_sentence(provider: ProviderId, key_problem: str | None) -> str:
    """The editor's words for a provider without a usable key: what to do, no setting names (those
    are for whoever runs the app, on Settings, which says exactly what was found and why)."""
    label = PROVIDERS[provider].label
    if team():  # keys are the server's, set up by whoever runs it; none is typed in a team
        return f"{label} is not set up on this server: ask an admin of this workspace, or use Preview."
    if key_problem:
        return f"The {label} key cannot be used: Settings says why, and takes another."
    return f"To generate on {label}, add its API key on Settings."


def no_key(provider: ProviderId, key_problem: str | None) -> None:
    """Why the chosen provider cannot generate here, and three ways on: Settings (a link), the
    provider's own page to get a key, or Preview, free, in one click."""
    st.info(no_key_sentence(provider, key_problem), icon="🔌")
    ways = st.container(horizontal=True, wrap=True, gap="small", vertical_alignment="center")  # never cut short
    with ways:
        st.page_link("pages/settings.py", label="Settings", icon=":material/settings:")
    key_url = PROVIDERS[provider].key_url
    if key_url and not team():
        ways.link_button(f"Get a {PROVIDERS[provider].label} key", key_url, icon=":material/key:")
    ways.button(
        "Use Preview instead",
        key="w:use-preview",
        on_click=_use_preview,
        help="Free, on this machine: an animatic.",
        disabled=read_only(),
    )


def model_picker(sb: Storyboard) -> None:
    st.selectbox(
        "Model",
        options=list(MODELS),
        format_func=lambda m: MODELS[ModelId(m)].label,
        key=_bind("w:model", sb.model),
        on_change=_set,
        args=("model", "w:model"),
        help=MODELS[sb.model].blurb,
        disabled=read_only(),
    )


def provider_picker() -> None:
    """Each provider with this storyboard's price on it (drawn in a LengthFigures place)."""
    sb = current()
    prices = {c.provider: c for c in compare(sb)}

    def label(p: ProviderId) -> str:
        row = prices.get(p)
        if row is None:
            return PROVIDERS[p].label
        if not row.can_take:  # no price for what it cannot take; the reason shows under the shots
            return f"{PROVIDERS[p].label} · {CANT_TAKE}"
        unverified = "" if row.quote.verified else " (unverified)"
        return f"{PROVIDERS[p].label} · {format_usd(row.quote.total)}{unverified}"

    st.radio(
        "Provider",
        options=list(PROVIDERS),
        format_func=lambda p: label(ProviderId(p)),
        key=_bind("w:provider", sb.provider),
        on_change=_set,
        args=("provider", "w:provider"),
        disabled=read_only(),
    )


def options_form(sb: Storyboard, chosen: Offer) -> None:
    o = sb.options
    # The format (aspect ratio) is chosen in the format row beside Generate (components/formats.py).
    if chosen.has("resolution"):
        st.radio(
            "Resolution",
            options=list(chosen.resolutions),
            horizontal=True,
            key=_bind(
                "w:resolution", o.resolution if o.resolution in chosen.resolutions else chosen.resolutions[-1]
            ),
            on_change=_set_option,
            args=("resolution", "w:resolution"),
            disabled=read_only(),
        )
    if chosen.has("sound"):
        st.toggle(
            "Generate sound",
            key=_bind("w:sound", o.sound),
            on_change=_set_option,
            args=("sound", "w:sound"),
            help="Sound costs more: the price updates below.",
            disabled=read_only(),
        )
    if chosen.has("shot_type"):
        multi = sb.is_multi_shot
        st.radio(
            "Shot type",
            options=["customize", "intelligent"],
            format_func=lambda t: {
                "customize": "Customize: my shots",
                "intelligent": "Intelligent: model decides",
            }[t],
            horizontal=True,
            key=_bind("w:shot-type", "customize" if multi else o.shot_type),
            on_change=_set_option,
            args=("shot_type", "w:shot-type"),
            disabled=(multi) or read_only(),
            help="Several shots are always sent as 'customize'." if multi else None,
        )
    if chosen.has("negative_prompt"):
        st.text_input(
            "Negative prompt",
            key=_bind("w:negative", o.negative_prompt),
            on_change=_set_option,
            args=("negative_prompt", "w:negative"),
            placeholder="What you do not want: blur, distortion, text…",
            disabled=read_only(),
        )
    if chosen.has("cfg_scale"):
        st.slider(
            "Prompt strength",
            min_value=0.0,
            max_value=1.0,
            step=0.05,
            key=_bind("w:cfg", o.cfg_scale),
            on_change=_set_option,
            args=("cfg_scale", "w:cfg"),
            help="Higher follows your words more closely; lower lets the model improvise.",
            disabled=read_only(),
        )
