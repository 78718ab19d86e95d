"""What every hosted provider client shares: safe URLs, one plain sentence per HTTP failure, and
streaming a result to disk.

A key only ever travels over https, or plain http to a loopback address (tests, local proxies).
Error sentences never contain the key: they are built from the status, the provider's label and
the provider's own words, which are trimmed and kept in `ProviderError.raw` for the details panel.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import httpx

from storyboard.providers.base import ProviderError

CONNECT_TIMEOUT = 10.0
READ_TIMEOUT = 60.0
MAX_RESULT_BYTES = 2 * 1024**3  # a 15 s 1080p video is tens of MB; anything near this is wrong
CHUNK = 1024 * 1024
# How providers word "no money left" on a 403 (fal: "Exhausted balance"; others unconfirmed).
NO_BALANCE_WORDS = ("balance", "quota", "credit", "insufficient")


def usable_key(key: str | None, label: str) -> str:
    """The key, stripped; refused (without repeating it) if it is empty or damaged. httpx would
    otherwise quote an illegal header value, key included, in its own error."""
    key = (key or "").strip()
    if not key or not key.isascii() or not key.isprintable() or any(c.isspace() for c in key):
        raise ValueError(f"That {label} key has spaces or line breaks in it, or is empty. Paste it again.")
    return key


def check_url(url: str) -> str:
    """Refuse to send a key anywhere but https, or http on this machine."""
    parsed = urlparse(url)
    if parsed.scheme == "https":
        return url
    if parsed.scheme == "http" and _is_loopback(parsed.hostname or ""):
        return url
    raise ProviderError(
        f"Refusing to send your key to {parsed.scheme}://{parsed.hostname}: only https (or this machine) is allowed. "
        "Check the provider's base URL setting.",
        retryable=False,
        sent=False,
    )


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def new_client() -> httpx.Client:
    return httpx.Client(
        timeout=httpx.Timeout(READ_TIMEOUT, connect=CONNECT_TIMEOUT),
        follow_redirects=True,
        headers={"User-Agent": "storyboard-studio"},
    )


def _their_words(response: httpx.Response) -> tuple[str, Any]:
    """The provider's own message from an error body, and the body itself (for the details)."""
    try:
        body: Any = response.json()
    except ValueError:
        text = response.text.strip()
        return text[:200], text[:2000]
    words = ""
    if isinstance(body, dict):
        error = body.get("error")
        detail = body.get("detail")
        if isinstance(error, dict):
            words = str(error.get("message") or error.get("code") or "")
        elif isinstance(detail, list) and detail and isinstance(detail[0], dict):  # fal 422
            where = ".".join(str(x) for x in detail[0].get("loc", []) if x != "body")
            words = f"{where}: {detail[0].get('msg', '')}" if where else str(detail[0].get("msg", ""))
        else:
            words = str(detail or body.get("message") or body.get("msg") or error or "")
    return words.strip().rstrip(".")[:200], body


def retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After")
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None


def error_for(response: httpx.Response, label: str, dashboard: str, *, submit: bool = False) -> ProviderError:
    """One sentence for a failed HTTP answer, saying what to do."""
    status = response.status_code
    words, raw = _their_words(response)
    said = f" ({words})" if words else ""
    if status == 401:
        message = f"{label} did not accept the API key{said}. Check the key on the Settings page."
        retryable = False
    elif status == 402 or (status == 403 and any(w in words.lower() for w in NO_BALANCE_WORDS)):
        message = (
            f"{label} says the account has no balance left{said}. Top up at {dashboard}, then generate again."
        )
        retryable = False
    elif status == 403:
        message = f"{label} refused access{said}. Check that the key may use this model."
        retryable = False
    elif status in (400, 422):
        message = f"{label} rejected the request{said}. Change that setting and generate again."
        retryable = False
    elif status == 404:
        message = f"{label} does not know this job or address{said}."
        retryable = False
    elif status == 429:
        message = f"{label} is busy (too many requests); retrying shortly."
        retryable = True
    elif status >= 500:
        message = f"{label} had a problem on its side (HTTP {status}); retrying shortly."
        retryable = True
    else:
        message = f"{label} answered HTTP {status}{said}."
        retryable = False
    # A submit answered 4xx or 503 was refused: nothing was billed. Any other 5xx (500, 502, 504)
    # may come after the job was created, so its outcome is unknown and it must never be resent.
    if not submit:
        sent: bool | None = True
    elif status < 500 or status == 503:
        sent = False
    else:
        sent, retryable = None, False
        message = f"{label} had a problem on its side (HTTP {status}) while taking the job, so it may or may not exist."
    return ProviderError(
        message,
        retryable=retryable,
        sent=sent,
        status_code=status,
        raw=raw,
        retry_after=retry_after(response),
    )


def call(
    client: httpx.Client,
    method: str,
    url: str,
    label: str,
    dashboard: str,
    *,
    submit: bool = False,
    **kwargs: Any,
) -> httpx.Response:
    """Send one request; translate transport failures and error statuses into ProviderError.

    For a submit, a failure to connect means nothing was sent (sent=False); a timeout or a dropped
    connection after sending means nobody knows (sent=None) and it must never be resent.
    """
    check_url(url)
    try:
        response = client.request(method, url, **kwargs)
    except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
        raise ProviderError(
            f"Could not reach {label}. Check your internet connection and try again.",
            retryable=True,
            sent=False,
            raw=type(exc).__name__,
        ) from exc
    except (httpx.TimeoutException, httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError) as exc:
        raise ProviderError(
            f"{label} did not answer in time.",
            retryable=True,
            sent=None if submit else True,
            raw=type(exc).__name__,
        ) from exc
    if response.status_code >= 400:
        raise error_for(response, label, dashboard, submit=submit)
    return response


def json_of(response: httpx.Response, label: str) -> Any:
    try:
        return response.json()
    except ValueError as exc:
        raise ProviderError(
            f"{label} sent an answer we could not read.", retryable=True, raw=response.text[:2000]
        ) from exc


def stream_to_file(
    client: httpx.Client,
    url: str,
    dest: Path,
    label: str,
    *,
    max_bytes: int = MAX_RESULT_BYTES,
    headers: dict[str, str] | None = None,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Stream a result to `dest` in chunks (memory stays flat whatever the size); returns bytes written.

    Result links are public CDN URLs: no key is sent with them unless `headers` says so.
    """
    written = 0
    try:
        with client.stream("GET", url, headers=headers or {}) as response:
            if response.status_code >= 400:
                response.read()
                raise error_for(response, label, "")
            kind = response.headers.get("content-type", "")
            if kind and not kind.startswith(("video/", "application/octet-stream", "binary/")):
                raise ProviderError(
                    f"{label}'s result link returned {kind.split(';')[0]}, not a video.", retryable=False
                )
            with dest.open("wb") as out:
                for chunk in response.iter_bytes(CHUNK):
                    written += len(chunk)
                    if written > max_bytes:
                        raise ProviderError(
                            f"{label}'s result is larger than expected; not saved.", retryable=False
                        )
                    out.write(chunk)
                    if progress is not None:
                        progress(written)
                out.flush()
                os.fsync(out.fileno())
    except (httpx.TimeoutException, httpx.TransportError) as exc:
        dest.unlink(missing_ok=True)
        raise ProviderError(f"The download from {label} was interrupted; retrying.", retryable=True) from exc
    except ProviderError:
        dest.unlink(missing_ok=True)
        raise
    return written
