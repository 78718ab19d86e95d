"""The app's callback route (components.callback_route) on a real loopback server, uvicorn as under
serve.py's st.App, waking whichever JobRunner `runner` is set to. For tests/test_callbacks.py and
bench.callback_latency; a fake's `callback_origins` maps the public address to `url`."""

from __future__ import annotations

import socket
import threading

import uvicorn
from starlette.applications import Starlette
from waiting import wait_until

from components import callback_route
from storyboard.jobs import JobRunner


class CallbackServer:
    def __init__(self) -> None:
        self.runner: JobRunner | None = None
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        app = Starlette(routes=[callback_route.route(self._runner)])
        self.server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [sock]}, daemon=True)
        self.thread.start()
        wait_until(lambda: self.server.started, timeout=10, what="the callback server to start")

    def _runner(self) -> JobRunner:
        assert self.runner is not None, "set CallbackServer.runner first"
        return self.runner

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(5)
