"""Preview: the free, offline provider. It "hosts" an animatic render on this machine.

It speaks the same protocol as the hosted providers (submit once, follow the status, download),
so the whole flow is exercised without a key or a network. Renders run one at a time (the
machine has two cores and x264 uses both). Each submitted request is written next to its output,
so after a restart a render that was cut short starts again: it is free, unlike a paid submit.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlparse

from storyboard.animatic import RenderCancelled, render_animatic
from storyboard.compile import CompiledRequest
from storyboard.models import ProviderId, Storyboard
from storyboard.providers.base import ProviderClient, ProviderError, RemoteStatus, Submission


@dataclass
class _Render:
    progress: float = 0.0
    state: str = "queued"
    error: str | None = None
    stop: threading.Event = field(default_factory=threading.Event)
    ended: threading.Event = field(default_factory=threading.Event)  # completed, failed or cancelled
    started_at: float | None = None  # the render's own clock (time.time()): bench.preview_e2e reads it
    ended_at: float | None = None


_STOP_CHECK_SECONDS = 0.05  # how soon a pause notices the app stopping


class PreviewClient(ProviderClient):
    provider = ProviderId.PREVIEW
    free = True
    poll_interval = 0.25
    cancellable = True

    def __init__(self, work_dir: Path) -> None:
        self.work_dir = work_dir
        work_dir.mkdir(parents=True, exist_ok=True)
        self._renders: dict[str, _Render] = {}
        self._lock = threading.Lock()
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="preview-render")

    def upload_image(self, path: Path) -> str:
        """"Uploaded" into the work dir, as a hosted provider keeps it on its storage: the file lent
        may be a temporary copy (media in a bucket), and the render reads it later. First frames are
        named by their content, so a copy already there is the same image."""
        kept = self.work_dir / "images" / path.name
        if not kept.exists():
            kept.parent.mkdir(parents=True, exist_ok=True)
            part = kept.with_name(kept.name + ".part")
            shutil.copyfile(path, part)
            part.replace(kept)
        return kept.resolve().as_uri()

    def submit(
        self, request: CompiledRequest, idempotency_key: str, callback_url: str | None = None
    ) -> Submission:
        remote_id = f"preview-{hashlib.sha256(idempotency_key.encode()).hexdigest()[:20]}"
        (self.work_dir / f"{remote_id}.json").write_text(json.dumps(request.body))
        self._start(remote_id)
        return Submission(remote_id=remote_id)

    def _start(self, remote_id: str) -> _Render:
        with self._lock:
            render = self._renders.get(remote_id)
            if render is None:
                render = _Render()
                self._pool.submit(self._render, remote_id, render)
                self._renders[remote_id] = render
        return render

    def _output(self, remote_id: str) -> Path:
        return self.work_dir / f"{remote_id}.mp4"

    def _render(self, remote_id: str, render: _Render) -> None:
        render.state, render.started_at = "running", time.time()
        try:
            body = json.loads((self.work_dir / f"{remote_id}.json").read_text())
            storyboard = Storyboard.model_validate(body["storyboard"])
            image = body.get("image")
            render_animatic(
                storyboard,
                self._output(remote_id),
                resolution=body["resolution"],
                first_frame=_file_path(image) if image else None,
                progress=lambda p: setattr(render, "progress", p),
                should_stop=render.stop.is_set,
            )
            render.ended_at = time.time()
            render.progress, render.state = 1.0, "completed"
        except RenderCancelled:
            render.state = "cancelled"
        except Exception as exc:  # a render bug must end the job with a reason, not hang it
            render.state, render.error = "failed", f"The preview could not be rendered: {exc}"
        finally:
            render.ended.set()

    def status(self, submission: Submission) -> RemoteStatus:
        remote_id = submission.remote_id
        with self._lock:
            render = self._renders.get(remote_id)
        if render is None:
            if self._output(remote_id).exists():
                return RemoteStatus(
                    state="completed", progress=1.0, video_url=self._output(remote_id).as_uri()
                )
            if not (self.work_dir / f"{remote_id}.json").exists():
                return RemoteStatus(state="failed", error="The preview render was lost. Generate it again.")
            render = self._start(remote_id)  # the app restarted mid-render: free to start over
        if render.state == "completed":
            timing = {"render": {"started_at": render.started_at, "ended_at": render.ended_at}}
            return RemoteStatus(
                state="completed", progress=1.0, video_url=self._output(remote_id).as_uri(), raw=timing
            )
        if render.state in ("failed", "cancelled"):
            self.forget(submission)  # a later take of the same storyboard starts afresh
            return RemoteStatus(state=render.state, error=render.error)  # type: ignore[arg-type]
        return RemoteStatus(state=render.state, progress=render.progress)  # type: ignore[arg-type]

    def download(self, url: str, dest: Path) -> None:
        source = _file_path(url)
        if not source.exists():
            raise ProviderError("The preview file is missing. Generate it again.", retryable=False)
        shutil.copyfile(source, dest)

    def cancel(self, submission: Submission) -> bool:
        with self._lock:
            render = self._renders.get(submission.remote_id)
        if render is None:
            return False
        render.stop.set()
        return True

    def close(self) -> None:
        """Stop every render (the app is shutting down; unfinished takes render again next start)."""
        with self._lock:
            for render in self._renders.values():
                render.stop.set()
        self._pool.shutdown(wait=True, cancel_futures=True)

    def pause(self, submission: Submission, seconds: float, stopping: threading.Event) -> None:
        """Back as soon as the render has ended: the take is saved and shown without waiting out
        the rest of a poll (~0.12 s on average at 0.25 s)."""
        with self._lock:
            render = self._renders.get(submission.remote_id)
        if render is None:  # not rendering here (never happens after a status call): a plain wait
            stopping.wait(seconds)
            return
        deadline = time.monotonic() + seconds
        while not stopping.is_set() and (left := deadline - time.monotonic()) > 0:
            if render.ended.wait(min(left, _STOP_CHECK_SECONDS)):
                return

    def forget(self, submission: Submission) -> None:
        """Delete the render's own files once the result is safely in the data dir."""
        for suffix in (".mp4", ".json"):
            (self.work_dir / f"{submission.remote_id}{suffix}").unlink(missing_ok=True)
        with self._lock:
            self._renders.pop(submission.remote_id, None)


def _file_path(url: str) -> Path:
    parsed = urlparse(url)
    if parsed.scheme != "file":
        raise ProviderError("Preview can only read files on this machine.", retryable=False)
    return Path(unquote(parsed.path))
