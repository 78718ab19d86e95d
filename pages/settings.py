"""Settings: which providers are ready, where each key comes from, and where data lives.

A key typed here lives in this browser tab's Streamlit session only (a reload ends it): it is never
written to disk, the store or the logs, and it is never shown again (the field is a password field).
"""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from components.caps import cap_inputs
from components.runtime import client_for, generate_blocker, runtime, session_clients, session_keys
from storyboard.catalog import PROVIDERS
from storyboard.models import ProviderId, format_usd
from storyboard.providers import HOSTED
from storyboard.providers.base import ProviderError
from storyboard.settings import DATA_DIR_ENV, SECRETS_FILE, resolve_key

KEY_ERROR = "settings_key_error"
CHECKED = "settings_checked:"
WHERE = {
    "environment": "found in the environment",
    "secrets file": f"found in `{SECRETS_FILE}`",
    "this session": "typed here (kept in this tab's memory only, until it is reloaded or closed; never saved)",
}


def _check_key(provider: ProviderId) -> None:
    """One cheap authenticated call: is the key accepted, and the balance where the provider tells."""
    label = PROVIDERS[provider].label
    try:
        balance = client_for(provider).check_key()  # type: ignore[union-attr]
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
    try:
        client = HOSTED[provider](value)
    except ValueError as damaged:  # the sentence never repeats the key
        st.session_state[KEY_ERROR] = str(damaged)
        return
    check: Callable[[], object] | None = getattr(client, "check_key", None)
    if check is not None:  # a key the provider refuses is not kept (a typo would strand paid takes)
        try:
            check()
        except ProviderError as refused:
            if refused.status_code in (401, 403):
                st.session_state[KEY_ERROR] = f"{refused.message} The key was not kept."
                return
    session_keys()[provider] = value
    session_clients()[provider] = client
    runtime().runner.adopt(client)  # paid takes left without a key by a restart are collected now
    st.session_state.pop(KEY_ERROR, None)


st.title("Settings")
if st.session_state.get(KEY_ERROR):
    st.error(st.session_state[KEY_ERROR])
st.subheader("Providers")
st.caption(
    "A provider without a key shows its real prices but cannot generate; Preview is free and needs none."
)
for provider, info in PROVIDERS.items():
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
            state.markdown(f"⚪ No key. Set `{status.env_name}` or type one below.")
        else:
            state.markdown(f"🔑 Key {WHERE[status.source]}.")
        ready = generate_blocker(provider) is None  # without a key, the line above says what to do
        if ready and not hasattr(client_for(provider), "check_key"):
            st.caption(
                f"{info.label} has no free call to check a key: a wrong key shows when you generate, and costs nothing."
            )
        elif ready:
            st.button("Check key", key=f"check:{provider.value}", on_click=_check_key, args=(provider,))
            verdict = st.session_state.get(f"{CHECKED}{provider.value}")
            if verdict:
                (st.success if verdict[0] else st.error)(verdict[1])
        widget = f"key:{provider.value}"
        st.text_input(
            f"{info.label} API key for this tab",
            type="password",
            key=widget,
            on_change=_keep_key,
            args=(provider, widget),
            placeholder="Paste a key (kept until this tab is reloaded or closed; never saved)",
        )

cap_inputs()

st.subheader("Where things are kept")
st.markdown(
    f"- Data folder: `{runtime().data_dir}` (change it with `{DATA_DIR_ENV}`): drafts, takes, videos, posters.\n"
    f"- Keys: the environment or `{SECRETS_FILE}`, never the data folder."
)
