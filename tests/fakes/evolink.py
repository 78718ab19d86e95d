"""A loopback EvoLink, written from shared/docs/providers.md §3 and shared/seeds/003*.

One server plays both hosts: the task API (`/v1/...`) and the files API (`/api/v1/files/...`).
It checks the Bearer key, validates generation bodies the way EvoLink documents them (known model,
integer `duration` 3-15, the `镜头 n, m, words;` multi-shot syntax for Turbo, `model_params` for
V3.0), runs each task pending -> processing -> completed over `job_seconds` (or fails it with
`fail_with_code`), serves results at public `/files/<id>.mp4` links, and answers errors in EvoLink's
`{"error": {"code", "message", "type"}}` shape. A task created with a `callback_url` (https only, as
EvoLink's) is called back when it ends, with a body like the poll answer [E1][E6] (the base's
`call_back_later`; `callback_origins` plays the DNS and proxy in front of the app). Scripted faults come from the base (`fail_next`
with `evolink_fault(status)`); route names: generate, task, upload, video, uploaded.
"""

from __future__ import annotations

import email.policy
import json
import random
import re
import string
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.parser import BytesParser
from typing import Any
from urllib.parse import urlparse

from fakes.base import FakeServer, Fault, Recorded, Reply
from storyboard.catalog import OFFERS
from storyboard.models import ModelId, ProviderId

# The HTTP error table [E6]: status -> (code, type, message).
ERRORS: dict[int, tuple[str, str, str]] = {
    400: ("invalid_request", "invalid_request_error", "Invalid request"),
    401: ("unauthorized", "authentication_error", "Invalid or missing API key"),
    402: ("insufficient_quota", "insufficient_quota", "Insufficient quota. Please top up your account."),
    403: ("model_access_denied", "invalid_request_error", "This key may not use this model"),
    404: ("resource_not_found", "invalid_request_error", "Task not found"),
    429: ("rate_limit_exceeded", "rate_limit_error", "Rate limit exceeded, please slow down"),
    500: ("internal_error", "api_error", "Internal server error"),
}

# Sample wording for a failed task's error.code [E5].
FAILURE_MESSAGES = {
    "content_policy_violation": "The prompt was flagged by the content safety system",
    "invalid_parameters": "Invalid parameters",
    "image_processing_error": "The image could not be processed",
    "image_dimension_mismatch": "Image dimensions do not match the requested video",
    "request_cancelled": "The request was cancelled",
    "generation_failed_no_content": "The model returned no video",
    "service_error": "Upstream service error",
    "generation_timeout": "Generation timed out",
    "resource_exhausted": "Upstream resources exhausted",
    "quota_exceeded": "Upstream quota exceeded",
    "service_unavailable": "Service temporarily unavailable",
    "resource_not_found": "Task not found",
    "unknown_error": "Unknown error",
}

MODELS = {o.endpoint: o for o in OFFERS.values() if o.provider == ProviderId.EVOLINK}
TURBO_T2V = "kling-v3-turbo-text-to-video"
TURBO_I2V = "kling-v3-turbo-image-to-video"
V3_T2V = "kling-v3-text-to-video"
# The Turbo I2V image field's name is unconfirmed (providers.md §6.9): the fake expects the catalog's guess.
TURBO_IMAGE_FIELD = OFFERS[(ProviderId.EVOLINK, ModelId.TURBO_PRO_I2V)].image_field
FIELDS = {  # documented body fields per model [E1][E2][E3]
    TURBO_T2V: {"model", "prompt", "quality", "aspect_ratio", "duration", "callback_url"},
    TURBO_I2V: {"model", "prompt", "quality", "duration", "callback_url", TURBO_IMAGE_FIELD},
    V3_T2V: {
        "model",
        "prompt",
        "negative_prompt",
        "duration",
        "aspect_ratio",
        "quality",
        "sound",
        "model_params",
        "callback_url",
    },
}
CREDITS_PER_SECOND = {  # 9 credits = $0.132 at 1080p, 7.2 = $0.106 at 720p [E10]; V3.0 scaled from [E11]
    (TURBO_T2V, "720p"): 7.2,
    (TURBO_T2V, "1080p"): 9.0,
    (TURBO_I2V, "720p"): 7.2,
    (TURBO_I2V, "1080p"): 9.0,
    (V3_T2V, "720p"): 5.1,
    (V3_T2V, "1080p"): 6.8,
}
SHOT = re.compile(r"镜头\s*(\d+)\s*,\s*(\d+)\s*,\s*")
IMAGE_TYPES = {"image/jpeg", "image/png", "image/gif", "image/webp"}


