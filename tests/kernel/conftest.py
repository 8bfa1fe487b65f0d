"""Kernel-area fixtures: a real SMTP server on loopback, database snapshots, a real
``synergy serve`` (started and supervised), and a raw-socket client that sends bodies framed
exactly as given."""

from __future__ import annotations

import asyncio
import contextlib
import http.client
import io
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import redis
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from synergy.app import Kernel
from synergy.models import (
    AuthSession,
    Event,
    OutgoingMail,
    PasswordResetToken,
    User,
)
from tests.conftest import PASSWORD, TEST_REDIS_URL


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class SmtpHandler:
    """Keeps every message; answers ``reply`` to DATA (a 4xx reply simulates an outage).

    With ``hold`` set, the server does not answer DATA until the test releases it,
    as a slow server would: ``receiving`` is set once a message is waiting.
    """

    reply: str = "250 Message accepted for delivery"
    messages: list[Any] = field(default_factory=list)
    attempts: int = 0
    hold: threading.Event | None = None
    receiving: threading.Event = field(default_factory=threading.Event)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.attempts += 1
        self.receiving.set()
        if self.hold is not None:
            await asyncio.get_running_loop().run_in_executor(None, self.hold.wait, 20)
        if self.reply.startswith("250"):
            self.messages.append(envelope)
        return self.reply


@dataclass
class _Authenticator:
    """Accepts exactly one login/password pair (AUTH PLAIN or LOGIN)."""

    login: str
    password: str

    def __call__(self, server: Any, session: Any, envelope: Any, mechanism: str,
                 auth_data: Any) -> AuthResult:
        accepted = (isinstance(auth_data, LoginPassword)
                    and auth_data.login.decode() == self.login
                    and auth_data.password.decode() == self.password)
        return AuthResult(success=accepted)


@dataclass
class SmtpServer:
    handler: SmtpHandler
    port: int

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"


@pytest.fixture
def smtp_server() -> Iterator[Callable[..., SmtpServer]]:
    """Start aiosmtpd servers on free loopback ports; ``smtp_server(reply=...)``."""
    controllers: list[Controller] = []

    def start(reply: str = "250 Message accepted for delivery",
              credentials: tuple[str, str] | None = None) -> SmtpServer:
        handler = SmtpHandler(reply=reply)
        port = free_port()
        auth: dict[str, Any] = {}
        if credentials is not None:
            auth = {"authenticator": _Authenticator(*credentials), "auth_required": True,
                    "auth_require_tls": False}
        controller = Controller(handler, hostname="127.0.0.1", port=port, **auth)
        controller.start()
        controllers.append(controller)
        return SmtpServer(handler, port)

    yield start
    for controller in controllers:
        controller.stop()


@dataclass
class RedisServer:
    """A real ``redis-server`` of the test's own on a free port, to stop and start again."""

    port: int
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        client = redis.Redis(port=self.port, socket_connect_timeout=0.5)
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.02)
            finally:
                client.close()

    def kill(self) -> None:
        """Stop it the hard way, as a crash or a lost host would."""
        if self.process is not None:
            self.process.kill()
            self.process.wait(10)
            self.process = None


@pytest.fixture
def redis_server() -> Iterator[RedisServer]:
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed")
    server = RedisServer(free_port())
    server.start()
    yield server
    server.kill()


def unique_queue_name() -> str:
    return f"synergy-test-{uuid.uuid4().hex[:10]}"


def row_counts(kernel: Kernel) -> dict[str, int]:
    """How many rows each kernel table holds that a request could write to."""
    with kernel.connection():
        return {model.__name__: model.select().count()
                for model in (User, AuthSession, PasswordResetToken, Event, OutgoingMail)}


