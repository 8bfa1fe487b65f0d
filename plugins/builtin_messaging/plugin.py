"""Hook implementations of the bundled ``messaging`` plugin (entry point ``messaging``)."""

from __future__ import annotations

from typing import Any

from synergy_messaging import __version__  # noqa: F401  (reported as the plugin's version)
from synergy_messaging.events import MESSAGING_EVENT_TYPES
from synergy_messaging.models import MESSAGING_MODELS
from synergy_messaging.permissions import decide
from synergy_messaging.resources import messaging_routes

from synergy import EventType, Migration, Route, hookimpl

PLUGIN_NAME = "messaging"
SYNERGY_KERNEL = ">=0.1,<1"


@hookimpl
def synergy_models() -> list[Any]:
    return list(MESSAGING_MODELS)


def _initial(context: Any) -> None:
    context.create_tables(*MESSAGING_MODELS)


@hookimpl
def synergy_migrations() -> list[Migration]:
    return [Migration("0001_initial", _initial)]


@hookimpl
def synergy_routes(kernel: Any) -> list[Route]:
    return messaging_routes(kernel)


@hookimpl
def synergy_event_types() -> list[EventType]:
    return list(MESSAGING_EVENT_TYPES)


@hookimpl
def synergy_permission(kernel: Any, user: Any, action: str, obj: Any) -> bool | None:
    return decide(kernel, user, action, obj)
