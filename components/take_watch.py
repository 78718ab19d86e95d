"""A running Preview take watched from the browser instead of by rerunning its card.

Preview renders on this machine, in seconds, on the 2 cores the browser and the server share. Its
card used to be a fragment rerun every 0.25 s: each look cost ~50 ms of server CPU (Streamlit's
rerun machinery; the card's own code is ~2 ms) and about as much in Chromium, so the page took
about as much CPU as the render while it waited, and the render ran ~2x slower than alone
(bench.preview_e2e). Here the card is drawn once; a small component (take_watch.js) asks
`/api/take-progress/<job id>` (mounted by serve.py) for the progress, each answer given when the take
has changed (a long poll), and reruns the page once, when the take has finished.

Only where serve.py mounted the route (`make run`); under AppTest or `streamlit run app.py` the card
keeps its fragment (`served()` is False).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path

import streamlit as st
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from components.runtime import open_runtime
from storyboard import messages
from storyboard.models import Job
from storyboard.store import Store

HERE = Path(__file__).parent
PATH = "/api/take-progress/{job_id}"
HOLD_SECONDS = 2.0  # an answer waits at most this long for the take to change
CHECK_SECONDS = 0.03  # how often a waiting answer looks at the store
_mounted: list[Route] = []

_component = st.components.v2.component(
    "take_watch",
    css=(HERE / "take_watch.css").read_text(encoding="utf-8"),
    js=(HERE / "take_watch.js").read_text(encoding="utf-8"),
    isolate_styles=False,  # one page: the e2e tests read it like the rest
)


def progress_answer(job: Job | None) -> dict[str, object]:
    """What the browser draws: the bar, the sentence, and whether the page should rerun now. A take
    that is gone counts as finished: the rerun shows whatever the page has to say about it.
    `version` changes whenever the take does (the browser sends it back to wait for the next one)."""
    if job is None:
        return {"finished": True, "progress": 1.0, "text": "", "version": ""}
    progress, text = progress_bar(job)
    return {
        "finished": job.state.finished,
        "progress": progress,
        "text": text,
        "version": job.updated_at.isoformat(),
    }


def progress_bar(job: Job) -> tuple[float, str]:
    """A running take's bar (0 to 1) and its sentence, wherever its card is drawn."""
    return min(1.0, max(0.0, job.progress)), job.message or messages.WORKING


def route(store: Callable[[], Store] = lambda: open_runtime().store) -> Route:
    """`/api/take-progress/<job id>[?after=<version>]`: what a card in the browser draws. With
    `after`, the answer waits (up to HOLD_SECONDS) until the take has moved on from that version, so
    the page hears that it is done within CHECK_SECONDS, for one request per change. `store`: where
    jobs are read (by default the app's own, which serve.py's lifespan opens)."""

    async def progress(request: Request) -> JSONResponse:
        job_id = request.path_params["job_id"]
        after = request.query_params.get("after")
        deadline = time.monotonic() + HOLD_SECONDS
        while True:
            # a store read off the event loop (SQLite blocks); ~0.1 ms
            answer = progress_answer(await run_in_threadpool(lambda: store().get_job(job_id)))
            if answer["version"] != after or answer["finished"] or time.monotonic() >= deadline:
                return JSONResponse(answer, headers={"Cache-Control": "no-store"})
            await asyncio.sleep(CHECK_SECONDS)

    return Route(PATH, progress, methods=["GET"])


def mount() -> Route:
    """The route for serve.py to mount; from then on Preview cards in this process watch through it."""
    _mounted.append(route())
    return _mounted[-1]


def served() -> bool:
    return bool(_mounted)


def _finished() -> None:
    """The rerun itself is the point: the page draws the finished take."""


def take_watch(job: Job, key: str) -> None:
    _component(
        key=f"{key}:watch:{job.id}",
        data={
            "job_id": job.id,
            "url": PATH.format(job_id=job.id),
            "first": progress_answer(job),
        },
        on_finished_change=_finished,
    )