@dataclass
class Served:
    """A ``synergy serve`` process and the port it answers on."""

    process: subprocess.Popen[str]
    port: int
    log: list[str] = field(default_factory=list)

    def health(self, timeout: float = 5) -> tuple[int, dict[str, Any]]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            connection.request("GET", "/api/auth/health/")
            response = connection.getresponse()
            return response.status, json.loads(response.read())
        finally:
            connection.close()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def serve_environment(data: Path, database_url: str | None, **settings: str) -> dict[str, str]:
    """The test process's environment without its SYNERGY_* names, on this run's backends.

    ``database_url`` is the session's PostgreSQL database (None: SQLite in ``data``); Redis
    carries the queue when the run has one, under a queue name of this server's own.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith("SYNERGY_")}
    env.update({"SYNERGY_DATA_DIR": str(data), "SYNERGY_PASSWORD_HASHING": "fast",
                "SYNERGY_QUEUE_NAME": f"serve-{uuid.uuid4().hex[:8]}"})
    if database_url:
        env["SYNERGY_DATABASE_URL"] = database_url
    if TEST_REDIS_URL:
        env["SYNERGY_REDIS_URL"] = TEST_REDIS_URL
    env.update(settings)
    return env


def start_serve(args: list[str], env: dict[str, str], cwd: Path,
                command: list[str] | None = None) -> Served:
    """Run ``synergy serve ARGS`` on a free port and wait until it answers its health check."""
    port = free_port()
    process = subprocess.Popen(
        [*(command or [sys.executable, "-m", "synergy"]), "serve", "--host", "127.0.0.1",
         "--port", str(port), *args],
        env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    served = Served(process, port)
    threading.Thread(target=lambda: served.log.extend(process.stdout), daemon=True).start()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        try:
            served.health(timeout=2)
            return served
        except OSError:
            time.sleep(0.2)
    served.stop()
    pytest.fail("synergy serve did not start:\n" + "".join(served.log))


REPO = Path(__file__).resolve().parents[2]


@contextlib.contextmanager
def running_server(data_dir: Path, *, workers: int = 1, **settings: str) -> Iterator[int]:
    """``synergy serve`` (gunicorn, SQLite in ``data_dir``, jobs inline, no job worker) on a free
    loopback port; yields the port. ``settings`` are extra ``SYNERGY_*`` variables; rate limits
    are off unless they turn them on."""
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("SYNERGY_")},
           "SYNERGY_DATA_DIR": str(data_dir), "SYNERGY_QUEUE_IMMEDIATE": "true",
           "SYNERGY_PASSWORD_HASHING": "fast", "SYNERGY_SECURITY_RATE_LIMITS": "false",
           "PYTHONPATH": str(REPO), **settings}
    served = start_serve(["--workers", str(workers), "--no-worker"], env, data_dir.parent)
    try:
        yield served.port
    finally:
        served.stop()


def server_call(port: int, method: str, path: str, body: Any = None,
                token: str | None = None) -> tuple[int, bytes]:
    """One JSON request to a running server; the status and the raw answer."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    connection.request(method, path, body=json.dumps(body) if body is not None else None,
                       headers=headers)
    response = connection.getresponse()
    return response.status, response.read()


def server_scene(port: int, project_name: str, task_title: str) -> dict[str, Any]:
    """ada (registered over HTTP) with a project and a task: ``{"token", "task"}``."""
    status, answer = server_call(port, "POST", "/api/auth/register/", {
        "username": "ada", "email": "ada@example.com", "password": PASSWORD})
    assert status == 201, answer
    token = json.loads(answer)["access"]
    status, project = server_call(port, "POST", "/api/projects/", {"name": project_name}, token)
    assert status == 201, project
    status, task = server_call(port, "POST", "/api/tasks/", {
        "project": json.loads(project)["id"], "title": task_title}, token)
    assert status == 201, task
    return {"token": token, "task": json.loads(task)["id"]}


@dataclass
class RawResponse:
    status: int
    headers: Any
    body: Any


class _Received:
    def __init__(self, data: bytes) -> None:
        self.data = data

    def makefile(self, *args: Any, **kwargs: Any) -> io.BytesIO:
        return io.BytesIO(self.data)


def raw_exchange(port: int, head: bytes, parts: list[bytes], *,
                 close_write: bool = False) -> RawResponse:
    """Send bytes exactly as given (framing included) and read the answer to its end.

    The body is sent from a thread while the answer is read, so a server that
    answers early (413) and closes is seen answering, not as a broken pipe.
    ``close_write`` half-closes the connection after the last part: a body cut short.
    """
    sock = socket.create_connection(("127.0.0.1", port), timeout=20)

    def send() -> None:
        try:
            sock.sendall(head)
            for part in parts:
                sock.sendall(part)
            if close_write:
                sock.shutdown(socket.SHUT_WR)
        except OSError:
            pass

    sender = threading.Thread(target=send, daemon=True)
    sender.start()
    received = b""
    try:
        while chunk := sock.recv(65536):
            received += chunk
    except ConnectionResetError:
        pass
    finally:
        sender.join(timeout=20)
        sock.close()
    response = http.client.HTTPResponse(_Received(received))  # type: ignore[arg-type]
    response.begin()
    body = response.read()
    return RawResponse(response.status, response.headers, json.loads(body) if body else None)


def chunked(data: bytes, size: int) -> list[bytes]:
    """``data`` in correct chunked framing, ``size`` bytes a chunk, with the last chunk."""
    return [f"{len(data[i:i + size]):x}\r\n".encode() + data[i:i + size] + b"\r\n"
            for i in range(0, len(data), size)] + [b"0\r\n\r\n"]
