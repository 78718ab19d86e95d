"""Settings: which providers are ready, where each key comes from, and where data lives.

A key typed here lives in this browser tab's Streamlit session only (a reload ends it): it is never
written to disk, the store or the logs, and it is never shown again (the field is a password field).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import streamlit as st

from components.caps import cap_inputs
from components.members import activity_log, members_section
from components.roles import may, refused_now, team
from components.runtime import client_for, generate_blocker, runtime, session_clients, session_keys
from components.sign_in import gate
from storyboard import checked_prices
from storyboard.catalog import MODELS, PROVIDERS
from storyboard.checked_prices import PriceCheck
from storyboard.media_store import LocalMedia
from storyboard.models import ProviderId, format_usd
from storyboard.permissions import Action
from storyboard.providers import HOSTED
from storyboard.providers.base import ProviderClient, ProviderError
from storyboard.settings import DATA_DIR_ENV, MEDIA_URL_ENV, SECRETS_FILE, resolve_key

gate()  # again here: a run may start at this page, not at app.py (components/sign_in.py)

KEY_ERROR = "settings_key_error"
TEAM_KEYS = (
    "In this team's app the keys come only from the server (the environment or the secrets file); "
    "a key pasted in a browser is never used."
)
CHECKED = "settings_checked:"
PRICE_ROWS = "settings_price_rows"
PRICES_UNKEPT = "settings_prices_unkept"  # the check's figures could not be written (disk, bucket)
WHERE = {
    "environment": "found in the environment",
    "secrets file": f"found in `{SECRETS_FILE}`",
    "this session": "typed here (kept in this tab's memory only, until it is reloaded or closed; never saved)",
}


def _check_key(provider: ProviderId) -> None:
    """One cheap authenticated call: is the key accepted, and the balance where the provider tells."""
    not_allowed = refused_now(Action.SEE_PROVIDERS)
    if not_allowed:
        st.session_state[f"{CHECKED}{provider.value}"] = (False, not_allowed)
        return
    label = PROVIDERS[provider].label
    try:
        client = client_for(provider)
        assert client is not None  # the button is only drawn for a provider that is ready
        balance = client.check_key()
    except ProviderError as refused:
        st.session_state[f"{CHECKED}{provider.value}"] = (False, refused.message)
        return
    told = f" Balance: {format_usd(balance)}." if balance is not None else " (It does not report a balance.)"
    st.session_state[f"{CHECKED}{provider.value}"] = (True, f"{label} accepted the key.{told}")


def _keep_key(provider: ProviderId, widget: str) -> None:
    value = st.session_state.get(widget, "").strip()
    st.session_state[widget] = ""  # the field never shows the key again
    if not value:
        return
    if team():  # keys in a team are the server's: a pasted one is dropped, never kept or used
        st.session_state[KEY_ERROR] = TEAM_KEYS
        return
    try:
        client = HOSTED[provider](value)
    except ValueError as damaged:  # the sentence never repeats the key
        st.session_state[KEY_ERROR] = str(damaged)
        return
    if client.checks_key:  # a key the provider refuses is not kept (a typo would strand paid takes)
        try:
            client.check_key()
        except ProviderError as refused:
            if refused.status_code in (401, 403):
                st.session_state[KEY_ERROR] = f"{refused.message} The key was not kept."
                return
    session_keys()[provider] = value
    session_clients()[provider] = client
    runtime().runner.adopt(client)  # paid takes left without a key by a restart are collected now
    st.session_state.pop(KEY_ERROR, None)


def _pricing_clients() -> dict[ProviderId, ProviderClient]:
    """The providers this session has a key for whose API prices a request itself."""
    ready = {p: client_for(p) for p in HOSTED if generate_blocker(p) is None}
    return {p: c for p, c in ready.items() if c is not None and c.checks_prices}


def _check_prices() -> None:
    """Ask each provider with a key its own price for every rate the app quotes; keep today's."""
    if refused_now(Action.SEE_PROVIDERS):
        return  # the button is drawn for admins only
    today = date.today()
    rows: list[PriceCheck] = []
    st.session_state.pop(PRICES_UNKEPT, None)
    for client in _pricing_clients().values():
        shown, kept = checked_prices.check(client, today)
        rows += shown
        try:
            checked_prices.save(runtime().data_dir, kept)
        except OSError:  # a full disk, or the media bucket (where replicas share them) out of reach
            st.session_state[PRICES_UNKEPT] = checked_prices.UNKEPT
    st.session_state[PRICE_ROWS] = rows


def _per_second(rate: Decimal | None) -> str:
    return "—" if rate is None else f"{format_usd(rate.quantize(checked_prices.PRECISION), exact=True)}/s"


def _offer_name(row: PriceCheck) -> str:
    variant = f" ({row.variant})" if row.variant else ""
    return f"{PROVIDERS[row.provider].label} · {MODELS[row.model].label}{variant}"


