"""fal.ai: Kling V3 through fal's queue API [providers.md §2].

- Submit: `POST {queue}/{model id}` with the compiled body and `Authorization: Key <key>`. The reply
  carries `request_id` and the `status_url`, `response_url` and `cancel_url` to use from then on;
  they name only the owner and app (`fal-ai/kling-video/requests/{id}/...`), never the model
  subpath, so they are kept as given rather than rebuilt [F6][F10].
- Follow: `GET status_url` answers 202 while `IN_QUEUE` / `IN_PROGRESS` and 200 once `COMPLETED`
  [F11]; a `COMPLETED` carrying `error` / `error_type` is a failed job [F10]. The video is then at
  `GET response_url` -> `video.url` [F1]. `follow()` yields the statuses `GET {status_url}/stream`
  pushes (SSE, read with httpx-sse) [F6]; it has no retry loop: a broken or silent stream raises a
  retryable ProviderError and the runner's policy opens it again or polls `status()`.
- First frames go to fal's storage: a short-lived token from `POST {rest}/storage/auth/token`,
  then `POST {token.base_url}/files/upload` with the raw bytes; `access_url` is what the body
  names [F10].
- Cancel: `PUT cancel_url` [F12]. Result links are public CDN files: fetched without the key.
- Prices: fal's Platform API, `GET {api}/v1/models/pricing?endpoint_id=<id>` answers
  `{prices: [{endpoint_id, unit_price, unit, currency}]}` per the key's account (fal docs, Platform
  APIs > Models > Pricing). One rate per endpoint: audio's surcharge is not in it.

Transport failures and HTTP error bodies (`{"detail": "..."}`, 422 `{"detail": [{loc, msg}]}`)
become sentences in the shared `http.call`. The key only ever travels in the Authorization header
of requests to the queue and REST hosts; any sentence or raw body that would echo it is scrubbed.
"""

from __future__ import annotations

import mimetypes
import re
from collections.abc import Callable, Iterator
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import httpx
from httpx_sse import SSEError, connect_sse

from storyboard.catalog import PROVIDERS
from storyboard.compile import CompiledRequest
from storyboard.models import ProviderId
from storyboard.providers.base import ProviderError, ProviderPrice, RemoteStatus, Submission
from storyboard.providers.hosted import HostedClient
from storyboard.providers.http import CONNECT_TIMEOUT, check_url, error_for
from storyboard.settings import base_url as configured_base_url

LABEL = PROVIDERS[ProviderId.FAL].label
DASHBOARD = PROVIDERS[ProviderId.FAL].dashboard_url

TOKEN_PATH = "/storage/auth/token?storage_type=fal-cdn-v3"  # the default "fal_v3" storage [F10]
UPLOAD_PATH = "/files/upload"
PRICING_PATH = "/v1/models/pricing"  # fal Platform API, on its api host
STREAM_READ_TIMEOUT = 30.0  # a status stream silent this long is given up (retryable)
# How fal names a per-second unit in its pricing answers (third-party copies show "second" and
# "video_second"); any other unit cannot be turned into a price for a request here.
PER_SECOND_UNITS = frozenset({"second", "seconds", "video_second", "video_seconds"})

TERMINAL = ("completed", "failed", "cancelled")
_STATES = {"IN_QUEUE": "queued", "IN_PROGRESS": "running", "COMPLETED": "completed"}
# Not in fal's docs, mapped in case they appear (providers.md §6.8): a job is never given up on
# because of a word we do not know, so anything else reads as still running.
_OTHER_STATES = {"FAILED": "failed", "ERROR": "failed", "CANCELLED": "cancelled", "CANCELED": "cancelled"}
# A COMPLETED whose error_type says the client cancelled it [F15] ended because we asked.
_CANCELLED_TYPES = frozenset({"client_cancelled"})
# error_types that are fal's own trouble, not the request's [F15].
_THEIR_SIDE = frozenset({"internal_error", "runner_scheduling_failure", "request_timeout"})
# Cancel outcomes [F12]: the job will not run (or has already finished) either way.
_CANCEL_DONE = frozenset({"OK", "CANCELLATION_REQUESTED", "ALREADY_COMPLETED"})


