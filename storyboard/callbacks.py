"""Provider callbacks: the address a take's provider calls when the take ends, and the answer to
such a call. Only with STORYBOARD_PUBLIC_URL set (settings.public_url); without it, nothing here is
used and every submit is exactly the documented request.

- Before the paid submit, the driver stores a random token in the take's details (`TOKEN`, in the
  same transaction that claims the take for sending), then sends the provider
  `<public url>/api/callback/<provider>/<take id>?t=<token>`. Only someone who was given that URL
  can wake the take; the token is hidden on the Details panel like every field named "token".
- A call is never trusted for the result: a right token (and, for fal, a valid signature over the
  call, about the take's own fal request) only wakes the take's driver, which then asks the
  provider for the status at once, with the key, through the same code as a poll.
- Anything else gets an empty 404 (no such take, or a path we do not serve) or 403 (wrong token,
  a signature that does not verify), and changes nothing.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable, Mapping
from urllib.parse import quote

from storyboard.models import ProviderId
from storyboard.providers.fal_webhook import FalKeys, verified
from storyboard.store import Store

PATH = "/api/callback/{provider}/{job_id}"
TOKEN = "callback_token"  # in the job's details
MAX_BODY = 1_000_000  # bytes: a call's body is read no further (a status answer is a few kB)
OK, FORBIDDEN, NOT_FOUND, TOO_LARGE = 200, 403, 404, 413


def new_token() -> str:
    return secrets.token_urlsafe(24)  # 192 bits


def callback_url(public_url: str, provider: ProviderId, job_id: str, token: str) -> str:
    path = PATH.format(provider=provider.value, job_id=quote(job_id, safe=""))
    return f"{public_url}{path}?t={token}"


def answer(
    store: Store,
    wake: Callable[[str], None],
    fal_keys: Callable[[], FalKeys],
    *,
    provider: str,
    job_id: str,
    token: str,
    headers: Mapping[str, str],
    body: bytes,
) -> int:
    """The HTTP status for one call to the callback route; wakes the take when it is genuine.
    `headers`: names in lower case. `fal_keys`: fal's key set, asked for only when fal calls."""
    job = store.get_job(job_id)
    if job is None or job.provider.value != provider:
        return NOT_FOUND
    expected = store.details(job_id).get(TOKEN)
    if not isinstance(expected, str) or not hmac.compare_digest(expected.encode(), token.encode()):
        return FORBIDDEN
    if job.provider == ProviderId.FAL and not verified(headers, body, fal_keys(), request_id=job.remote_id):
        return FORBIDDEN
    if not job.state.finished:
        wake(job_id)
    return OK  # a call about a finished take is answered too, so the provider stops retrying it
