"""Plugins used only by the kernel tests: event subscribers and routes that misbehave."""

from __future__ import annotations

from typing import Any

import falcon
import peewee
from synergy_hookspecs import hookimpl

from synergy import EventType, Route
from synergy.http import endpoint


class Subscriber:
    """An ``on_event`` subscriber that records what it receives.

    ``failures`` makes the first N calls raise (``-1``: every call), the way a
    subscriber whose backing service is down would.
    """

    def __init__(self, name: str, failures: int = 0) -> None:
        self.PLUGIN_NAME = name
        self.failures = failures
        self.calls = 0
        self.received: list[tuple[int, str, dict[str, Any]]] = []

    @hookimpl
    def synergy_on_event(self, kernel: Any, event: Any) -> None:
        self.calls += 1
        if self.failures < 0 or self.calls <= self.failures:
            raise RuntimeError(f"{self.PLUGIN_NAME} is down")
        self.received.append((event.id, event.type, dict(event.payload)))

    def types(self) -> list[str]:
        return [event_type for _, event_type, _ in self.received]


class _Boom:
    @endpoint("Raise an unexpected exception", public=True)
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        raise RuntimeError("kaboom: secret internal detail")


class _DatabaseLost:
    @endpoint("Fail the way a dropped database connection fails", public=True)
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        raise peewee.OperationalError("server closed the connection unexpectedly")


class _HalfWrite:
    def __init__(self, kernel: Any) -> None:
        self.kernel = kernel

    @endpoint("Record an event, then crash inside the same transaction", public=True)
    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        with self.kernel.db.atomic():
            self.kernel.events.record("probe.happened", payload={"step": 1})
            raise RuntimeError("crash mid-transaction")


class Misbehaving:
    """Routes that fail in the ways the HTTP layer must contain."""

    PLUGIN_NAME = "misbehaving"

    @hookimpl
    def synergy_routes(self, kernel: Any) -> list[Route]:
        return [Route("/api/probe/boom", _Boom()),
                Route("/api/probe/half-write", _HalfWrite(kernel)),
                Route("/api/probe/database-lost", _DatabaseLost())]

    @hookimpl
    def synergy_event_types(self) -> list[EventType]:
        return [EventType("probe.happened", "Test-only event.", {"step": 1})]
