"""Real HTTP receivers on 127.0.0.1 for webhook tests, scripted request by request."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Behaviour = Callable[[BaseHTTPRequestHandler], None]


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    at: float


def respond(status: int = 200, body: bytes = b"ok", headers: dict[str, str] | None = None,
            delay: float = 0.0) -> Behaviour:
    def behave(handler: BaseHTTPRequestHandler) -> None:
        if delay:
            time.sleep(delay)
        handler.send_response(status)
        for name, value in (headers or {}).items():
            handler.send_header(name, value)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    return behave


def hang_up() -> Behaviour:
    """Read the request, then close the connection without any answer."""

    def behave(handler: BaseHTTPRequestHandler) -> None:
        handler.close_connection = True

    return behave


def huge(size: int) -> Behaviour:
    def behave(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Length", str(size))
        handler.end_headers()
        chunk = b"x" * 65536
        sent = 0
        try:
            while sent < size:
                handler.wfile.write(chunk[:size - sent])
                sent += len(chunk)
        except (BrokenPipeError, ConnectionResetError):
            return

    return behave


def block_until(event: threading.Event, then: Behaviour) -> Behaviour:
    def behave(handler: BaseHTTPRequestHandler) -> None:
        event.wait(60)
        try:
            then(handler)
        except (BrokenPipeError, ConnectionResetError):
            return

    return behave


class Receiver:
    """A ThreadingHTTPServer in a thread; ``script`` answers requests in order, then ``default``."""

    def __init__(self) -> None:
        self.requests: list[Received] = []
        self.script: list[Behaviour] = []
        self.default: Behaviour = respond(200)
        self._lock = threading.Lock()
        self._arrived = threading.Condition(self._lock)
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server naming)
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                with receiver._arrived:
                    receiver.requests.append(Received(self.path, dict(self.headers.items()),
                                                      body, time.monotonic()))
                    behaviour = receiver.script.pop(0) if receiver.script else receiver.default
                    receiver._arrived.notify_all()
                behaviour(self)

            def log_message(self, format: str, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,),
                                       daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def wait_for(self, count: int, timeout: float = 10.0) -> list[Received]:
        deadline = time.monotonic() + timeout
        with self._arrived:
            while len(self.requests) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"expected {count} requests, got {len(self.requests)}")
                self._arrived.wait(left)
            return list(self.requests)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