def evolink_fault(status: int, *, message: str | None = None, retry_after: float | None = None) -> Fault:
    """An HTTP error in EvoLink's body shape, for `fail_next` / `fail_randomly`."""
    code, kind, default = ERRORS[status]
    headers = {"Retry-After": f"{retry_after:g}"} if retry_after is not None else {}
    return Fault(
        status=status,
        body={"error": {"code": code, "message": message or default, "type": kind}},
        headers=headers,
    )


class Invalid(Exception):
    """A 400 invalid_request, with EvoLink-style wording naming the field."""


@dataclass
class Task:
    id: str
    model: str
    body: dict[str, Any]
    created: int
    started: float
    job_seconds: float
    fail_with_code: str | None
    credits: float
    polls: dict[str, int] = field(default_factory=lambda: {"pending": 0, "processing": 0})
    completed: bool = False


class FakeEvoLink(FakeServer):
    def __init__(self, key: str = "evo-test-key-0123456789", job_seconds: float = 0.3) -> None:
        super().__init__()
        self.key = key
        self.job_seconds = job_seconds  # from creation to `completed`
        self.every_phase = True  # answer each phase at least once (tests); False: by the clock only (bench)
        self.fail_with_code: str | None = None  # tasks created while set end `failed` with this code
        self.video_bytes = b""  # what /files/<id>.mp4 serves
        self.tasks: dict[str, Task] = {}
        self.uploads: dict[str, tuple[bytes, str]] = {}
        self._rand = random.Random(7)
        self._task_lock = threading.Lock()
        self.route("POST", "/v1/videos/generations", self._authed(self._generate), "generate")
        self.route("GET", "/v1/tasks/", self._authed(self._task), "task")
        self.route("POST", "/api/v1/files/upload/stream", self._authed(self._upload), "upload")
        self.route("GET", "/files/", self._video, "video")  # public result links: no key
        self.route("GET", "/uploads/", self._uploaded, "uploaded")

    @property
    def tasks_created(self) -> int:
        with self._task_lock:
            return len(self.tasks)

    @property
    def jobs_created(self) -> int:
        """The name every fake uses for "how many paid jobs exist"."""
        return self.tasks_created

    # ---- helpers ----------------------------------------------------------------------------

    @staticmethod
    def _error(reply: Reply, status: int, message: str | None = None) -> None:
        fault = evolink_fault(status, message=message)
        reply.json(status, fault.body, fault.headers)

    def _authed(self, handler: Any) -> Any:
        def check(req: Recorded, reply: Reply) -> None:
            if req.headers.get("authorization") != f"Bearer {self.key}":
                self._error(reply, 401, "Invalid API key")
                return
            handler(req, reply)

        return check

    # ---- generation -------------------------------------------------------------------------

    def _generate(self, req: Recorded, reply: Reply) -> None:
        try:
            body = req.json
        except ValueError:
            self._error(reply, 400, "Request body is not valid JSON")
            return
        try:
            duration, quality = self._validate(body)
        except Invalid as exc:
            self._error(reply, 400, str(exc))
            return
        created = int(time.time())
        rand = "".join(self._rand.choices(string.ascii_lowercase + string.digits, k=8))
        task = Task(
            id=f"task-unified-{created}-{rand}",
            model=body["model"],
            body=body,
            created=created,
            started=time.monotonic(),
            job_seconds=self.job_seconds,
            fail_with_code=self.fail_with_code,
            credits=round(CREDITS_PER_SECOND[(body["model"], quality)] * duration, 2),
        )
        with self._task_lock:
            self.tasks[task.id] = task
        if isinstance(body.get("callback_url"), str):
            self.call_back_later(body["callback_url"], task.job_seconds + 0.01, lambda: self._callback(task))
        reply.json(200, self._task_body(task, "pending", 0))

    def _callback(self, task: Task) -> tuple[bytes, dict[str, str]]:
        """EvoLink's call when a task ends: like the poll answer [E1]. It has ended, so a poll from
        now on says so, whatever phases the app has seen."""
        with self._task_lock:
            task.polls = {phase: max(1, n) for phase, n in task.polls.items()}
            answer = self._advance(task)
        return json.dumps(answer).encode(), {}

    def _validate(self, body: Any) -> tuple[int, str]:
        if not isinstance(body, dict):
            raise Invalid("Request body must be a JSON object")
        model = body.get("model")
        if model not in MODELS:
            raise Invalid(f"Invalid model: {model!r}")
        unknown = sorted(set(body) - FIELDS[model])
        if unknown:
            raise Invalid(f"Unknown parameter for {model}: {', '.join(unknown)}")
        duration = body.get("duration", 5)
        if not isinstance(duration, int) or isinstance(duration, bool) or not 3 <= duration <= 15:
            raise Invalid("duration must be an integer from 3 to 15")
        quality = body.get("quality", "720p")
        if quality not in ("720p", "1080p"):
            raise Invalid("quality must be 720p or 1080p")
        if "aspect_ratio" in body and body["aspect_ratio"] not in ("16:9", "9:16", "1:1"):
            raise Invalid("aspect_ratio must be 16:9, 9:16 or 1:1")
        prompt = body.get("prompt", "")
        if not isinstance(prompt, str) or len(prompt) > 2500:
            raise Invalid("prompt must be a string of at most 2500 characters")
        callback = body.get("callback_url")
        if callback is not None and (
            not isinstance(callback, str) or urlparse(callback).scheme != "https" or len(callback) > 2048
        ):
            raise Invalid("callback_url must be an https URL of at most 2048 characters")
        if model == V3_T2V:
            self._validate_v3(body, duration)
        else:
            if SHOT.search(prompt):
                self._validate_shots(prompt, duration)
            elif model == TURBO_T2V and not prompt.strip():
                raise Invalid("prompt is required")
            if model == TURBO_I2V:
                self._validate_image(body.get(TURBO_IMAGE_FIELD))
        return duration, quality

    @staticmethod
    def _validate_shots(prompt: str, duration: int) -> None:
        """`镜头 n, m, words;` [Seed 003]: n = 1, 2, ... (<= 6), m seconds adding up to duration,
        words <= 512 characters."""
        matches = list(SHOT.finditer(prompt))
        if prompt[: matches[0].start()].strip():
            raise Invalid("multi-shot prompt must start with 镜头 1")
        if len(matches) > 6:
            raise Invalid(f"multi-shot prompt has {len(matches)} shots; at most 6 are allowed")
        total = 0
        for i, match in enumerate(matches):
            end = matches[i + 1].start() if i + 1 < len(matches) else len(prompt)
            words = prompt[match.end() : end].strip()
            n, seconds = int(match.group(1)), int(match.group(2))
            if n != i + 1:
                raise Invalid(f"镜头 {n} is out of order; expected 镜头 {i + 1}")
            if not words.endswith(";"):
                raise Invalid(f"镜头 {n} must end with ';'")
            words = words[:-1].strip()
            if not words:
                raise Invalid(f"镜头 {n} has no words")
            if len(words) > 512:
                raise Invalid(f"镜头 {n} words are {len(words)} characters; at most 512 are allowed")
            if seconds < 1:
                raise Invalid(f"镜头 {n} must last at least 1 second")
            total += seconds
        if total != duration:
            raise Invalid(f"镜头 seconds add up to {total} but duration is {duration}")

    @staticmethod
    def _validate_v3(body: dict[str, Any], duration: int) -> None:
        if "sound" in body and body["sound"] not in ("on", "off"):
            raise Invalid('sound must be "on" or "off"')
        if "negative_prompt" in body and (
            not isinstance(body["negative_prompt"], str) or len(body["negative_prompt"]) > 2500
        ):
            raise Invalid("negative_prompt must be a string of at most 2500 characters")
        params = body.get("model_params", {})
        if not isinstance(params, dict):
            raise Invalid("model_params must be an object")
        if not params.get("multi_shot"):
            if not str(body.get("prompt", "")).strip():
                raise Invalid("prompt is required unless model_params.multi_shot is true")
            return
        if params.get("shot_type") != "customize":
            raise Invalid('model_params.shot_type must be "customize" for multi-shot')
        shots = params.get("multi_prompt")
        if not isinstance(shots, list) or not 1 <= len(shots) <= 6:
            raise Invalid("model_params.multi_prompt must have 1 to 6 shots")
        total = 0
        for i, shot in enumerate(shots, 1):
            if not isinstance(shot, dict) or shot.get("index") != i or isinstance(shot.get("index"), bool):
                raise Invalid(f"model_params.multi_prompt[{i - 1}].index must be the integer {i}")
            text = shot.get("prompt")
            if not isinstance(text, str) or not text.strip() or len(text) > 512:
                raise Invalid(f"model_params.multi_prompt[{i - 1}].prompt must be 1 to 512 characters")
            seconds = shot.get("duration")
            if not isinstance(seconds, str) or not seconds.isdigit() or int(seconds) < 1:
                raise Invalid(f'model_params.multi_prompt[{i - 1}].duration must be a string like "5"')
            total += int(seconds)
        if total != duration:
            raise Invalid(f"model_params.multi_prompt durations add up to {total} but duration is {duration}")

    def _validate_image(self, url: Any) -> None:
        if not isinstance(url, str) or urlparse(url).scheme not in ("http", "https"):
            raise Invalid(f"{TURBO_IMAGE_FIELD} must be an image URL")
        if url.startswith(self.url) and self._upload_id(url) not in self.uploads:
            raise Invalid(f"{TURBO_IMAGE_FIELD} could not be downloaded")

    # ---- tasks ------------------------------------------------------------------------------

    def _task_body(self, task: Task, status: str, progress: int, **extra: Any) -> dict[str, Any]:
        left = max(0, round(task.job_seconds - (time.monotonic() - task.started)))
        return {
            "created": task.created,
            "id": task.id,
            "model": task.model,
            "object": "video.generation.task",
            "progress": progress,
            "status": status,
            "task_info": {
                "can_cancel": status == "pending",
                "estimated_time": left,
                "video_duration": task.body.get("duration", 5),
            },
            "type": "video",
            "usage": {
                "billing_rule": "per_second",
                "credits_reserved": task.credits,
                "user_group": "default",
            },
            **extra,
        }

    def _task(self, req: Recorded, reply: Reply) -> None:
        task_id = req.path.removeprefix("/v1/tasks/")
        with self._task_lock:
            task = self.tasks.get(task_id)
            if task is None:
                self._error(reply, 404, f"Task {task_id} not found")
                return
            body = self._advance(task)
        reply.json(200, body)

    def _advance(self, task: Task) -> dict[str, Any]:
        """Time-based, but each phase is answered at least once so a poller always sees it."""
        fraction = (time.monotonic() - task.started) / task.job_seconds if task.job_seconds > 0 else 1.0
        if fraction < 0.2 or (self.every_phase and not task.polls["pending"]):
            task.polls["pending"] += 1
            return self._task_body(task, "pending", 0)
        if fraction < 1.0 or (self.every_phase and not task.polls["processing"]):
            task.polls["processing"] += 1
            return self._task_body(task, "processing", min(99, max(1, int(fraction * 100))))
        if task.fail_with_code:
            message = FAILURE_MESSAGES.get(task.fail_with_code, "Task failed")
            return self._task_body(
                task, "failed", 100, error={"code": task.fail_with_code, "message": message}
            )
        task.completed = True
        return self._task_body(task, "completed", 100, results=[f"{self.url}/files/{task.id}.mp4"])

    def _video(self, req: Recorded, reply: Reply) -> None:
        task_id = req.path.removeprefix("/files/").removesuffix(".mp4")
        with self._task_lock:
            task = self.tasks.get(task_id)
            done = task is not None and task.completed
        if not done:
            reply.bytes(404, b"Not Found", "text/plain")
            return
        reply.bytes(200, self.video_bytes, "video/mp4")

    # ---- files API --------------------------------------------------------------------------

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
            self._error(reply, 400, "Exactly one multipart field named 'file' is required")
            return
        part = parts[0]
        data = part.get_payload(decode=True) or b""
        mime = _sniff(data)
        if mime not in IMAGE_TYPES:
            self._error(reply, 400, "Only images (jpeg, png, gif, webp) can be uploaded")
            return
        file_id = f"file_{uuid.uuid4().hex[:16]}"
        ext = mime.split("/")[1].replace("jpeg", "jpg")
        self.uploads[file_id] = (data, mime)
        url = f"{self.url}/uploads/{file_id}.{ext}"
        expires = datetime.now(UTC) + timedelta(hours=72)
        reply.json(
            200,
            {
                "success": True,
                "code": 200,
                "msg": "Upload successful",
                "data": {
                    "file_id": file_id,
                    "file_name": part.get_filename() or file_id,
                    "file_url": url,
                    "download_url": url,
                    "mime_type": mime,
                    "file_size": len(data),
                    "expires_at": expires.isoformat().replace("+00:00", "Z"),
                },
            },
        )

    @staticmethod
    def _upload_id(url: str) -> str:
        return urlparse(url).path.removeprefix("/uploads/").rsplit(".", 1)[0]

    def _uploaded(self, req: Recorded, reply: Reply) -> None:
        found = self.uploads.get(self._upload_id(req.path))
        if found is None:
            reply.bytes(404, b"Not Found", "text/plain")
            return
        reply.bytes(200, found[0], found[1])


def _sniff(data: bytes) -> str:
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return "application/octet-stream"
