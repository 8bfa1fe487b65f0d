"""The value types plugins hand to the kernel from their hooks.

They are plain dataclasses so that a plugin's contribution can be inspected
(``synergy plugins``, ``GET /api/plugins/``) before anything runs.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from synergy.app import Kernel


@dataclass(frozen=True)
class Route:
    """An HTTP route: ``path`` under ``/api/`` served by a Falcon-style ``resource``.

    Every ``on_<method>`` responder of the resource (with ``suffix`` if given)
    must be decorated with :func:`synergy.http.endpoint`, which declares its
    schemas and whether it is public; the kernel refuses undecorated responders
    so that authentication and the OpenAPI document can never be forgotten.
    """

    path: str
    resource: Any
    suffix: str | None = None


@dataclass(frozen=True)
class Job:
    """A background job.

    ``func(kernel, *args, **kwargs)`` runs in a worker with a database
    connection open; events it records are dispatched when it returns. Pass ids,
    never model instances. ``schedule`` (a ``huey.crontab``) makes it periodic;
    periodic jobs run at most once per scheduled minute however many workers run.
    ``interval`` (seconds) runs it that often instead, for sweeps that must
    notice lost work within seconds: the worker's ticker runs it, once per
    interval however many workers run (see :mod:`synergy.ticker`).
    """

    name: str
    func: Callable[..., Any]
    schedule: Callable[[Any], bool] | None = None
    interval: float | None = None
    retries: int = 0
    retry_delay: int = 0
    description: str = ""


@dataclass(frozen=True)
class Migration:
    """One named, ordered schema step of a plugin, applied inside a transaction.

    ``apply(context)`` receives a :class:`synergy.migrations.MigrationContext`
    (database, a playhouse ``SchemaMigrator`` and helpers). Names are recorded
    per plugin; never rename or reorder a step that has shipped.
    """

    name: str
    apply: Callable[[Any], None]


@dataclass(frozen=True)
class EventType:
    """An entry of the event catalogue: what a subscriber or webhook can receive."""

    name: str
    description: str
    example: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Command:
    """A ``synergy`` CLI subcommand contributed by a plugin.

    ``configure(parser)`` adds arguments; ``run(kernel, args)`` returns an exit code.
    """

    name: str
    help: str
    run: Callable[[Kernel, argparse.Namespace], int | None]
    configure: Callable[[argparse.ArgumentParser], None] | None = None
