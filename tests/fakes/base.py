"""A scriptable HTTP server on 127.0.0.1 that each provider fake builds on.

It records every request (method, path, query, headers, body) and lets a test script what the next
requests to a route get: an HTTP error with the provider's real body, a delay, a dropped connection
(no answer at all), or "processed but the answer is lost" (the job is created, then the connection
is cut: the case a client must never resend). Faults can also be random at a given rate, seeded.
A job submitted with a callback URL is called back when it ends (`call_back_later`), as the real
providers do; `calls_back = False` plays a callback that never arrives.
Standard library only (and what the app itself needs): the fakes need nothing the app does not.
"""

from __future__ import annotations

import json
import random
import socket
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse, urlsplit, urlunsplit


@dataclass
class Recorded:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]  # lower-case names
    body: bytes
    at: float = field(default_factory=time.monotonic)  # when it arrived

    @property
    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


@dataclass
class CallBack:
    """One call the fake made to a callback URL, and what the app answered (None: no answer)."""

    url: str
    status: int | None
    sent_at: float  # when the call left the fake (a status request it wakes comes after)


@dataclass
class Fault:
    """What the next matching request gets instead of (or besides) the normal answer."""

    status: int | None = None  # answer with this status and `body`
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # wait before answering
    drop: bool = False  # close the connection without answering, before doing anything
    lose_answer: bool = False  # do the work (e.g. create the job), then cut the connection


