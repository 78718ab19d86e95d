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

from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlparse

import httpx

from storyboard.compile import CompiledRequest
from storyboard.models import ProviderId
from storyboard.providers.base import ProviderError, ProviderPrice, RemoteStatus, Submission
from storyboard.providers.hosted import HostedClient
from storyboard.providers.http import error_for

UPLOAD_PATH = "/api/v3/media/upload/binary"
RESULT_PATH = "/api/v3/predictions/{id}/result"
HISTORY_PATH = "/api/v3/predictions"  # POST: our own recent predictions [W2]
PRICING_PATH = "/api/v3/model/pricing"  # POST {model_id, inputs} -> data.unit_price [W2]
HISTORY_PAGE_SIZE = 20  # the desktop app's page size; its history covers the last 24 h [W2]
HISTORY_PAGES = 5  # at most this many pages are read looking for one lost submit
# The provider's clock and ours differ a little: a prediction is matched a bit either side.
CLOCK_SLACK = timedelta(seconds=30)

# data.status -> our state [Seed 001][W1]. `timeout` is final in the SDK; it is a failure here.
_STATES = {"created": "queued", "processing": "running", "completed": "completed"}


class WaveSpeedClient(HostedClient):
    provider = ProviderId.WAVESPEED
    base_url_env = "WAVESPEED_BASE_URL"
    poll_interval = 1.0  # the official SDK's default [W1]
    checks_key = True
    checks_prices = True

    # ---- the protocol -----------------------------------------------------------------------

    def upload_image(self, path: Path) -> str:
        """Send a first frame to WaveSpeed's media storage; returns the URL for the body's `image`."""
        reply = self._upload_multipart(f"{self.base_url}{UPLOAD_PATH}", path)
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
        raise self._scrub(
            ProviderError(
                f"{self.label} did not take the first frame{said}. "
                + ("Retrying shortly." if busy else "Try another image (JPEG or PNG), or try again later."),
                retryable=busy,
                status_code=code,
                raw=reply,
            )
        )

    def submit(
        self, request: CompiledRequest, idempotency_key: str, callback_url: str | None = None
    ) -> Submission:
        """Create the prediction (paid). Sent once: the runner never resends an unknown outcome.
        `callback_url` goes in `?webhook=`: WaveSpeed POSTs there when the job ends [W9].

        WaveSpeed documents no idempotency header; `Idempotency-Key` is sent anyway, for tracing
        (and in case it is honoured), but nothing relies on it.
        """
        if request.provider != ProviderId.WAVESPEED:
            raise ProviderError(
                f"This request was compiled for {request.provider}, not {self.label}.",
                retryable=False,
                sent=False,
            )
        url = f"{self.base_url}{request.path}"
        response = self._call(
            "POST",
            url,
            submit=True,
            json=request.body,
            headers={"Idempotency-Key": idempotency_key},
            params={"webhook": callback_url} if callback_url else None,  # None: the URL as documented
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
            raise self._scrub(
                ProviderError(
                    f"{self.label} accepted the job but its answer had no prediction id.",
                    retryable=False,
                    sent=None,
                    status_code=response.status_code,
                    raw=reply,
                )
            )
        assert isinstance(data, dict) and isinstance(remote_id, str)
        urls = data.get("urls")
        get_url = urls.get("get") if isinstance(urls, dict) and isinstance(urls.get("get"), str) else None
        return _submission(data, remote_id, get_url=get_url)

    def status(self, submission: Submission) -> RemoteStatus:
        reply = self._json(self._call("GET", self._result_url(submission)))
        code = _code(reply)
        if code is not None and code != 200:
            raise self._refusal(reply)
        data = reply.get("data") if isinstance(reply, dict) else None
        if not isinstance(data, dict):
            raise self._scrub(
                ProviderError(f"{self.label} sent a job status we could not read.", retryable=True, raw=reply)
            )
        raw = self._scrub(reply)
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
                error=f"{self.label} ran out of time making this video{_said(self._scrub(data.get('error')))}. "
                "Generate it again, or try again later.",
                raw=raw,
            )
        if remote == "cancelled":
            return RemoteStatus(state="cancelled", raw=raw)
        # created / processing, or a status WaveSpeed adds later: keep following, it is paid for.
        return RemoteStatus(state=_STATES.get(remote, "running"), raw=raw)  # type: ignore[arg-type]

    def balance(self) -> Decimal:
        """The account's balance in USD: the one cheap authenticated call WaveSpeed has [W2]."""
        reply = self._json(self._call("GET", f"{self.base_url}/api/v3/balance"))
        data = reply.get("data") if isinstance(reply, dict) else None
        if _code(reply) not in (None, 200) or not isinstance(data, dict) or "balance" not in data:
            raise self._scrub(self._refusal(reply, submit=False))
        return Decimal(str(data["balance"]))

    def check_key(self) -> Decimal:
        """Is the key accepted, and what is left: the balance call."""
        return self.balance()

    def find_submission(
        self, request: CompiledRequest, sent_after: datetime, sent_before: datetime
    ) -> Submission | None:
        """The prediction a submit whose answer was lost created, from our own history [W2].

        `POST /api/v3/predictions` with `{page, page_size, created_after, created_before, model}`
        answers `data.items: [{id, model, status, outputs, created_at}]`. A prediction matches when
        its model is this request's, it was created in the window (with a little clock slack) and,
        where the item shows what was sent (`input`/`inputs`), that is exactly our body. Exactly
        one match is returned; none or several (two takes of one storyboard at once) give None,
        because collecting someone else's take would be worse than collecting none.
        """
        model_id = request.path.removeprefix("/api/v3/")
        earliest, latest = sent_after - CLOCK_SLACK, sent_before + CLOCK_SLACK
        found: list[dict[str, Any]] = []
        for page in range(1, HISTORY_PAGES + 1):
            reply = self._json(
                self._call(
                    "POST",
                    f"{self.base_url}{HISTORY_PATH}",
                    json={
                        "page": page,
                        "page_size": HISTORY_PAGE_SIZE,
                        "created_after": _iso(earliest),
                        "created_before": _iso(latest),
                        "model": model_id,
                    },
                )
            )
            if _code(reply) not in (None, 200):
                raise self._refusal(reply)
            data = reply.get("data") if isinstance(reply, dict) else None
            items = data.get("items") if isinstance(data, dict) else None
            if not isinstance(items, list):
                break
            found += [i for i in items if _same_request(i, model_id, request.body, earliest, latest)]
            if len(items) < HISTORY_PAGE_SIZE:
                break
        if len({str(i.get("id")) for i in found}) != 1:
            return None
        item = found[0]
        remote_id = str(item["id"])
        # the documented result URL is rebuilt from the id
        return _submission(item, remote_id, get_url=None, found_in_history=True)

    def price(self, request: CompiledRequest) -> ProviderPrice | None:
        """WaveSpeed's own price for this exact body: `POST /api/v3/model/pricing` with
        `{model_id, inputs}` answers `data.unit_price`, the run's cost in USD [W2]. It includes the
        multi_prompt surcharge, so it is the authoritative figure [providers.md §1.5]."""
        reply = self._json(
            self._call(
                "POST",
                f"{self.base_url}{PRICING_PATH}",
                json={"model_id": request.path.removeprefix("/api/v3/"), "inputs": request.body},
            )
        )
        if _code(reply) not in (None, 200):
            raise self._refusal(reply)
        data = reply.get("data") if isinstance(reply, dict) else None
        value = data.get("unit_price") if isinstance(data, dict) else None
        try:
            usd = Decimal(str(value))
        except InvalidOperation:
            usd = Decimal("NaN")
        if isinstance(value, bool) or value is None or not usd.is_finite() or usd < 0:
            raise self._scrub(
                ProviderError(f"{self.label} sent a price we could not read.", retryable=True, raw=reply)
            )
        return ProviderPrice(usd=usd, source=f"{self.label} POST {PRICING_PATH}")

    def cancel(self, submission: Submission) -> bool:
        # No cancel endpoint is documented [providers.md §1.2]: the job runs to the end and is billed.
        return False

    # ---- helpers ----------------------------------------------------------------------------

    def _result_url(self, submission: Submission) -> str:
        """`data.urls.get` when it is on our base URL's host (the key goes nowhere else), else the
        documented `{base}/api/v3/predictions/{id}/result`."""
        given = submission.data.get("get_url")
        if isinstance(given, str) and _origin(given) is not None and _origin(given) == _origin(self.base_url):
            return given
        return self.base_url + RESULT_PATH.format(id=quote(submission.remote_id, safe=""))

    def _failure_sentence(self, data: dict[str, Any]) -> str:
        words = str(self._scrub(data.get("error")) or "").strip()[:200].rstrip(". ")
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
            return self._scrub(error_for(answer, self.label, self.dashboard, submit=submit))
        words = _words(reply)
        return self._scrub(
            ProviderError(
                f"{self.label} answered with an error{_said(words)}.",
                retryable=False,
                sent=not submit,
                status_code=code,
                raw=reply,
            )
        )


def _submission(answer: dict[str, Any], remote_id: str, **extra: Any) -> Submission:
    """A prediction as WaveSpeed describes it (submit answer or history item), as a Submission."""
    return Submission(
        remote_id=remote_id,
        data={
            "id": remote_id,
            "model": answer.get("model"),
            "status": answer.get("status"),
            "created_at": answer.get("created_at"),
            **extra,
        },
    )


def _iso(moment: datetime) -> str:
    """The desktop app's form: `2025-12-01T00:00:00Z` [W2]."""
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _when(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _same_request(
    item: Any, model_id: str, body: dict[str, Any], earliest: datetime, latest: datetime
) -> bool:
    if not isinstance(item, dict) or not isinstance(item.get("id"), str) or item.get("model") != model_id:
        return False
    created = _when(item.get("created_at"))
    if created is None or not earliest <= created <= latest:
        return False
    sent = item.get("input", item.get("inputs"))
    return sent is None or sent == body  # history items are not documented to carry the input


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
