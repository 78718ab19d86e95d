"""Every sentence the job runner shows a user about a take, in one place.

Each is one plain sentence (two at most) that says what happened and what to do. No key, no
request header and no raw provider body ever goes into one: only labels, prices, times and the
provider's own plain words that the clients have already scrubbed.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from storyboard.catalog import MAX_TAKES_PER_GENERATE, PROVIDERS
from storyboard.models import ProviderId, format_usd

WAITING_TO_START = "Waiting to start…"
UPLOADING = "Uploading the first frame…"
CANCELLED_UNSENT = "Cancelled before anything was sent."
CANCELLED = "Cancelled."
CANCELLING = "Cancelling… (the provider may still finish it)"
SAVING = "Saving the video…"
READY = "Ready."
WORKING = "Working…"  # a running take with nothing more to say yet
NOT_A_VIDEO = "The provider's file is not a playable video, so it was not saved; the provider's link is kept with the take."
NO_VIDEO_LINK = (
    "The provider says it finished but gave no video link; generate again, or ask the provider about it."
)
PROVIDER_FAILED = "The provider said it failed."
NOTHING_CHARGED = " Nothing was charged."


def label(provider: ProviderId) -> str:
    return PROVIDERS[provider].label


def take_count() -> str:
    return f"Choose 1 to {MAX_TAKES_PER_GENERATE} takes at a time."


def no_key(provider: ProviderId) -> str:
    info = PROVIDERS[provider]
    return (
        f"To generate on {info.label}, type its key on Settings or set {info.key_env} in the environment "
        "or .streamlit/secrets.toml."
    )


def no_server_key(provider: ProviderId) -> str:
    """With workers (a team): keys are the server's; one typed on Settings would never reach them."""
    info = PROVIDERS[provider]
    return (
        f"To generate on {info.label}, ask whoever runs this server to set {info.key_env} for the app "
        "and its workers; keys typed on Settings are not used here."
    )


def price_changed(total: Decimal, count: int, shown: Decimal) -> str:
    takes = "1 take" if count == 1 else f"{count} takes"
    return (
        f"The price is now {format_usd(total)} for {takes} (it said {format_usd(shown)} when you pressed "
        "Generate), so nothing was sent: press Generate again to go ahead at the new price."
    )


def sending(provider: ProviderId) -> str:
    return f"Sending to {label(provider)}…"


def provider_has_it(provider: ProviderId) -> str:
    return f"{label(provider)} has it…"


def progress(free: bool, running: bool, value: float) -> str:
    if running:
        return f"{'Rendering the animatic' if free else 'Generating'}… {round(value * 100)}%"
    # Preview renders on this machine, one take at a time: a take waits for the one before it.
    return "Waiting for the preview before it to finish…" if free else "Waiting in the provider's queue…"


def busy_not_sent(provider: ProviderId) -> str:
    return (
        f"{label(provider)} was busy or could not be reached, so the take was not sent and nothing was "
        "charged. Generate again in a minute."
    )


def unknown(provider: ProviderId, reason: str) -> str:
    info = PROVIDERS[provider]
    where = f" at {info.dashboard_url}" if info.dashboard_url else ""
    return (
        f"{reason} We did not resend it, so you are not charged twice: check {info.label}'s "
        f"dashboard{where} before generating again."
    )


def stopped_while_sending(provider: ProviderId) -> str:
    return f"The app stopped while sending this job to {label(provider)}."


def unreadable_answer(provider: ProviderId, error: BaseException) -> str:
    return f"We could not read {label(provider)}'s answer ({type(error).__name__})."


def failed_before_sending(error: BaseException) -> str:
    return f"Something went wrong before sending ({type(error).__name__})."


def keyless_unsent(provider: ProviderId, server_keys: bool = False) -> str:
    """`server_keys`: keys come only from the server's configuration (takes run by workers)."""
    return f"{no_server_key(provider) if server_keys else no_key(provider)} Nothing was sent, nothing was charged."


def waiting_for_key(provider: ProviderId, said: str | None, server_keys: bool = False) -> str:
    info = PROVIDERS[provider]
    why = f"{said} " if said else ""
    how = (
        f"ask whoever runs this server to set {info.key_env} for its workers"
        if server_keys
        else f"type one on Settings, or set {info.key_env}"
    )
    return (
        f"{why}This take is paid for and still on {info.label}: it is collected as soon as {info.label} "
        f"accepts a key ({how})."
    )


def retrying(provider: ProviderId, said: str | None) -> str:
    return f"{said or f'Cannot reach {label(provider)} right now.'} Retrying; nothing is lost."


def link_expired(provider: ProviderId, expired: datetime | None, finished: datetime | None) -> str:
    """The result host refused the video link (403/404/410): the link ran out. Keys never go to
    result hosts, so it is not a key problem; the take was made and paid for."""
    info = PROVIDERS[provider]
    when = f" ({expired:%Y-%m-%d %H:%M} UTC)" if expired else ""
    made = f"the take finished {finished:%Y-%m-%d %H:%M} UTC and" if finished else "the take"
    where = f" at {info.dashboard_url}" if info.dashboard_url else ""
    return (
        f"{info.label}'s link to this video expired{when} before the app could save it; {made} was paid "
        f"for, so download it from {info.label}'s dashboard{where}."
    )