class FalClient(HostedClient):
    provider = ProviderId.FAL
    base_url_env = "FAL_QUEUE_BASE_URL"
    poll_interval = 1.0
    cancellable = True
    streams_status = True
    checks_key = True
    checks_prices = True

    def __init__(
        self,
        key: str,
        queue_base: str | None = None,
        rest_base: str | None = None,
        http: httpx.Client | None = None,
        api_base: str | None = None,
    ) -> None:
        super().__init__(key, queue_base, http)
        self.queue_base = self.base_url
        self.rest_base = (rest_base or configured_base_url("FAL_REST_BASE_URL")).rstrip("/")
        # The Platform API host (pricing); tests point all three at one fake.
        self.api_base = (api_base or configured_base_url("FAL_API_BASE_URL")).rstrip("/")

    def __repr__(self) -> str:
        return f"FalClient(queue_base={self.queue_base!r}, rest_base={self.rest_base!r})"

    # ---- the protocol --------------------------------------------------------------------------

    def upload_image(self, path: Path) -> str:
        """Put a first frame on fal's CDN and return its public URL (fal_client's default flow)."""
        data = path.read_bytes()
        answer = self._storage_token()
        storage = answer["base_url"].rstrip("/")
        check_url(storage)  # the token is a credential too: https (or this machine) only
        token_type = str(answer.get("token_type") or "Bearer")
        headers = {
            "Authorization": f"{token_type} {answer['token']}",
            "Content-Type": _mime(path, data),
            "X-Fal-File-Name": _safe_name(path.name),
        }
        # The storage token, not the key, authorises this upload.
        uploaded = self._json(
            self._call("POST", f"{storage}{UPLOAD_PATH}", content=data, headers=headers, auth=False)
        )
        url = uploaded.get("access_url") if isinstance(uploaded, dict) else None
        if not isinstance(url, str) or not url.startswith(("https://", "http://")):
            raise self._scrub(
                ProviderError(
                    f"{LABEL}'s storage did not say where the first frame went.", retryable=True, raw=uploaded
                )
            )
        return url

    def check_key(self) -> None:
        """Is the key accepted? Asking for a storage token is free and authenticated [F10]; fal's API
        has no balance to report."""
        self._storage_token()
        return None

    def _storage_token(self) -> dict[str, Any]:
        answer = self._json(self._call("POST", f"{self.rest_base}{TOKEN_PATH}", json={}))
        if not isinstance(answer, dict) or not all(
            isinstance(answer.get(k), str) and answer.get(k) for k in ("token", "base_url")
        ):
            raise self._scrub(
                ProviderError(
                    f"{LABEL}'s storage did not hand out an upload token.",
                    retryable=True,
                    raw={k: v for k, v in answer.items() if k != "token"}
                    if isinstance(answer, dict)
                    else answer,
                )
            )
        return answer

    def submit(
        self, request: CompiledRequest, idempotency_key: str, callback_url: str | None = None
    ) -> Submission:
        """Queue one job. fal has no idempotency key [F6]: the runner never resends a submit.
        `callback_url` goes in `?fal_webhook=` (fal's queue docs, Webhooks)."""
        response = self._call(
            "POST",
            f"{self.queue_base}{request.path}",
            submit=True,
            json=request.body,
            params={"fal_webhook": callback_url} if callback_url else None,  # None: the URL as documented
        )
        try:
            answer = response.json()
        except ValueError:
            answer = response.text[:2000]
        request_id = answer.get("request_id") if isinstance(answer, dict) else None
        if not isinstance(request_id, str) or not request_id:
            # It was accepted (2xx) and may be billed, but we cannot follow it: never resend.
            raise self._scrub(
                ProviderError(
                    f"{LABEL} accepted the job but its answer had no request id.", sent=None, raw=answer
                )
            )
        # Use the URLs fal gave [F6]; rebuild them the way fal_client's get_handle does only if absent.
        app = "/".join(request.endpoint.strip("/").split("/")[:2])
        base = f"{self.queue_base}/{app}/requests/{request_id}"
        data = {
            "request_id": request_id,
            "endpoint": request.endpoint,
            "status_url": _url(answer, "status_url") or f"{base}/status",
            "response_url": _url(answer, "response_url") or base,
            "cancel_url": _url(answer, "cancel_url") or f"{base}/cancel",
            "queue_position": answer.get("queue_position"),
        }
        return Submission(remote_id=request_id, data=data)

    def status(self, submission: Submission) -> RemoteStatus:
        """One look at the job; once COMPLETED, also fetch the result for the video link."""
        body = self._json(self._call("GET", submission.data["status_url"]))
        if not isinstance(body, dict):
            raise self._scrub(
                ProviderError(f"{LABEL} sent an answer we could not read.", retryable=True, raw=body)
            )
        return self._finish(submission, body)

    def follow(self, submission: Submission, should_stop: Callable[[], bool]) -> Iterator[RemoteStatus]:
        """The statuses fal pushes on `{status_url}/stream` (SSE) until a final one (a completed one
        carries the video link) or until `should_stop()` turns true.

        No retries here: a stream that fails, breaks, stays silent for STREAM_READ_TIMEOUT seconds
        or ends before the job does raises ProviderError(retryable=True); the runner's policy opens
        it again (its first event is the current status) or polls `status()`. A definite refusal
        (401, 404) raises a non-retryable ProviderError.
        """
        url = f"{submission.data['status_url'].split('?')[0].rstrip('/')}/stream"
        check_url(url)
        timeout = httpx.Timeout(STREAM_READ_TIMEOUT, connect=CONNECT_TIMEOUT)
        try:
            with connect_sse(self._http, "GET", url, headers=self._auth, timeout=timeout) as source:
                if source.response.status_code >= 400:
                    source.response.read()
                    raise self._scrub(error_for(source.response, self.label, self.dashboard))
                for event in source.iter_sse():
                    if should_stop():
                        return
                    try:
                        body = event.json()
                    except ValueError:
                        continue  # a keep-alive or a line we do not know: nothing to report
                    if not isinstance(body, dict):
                        continue
                    status = self._finish(submission, body)
                    yield status
                    if status.state in TERMINAL:
                        return
        except (httpx.HTTPError, SSEError) as exc:
            raise ProviderError(
                f"{LABEL}'s status stream broke off; following the job again shortly.",
                retryable=True,
                raw=type(exc).__name__,
            ) from None
        if not should_stop():
            raise ProviderError(
                f"{LABEL}'s status stream ended before the job did; following it again shortly.",
                retryable=True,
            )

    def price(self, request: CompiledRequest) -> ProviderPrice | None:
        """fal's per-second rate for this endpoint times the seconds this request bills.

        None when fal's answer is not per second, or when the request asks for audio: fal's pricing
        gives one rate per endpoint and audio is billed on top [providers.md §2.5], so it cannot
        confirm a price with sound.
        """
        if request.body.get("generate_audio") is True:
            return None
        reply = self._json(
            self._call("GET", f"{self.api_base}{PRICING_PATH}", params={"endpoint_id": request.endpoint})
        )
        prices = reply.get("prices") if isinstance(reply, dict) else None
        mine = [p for p in prices or [] if isinstance(p, dict) and p.get("endpoint_id") == request.endpoint]
        if not mine:
            raise self._scrub(
                ProviderError(f"{LABEL} sent no price for {request.endpoint}.", retryable=False, raw=reply)
            )
        found = mine[0]
        if str(found.get("currency") or "USD").upper() != "USD" or _unit(found) not in PER_SECOND_UNITS:
            return None
        try:
            rate = Decimal(str(found.get("unit_price")))
        except InvalidOperation:
            rate = Decimal("NaN")
        if not rate.is_finite() or rate < 0:
            raise self._scrub(
                ProviderError(f"{LABEL} sent a price we could not read.", retryable=True, raw=reply)
            )
        return ProviderPrice(usd=rate * _billed_seconds(request.body), source=f"{LABEL} GET {PRICING_PATH}")

    def cancel(self, submission: Submission) -> bool:
        """Ask fal to cancel. True when it will not run or has already finished; False otherwise.

        A definite refusal (e.g. NOT_FOUND) answers False rather than raising, so a failed cancel
        never ends a paid job; passing problems (429, 5xx, timeouts) are raised to be retried.
        """
        try:
            response = self._call("PUT", submission.data["cancel_url"])
        except ProviderError as exc:
            if exc.retryable:
                raise
            said = exc.raw.get("status") if isinstance(exc.raw, dict) else None
            return said in _CANCEL_DONE
        try:
            said = response.json().get("status")
        except (ValueError, AttributeError):
            said = None
        return said is None or said in _CANCEL_DONE

    # ---- helpers -------------------------------------------------------------------------------

    def _finish(self, submission: Submission, body: dict[str, Any]) -> RemoteStatus:
        """A status body to a RemoteStatus; a successful COMPLETED also fetches the video link."""
        status = _status(body)
        if status.state != "completed":
            return self._clean(status)
        url = str(submission.data.get("response_url") or body.get("response_url") or "")
        result = self._json(self._call("GET", url))
        video = result.get("video") if isinstance(result, dict) else None
        video_url = video.get("url") if isinstance(video, dict) else None
        return self._clean(
            RemoteStatus(
                state="completed",
                progress=1.0,
                video_url=video_url if isinstance(video_url, str) and video_url else None,
                raw={**body, "response": result},
            )
        )

    def _clean(self, status: RemoteStatus) -> RemoteStatus:
        """The same status with the key taken out of fal's words, should they ever echo it."""
        return self._scrub(status)


