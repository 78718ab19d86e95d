"""A loopback WaveSpeedAI, written from shared/docs/providers.md §1 and shared/seeds/000-002.

- `POST /api/v3/kwaivgi/<model>/<task>`: the three models the catalog offers. Needs
  `Authorization: Bearer <key>`; checks the body against each model's documented fields and types
  (Turbo `duration` a string "3".."15", V3.0 an integer; `prompt` xor `multi_prompt` on Turbo;
  `image` required on I2V and, when it is one of ours, actually uploaded). Answers the documented
  envelope `{code: 200, message: "success", data: {id, model, outputs: [], urls: {get}, status:
  "created", ...}}` with `urls.get` pointing back at this server [Seed 001][W8].
- `GET /api/v3/predictions/<id>/result` (also without `/result` [W9]): created -> processing ->
  completed over `job_seconds` (each phase answered at least once), or failed, still HTTP 200, with
  `data.error` = `fail_with` [W9]. Completed has `outputs: [<this server>/files/<id>.mp4]`.
- `?webhook=<url>` on a submit: when the job ends the fake POSTs the prediction (`data` as the
  result answers it) to that URL [W9] (see the base's `call_back_later`).
- `GET /files/<id>.mp4`: public result link (no key), serves `video_bytes` as video/mp4 (or
  `result_page` as text/html, like an expired link's landing page); with `videos_by_shape` set, the
  MP4 of the request's shape (the sent image's for image-to-video, as Kling's, else `aspect_ratio`).
- `POST /api/v3/media/upload/binary`: multipart `file` -> `{code: 200, data: {type, download_url,
  filename, size}}` [W10]; uploads are served back at public `/media/<name>`.
- `POST /api/v3/predictions` (history, as WaveSpeed's desktop app calls it [W2]): body `{page,
  page_size, created_after, created_before, model?, status?}` (ISO times) -> `{code: 200, data:
  {page, total, items: [{id, model, status, outputs, created_at, execution_time,
  has_nsfw_contents}]}}`, newest first. Items carry no input, as documented.
- `POST /api/v3/model/pricing` `{model_id, inputs}` -> `{code: 200, data: {unit_price}}` [W2]: the
  run's price from the model pages: Turbo $0.14/s of `duration`, plus the shots' seconds when
  `multi_prompt` is sent [Seed 000/001]; V3.0 Pro $0.112/s, x1.5 with sound [Seed 002].
  `usd_per_second[model_id]` changes a model's rate (a provider that changed its price).

NOTE: WaveSpeed's exact error bodies (bad key, no balance, validation, 429) are UNCONFIRMED
(providers.md §1.4, §6.2). The fake answers `{"code": <status>, "message": <words>, "data": null}`,
the `{code, message}` shape its envelope and its desktop app suggest [W2]. Validation errors come as
HTTP 400 naming the field; `wavespeed_fault(status)` scripts any of these through the base's
`fail_next` / `fail_randomly`. Route names: submit, result, upload, video, media, history, pricing.
"""

from __future__ import annotations

import collections
import email.policy
import io
import json
import math
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.parser import BytesParser
from typing import Any
from urllib.parse import urlparse

from PIL import Image

from fakes.base import FakeServer, Fault, Recorded, Reply
from storyboard.catalog import OFFERS
from storyboard.models import ProviderId

MODELS = {o.endpoint: o for o in OFFERS.values() if o.provider == ProviderId.WAVESPEED}
TURBO_T2V = "/api/v3/kwaivgi/kling-v3-turbo-pro/text-to-video"
TURBO_I2V = "/api/v3/kwaivgi/kling-v3-turbo-pro/image-to-video"
V3_T2V = "/api/v3/kwaivgi/kling-v3.0-pro/text-to-video"
FIELDS = {  # documented request fields [Seed 000][Seed 001][Seed 002]
    TURBO_T2V: {"prompt", "multi_prompt", "aspect_ratio", "duration"},
    TURBO_I2V: {"image", "prompt", "multi_prompt", "duration"},
    V3_T2V: {
        "prompt",
        "negative_prompt",
        "duration",
        "aspect_ratio",
        "cfg_scale",
        "sound",
        "shot_type",
        "multi_prompt",
        "element_list",
    },
}
MAX_SHOTS = 6  # unconfirmed on WaveSpeed (providers.md §6.1); Kling's own limit
SHAPES = {"16:9": 16 / 9, "9:16": 9 / 16, "1:1": 1.0}  # what Kling renders
IMAGE_TYPES = {"image/jpeg", "image/png", "image/webp", "image/gif", "image/bmp", "image/tiff"}  # [W10]

