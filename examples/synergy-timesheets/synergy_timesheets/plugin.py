"""The hook implementations: everything the kernel learns about this plugin comes from here.

Registered by the entry point ``timesheets = synergy_timesheets.plugin`` in
the ``synergy.plugins`` group; the entry-point name is the plugin name, so
settings are ``SYNERGY_TIMESHEETS_*`` and jobs ``timesheets.*``.
"""

from __future__ import annotations

from typing import Any

from huey import crontab

from synergy import Command, EventType, Job, Migration, Route, Setting, hookimpl
from synergy_timesheets import __version__  # noqa: F401  (shown by `synergy plugins`)
from synergy_timesheets.cli import REPORT
from synergy_timesheets.models import MIGRATIONS, MODELS, TaskTime
from synergy_timesheets.resources import LOG_TIME, LOGGED_EVENT, routes
from synergy_timesheets.totals import minutes_logged, recount_all, recount_task

SYNERGY_KERNEL = ">=0.1,<1"
# The same name as the entry point, so an explicit create_app(plugins=[...]) agrees.
PLUGIN_NAME = "timesheets"


@hookimpl
def synergy_settings() -> list[Setting]:
    return [Setting("SYNERGY_TIMESHEETS_MAX_MINUTES", type="int", default=720, minimum=1,
                    help="Longest time one timesheet entry may record, in minutes.")]


@hookimpl
def synergy_models() -> list[Any]:
    return list(MODELS)


@hookimpl
def synergy_migrations() -> list[Migration]:
    return list(MIGRATIONS)


@hookimpl
def synergy_routes(kernel: Any) -> list[Route]:
    return routes(kernel)


@hookimpl
def synergy_event_types() -> list[EventType]:
    return [EventType(LOGGED_EVENT, "Someone logged time on a task.",
                      {"entry": {"id": 1, "minutes": 90, "spent_on": "2026-01-05"},
                       "task": {"id": 7, "title": "Write the report"},
                       "user": {"id": 3, "username": "ada"}})]


def _recount_task(kernel: Any, task_id: int) -> None:
    recount_task(task_id)


def _recount_all(kernel: Any) -> None:
    recount_all()


@hookimpl
def synergy_jobs() -> list[Job]:
    return [
        Job("recount_task", _recount_task, retries=3, retry_delay=10,
            description="Update one task's total after time was logged."),
        Job("recount_all", _recount_all, schedule=crontab(minute="30", hour="3"),
            description="Nightly: recount every total, repairing any lost update."),
    ]


@hookimpl
def synergy_cli() -> list[Command]:
    return [REPORT]


@hookimpl
def synergy_permission(kernel: Any, user: Any, action: str, obj: Any,
                       request: Any) -> bool | None:
    """Time may be logged by whoever may change the task's status: owner or assignees."""
    if action != LOG_TIME:
        return None
    return kernel.permissions.allowed(user, "task.change_status", obj, request)


@hookimpl
def synergy_on_event(kernel: Any, event: Any) -> None:
    """Freeze the time a task took when it is completed (idempotent: safe to redeliver)."""
    if event.type != "task.completed":
        return
    task_id = event.payload["task"]["id"]
    recount_task(task_id)
    total, _ = minutes_logged(task_id)
    (TaskTime.update(completed_at=event.occurred_at, minutes_at_completion=total)
     .where(TaskTime.task == task_id).execute())
