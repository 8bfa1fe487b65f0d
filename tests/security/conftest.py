"""Fixtures for the security plugin: apps with the plugin loaded, log readers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import synergy_security.plugin as security_plugin
from synergy_security.models import SecurityEvent

from synergy.app import Kernel
from tests.conftest import Api


@pytest.fixture
def make_secure_app(make_app: Callable[..., Kernel]) -> Callable[..., Kernel]:
    """An app with exactly the kernel and the security plugin."""

    def build(*extra_plugins: Any, **overrides: Any) -> Kernel:
        return make_app([security_plugin, *extra_plugins], **overrides)

    return build


@pytest.fixture
def secure_app(make_secure_app: Callable[..., Kernel]) -> Kernel:
    return make_secure_app()


@pytest.fixture
def sapi(secure_app: Kernel) -> Api:
    return Api(secure_app)


def security_events(kernel: Kernel, event_type: str | None = None) -> list[SecurityEvent]:
    with kernel.connection():
        query = SecurityEvent.select().order_by(SecurityEvent.id)
        if event_type is not None:
            query = query.where(SecurityEvent.event_type == event_type)
        return list(query)


def login(api: Api, username: str, password: str, ip: str = "127.0.0.1",
          **kwargs: Any) -> Any:
    return api.post("/api/auth/login/", {"username": username, "password": password},
                    remote_addr=ip, **kwargs)
