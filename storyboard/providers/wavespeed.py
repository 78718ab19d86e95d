"""WaveSpeedAI: Kling V3 Turbo Pro and V3.0 Pro as REST predictions [providers.md §1].

- Submit: `POST {base}{endpoint}` (the model id is the path, e.g.
  `/api/v3/kwaivgi/kling-v3-turbo-pro/text-to-video`) with the compiled JSON body [Seed 000-002].
- Every answer is wrapped as `{code, message, data}`; a `code` other than 200 is an error even
  under HTTP 200, as WaveSpeed's own desktop app treats it [W2] (an upload must say 200 outright).
- Follow: `GET data.urls.get` (documented as `{base}/api/v3/predictions/{id}/result`) until
  `data.status` is `completed` (`data.outputs[0]` is the video) or `failed` (`data.error` says why).
  `cancelled` and `timeout` are final too, as in the official SDK [W1][W8][W9].
- First frames: `POST {base}/api/v3/media/upload/binary`, multipart field `file`; the answer's
  `data.download_url` goes into the body's `image` [W10].
- Result links are public CDN links: they are fetched without the key.
- WaveSpeed documents no cancel endpoint: a submitted job runs to the end and is billed.

Transport errors and HTTP error statuses become one sentence in the shared `http.call`; the same
sentences are used for an error `code` inside an HTTP 200 envelope. The key travels only in the
Authorization header of requests to the configured base URL's host; any sentence or raw body that
would echo it is scrubbed.
"""

from __future__ import annotations

import mimetypes
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlparse

import httpx

from storyboard.catalog import PROVIDERS
from storyboard.compile import CompiledRequest
from storyboard.models import ProviderId
from storyboard.providers.base import ProviderClient, ProviderError, RemoteStatus, Submission
from storyboard.providers.http import call, error_for, json_of, new_client, stream_to_file, usable_key
from storyboard.settings import base_url as configured_base_url

UPLOAD_PATH = "/api/v3/media/upload/binary"
RESULT_PATH = "/api/v3/predictions/{id}/result"

# data.status -> our state [Seed 001][W1]. `timeout` is final in the SDK; it is a failure here.
_STATES = {"created": "queued", "processing": "running", "completed": "completed"}


