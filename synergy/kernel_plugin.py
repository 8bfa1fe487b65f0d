"""The kernel's own contributions, made through the same hooks as any plugin.

Registered first under the name ``kernel``: its routes, models, migrations,
jobs and event types appear in introspection like everybody else's, and its
permission rules run last so plugins can override them.
"""

from __future__ import annotations

from typing import Any

import peewee
from synergy_hookspecs import hookimpl

from synergy import __version__  # noqa: F401  (reported as the plugin's version)
from synergy.auth.resources import auth_routes
from synergy.contributions import EventType, Job, Migration
from synergy.default_permissions import synergy_permission  # noqa: F401  (hook implementation)
from synergy.event_catalogue import KERNEL_EVENT_TYPES
from synergy.leases import SWEEP_EVERY
from synergy.migrations import MigrationContext
from synergy.models import KERNEL_MODELS, EmailChangeRequest
from synergy.projects.progress import recount_every_project
from synergy.projects.resources import project_routes
from synergy.system.resources import system_routes

PLUGIN_NAME = "kernel"


@hookimpl
def synergy_models() -> list[Any]:
    return list(KERNEL_MODELS)


def _initial(context: MigrationContext) -> None:
    context.create_tables(*KERNEL_MODELS)


def _progress_index(context: MigrationContext) -> None:
    """Progress is recomputed from this index alone, without reading task rows."""
    context.db.execute_sql('DROP INDEX IF EXISTS "task_project_id_status"')
    context.db.execute_sql('CREATE INDEX IF NOT EXISTS "task_project_id_status_impact" '
                           'ON "task" ("project_id", "status", "impact")')


def _board_index(context: MigrationContext) -> None:
    """A project's tasks, newest first, read off the index instead of sorted per request."""
    context.db.execute_sql('CREATE INDEX IF NOT EXISTS "task_project_id_created_at_id" '
                           'ON "task" ("project_id", "created_at", "id")')


def _project_task_totals(context: MigrationContext) -> None:
    """Totals that let a new task update progress without recounting the project."""
    present = {column.name for column in context.db.get_columns("project")}
    columns = {"task_count": peewee.IntegerField, "done_count": peewee.IntegerField,
               "impact_hundredths": peewee.BigIntegerField,
               "done_impact_hundredths": peewee.BigIntegerField}
    context.run(*(context.migrator.add_column("project", name, field(default=0))
                  for name, field in columns.items() if name not in present))
    recount_every_project()


RESET_MAIL_SUBJECT = "Reset your SynergyOS password"


def _sensitive_mail(context: MigrationContext) -> None:
    """Mark reset mails sensitive and erase the bodies of those already sent or given up.

    Before this step every body stayed in the table, reset tokens included. The
    only kernel mail carrying a token is the password reset, recognised by its
    subject; other bodies (notifications, webhook notices) hold no secret and
    are kept.
    """
    present = {column.name for column in context.db.get_columns("outgoing_mail")}
    if "sensitive" not in present:
        context.run(context.migrator.add_column("outgoing_mail", "sensitive",
                                                peewee.BooleanField(default=False)))
    param = context.db.param
    context.db.execute_sql(f'UPDATE "outgoing_mail" SET "sensitive" = {param} '
                           f'WHERE "subject" = {param}', (True, RESET_MAIL_SUBJECT))
    context.db.execute_sql(f'UPDATE "outgoing_mail" SET "text" = {param}, "html" = NULL '
                           f'WHERE "sensitive" = {param} AND ("sent_at" IS NOT NULL '
                           f'OR "gave_up_at" IS NOT NULL)', ("", True))


def _email_change_requests(context: MigrationContext) -> None:
    """Pending e-mail changes, confirmed from the new address (a new database has it already)."""
    if EmailChangeRequest._meta.table_name not in context.db.get_tables():
        context.create_tables(EmailChangeRequest)


@hookimpl
def synergy_migrations() -> list[Migration]:
    return [Migration("0001_initial", _initial),
            Migration("0002_task_progress_index", _progress_index),
            Migration("0003_task_board_index", _board_index),
            Migration("0004_project_task_totals", _project_task_totals),
            Migration("0005_sensitive_mail", _sensitive_mail),
            Migration("0006_email_change_requests", _email_change_requests)]


@hookimpl
def synergy_routes(kernel: Any) -> list[Any]:
    return auth_routes(kernel) + system_routes(kernel) + project_routes(kernel)


@hookimpl
def synergy_event_types() -> list[EventType]:
    return list(KERNEL_EVENT_TYPES)


def _dispatch_event(kernel: Any, event_id: int) -> None:
    kernel.events.dispatch(event_id)


def _sweep_events(kernel: Any) -> None:
    kernel.events.sweep()


def _send_mail(kernel: Any, mail_id: int) -> None:
    kernel.mail.deliver(mail_id)


def _sweep_mail(kernel: Any) -> None:
    kernel.mail.sweep()


@hookimpl
def synergy_jobs() -> list[Job]:
    return [
        Job("dispatch_event", _dispatch_event,
            description="Hand one committed event to every synergy_on_event subscriber."),
        Job("sweep_events", _sweep_events, interval=SWEEP_EVERY,
            description="Re-dispatch events whose dispatch was lost or failed."),
        Job("send_mail", _send_mail, description="Send one outbox message."),
        Job("sweep_mail", _sweep_mail, interval=SWEEP_EVERY,
            description="Retry outbox messages that were not sent."),
    ]
