"""EvoLink: Kling V3 Turbo and V3.0 through one task API [providers.md §3].

- Submit: `POST {base}/v1/videos/generations` with the compiled body (`model` is in it) [E1][E3].
- Follow: `GET {base}/v1/tasks/{id}`: `pending` -> `processing` (progress 0-100) -> `completed`
  (`results[0]` is the video) or `failed` (`error: {code, message}`) [E4][E5].
- First frames go to the separate files host: `POST {files}/api/v1/files/upload/stream`, multipart
  field `file`, same Bearer key; the answer's `data.file_url` is what the body names [E9].
- Result links are public and valid for 24 h, so they are fetched without the key [E1].

Transport errors, HTTP error statuses and `{"error": {"code", "message", "type"}}` bodies are turned
into sentences by the shared `http.call`; this module adds what is EvoLink's own: the meaning of a
failed task's `error.code`, and the files host's `{success, code, msg, data}` envelope. The key lives
in the Authorization header only; any sentence or raw body that would echo it is scrubbed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import quote, urlparse

import httpx

from storyboard.compile import CompiledRequest
from storyboard.models import ProviderId
from storyboard.providers.base import ProviderError, RemoteStatus, Submission
from storyboard.providers.hosted import HostedClient
from storyboard.settings import base_url as configured_base_url

TASK_PATH = "/v1/tasks/"
UPLOAD_PATH = "/api/v1/files/upload/stream"
RESULT_LINK_HOURS = 24  # [E1]

_STATES = {"pending": "queued", "processing": "running", "completed": "completed", "failed": "failed"}

# What a failed task's `error.code` asks the user to do [E5]. Each value finishes the sentence
# "<what happened> (<EvoLink's words>). <this>".
_FIX_INPUT = {
    "content_policy_violation": (
        "EvoLink refused this take under its content policy",
        "Change the prompt (or the first frame) and generate again.",
    ),
    "invalid_parameters": (
        "EvoLink rejected this take's settings",
        "Change the settings it names and generate again.",
    ),
    "image_processing_error": (
        "EvoLink could not process the first frame",
        "Try another image (JPEG or PNG) and generate again.",
    ),
    "image_dimension_mismatch": (
        "EvoLink could not use the first frame's size",
        "Use an image with a different size or aspect ratio and generate again.",
    ),
}
_RETRY_LATER = frozenset(
    {
        "generation_failed_no_content",
        "service_error",
        "generation_timeout",
        "resource_exhausted",
        "quota_exceeded",
        "service_unavailable",
    }
)


class EvoLinkClient(HostedClient):
    provider = ProviderId.EVOLINK
    base_url_env = "EVOLINK_BASE_URL"
    poll_interval = 1.0

    def __init__(
        self,
        key: str,
        base_url: str | None = None,
        files_base_url: str | None = None,
        http: httpx.Client | None = None,
    ) -> None:
        super().__init__(key, base_url, http)
        self.files_base_url = (files_base_url or configured_base_url("EVOLINK_FILES_BASE_URL")).rstrip("/")

    def __repr__(self) -> str:  # never the key
        return f"EvoLinkClient(base_url={self.base_url!r}, files_base_url={self.files_base_url!r})"

    # ---- the protocol -----------------------------------------------------------------------

    def upload_image(self, path: Path) -> str:
        """Send a first frame to EvoLink's files host; returns the URL to put in the body (valid 72 h)."""
        reply = self._upload_multipart(f"{self.files_base_url}{UPLOAD_PATH}", path)
        data = reply.get("data") if isinstance(reply, dict) else None
        url = data.get("file_url") if isinstance(data, dict) else None
        ok = isinstance(reply, dict) and reply.get("success") is True and reply.get("code") in (200, "200")
        if ok and isinstance(url, str) and urlparse(url).scheme in ("http", "https"):
            return url
        code = reply.get("code") if isinstance(reply, dict) else None
        words = str(reply.get("msg") or "") if isinstance(reply, dict) else ""
        said = f" ({words[:200]})" if words else ""
        busy = isinstance(code, int) and (code == 429 or code >= 500)
        raise self._scrub(
            ProviderError(
                f"EvoLink did not take the first frame{said}. "
                + ("Retrying shortly." if busy else "Try another image, or try again later."),
                retryable=busy,
                status_code=code if isinstance(code, int) else None,
                raw=reply,
            )
        )

    def submit(
        self, request: CompiledRequest, idempotency_key: str, callback_url: str | None = None
    ) -> Submission:
        """Create the task (paid). EvoLink documents no idempotency header, so none is sent: the
        runner's rule of never resending an unknown submit is what prevents double charges.
        `callback_url` goes in the body: EvoLink POSTs there when the task ends [E1][E6]."""
        if request.provider != ProviderId.EVOLINK:
            raise ProviderError(
                f"This request was compiled for {request.provider}, not EvoLink.", retryable=False, sent=False
            )
        body = {**request.body, "callback_url": callback_url} if callback_url else request.body
        response = self._call("POST", f"{self.base_url}{request.path}", submit=True, json=body)
        try:
            reply = self._json(response)
        except ProviderError as exc:  # it was accepted (2xx) but we cannot tell which task it is
            exc.sent = None
            exc.retryable = False
            raise
        task_id = reply.get("id") if isinstance(reply, dict) else None
        if not isinstance(task_id, str) or not task_id:
            raise self._scrub(
                ProviderError(
                    "EvoLink accepted the job but its answer had no task id.",
                    retryable=False,
                    sent=None,
                    status_code=response.status_code,
                    raw=reply,
                )
            )
        info = reply.get("task_info") if isinstance(reply.get("task_info"), dict) else {}
        return Submission(
            remote_id=task_id,
            data={
                "id": task_id,
                "model": reply.get("model"),
                "created": reply.get("created"),
                "estimated_time": info.get("estimated_time"),
                "can_cancel": info.get("can_cancel"),
                "usage": reply.get("usage"),
            },
        )

    def status(self, submission: Submission) -> RemoteStatus:
        task_id = quote(submission.remote_id, safe="")
        reply = self._json(self._call("GET", f"{self.base_url}{TASK_PATH}{task_id}"))
        if not isinstance(reply, dict):
            raise ProviderError("EvoLink sent a task status we could not read.", retryable=True, raw=reply)
        reply = self._scrub(reply)  # task answers carry no key; this keeps it that way
        raw = dict(reply)
        info = reply.get("task_info")
        if isinstance(info, dict) and isinstance(info.get("estimated_time"), int | float):
            # EvoLink's own estimate, in seconds, as it stands at this poll (for the UI / details).
            raw["estimated_seconds"] = info["estimated_time"]
        progress = _fraction(reply.get("progress"))
        remote = str(reply.get("status") or "")
        if remote == "completed":
            results = reply.get("results")
            url = (
                results[0] if isinstance(results, list) and results and isinstance(results[0], str) else None
            )
            return RemoteStatus(state="completed", progress=1.0, video_url=url, raw=raw)
        if remote == "failed":
            return RemoteStatus(state="failed", progress=progress, error=failure_sentence(reply), raw=raw)
        if remote == "cancelled":  # named by the callback docs [E1]; not a documented poll status
            return RemoteStatus(state="cancelled", progress=progress, raw=raw)
        # pending / processing, or a status EvoLink adds later: keep following, the job is paid for.
        return RemoteStatus(state=_STATES.get(remote, "running"), progress=progress, raw=raw)  # type: ignore[arg-type]

    def download(self, url: str, dest: Path) -> None:
        """Stream the result to `dest`. Result links are public: the key is NOT sent with them."""
        if urlparse(url).scheme not in ("http", "https"):
            raise ProviderError(
                f"EvoLink gave a video link we cannot download ({url[:200]}).", retryable=False
            )
        try:
            super().download(url, dest)
        except ProviderError as exc:
            if exc.status_code in (403, 404, 410):
                exc.message = (
                    f"EvoLink's video link no longer works (HTTP {exc.status_code}); its links last "
                    f"{RESULT_LINK_HOURS} hours, so this take would have to be generated again."
                )
                exc.args = (exc.message,)
            raise

    def cancel(self, submission: Submission) -> bool:
        # EvoLink's task reply carries `task_info.can_cancel`, but its docs give no cancel endpoint
        # (providers.md §3.1), so nothing can be sent: the task runs to the end and is billed.
        return False


def failure_sentence(reply: dict[str, Any]) -> str:
    """One sentence for a failed task, from `error.code` / `error.message`, saying what to do [E5]."""
    given = reply.get("error")
    error: dict[str, Any] = given if isinstance(given, dict) else {}
    code = str(error.get("code") or "")
    words = str(error.get("message") or code)[:200]
    said = f" ({words})" if words else ""
    if code in _FIX_INPUT:
        what, todo = _FIX_INPUT[code]
        return f"{what}{said}. {todo}"
    if code == "request_cancelled":
        return f"EvoLink cancelled this take{said}. Generate again to start a new one."
    if code in _RETRY_LATER:
        return f"EvoLink could not finish this take{said}; the problem is on its side. Try again later."
    if code == "resource_not_found":
        return (
            f"EvoLink no longer knows this task{said}; its id is wrong or has expired. "
            "Check your EvoLink dashboard before generating again."
        )
    return (
        f"EvoLink says this take failed{said}. Try again later; if it keeps failing, contact EvoLink support."
    )


def _fraction(progress: Any) -> float | None:
    if isinstance(progress, bool) or not isinstance(progress, int | float):
        return None
    return min(1.0, max(0.0, progress / 100))