def _status(body: dict[str, Any]) -> RemoteStatus:
    """A status body (polled or streamed) to a RemoteStatus, without fetching the result."""
    word = str(body.get("status") or "").upper()
    error = body.get("error")
    error_type = body.get("error_type")
    if word == "COMPLETED" and (error or error_type):
        if error_type in _CANCELLED_TYPES:
            return RemoteStatus(state="cancelled", error=f"{LABEL} cancelled this job.", raw=body)
        return RemoteStatus(state="failed", error=_failure_sentence(error, error_type), raw=body)
    state = _STATES.get(word) or _OTHER_STATES.get(word) or "running"
    if state == "failed":
        return RemoteStatus(state="failed", error=_failure_sentence(error, error_type), raw=body)
    return RemoteStatus(state=state, raw=body)  # type: ignore[arg-type]


def _failure_sentence(error: Any, error_type: Any) -> str:
    if isinstance(error, dict):
        error = error.get("message") or error.get("detail") or error.get("msg")
    words = " ".join(str(error or error_type or "").split())[:200].rstrip(".")
    said = f" ({words})" if words else ""
    if error_type in _THEIR_SIDE:
        return (
            f"{LABEL} could not make this video{said}; the problem was on its side, so generate again later."
        )
    return (
        f"{LABEL} could not make this video{said}. Change the storyboard if it says why, then generate again."
    )


def _unit(price: dict[str, Any]) -> str:
    return str(price.get("unit") or "").strip().lower().replace(" ", "_")


def _billed_seconds(body: dict[str, Any]) -> int:
    """fal bills the video's length: `duration` (a string "3".."15") [F1][F3]."""
    return int(str(body.get("duration", "5")))


def _url(answer: dict[str, Any], name: str) -> str | None:
    value = answer.get(name)
    return value if isinstance(value, str) and value.startswith(("https://", "http://")) else None


def _mime(path: Path, data: bytes) -> str:
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    return mimetypes.guess_type(path.name)[0] or "application/octet-stream"


def _safe_name(name: str) -> str:
    """A file name that fits in an HTTP header (ASCII, no separators)."""
    return re.sub(r"[^A-Za-z0-9._-]", "_", name)[-100:] or "image"