# Default words per status (the bodies themselves are unconfirmed, see the module docstring).
MESSAGES = {
    400: "Invalid request",
    401: "Unauthorized",
    402: "Insufficient balance",
    403: "Insufficient balance",
    404: "Not found",
    422: "Validation failed",
    429: "Too many requests",
    500: "Internal server error",
    502: "Bad gateway",
    503: "Service unavailable",
}


def wavespeed_fault(status: int, *, message: str | None = None, retry_after: float | None = None) -> Fault:
    """An HTTP error in the (assumed) `{code, message, data}` shape, for `fail_next` / `fail_randomly`."""
    headers = {"Retry-After": f"{retry_after:g}"} if retry_after is not None else {}
    body = {"code": status, "message": message or MESSAGES.get(status, "Error"), "data": None}
    return Fault(status=status, body=body, headers=headers)


def validation_fault(field_name: str, words: str) -> Fault:
    """A 422-like validation error naming the field (shape unconfirmed, see the module docstring)."""
    return wavespeed_fault(422, message=f"{field_name}: {words}")


class Invalid(Exception):
    """A validation error; its text names the field."""


@dataclass
class Job:
    id: str
    model: str
    body: dict[str, Any]
    idempotency_key: str | None
    created_at: str
    started: float
    job_seconds: float
    fail_with: str | None
    polls: dict[str, int] = field(default_factory=lambda: {"created": 0, "processing": 0})
    completed: bool = False


