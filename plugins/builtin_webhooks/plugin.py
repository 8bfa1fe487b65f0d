"""Hook implementations of the bundled webhooks plugin (nothing else lives here)."""

from __future__ import annotations

from typing import Any

from synergy_webhooks import config, delivery, fanout
from synergy_webhooks.catalogue import EVENT_TYPES
from synergy_webhooks.migrations import MIGRATIONS
from synergy_webhooks.models import MODELS
from synergy_webhooks.resources import webhook_routes
from synergy_webhooks.runtime import close_runtime

from synergy import EventType, Job, Migration, Route, Setting, __version__, hookimpl
from synergy.leases import SWEEP_EVERY

PLUGIN_NAME = "webhooks"
SYNERGY_KERNEL = ">=0.1,<1"
__all__ = ["__version__"]


@hookimpl
def synergy_settings() -> list[Setting]:
    return list(config.SETTINGS)


@hookimpl
def synergy_models() -> list[Any]:
    return list(MODELS)


@hookimpl
def synergy_migrations() -> list[Migration]:
    return list(MIGRATIONS)


@hookimpl
def synergy_event_types() -> list[EventType]:
    return list(EVENT_TYPES)


@hookimpl
def synergy_routes(kernel: Any) -> list[Route]:
    return webhook_routes(kernel)


@hookimpl
def synergy_jobs(kernel: Any) -> list[Job]:
    # Parsing the configuration before any job exists makes a bad value stop start-up,
    # naming the setting, in web and worker processes alike.
    config.config_of(kernel)
    return [
        Job("deliver", delivery.deliver,
            description="Send due webhook deliveries concurrently and record each attempt."),
        Job("sweep", delivery.sweep, interval=SWEEP_EVERY,
            description="Re-enqueue webhook deliveries whose job was lost or whose retry "
                        "is due."),
    ]


@hookimpl
def synergy_on_event(kernel: Any, event: Any) -> None:
    fanout.fan_out(kernel, event)


@hookimpl
def synergy_shutdown(kernel: Any) -> None:
    close_runtime(kernel)
