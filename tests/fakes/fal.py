"""A loopback fal.ai: the queue API, its SSE status stream and the storage upload [providers.md §2].

One server plays both hosts: the queue (`queue.fal.run`) and the REST/storage side (`rest.fal.ai`,
`v3.fal.media`). Use `FakeFal.url` as both `queue_base` and `rest_base`; the storage token's
`base_url` and every URL in a submit reply point back at the fake itself.

It also plays fal's Platform API host (`api.fal.ai`): `GET /v1/models/pricing?endpoint_id=<id>[,<id>]`
answers `{prices: [{endpoint_id, unit_price, unit, currency}], next_cursor: null, has_more: false}`
(fal docs, Platform APIs > Models > Pricing); `unit_prices[id]` holds each rate, per second of
video, from fal's llms.txt pages [F1][F2][F4].

A submit with `?fal_webhook=<url>` is called back when the job ends: `{request_id,
gateway_request_id, status: "OK"|"ERROR", payload}`, signed as fal signs (ED25519 over
`request_id\nuser_id\ntimestamp\nsha256_hex(body)`, headers `X-Fal-Webhook-*`) with the fake's own
key, whose JWKS it serves at `jwks_url` (`/.well-known/jwks.json`) [docs/callbacks.md].

Route names for `fail_next` / `fail_randomly` / `calls`: "submit", "status", "stream", "result",
"cancel", "token", "upload", "files", "pricing", "jwks". Ready-made faults with fal's real bodies: `BAD_KEY`,
`EXHAUSTED_BALANCE`, `invalid(field)`, `busy(retry_after)`, `server_error(status)`.

A job is `IN_QUEUE` for `queue_seconds`, `IN_PROGRESS` until `job_seconds` after the submit, then
`COMPLETED`. Status answers 202 until then and 200 after [F11]. Set `fail_with = (error,
error_type)` before a submit to make that job's COMPLETED carry an error [F10]; set
`stream_breaks_after = n` to cut every status stream after n events, mid-event.
"""

from __future__ import annotations

import base64
import hashlib
import json
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from fakes.base import FakeServer, Fault, Recorded, Reply, sse

MODELS = (
    "fal-ai/kling-video/v3/turbo/pro/text-to-video",
    "fal-ai/kling-video/v3/turbo/pro/image-to-video",
    "fal-ai/kling-video/v3/pro/text-to-video",
    "fal-ai/kling-video/v3/pro/image-to-video",
)

NO_USER = "No user found for Key ID and Secret"
BAD_KEY = Fault(status=401, body={"detail": NO_USER})  # [F16]
EXHAUSTED_BALANCE = Fault(  # [F16]
    status=403,
    body={
        "detail": "User is locked. Reason: Exhausted balance. Top up your balance at fal.ai/dashboard/billing."
    },
)


def invalid(field_name: str, msg: str = "unexpected value; permitted: '3', '4', '5'") -> Fault:
    """fal's 422: `{"detail": [{loc, msg, type}]}` [F14]."""
    return Fault(
        status=422,
        body={"detail": [{"loc": ["body", field_name], "msg": msg, "type": "enum"}]},
    )


def busy(retry_after: int = 2) -> Fault:
    return Fault(
        status=429, body={"detail": "Rate limit exceeded"}, headers={"Retry-After": str(retry_after)}
    )


def server_error(status: int = 503) -> Fault:
    types = {500: "internal_error", 503: "runner_scheduling_failure", 504: "request_timeout"}
    error_type = types.get(status, "internal_error")
    return Fault(
        status=status,
        body={"detail": "Something went wrong on our side.", "error_type": error_type},
        headers={"X-Fal-Error-Type": error_type},
    )


@dataclass
class FakeJob:
    id: str
    model: str
    body: Any
    started: float
    queue_seconds: float
    job_seconds: float
    fail_with: tuple[str, str] | None = None
    cancelled: bool = False

    @property
    def app(self) -> str:
        return "/".join(self.model.split("/")[:2])  # owner/app: fal's follow-up URLs drop the subpath


