"""`/api/callback/<provider>/<take id>?t=<token>`: where a provider calls when a take ends (only
asked to with STORYBOARD_PUBLIC_URL set). The answer is an empty 200, 403 or 404, decided by
`JobRunner.callback` (storyboard.callbacks): a genuine call wakes the take, nothing else changes.
Mounted by serve.py beside take_watch's route.
"""

from __future__ import annotations

from collections.abc import Callable

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from components.runtime import open_runtime
from storyboard.callbacks import MAX_BODY, PATH, TOO_LARGE
from storyboard.jobs import JobRunner


def route(runner: Callable[[], JobRunner] = lambda: open_runtime().runner) -> Route:
    """`runner`: whose takes are woken (by default the app's own, which serve.py's lifespan opens)."""

    async def callback(request: Request) -> Response:
        body = bytearray()
        async for chunk in request.stream():  # read no further than a call could need
            body += chunk
            if len(body) > MAX_BODY:
                return Response(status_code=TOO_LARGE)
        headers = {name.lower(): value for name, value in request.headers.items()}
        status = await run_in_threadpool(  # store reads and, for fal, maybe fetching its keys
            lambda: runner().callback(
                request.path_params["provider"],
                request.path_params["job_id"],
                request.query_params.get("t", ""),
                headers,
                bytes(body),
            )
        )
        return Response(status_code=status, headers={"Cache-Control": "no-store"})

    return Route(PATH, callback, methods=["POST"])