def _price_section() -> None:
    st.subheader("Prices")
    st.caption(
        "Quotes use the catalog's rates, read from each provider's published pages. Where a provider "
        "prices a request itself, Check prices asks it (nothing is generated or charged) and, for the "
        "rest of the day, quotes on that provider use its own figure."
    )
    clients = _pricing_clients()
    if not clients:
        st.caption(
            "Add a WaveSpeedAI or fal.ai key to check prices with the provider; nothing is sent without one."
        )
        return
    names = " and ".join(PROVIDERS[p].label for p in clients)
    st.button(f"Check prices with {names}", key="check_prices", on_click=_check_prices)
    rows: list[PriceCheck] | None = st.session_state.get(PRICE_ROWS)
    if not rows:
        return
    st.dataframe(
        [
            {
                "Offer": _offer_name(r),
                "Catalog": _per_second(r.catalog),
                "Provider": _per_second(r.checked),
                "Differs": "yes" if r.differs else ("" if r.checked is not None else "not checked"),
                "Note": r.said,
            }
            for r in rows
        ],
        hide_index=True,
    )
    if st.session_state.get(PRICES_UNKEPT):
        st.error(st.session_state[PRICES_UNKEPT])
        return
    differ = [r for r in rows if r.differs]
    if differ:
        listed = "; ".join(
            f"{_offer_name(r)}: catalog {_per_second(r.catalog)}, {PROVIDERS[r.provider].label} {_per_second(r.checked)}"
            for r in differ
        )
        st.warning(
            f"{len(differ)} of the rates differ from the catalog ({listed}); quotes use the provider's figure today."
        )
    elif any(r.checked is not None for r in rows):
        st.success("Every rate the providers priced matches the catalog.")


def _usable_providers() -> None:
    """What a member who is not an admin sees of the providers: which they may generate on."""
    st.subheader("Providers")
    usable = [info.label for provider, info in PROVIDERS.items() if generate_blocker(provider) is None]
    st.markdown("You can generate on: " + ", ".join(usable) + ".")
    st.caption("The keys are set up by the admins of this workspace; ask one if you need another provider.")


st.title("Settings")
if st.session_state.get(KEY_ERROR):
    st.error(st.session_state[KEY_ERROR])
see_providers = may(Action.SEE_PROVIDERS)
if see_providers:
    st.subheader("Providers")
    st.caption(
        "A provider without a key shows its real prices but cannot generate; Preview is free and needs none."
        + (f" {TEAM_KEYS}" if team() else "")
    )
else:
    _usable_providers()
for provider, info in PROVIDERS.items() if see_providers else ():
    _, status = resolve_key(provider, session_keys())
    with st.container(border=True, key=f"provider-{provider.value}"):
        name, state = st.columns([2, 3])
        name.markdown(f"**{info.label}**")
        if status.env_name is None:
            state.markdown("✅ Ready: free and offline, no key needed.")
            continue
        if status.problem:  # the same sentence the editor shows (components/runtime.generate_blocker)
            state.markdown(f"⛔ {status.problem}")
        elif status.source is None:
            below = "" if team() else " or type one below"
            state.markdown(f"⚪ No key. Set `{status.env_name}`{below}.")
        else:
            state.markdown(f"🔑 Key {WHERE[status.source]}.")
        ready = generate_blocker(provider) is None  # without a key, the line above says what to do
        client = client_for(provider) if ready else None
        if client is not None and not client.checks_key:
            st.caption(
                f"{info.label} has no free call to check a key: a wrong key shows when you generate, and costs nothing."
            )
        elif client is not None:
            st.button("Check key", key=f"check:{provider.value}", on_click=_check_key, args=(provider,))
            verdict = st.session_state.get(f"{CHECKED}{provider.value}")
            if verdict:
                (st.success if verdict[0] else st.error)(verdict[1])
        if team():
            continue  # no per-tab key in a team: keys come from the server's configuration only
        widget = f"key:{provider.value}"
        st.text_input(
            f"{info.label} API key for this tab",
            type="password",
            key=widget,
            on_change=_keep_key,
            args=(provider, widget),
            placeholder="Paste a key (kept until this tab is reloaded or closed; never saved)",
        )

if see_providers:
    _price_section()

cap_inputs()
members_section()
activity_log()

if see_providers:  # where the data and keys are is for the admins of a team
    st.subheader("Where things are kept")
    _media = runtime().media
    if isinstance(_media, LocalMedia):
        _kept = f"- Data folder: `{runtime().data_dir}` (change it with `{DATA_DIR_ENV}`): drafts, takes, spending caps, videos, posters, first frames.\n"
    else:  # the bucket's name and endpoint, never its credentials
        _kept = (
            f"- Data folder: `{runtime().data_dir}` (change it with `{DATA_DIR_ENV}`): drafts, takes, spending caps.\n"
            f"- Videos, posters, first frames: {_media.describe()} (change it with `{MEDIA_URL_ENV}`).\n"
        )
    st.markdown(_kept + f"- Keys: the environment or `{SECRETS_FILE}`, never the data folder.")
