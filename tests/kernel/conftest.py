"""Kernel-area fixtures: a real SMTP server on loopback and database snapshots."""

from __future__ import annotations

import asyncio
import shutil
import socket
import subprocess
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
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
