"""The shell every hosted client (WaveSpeed, fal, EvoLink) is built on.

One constructor (the key checked by `usable_key`, base URL from the argument or the setting, an
httpx client owned unless one is passed in), one `_call` (the key in the Authorization header,
failures as ProviderError sentences), one `_json`, one multipart upload, one `close`, and ONE
key-scrubbing function: whatever a provider echoes back (a sentence, a raw body, a status) has the
key taken out before it leaves the client. A subclass says how its provider names things.
"""

from __future__ import annotations

import mimetypes
from pathlib import Path
from typing import Any, TypeVar

import httpx
from pydantic import BaseModel

from storyboard.catalog import PROVIDERS
from storyboard.providers.base import ProviderClient, ProviderError
from storyboard.providers.http import call, json_of, new_client, stream_to_file, usable_key
from storyboard.settings import base_url as configured_base_url

HIDDEN = "[key hidden]"
T = TypeVar("T")


def scrub(value: T, secret: str) -> T:
    """`value` with every occurrence of `secret` replaced, through strings, dicts, lists and
    pydantic models (a RemoteStatus's raw body and sentence)."""
    if not secret:
        return value
    if isinstance(value, str):
        return value.replace(secret, HIDDEN)  # type: ignore[return-value]
    if isinstance(value, dict):
        return {scrub(k, secret): scrub(v, secret) for k, v in value.items()}  # type: ignore[return-value]
    if isinstance(value, list | tuple):
        return [scrub(v, secret) for v in value]  # type: ignore[return-value]
    if isinstance(value, ProviderError):
        value.message = scrub(value.message, secret)
        value.args = (value.message,)
        value.raw = scrub(value.raw, secret)
        return value
    if isinstance(value, BaseModel):  # a RemoteStatus or Submission: its sentence and raw body
        text = value.model_dump_json()
        if secret in text:
            return type(value).model_validate_json(text.replace(secret, HIDDEN))
    return value


class HostedClient(ProviderClient):
    """A paid provider reached over HTTPS with one key."""

    base_url_env: str  # the setting (settings.BASE_URLS) that holds the API host
    calls_back = True  # all three hosted providers can call back when a job ends [providers.md]

    def __init__(self, key: str, base_url: str | None = None, http: httpx.Client | None = None) -> None:
        info = PROVIDERS[self.provider]
        self.label = info.label
        self.dashboard = info.dashboard_url
        self._key = usable_key(key, info.label)
        self.base_url = (base_url or configured_base_url(self.base_url_env)).rstrip("/")
        self._owns_http = http is None
        # No default Authorization header: result links and storage hosts never see the key.
        self._http = http if http is not None else new_client()

    def __repr__(self) -> str:  # never the key
        return f"{type(self).__name__}(base_url={self.base_url!r})"

    @property
    def _auth(self) -> dict[str, str]:
        return {"Authorization": f"{PROVIDERS[self.provider].auth_scheme} {self._key}"}

    def _scrub(self, value: T) -> T:
        return scrub(value, self._key)

    def _call(
        self,
        method: str,
        url: str,
        *,
        submit: bool = False,
        headers: dict[str, str] | None = None,
        auth: bool = True,
        **kwargs: Any,
    ) -> httpx.Response:
        """One request with the key (unless `auth=False`); failures become a scrubbed ProviderError.

        For a submit, anything that leaves the outcome unknown says so (sent=None, never resent).
        """
        sent_headers = {**(self._auth if auth else {}), "Accept": "application/json", **(headers or {})}
        try:
            return call(
                self._http,
                method,
                url,
                self.label,
                self.dashboard,
                submit=submit,
                headers=sent_headers,
                **kwargs,
            )
        except ProviderError as exc:
            raise self._scrub(exc) from exc.__cause__
        except httpx.HTTPError as exc:  # anything `call` does not name; for a submit, outcome unknown
            raise ProviderError(
                f"{self.label} could not be reached ({type(exc).__name__}).",
                retryable=not submit,
                sent=None if submit else True,
                raw=type(exc).__name__,
            ) from None

    def _json(self, response: httpx.Response) -> Any:
        try:
            return json_of(response, self.label)
        except ProviderError as exc:
            raise self._scrub(exc) from None

    def _upload_multipart(self, url: str, path: Path) -> Any:
        """POST the file as multipart field `file` (WaveSpeed [W10], EvoLink [E9]); the JSON answer."""
        path = Path(path)
        kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        with path.open("rb") as handle:
            response = self._call("POST", url, files={"file": (path.name, handle, kind)})
        return self._json(response)

    def download(self, url: str, dest: Path) -> None:
        """Stream the result to `dest`. Result links are public CDN links: no key goes with them."""
        if not url.startswith(("https://", "http://")):
            raise ProviderError(f"{self.label} gave a video link we cannot download.", retryable=False)
        stream_to_file(self._http, url, dest, self.label)

    def close(self) -> None:
        if self._owns_http:
            self._http.close()