class WaveSpeedClient(ProviderClient):
    provider = ProviderId.WAVESPEED
    free = False
    poll_interval = 1.0  # the official SDK's default [W1]
    cancellable = False

    def __init__(self, key: str, base_url: str | None = None, http: httpx.Client | None = None) -> None:
        self._key = usable_key(key, "WaveSpeedAI")
        self.base_url = (base_url or configured_base_url("WAVESPEED_BASE_URL")).rstrip("/")
        self._owns_http = http is None
        self._http = http if http is not None else new_client()
        info = PROVIDERS[ProviderId.WAVESPEED]
        self.label = info.label
        self.dashboard = info.dashboard_url

    def __repr__(self) -> str:  # never the key
        return f"WaveSpeedClient(base_url={self.base_url!r})"

    # ---- the protocol -----------------------------------------------------------------------

    def upload_image(self, path: Path) -> str:
        """Send a first frame to WaveSpeed's media storage; returns the URL for the body's `image`."""
        path = Path(path)
        kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        with path.open("rb") as handle:
            response = self._call(
                "POST", f"{self.base_url}{UPLOAD_PATH}", files={"file": (path.name, handle, kind)}
            )
        reply = self._json(response)
        data = reply.get("data") if isinstance(reply, dict) else None
        url = data.get("download_url") if isinstance(data, dict) else None
        if _code(reply) == 200 and isinstance(url, str) and urlparse(url).scheme in ("http", "https"):
            return url
        code = _code(reply)
        words = _words(reply)
        said = f" ({words})" if words else ""
        # An HTTP 200 envelope with an error code is a considered answer (the SDK's example is
        # `{"code": 500, "message": "Upload failed: invalid file type"}` [W1]): retried only when busy.
        busy = code in (429, 502, 503, 504)
        raise self._scrubbed(
            ProviderError(
                f"{self.label} did not take the first frame{said}. "
                + ("Retrying shortly." if busy else "Try another image (JPEG or PNG), or try again later."),
                retryable=busy,
                status_code=code,
                raw=reply,
            )
        )

    def submit(self, request: CompiledRequest, idempotency_key: str) -> Submission:
        """Create the prediction (paid). Sent once: the runner never resends an unknown outcome.

        WaveSpeed documents no idempotency header; `Idempotency-Key` is sent anyway, for tracing
        (and in case it is honoured), but nothing relies on it.
        """
        if request.provider != ProviderId.WAVESPEED:
            raise ProviderError(
                f"This request was compiled for {request.provider}, not {self.label}.",
                retryable=False,
                sent=False,
            )
        url = f"{self.base_url}/{request.endpoint.lstrip('/')}"
        response = self._call(
            "POST", url, submit=True, json=request.body, headers={"Idempotency-Key": idempotency_key}
        )
        try:
            reply = self._json(response)
        except ProviderError as exc:  # accepted (2xx) but unreadable: a job may exist, never resend
            exc.sent, exc.retryable = None, False
            raise
        data = reply.get("data") if isinstance(reply, dict) else None
        remote_id = data.get("id") if isinstance(data, dict) else None
        has_id = isinstance(remote_id, str) and bool(remote_id)
        code = _code(reply)
        if code is not None and code != 200:
            # Refused inside an HTTP 200 envelope: nothing was created, unless it still names a job.
            error = self._refusal(reply, submit=True)
            if has_id:
                error.sent = None
            raise error
        if not has_id:
            raise self._scrubbed(
                ProviderError(
                    f"{self.label} accepted the job but its answer had no prediction id.",
                    retryable=False,
                    sent=None,
                    status_code=response.status_code,
                    raw=reply,
                )
            )
        assert isinstance(data, dict) and isinstance(remote_id, str)
        urls = data.get("urls") if isinstance(data.get("urls"), dict) else {}
        get_url = urls.get("get") if isinstance(urls.get("get"), str) else None
        return Submission(
            remote_id=remote_id,
            data={
                "id": remote_id,
                "model": data.get("model"),
                "status": data.get("status"),
                "created_at": data.get("created_at"),
                "get_url": get_url,
            },
        )

    def status(self, submission: Submission) -> RemoteStatus:
        reply = self._json(self._call("GET", self._result_url(submission)))
        code = _code(reply)
        if code is not None and code != 200:
            raise self._refusal(reply)
        data = reply.get("data") if isinstance(reply, dict) else None
        if not isinstance(data, dict):
            raise self._scrubbed(
                ProviderError(f"{self.label} sent a job status we could not read.", retryable=True, raw=reply)
            )
        raw = self._scrub_value(reply)
        remote = str(data.get("status") or "")
        if remote == "completed":
            outputs = data.get("outputs")
            first = outputs[0] if isinstance(outputs, list) and outputs else None
            url = first if isinstance(first, str) and first else None
            return RemoteStatus(state="completed", progress=1.0, video_url=url, raw=raw)
        if remote == "failed":
            return RemoteStatus(state="failed", error=self._failure_sentence(data), raw=raw)
        if remote == "timeout":
            return RemoteStatus(
                state="failed",
                error=f"{self.label} ran out of time making this video{_said(self._scrub_value(data.get('error')))}. "
                "Generate it again, or try again later.",
                raw=raw,
            )
        if remote == "cancelled":
            return RemoteStatus(state="cancelled", raw=raw)
        # created / processing, or a status WaveSpeed adds later: keep following, it is paid for.
        return RemoteStatus(state=_STATES.get(remote, "running"), raw=raw)  # type: ignore[arg-type]

    def download(self, url: str, dest: Path) -> None:
        """Stream the result to `dest`. Result links are public: the key is NOT sent with them."""
        if urlparse(url).scheme not in ("http", "https"):
            raise ProviderError(f"{self.label} gave a video link we cannot download.", retryable=False)
        stream_to_file(self._http, url, dest, self.label)

    def balance(self) -> Decimal:
        """The account's balance in USD: the one cheap authenticated call WaveSpeed has [W2]."""
        reply = self._json(self._call("GET", f"{self.base_url}/api/v3/balance"))
        data = reply.get("data") if isinstance(reply, dict) else None
        if _code(reply) not in (None, 200) or not isinstance(data, dict) or "balance" not in data:
            raise self._scrubbed(self._refusal(reply, submit=False))
        return Decimal(str(data["balance"]))

    def check_key(self) -> Decimal:
        """Is the key accepted, and what is left: the balance call."""
        return self.balance()

    def cancel(self, submission: Submission) -> bool:
        # No cancel endpoint is documented [providers.md §1.2]: the job runs to the end and is billed.
        return False

    def close(self) -> None:
        if self._owns_http:
            self._http.close()

    # ---- helpers ----------------------------------------------------------------------------

    def _result_url(self, submission: Submission) -> str:
        """`data.urls.get` when it is on our base URL's host (the key goes nowhere else), else the
        documented `{base}/api/v3/predictions/{id}/result`."""
        given = submission.data.get("get_url")
        if isinstance(given, str) and _origin(given) is not None and _origin(given) == _origin(self.base_url):
            return given
        return self.base_url + RESULT_PATH.format(id=quote(submission.remote_id, safe=""))

    def _failure_sentence(self, data: dict[str, Any]) -> str:
        words = str(self._scrub_value(data.get("error")) or "").strip()[:200].rstrip(". ")
        if not words:
            return (
                f"{self.label} could not make this video and gave no reason. Try again, or change the prompt."
            )
        return f"{self.label} could not make this video: {words}."

    def _refusal(self, reply: Any, *, submit: bool = False) -> ProviderError:
        """An error `code` inside an HTTP 200 envelope, in the same words as that HTTP status."""
        code = _code(reply)
        if code is not None and 400 <= code <= 599:
            answer = httpx.Response(code, json=reply, request=httpx.Request("GET", self.base_url))
            return self._scrubbed(error_for(answer, self.label, self.dashboard, submit=submit))
        words = _words(reply)
        return self._scrubbed(
            ProviderError(
                f"{self.label} answered with an error{_said(words)}.",
                retryable=False,
                sent=not submit,
                status_code=code,
                raw=reply,
            )
        )

    def _call(
        self,
        method: str,
        url: str,
        *,
        submit: bool = False,
        headers: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> httpx.Response:
        sent_headers = {
            "Authorization": f"{PROVIDERS[ProviderId.WAVESPEED].auth_scheme} {self._key}",
            "Accept": "application/json",
            **(headers or {}),
        }
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
            raise self._scrubbed(exc) from exc.__cause__
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
            raise self._scrubbed(exc) from None

    def _scrubbed(self, exc: ProviderError) -> ProviderError:
        """Take the key out of anything an error shows or keeps (a provider may echo it back)."""
        exc.message = self._scrub_value(exc.message)
        exc.args = (exc.message,)
        exc.raw = self._scrub_value(exc.raw)
        return exc

    def _scrub_value(self, value: Any) -> Any:
        if isinstance(value, str):
            return value.replace(self._key, "[key hidden]")
        if isinstance(value, dict):
            return {self._scrub_value(k): self._scrub_value(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [self._scrub_value(v) for v in value]
        return value


def _code(reply: Any) -> int | None:
    code = reply.get("code") if isinstance(reply, dict) else None
    if isinstance(code, bool):
        return None
    if isinstance(code, int):
        return code
    if isinstance(code, str) and code.isdigit():
        return int(code)
    return None


def _words(reply: Any) -> str:
    """WaveSpeed's own words in an error envelope (`message`, `error` or `detail`, as its app reads [W2])."""
    if not isinstance(reply, dict):
        return ""
    for name in ("message", "error", "detail"):
        value = reply.get(name)
        if isinstance(value, str) and value.strip() and value.strip().lower() != "success":
            return value.strip()[:200]
    return ""


def _said(words: Any) -> str:
    words = str(words or "").strip()[:200]
    return f" ({words})" if words else ""


def _origin(url: str) -> tuple[str, str, int | None] | None:
    parsed = urlparse(url)
    try:
        port = parsed.port or {"https": 443, "http": 80}.get(parsed.scheme)
    except ValueError:  # a port that is not a number: not our host
        return None
    return parsed.scheme, (parsed.hostname or "").lower(), port