class Reply:
    """How a route answers: JSON, raw bytes, or a stream of chunks (SSE)."""

    def __init__(self, handler: BaseHTTPRequestHandler) -> None:
        self._h = handler
        self.sent = False

    def json(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        self.bytes(status, json.dumps(body).encode(), "application/json", headers)

    def bytes(
        self, status: int, data: bytes, content_type: str, headers: dict[str, str] | None = None
    ) -> None:
        self._h.send_response(status)
        self._h.send_header("Content-Type", content_type)
        self._h.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self._h.send_header(name, value)
        self._h.end_headers()
        self._h.wfile.write(data)
        self.sent = True

    def stream(self, status: int, chunks: Iterator[bytes], content_type: str = "text/event-stream") -> None:
        self._h.send_response(status)
        self._h.send_header("Content-Type", content_type)
        self._h.send_header("Cache-Control", "no-cache")
        self._h.send_header("Connection", "close")
        self._h.end_headers()
        self.sent = True
        try:
            for chunk in chunks:
                self._h.wfile.write(chunk)
                self._h.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            pass
        self._h.close_connection = True


Route = Callable[[Recorded, Reply], None]


class FakeServer:
    """Subclasses register routes with `self.route(method, prefix, handler, name)`."""

    def __init__(self) -> None:
        self.requests: list[Recorded] = []
        self._routes: list[tuple[str, str, str, Route]] = []
        self._faults: dict[str, list[Fault]] = {}
        self._random_faults: dict[str, tuple[float, Fault]] = {}
        self._rng = random.Random(0)
        self.lock = threading.RLock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.calls_back = True  # False: asked to call back, the fake never does (a lost callback)
        # A public origin (`https://studio.example`) -> where the app really listens: what DNS and a
        # TLS-terminating proxy in front of the app do for a real provider.
        self.callback_origins: dict[str, str] = {}
        self.callbacks: list[CallBack] = []
        self._timers: list[threading.Timer] = []

    # ---- set-up -----------------------------------------------------------------------------

    def route(self, method: str, prefix: str, handler: Route, name: str) -> None:
        self._routes.append((method, prefix, name, handler))

    def start(self) -> FakeServer:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # else each keep-alive answer waits ~40 ms for an ACK

            def log_message(self, *args: object) -> None:  # quiet
                pass

            def _any(self) -> None:
                fake._handle(self)

            do_GET = do_POST = do_PUT = do_DELETE = _any  # noqa: N815

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        server = self._server  # checks for shutdown every 50 ms: teardown stays quick
        self._thread = threading.Thread(target=lambda: server.serve_forever(poll_interval=0.05), daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        with self.lock:
            for timer in self._timers:
                timer.cancel()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def __enter__(self) -> FakeServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        assert self._server is not None
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    # ---- scripting --------------------------------------------------------------------------

    def fail_next(self, name: str, fault: Fault, times: int = 1) -> None:
        with self.lock:
            self._faults.setdefault(name, []).extend([fault] * times)

    def fail_randomly(self, name: str, rate: float, fault: Fault, seed: int = 0) -> None:
        with self.lock:
            self._random_faults[name] = (rate, fault)
            self._rng = random.Random(seed)

    def calls(self, name: str | None = None, method: str | None = None) -> list[Recorded]:
        with self.lock:
            return [
                r
                for r in self.requests
                if (method is None or r.method == method) and (name is None or self._name_of(r) == name)
            ]

    # ---- calling back -----------------------------------------------------------------------

    def call_back_later(
        self, url: str, seconds: float, call: Callable[[], tuple[bytes, dict[str, str]]]
    ) -> None:
        """In `seconds` (when the job ends), POST `call()`'s body and headers to `url`, once."""
        if not self.calls_back:
            return
        timer = threading.Timer(seconds, lambda: self._call_back(url, *call()))
        timer.daemon = True
        with self.lock:
            self._timers.append(timer)
        timer.start()

    def _call_back(self, url: str, body: bytes, headers: dict[str, str]) -> None:
        sent_at = time.monotonic()
        parts = urlsplit(url)
        origin = self.callback_origins.get(f"{parts.scheme}://{parts.netloc}")
        target = url if origin is None else urlunsplit(urlsplit(origin)[:2] + parts[2:])
        request = urllib.request.Request(
            target, data=body, headers={"Content-Type": "application/json", **headers}, method="POST"
        )
        status: int | None
        try:
            with urllib.request.urlopen(request, timeout=10) as answer:
                status = answer.status
        except urllib.error.HTTPError as refused:
            status = refused.code
        except OSError:
            status = None
        with self.lock:
            self.callbacks.append(CallBack(url, status, sent_at))

    # ---- dispatch ---------------------------------------------------------------------------

    def _name_of(self, req: Recorded) -> str | None:
        for method, prefix, name, _ in self._routes:
            if req.method == method and req.path.startswith(prefix):
                return name
        return None

    def _next_fault(self, name: str) -> Fault | None:
        with self.lock:
            queue = self._faults.get(name)
            if queue:
                return queue.pop(0)
            rate_fault = self._random_faults.get(name)
            if rate_fault and self._rng.random() < rate_fault[0]:
                return rate_fault[1]
        return None

    def _handle(self, h: BaseHTTPRequestHandler) -> None:
        length = int(h.headers.get("Content-Length") or 0)
        body = h.rfile.read(length) if length else b""
        parsed = urlparse(h.path)
        req = Recorded(
            method=h.command,
            path=parsed.path,
            query=parse_qs(parsed.query),
            headers={k.lower(): v for k, v in h.headers.items()},
            body=body,
        )
        with self.lock:
            self.requests.append(req)
        match = next(
            ((name, handler) for method, prefix, name, handler in self._routes
             if req.method == method and req.path.startswith(prefix)),
            None,
        )  # fmt: skip
        reply = Reply(h)
        if match is None:
            reply.json(404, {"detail": f"no route for {req.method} {req.path}"})
            return
        name, handler = match
        fault = self._next_fault(name)
        if fault is not None:
            if fault.delay:
                time.sleep(fault.delay)
            if fault.drop:
                _cut(h)
                return
            if fault.status is not None:
                reply.json(fault.status, fault.body, fault.headers)
                return
            if fault.lose_answer:
                handler(req, _Swallow(h))  # the work happens; the answer never arrives
                _cut(h)
                return
        handler(req, reply)


class _Swallow(Reply):
    """A Reply that writes nothing: the handler's side effects happen, its answer is lost."""

    def bytes(
        self, status: int, data: bytes, content_type: str, headers: dict[str, str] | None = None
    ) -> None:
        self.sent = True

    def stream(self, status: int, chunks: Iterator[bytes], content_type: str = "text/event-stream") -> None:
        self.sent = True


def _cut(h: BaseHTTPRequestHandler) -> None:
    """Close the connection abruptly (RST), as a crashed proxy or a dropped network would."""
    h.close_connection = True
    try:
        h.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        h.connection.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass


def sse(events: Iterator[dict[str, Any]]) -> Iterator[bytes]:
    """Server-Sent Events framing: `data: <json>\\n\\n` per event."""
    for event in events:
        yield f"data: {json.dumps(event)}\n\n".encode()
