"""Hook implementations of the bundled ``notifications`` plugin (entry point ``notifications``)."""

from __future__ import annotations

from typing import Any

from huey import crontab
from synergy_notifications import __version__  # noqa: F401  (reported as the plugin's version)
from synergy_notifications.fanout import deliver
from synergy_notifications.models import NOTIFICATION_MODELS
from synergy_notifications.periodic import (
    notify_deadlines,
    notify_overdue,
    purge_read,
    send_digests,
)
from synergy_notifications.resources import notification_routes
from synergy_notifications.subscribers import drafts_for

from synergy import Job, Migration, Route, Setting, hookimpl

PLUGIN_NAME = "notifications"
SYNERGY_KERNEL = ">=0.1,<1"


@hookimpl
def synergy_settings() -> list[Setting]:
    return [
        Setting("SYNERGY_NOTIFICATIONS_RETENTION_DAYS", type="int", default=90, minimum=1,
                help="Read notifications older than this many days are deleted."),
        Setting("SYNERGY_NOTIFICATIONS_DEADLINE_HOURS", type="int", default=24, minimum=1,
                help="Warn assignees when a task's due date ends within this many hours."),
    ]


@hookimpl
def synergy_models() -> list[Any]:
    return list(NOTIFICATION_MODELS)


def _initial(context: Any) -> None:
    context.create_tables(*NOTIFICATION_MODELS)


@hookimpl
def synergy_migrations() -> list[Migration]:
    return [Migration("0001_initial", _initial)]


@hookimpl
def synergy_routes(kernel: Any) -> list[Route]:
    return notification_routes(kernel)


@hookimpl
def synergy_on_event(kernel: Any, event: Any) -> None:
    deliver(kernel, drafts_for(event))


def _daily_digest(kernel: Any) -> int:
    return send_digests(kernel, "daily")


def _weekly_digest(kernel: Any) -> int:
    return send_digests(kernel, "weekly")


@hookimpl
def synergy_jobs() -> list[Job]:
    return [
        Job("notify_deadlines", notify_deadlines, schedule=crontab(minute="5"),
            description="Hourly: warn assignees of tasks due within the deadline window."),
        Job("notify_overdue", notify_overdue, schedule=crontab(minute="15", hour="6"),
            description="Daily: tell assignees once that their task is overdue."),
        Job("daily_digest", _daily_digest, schedule=crontab(minute="0", hour="7"),
            description="Daily: mail unread notifications to users on the daily digest."),
        Job("weekly_digest", _weekly_digest,
            schedule=crontab(minute="0", hour="7", day_of_week="1"),
            description="Mondays: mail unread notifications to users on the weekly digest."),
        Job("purge_read", purge_read, schedule=crontab(minute="30", hour="3"),
            description="Daily: delete read notifications past the retention period."),
    ]