class FakeWaveSpeed(FakeServer):
    def __init__(self, key: str = "ws-test-key-0123456789abcdef", job_seconds: float = 0.05) -> None:
        super().__init__()
        self.key = key
        self.balance = 12.34  # USD, what the balance endpoint reports
        self.job_seconds = job_seconds  # from creation to `completed`
        self.every_phase = True  # answer each phase at least once (tests); False: by the clock only (bench)
        self.fail_with: str | None = None  # jobs created while set end `failed` with this `data.error`
        self.video_bytes = b""  # what /files/<id>.mp4 serves (tests set a real MP4)
        # When set ("16:9"/"9:16"/"1:1" -> MP4), the result follows the request's shape as Kling's
        # does: image-to-video takes the shape of the image it was sent (the nearest of the three),
        # text-to-video its `aspect_ratio`. Unset: every result is `video_bytes`.
        self.videos_by_shape: dict[str, bytes] = {}
        self.result_page: bytes | None = None  # when set, result links answer this as text/html
        self.jobs: dict[str, Job] = {}
        self.uploads: dict[str, tuple[bytes, str]] = {}
        self.submits_by_key: collections.Counter[str | None] = collections.Counter()
        self._jobs_lock = threading.Lock()
        self.route("POST", "/api/v3/kwaivgi/", self._authed(self._submit), "submit")
        self.route("GET", "/api/v3/predictions/", self._authed(self._result), "result")
        self.route("POST", "/api/v3/media/upload/binary", self._authed(self._upload), "upload")
        self.route("GET", "/api/v3/balance", self._authed(self._balance), "balance")
        self.route("POST", "/api/v3/predictions", self._authed(self._history), "history")
        self.route("POST", "/api/v3/model/pricing", self._authed(self._pricing), "pricing")
        self.usd_per_second = {  # [Seed 000-002]
            "kwaivgi/kling-v3-turbo-pro/text-to-video": 0.14,
            "kwaivgi/kling-v3-turbo-pro/image-to-video": 0.14,
            "kwaivgi/kling-v3.0-pro/text-to-video": 0.112,
        }
        self.route("GET", "/files/", self._video, "video")  # public result links: no key
        self.route("GET", "/media/", self._media, "media")  # public uploaded images

    def _balance(self, req: Recorded, reply: Reply) -> None:
        # `GET /api/v3/balance` -> `data.balance`, as the official desktop app reads it [W2].
        reply.json(200, {"code": 200, "message": "success", "data": {"balance": self.balance}})

    def _history(self, req: Recorded, reply: Reply) -> None:
        ask = req.json if req.body else {}
        if not isinstance(ask, dict):
            self._error(reply, 400, "Request body is not valid JSON")
            return
        after, before = _when(ask.get("created_after")), _when(ask.get("created_before"))
        if after is None or before is None:
            self._error(reply, 400, "created_after and created_before are required")
            return
        page, size = int(ask.get("page") or 1), int(ask.get("page_size") or 20)
        with self._jobs_lock:
            jobs = sorted(self.jobs.values(), key=lambda j: j.created_at, reverse=True)
            matched = [
                j
                for j in jobs
                if after <= _when(j.created_at) <= before  # type: ignore[operator]
                and ask.get("model") in (None, j.model)
                and ask.get("status") in (None, self._advance(j)["status"])
            ]
            items = [
                {
                    k: v
                    for k, v in self._advance(j).items()
                    if k in ("id", "model", "status", "outputs", "created_at", "has_nsfw_contents")
                }
                | {"execution_time": 0}
                for j in matched[(page - 1) * size : page * size]
            ]
        reply.json(200, self._envelope({"page": page, "total": len(matched), "items": items}))

    def _pricing(self, req: Recorded, reply: Reply) -> None:
        ask = req.json if req.body else None
        model_id = ask.get("model_id") if isinstance(ask, dict) else None
        inputs = ask.get("inputs") if isinstance(ask, dict) else None
        if model_id not in self.usd_per_second or not isinstance(inputs, dict):
            self._error(reply, 400, f"model_id: unknown model {model_id}")
            return
        turbo = "turbo" in model_id
        seconds = int(inputs.get("duration", 5))
        shots = inputs.get("multi_prompt")
        if turbo and isinstance(shots, list):  # multi_prompt bills duration + the shots [Seed 000/001]
            seconds += sum(int(s.get("duration", 0)) for s in shots if isinstance(s, dict))
        price = self.usd_per_second[model_id] * seconds
        if not turbo and inputs.get("sound") is True:
            price *= 1.5  # [Seed 002]
        reply.json(200, self._envelope({"unit_price": round(price, 6)}))

    @property
    def jobs_created(self) -> int:
        with self._jobs_lock:
            return len(self.jobs)

    # ---- helpers ----------------------------------------------------------------------------

    @staticmethod
    def _error(reply: Reply, status: int, message: str | None = None) -> None:
        fault = wavespeed_fault(status, message=message)
        reply.json(status, fault.body, fault.headers)

    def _authed(self, handler: Any) -> Any:
        def check(req: Recorded, reply: Reply) -> None:
            if req.headers.get("authorization") != f"Bearer {self.key}":
                self._error(reply, 401, "Unauthorized")
                return
            handler(req, reply)

        return check

    @staticmethod
    def _envelope(data: Any) -> dict[str, Any]:
        return {"code": 200, "message": "success", "data": data}

    # ---- submit -----------------------------------------------------------------------------

    def _submit(self, req: Recorded, reply: Reply) -> None:
        if req.path not in MODELS:
            self._error(reply, 404, f"Model not found: {req.path.removeprefix('/api/v3/')}")
            return
        if not req.headers.get("content-type", "").startswith("application/json"):
            self._error(reply, 400, "Content-Type must be application/json")
            return
        try:
            body = req.json
        except ValueError:
            self._error(reply, 400, "Request body is not valid JSON")
            return
        try:
            self._validate(req.path, body)
        except Invalid as exc:
            self._error(reply, 400, str(exc))
            return
        job = Job(
            id=uuid.uuid4().hex,
            model=req.path.removeprefix("/api/v3/"),
            body=body,
            idempotency_key=req.headers.get("idempotency-key"),
            created_at=datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            started=time.monotonic(),
            job_seconds=self.job_seconds,
            fail_with=self.fail_with,
        )
        with self._jobs_lock:
            self.jobs[job.id] = job
            self.submits_by_key[job.idempotency_key] += 1
        for url in req.query.get("webhook", [])[:1]:
            self.call_back_later(url, job.job_seconds + 0.01, lambda: self._webhook(job))
        reply.json(200, self._envelope(self._data(job, "created")))

    def _webhook(self, job: Job) -> tuple[bytes, dict[str, str]]:
        """The call WaveSpeed makes when a prediction ends: the prediction itself [W9]. It has ended,
        so a poll from now on says so, whatever phases the app has seen."""
        with self._jobs_lock:
            job.polls = {phase: max(1, n) for phase, n in job.polls.items()}
            data = self._advance(job)
        return json.dumps(data).encode(), {}

    def _validate(self, path: str, body: Any) -> None:
        if not isinstance(body, dict):
            raise Invalid("body: must be a JSON object")
        unknown = sorted(set(body) - FIELDS[path])
        if unknown:
            raise Invalid(f"{unknown[0]}: unknown parameter")
        turbo = path != V3_T2V
        duration = body.get("duration", "5" if turbo else 5)
        if turbo:  # a string enum "3".."15" [Seed 001]
            if not isinstance(duration, str) or not duration.isdigit() or not 3 <= int(duration) <= 15:
                raise Invalid('duration: must be one of "3", "4", ... "15" (a string)')
        elif not isinstance(duration, int) or isinstance(duration, bool) or not 3 <= duration <= 15:
            raise Invalid("duration: must be an integer from 3 to 15")
        if "aspect_ratio" in body and body["aspect_ratio"] not in ("16:9", "9:16", "1:1"):
            raise Invalid("aspect_ratio: must be one of 16:9, 9:16, 1:1")
        prompt = body.get("prompt")
        if prompt is not None and not isinstance(prompt, str):
            raise Invalid("prompt: must be a string")
        shots = body.get("multi_prompt")
        if shots is not None:
            self._validate_shots(shots)
        if turbo:
            if prompt is not None and shots is not None:
                raise Invalid("prompt: cannot be combined with multi_prompt")
            if path == TURBO_T2V and not (prompt or "").strip() and shots is None:
                raise Invalid("prompt: one of prompt or multi_prompt is required")
        else:
            if not (prompt or "").strip():
                raise Invalid("prompt: is required")
            cfg = body.get("cfg_scale", 0.5)
            if isinstance(cfg, bool) or not isinstance(cfg, int | float) or not 0 <= cfg <= 1:
                raise Invalid("cfg_scale: must be a number from 0 to 1")
            if "sound" in body and not isinstance(body["sound"], bool):
                raise Invalid("sound: must be a boolean")
            if "shot_type" in body and body["shot_type"] not in ("customize", "intelligent"):
                raise Invalid("shot_type: must be customize or intelligent")
            if "negative_prompt" in body and not isinstance(body["negative_prompt"], str):
                raise Invalid("negative_prompt: must be a string")
        if path == TURBO_I2V:
            self._validate_image(body.get("image"))

    @staticmethod
    def _validate_shots(shots: Any) -> None:
        # The JSON type of a shot's duration and the shot count are unconfirmed (providers.md §6.1):
        # a whole number as an integer or a digit string is accepted.
        if not isinstance(shots, list) or not 1 <= len(shots) <= MAX_SHOTS:
            raise Invalid(f"multi_prompt: must have 1 to {MAX_SHOTS} shots")
        total = 0
        for i, shot in enumerate(shots):
            if not isinstance(shot, dict) or set(shot) - {"prompt", "duration"}:
                raise Invalid(f"multi_prompt[{i}]: must be {{prompt, duration}}")
            if not isinstance(shot.get("prompt"), str) or not shot["prompt"].strip():
                raise Invalid(f"multi_prompt[{i}].prompt: is required")
            seconds = shot.get("duration")
            if isinstance(seconds, str) and seconds.isdigit():
                seconds = int(seconds)
            if not isinstance(seconds, int) or isinstance(seconds, bool) or seconds < 1:
                raise Invalid(f"multi_prompt[{i}].duration: must be a whole number of seconds")
            total += seconds
        if total > 15:
            raise Invalid(f"multi_prompt: total duration {total} s exceeds 15 s")

    def _validate_image(self, url: Any) -> None:
        if not isinstance(url, str) or urlparse(url).scheme not in ("http", "https"):
            raise Invalid("image: must be an image URL")
        if url.startswith(self.url) and self._media_name(url) not in self.uploads:
            raise Invalid("image: could not be downloaded")

    # ---- predictions ------------------------------------------------------------------------

    def _data(self, job: Job, status: str, **extra: Any) -> dict[str, Any]:
        return {
            "id": job.id,
            "model": job.model,
            "outputs": [],
            "urls": {"get": f"{self.url}/api/v3/predictions/{job.id}/result"},
            "has_nsfw_contents": [],
            "status": status,
            "created_at": job.created_at,
            "error": "",
            "timings": {"inference": 0},
            **extra,
        }

    def _result(self, req: Recorded, reply: Reply) -> None:
        job_id = req.path.removeprefix("/api/v3/predictions/").removesuffix("/result").strip("/")
        with self._jobs_lock:
            job = self.jobs.get(job_id)
            if job is None:
                self._error(reply, 404, f"Prediction {job_id} not found")
                return
            data = self._advance(job)
        reply.json(200, self._envelope(data))

    def _advance(self, job: Job) -> dict[str, Any]:
        """Time-based, but each phase is answered at least once so a poller always sees it."""
        elapsed = time.monotonic() - job.started
        fraction = elapsed / job.job_seconds if job.job_seconds > 0 else 1.0
        if fraction < 0.2 or (self.every_phase and not job.polls["created"]):
            job.polls["created"] += 1
            return self._data(job, "created")
        if fraction < 1.0 or (self.every_phase and not job.polls["processing"]):
            job.polls["processing"] += 1
            return self._data(job, "processing")
        timings = {"inference": int(elapsed * 1000)}
        if job.fail_with:
            return self._data(job, "failed", error=job.fail_with, timings=timings)
        job.completed = True
        return self._data(
            job,
            "completed",
            outputs=[f"{self.url}/files/{job.id}.mp4"],
            has_nsfw_contents=[False],
            timings=timings,
        )

    def _video(self, req: Recorded, reply: Reply) -> None:
        job_id = req.path.removeprefix("/files/").removesuffix(".mp4")
        with self._jobs_lock:
            job = self.jobs.get(job_id)
            done = job is not None and job.completed
        if not done:
            reply.bytes(404, b"Not Found", "text/plain")
        elif self.result_page is not None:
            reply.bytes(200, self.result_page, "text/html; charset=utf-8")
        elif self.videos_by_shape:
            assert job is not None
            reply.bytes(200, self.videos_by_shape[self._shape(job.body)], "video/mp4")
        else:
            reply.bytes(200, self.video_bytes, "video/mp4")

    def _shape(self, body: dict[str, Any]) -> str:
        """The shape the model would give this request: the sent image's nearest, else aspect_ratio."""
        image = self.uploads.get(self._media_name(str(body.get("image", ""))))
        if image is None:
            return str(body.get("aspect_ratio", "16:9"))
        with Image.open(io.BytesIO(image[0])) as im:
            ratio = math.log(im.width / im.height)
        return min(SHAPES, key=lambda shape: abs(ratio - math.log(SHAPES[shape])))

    # ---- media upload -----------------------------------------------------------------------

    def _upload(self, req: Recorded, reply: Reply) -> None:
        kind = req.headers.get("content-type", "")
        if not kind.startswith("multipart/form-data"):
            self._error(reply, 400, "Content-Type must be multipart/form-data")
            return
        message = BytesParser(policy=email.policy.HTTP).parsebytes(
            f"Content-Type: {kind}\r\n\r\n".encode() + req.body
        )
        parts = [
            p for p in message.iter_parts() if p.get_param("name", header="content-disposition") == "file"
        ]
        if len(parts) != 1:
            self._error(reply, 400, "file: exactly one multipart field named 'file' is required")
            return
        data = parts[0].get_payload(decode=True) or b""
        mime = _sniff(data)
        if mime not in IMAGE_TYPES:
            # The SDK's example failure: HTTP 200 status is not guaranteed, body code 500 [W1].
            reply.json(200, {"code": 500, "message": "Upload failed: invalid file type"})
            return
        name = f"{uuid.uuid4().hex}.{mime.split('/')[1].replace('jpeg', 'jpg')}"
        self.uploads[name] = (data, mime)
        reply.json(
            200,
            self._envelope(
                {
                    "type": mime.split("/")[0],
                    "download_url": f"{self.url}/media/{name}",
                    "filename": parts[0].get_filename() or name,
                    "size": len(data),
                }
            ),
        )

    @staticmethod
    def _media_name(url: str) -> str:
        return urlparse(url).path.removeprefix("/media/")

    def _media(self, req: Recorded, reply: Reply) -> None:
        found = self.uploads.get(self._media_name(req.path))
        if found is None:
            reply.bytes(404, b"Not Found", "text/plain")
            return
        reply.bytes(200, found[0], found[1])


def _when(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _sniff(data: bytes) -> str:
    """The image type from its first bytes (what a storage service checks, not the file name)."""
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if data.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if data.startswith(b"BM"):
        return "image/bmp"
    if data.startswith((b"II*\x00", b"MM\x00*")):
        return "image/tiff"
    return "application/octet-stream"