class FakeFal(FakeServer):
    def __init__(self, key: str = "fal-test-id:fal-test-secret") -> None:
        super().__init__()
        self.key = key
        self.queue_seconds = 0.1
        self.job_seconds = 0.3
        self.fail_with: tuple[str, str] | None = None
        self.stream_breaks_after: int | None = None
        self.video_bytes = b""
        self.video_content_type = "video/mp4"
        self.storage_base_url: str | None = None  # None: the fake itself
        self.jobs: dict[str, FakeJob] = {}
        self.uploads: dict[str, tuple[str, bytes]] = {}  # path -> (content type, bytes)
        self.tokens: set[str] = set()
        self._stopped = threading.Event()
        self.signing_key = Ed25519PrivateKey.generate()  # what fal signs its webhooks with
        self.user_id = "fake-fal-user"
        self.route("GET", "/.well-known/jwks.json", self._jwks, "jwks")
        self.route("POST", "/storage/auth/token", self._token, "token")
        self.route("GET", "/v1/models/pricing", self._pricing, "pricing")
        self.unit_prices = {  # USD per second of video, audio off [F1][F2][F4]
            "fal-ai/kling-video/v3/turbo/pro/text-to-video": 0.14,
            "fal-ai/kling-video/v3/turbo/pro/image-to-video": 0.14,
            "fal-ai/kling-video/v3/pro/text-to-video": 0.224,
            "fal-ai/kling-video/v3/pro/image-to-video": 0.224,
        }
        self.route("POST", "/files/upload", self._upload, "upload")
        self.route("GET", "/files/", self._files, "files")
        self.route("POST", "/fal-ai/", self._submit, "submit")

    @property
    def jobs_created(self) -> int:
        with self.lock:
            return len(self.jobs)

    @property
    def jwks_url(self) -> str:
        return f"{self.url}/.well-known/jwks.json"

    def signed(self, request_id: str, body: bytes, key: Ed25519PrivateKey | None = None) -> dict[str, str]:
        """The headers fal sends with a webhook call about `request_id` carrying `body`."""
        stamp = str(int(time.time()))
        message = f"{request_id}\n{self.user_id}\n{stamp}\n{hashlib.sha256(body).hexdigest()}".encode()
        return {
            "X-Fal-Webhook-Request-Id": request_id,
            "X-Fal-Webhook-User-Id": self.user_id,
            "X-Fal-Webhook-Timestamp": stamp,
            "X-Fal-Webhook-Signature": (key or self.signing_key).sign(message).hex(),
        }

    def status_of(self, job_id: str) -> str:
        """IN_QUEUE, IN_PROGRESS or COMPLETED, as status_url would say now."""
        return str(self._state(self.jobs[job_id])["status"])

    def stop(self) -> None:
        """End any open status stream, then stop the server."""
        self._stopped.set()
        super().stop()

    # ---- helpers -------------------------------------------------------------------------------

    def _authorised(self, req: Recorded, reply: Reply) -> bool:
        if req.headers.get("authorization") != f"Key {self.key}":
            reply.json(401, {"detail": NO_USER})
            return False
        return True

    def _state(self, job: FakeJob) -> dict[str, Any]:
        """What status_url says about a job right now."""
        elapsed = time.monotonic() - job.started
        response_url = f"{self.url}/{job.app}/requests/{job.id}"
        if job.cancelled or elapsed >= job.job_seconds:
            body: dict[str, Any] = {
                "status": "COMPLETED",
                "request_id": job.id,
                "response_url": response_url,
                "logs": [],
                "metrics": {"inference_time": round(job.job_seconds - job.queue_seconds, 3)},
            }
            if job.cancelled:  # what fal says for a cancelled job is unconfirmed; this is a guess
                body.update(error="Request was cancelled by the client.", error_type="client_cancelled")
            elif job.fail_with:
                body.update(error=job.fail_with[0], error_type=job.fail_with[1])
            return body
        if elapsed < job.queue_seconds:
            with self.lock:
                ahead = sum(
                    1
                    for other in self.jobs.values()
                    if other.started < job.started and time.monotonic() - other.started < other.queue_seconds
                )
            return {
                "status": "IN_QUEUE",
                "request_id": job.id,
                "response_url": response_url,
                "queue_position": ahead,
            }
        return {"status": "IN_PROGRESS", "request_id": job.id, "response_url": response_url, "logs": []}

    # ---- queue ---------------------------------------------------------------------------------

    def _submit(self, req: Recorded, reply: Reply) -> None:
        if not self._authorised(req, reply):
            return
        model = req.path.strip("/")
        if model not in MODELS:
            reply.json(404, {"detail": f"Application '{model}' not found"})
            return
        job = FakeJob(
            id=str(uuid.uuid4()),
            model=model,
            body=req.json,
            started=time.monotonic(),
            queue_seconds=self.queue_seconds,
            job_seconds=self.job_seconds,
            fail_with=self.fail_with,
        )
        base = f"/{job.app}/requests/{job.id}"
        with self.lock:
            self.jobs[job.id] = job
            # Most specific first: the base matches the first route whose prefix fits.
            self.route("GET", f"{base}/status/stream", lambda r, p: self._stream(job, r, p), "stream")
            self.route("GET", f"{base}/status", lambda r, p: self._status(job, r, p), "status")
            self.route("PUT", f"{base}/cancel", lambda r, p: self._cancel(job, r, p), "cancel")
            self.route("GET", base, lambda r, p: self._result(job, r, p), "result")
        for url in req.query.get("fal_webhook", [])[:1]:
            self.call_back_later(url, job.job_seconds + 0.01, lambda: self._webhook(job))
        reply.json(
            200,
            {
                "request_id": job.id,
                "response_url": f"{self.url}{base}",
                "status_url": f"{self.url}{base}/status",
                "cancel_url": f"{self.url}{base}/cancel",
                "queue_position": self._state(job).get("queue_position", 0),
            },
        )

    def _webhook(self, job: FakeJob) -> tuple[bytes, dict[str, str]]:
        """fal's call when a job ends: the result as `payload`, signed."""
        state = self._state(job)
        if state.get("error"):
            answer = {"status": "ERROR", "error": state["error"], "payload": {"detail": state["error"]}}
        else:
            answer = {"status": "OK", "payload": {"video": {"url": f"{self.url}/files/{job.id}.mp4"}}}
        body = json.dumps({"request_id": job.id, "gateway_request_id": job.id, **answer}).encode()
        return body, self.signed(job.id, body)

    def _jwks(self, req: Recorded, reply: Reply) -> None:
        raw = self.signing_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        x = base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
        reply.json(200, {"keys": [{"kty": "OKP", "crv": "Ed25519", "x": x, "kid": "fake-1", "use": "sig"}]})

    def _status(self, job: FakeJob, req: Recorded, reply: Reply) -> None:
        if not self._authorised(req, reply):
            return
        body = self._state(job)
        reply.json(200 if body["status"] == "COMPLETED" else 202, body)

    def _stream(self, job: FakeJob, req: Recorded, reply: Reply) -> None:
        if not self._authorised(req, reply):
            return
        reply.stream(200, self._events(job))

    def _events(self, job: FakeJob) -> Iterator[bytes]:
        """One event per change of status; closes after COMPLETED (or breaks, when scripted)."""
        last = None
        sent = 0
        deadline = time.monotonic() + 30
        while not self._stopped.is_set() and time.monotonic() < deadline:
            body = self._state(job)
            key = (body["status"], body.get("queue_position"))
            if key != last:
                last = key
                if self.stream_breaks_after is not None and sent >= self.stream_breaks_after:
                    yield b'data: {"status": "IN_PROG'  # cut mid-event, as a dropped proxy would
                    return
                yield from sse(iter([body]))
                sent += 1
                if body["status"] == "COMPLETED":
                    return
            time.sleep(0.01)

    def _result(self, job: FakeJob, req: Recorded, reply: Reply) -> None:
        if not self._authorised(req, reply):
            return
        body = self._state(job)
        if body["status"] != "COMPLETED":
            reply.json(400, {"detail": "Request is still in progress"})  # unconfirmed wording
            return
        if body.get("error"):  # a failed job's result body is unconfirmed (providers.md §6.8)
            reply.json(500, {"detail": body["error"], "error_type": body["error_type"]})
            return
        reply.json(
            200,
            {
                "video": {
                    "url": f"{self.url}/files/{job.id}.mp4",
                    "content_type": "video/mp4",
                    "file_name": "output.mp4",
                    "file_size": len(self.video_bytes),
                }
            },
        )

    def _cancel(self, job: FakeJob, req: Recorded, reply: Reply) -> None:
        if not self._authorised(req, reply):
            return
        if self._state(job)["status"] == "COMPLETED":
            reply.json(400, {"status": "ALREADY_COMPLETED"})
            return
        job.cancelled = True
        reply.json(202, {"status": "CANCELLATION_REQUESTED"})

    # ---- platform API --------------------------------------------------------------------------

    def _pricing(self, req: Recorded, reply: Reply) -> None:
        if not self._authorised(req, reply):
            return
        wanted = [i for v in req.query.get("endpoint_id", []) for i in v.split(",") if i]
        if not 1 <= len(wanted) <= 50:
            reply.json(422, {"detail": [{"loc": ["query", "endpoint_id"], "msg": "1 to 50 endpoint ids"}]})
            return
        prices = [
            {"endpoint_id": i, "unit_price": self.unit_prices[i], "unit": "second", "currency": "USD"}
            for i in wanted
            if i in self.unit_prices
        ]
        reply.json(200, {"prices": prices, "next_cursor": None, "has_more": False})

    # ---- storage -------------------------------------------------------------------------------

    def _token(self, req: Recorded, reply: Reply) -> None:
        if not self._authorised(req, reply):
            return
        if req.query.get("storage_type") != ["fal-cdn-v3"]:
            reply.json(422, {"detail": [{"loc": ["query", "storage_type"], "msg": "field required"}]})
            return
        token = uuid.uuid4().hex
        with self.lock:
            self.tokens.add(token)
        reply.json(
            200,
            {
                "token": token,
                "token_type": "Bearer",
                "base_url": self.storage_base_url or self.url,
                "expires_at": "2099-01-01T00:00:00Z",
            },
        )

    def _upload(self, req: Recorded, reply: Reply) -> None:
        kind, _, token = req.headers.get("authorization", "").partition(" ")
        if kind != "Bearer" or token not in self.tokens:
            reply.json(401, {"detail": "Invalid token"})
            return
        name = req.headers.get("x-fal-file-name", "file")
        path = f"/files/uploads/{uuid.uuid4().hex[:8]}/{name}"
        with self.lock:
            self.uploads[path] = (req.headers.get("content-type", ""), req.body)
        reply.json(200, {"access_url": f"{self.url}{path}"})

    def _files(self, req: Recorded, reply: Reply) -> None:
        """Public CDN files: the uploaded first frames and the results. No key needed."""
        with self.lock:
            uploaded = self.uploads.get(req.path)
        if uploaded is not None:
            reply.bytes(200, uploaded[1], uploaded[0])
            return
        job_id = req.path.removeprefix("/files/").removesuffix(".mp4")
        if job_id not in self.jobs:
            reply.json(404, {"detail": "File not found"})
            return
        reply.bytes(200, self.video_bytes, self.video_content_type)
