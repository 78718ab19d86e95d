"""Is a webhook call really fal's, about this request? fal signs its webhooks [docs/callbacks.md]:

- headers `X-Fal-Webhook-Request-Id`, `X-Fal-Webhook-User-Id`, `X-Fal-Webhook-Timestamp` (Unix
  seconds) and `X-Fal-Webhook-Signature` (hex);
- the signed message is `request_id \\n user_id \\n timestamp \\n sha256_hex(raw body)`, signed with
  ED25519;
- the public keys are a JWKS (`kty: OKP`, `crv: Ed25519`, `x` base64url) at FAL_JWKS_URL, which fal
  says may be cached for up to 24 h; a timestamp more than 5 minutes off is refused (replays).

A verified call still only wakes the take: its result is read through the normal status and
result URLs, with the key, as when polling (one code path for the result).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import logging
import threading
import time
from collections.abc import Callable, Mapping

import httpx
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from storyboard.providers.base import ProviderError
from storyboard.providers.http import check_url, new_client
from storyboard.settings import base_url

log = logging.getLogger(__name__)

REQUEST_ID = "x-fal-webhook-request-id"
USER_ID = "x-fal-webhook-user-id"
TIMESTAMP = "x-fal-webhook-timestamp"
SIGNATURE = "x-fal-webhook-signature"
TOLERANCE = 300.0  # seconds either side of now
KEYS_TTL = 24 * 3600.0  # how long fal says its key set may be cached
# A signature none of the cached keys verifies fetches the set again (fal rotated its keys), but at
# most this often: a stranger's forged calls must not make us hammer fal's key server.
REFETCH_AFTER = 60.0


class FalKeys:
    """fal's webhook public keys, fetched from FAL_JWKS_URL when first needed and cached."""

    def __init__(
        self,
        url: str | None = None,
        http: httpx.Client | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.url = url or base_url("FAL_JWKS_URL")
        self._http = http or new_client()
        self._clock = clock
        self._keys: list[Ed25519PublicKey] = []
        self._fetched_at: float | None = None
        self._lock = threading.Lock()

    def get(self, *, stale: bool = False) -> list[Ed25519PublicKey]:
        """The cached keys; fetched again when older than KEYS_TTL, or when `stale` (none of them
        verified a call) and the last fetch is older than REFETCH_AFTER."""
        with self._lock:
            age = None if self._fetched_at is None else self._clock() - self._fetched_at
            if age is None or age > KEYS_TTL or (stale and age > REFETCH_AFTER):
                self._keys = self._fetch()
                self._fetched_at = self._clock()
            return list(self._keys)

    def _fetch(self) -> list[Ed25519PublicKey]:
        try:
            check_url(self.url)
            response = self._http.get(self.url)
            response.raise_for_status()
            listed = response.json().get("keys")
        except (httpx.HTTPError, ProviderError, ValueError, AttributeError) as exc:
            log.warning("could not read fal's webhook keys (%s); fal's calls wait for the next poll", exc)
            return self._keys  # keep what we had: a passing failure must not drop good keys
        keys = []
        for jwk in listed if isinstance(listed, list) else []:
            if not (isinstance(jwk, dict) and jwk.get("kty") == "OKP" and jwk.get("crv") == "Ed25519"):
                continue
            try:
                raw = base64.urlsafe_b64decode(str(jwk.get("x", "")) + "==")
                keys.append(Ed25519PublicKey.from_public_bytes(raw))
            except (ValueError, binascii.Error):
                continue
        return keys

    def close(self) -> None:
        self._http.close()


def message(request_id: str, user_id: str, timestamp: str, body: bytes) -> bytes:
    """What fal signs."""
    return f"{request_id}\n{user_id}\n{timestamp}\n{hashlib.sha256(body).hexdigest()}".encode()


def verified(
    headers: Mapping[str, str],
    body: bytes,
    keys: FalKeys,
    *,
    request_id: str | None,
    now: float | None = None,
) -> bool:
    """True when fal signed this call, recently, about `request_id` (the take's fal request).
    `headers`: names in lower case."""
    said_id, user_id, stamp, signature = (
        headers.get(n, "") for n in (REQUEST_ID, USER_ID, TIMESTAMP, SIGNATURE)
    )
    if not (request_id and said_id == request_id and user_id and stamp.isdigit() and signature):
        return False
    if abs((time.time() if now is None else now) - int(stamp)) > TOLERANCE:
        return False
    try:
        sig = bytes.fromhex(signature)
    except ValueError:
        return False
    signed = message(said_id, user_id, stamp, body)
    for stale in (False, True):
        for key in keys.get(stale=stale):
            try:
                key.verify(sig, signed)
                return True
            except InvalidSignature:
                continue
    return False
