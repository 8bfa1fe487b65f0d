"""A plugin implementing every hook spec, so each one is proven callable end to end.

State that must outlive a database (start-up and shutdown happen outside
migrations) goes to :data:`CALLS`, keyed by the kernel's id; everything else
goes to the plugin's own tables.
"""

from __future__ import annotations

from typing import Any

import falcon
import peewee
from huey import crontab
from synergy_hookspecs import hookimpl

from synergy import Command, EventType, Job, Migration, Route, Setting
from synergy.http import endpoint, iso
from synergy.models import BaseModel, Task, utcnow
from synergy.schema import Integer, Schema, String

SYNERGY_KERNEL = ">=0.1,<1"
CALLS: list[tuple[str, int]] = []


class Stopwatch(BaseModel):
    task = peewee.ForeignKeyField(Task, null=True, on_delete="CASCADE")
    label = peewee.CharField(max_length=50)
    started_at = peewee.DateTimeField(default=utcnow)
    # Added by the second migration, through the playhouse migrator.
    note = peewee.TextField(null=True, index=True)

    class Meta:
        table_name = "every_hook_stopwatch"
        indexes = ((("task", "label"), True),)


class HookRecord(BaseModel):
    kind = peewee.CharField(max_length=30)
    value = peewee.CharField(max_length=200)

    class Meta:
        table_name = "every_hook_record"


class UserBrief(Schema):
    """Deliberately named like a kernel schema: OpenAPI must keep both."""

    label = String(max_length=50)
    id = Integer(read_only=True)
    started_at = String(read_only=True)


class Stopwatches:
    def __init__(self, kernel: Any) -> None:
        self.kernel = kernel

    @endpoint("List stopwatches", response=UserBrief, tags=("every_hook",))
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.media = [{"id": row.id, "label": row.label, "started_at": iso(row.started_at)}
                      for row in Stopwatch.select().order_by(Stopwatch.id)]

    @endpoint("Start a stopwatch", body=UserBrief, response=UserBrief, status=201,
              tags=("every_hook",), errors=(403,))
    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        self.kernel.permissions.require(req.context.user, "every_hook.start", None, req)
        row = Stopwatch.create(label=req.context.body["label"])
        self.kernel.events.record("every_hook.started", payload={"label": row.label},
                                  actor=req.context.user)
        resp.media = {"id": row.id, "label": row.label, "started_at": iso(row.started_at)}


class HeaderMiddleware:
    def __init__(self, greeting: str) -> None:
        self.greeting = greeting

    def process_response(self, req: falcon.Request, resp: falcon.Response, resource: Any,
                         req_succeeded: bool) -> None:
        resp.set_header("X-Every-Hook", self.greeting)


class _StopwatchAtFirstRelease(BaseModel):
    """The table as 0001 created it: migrations never use the current model."""

    task = peewee.ForeignKeyField(Task, null=True, on_delete="CASCADE")
    label = peewee.CharField(max_length=50)
    started_at = peewee.DateTimeField(default=utcnow)

    class Meta:
        table_name = "every_hook_stopwatch"
        indexes = ((("task", "label"), True),)


def _create(context: Any) -> None:
    context.create_tables(_StopwatchAtFirstRelease, HookRecord)


def _add_note(context: Any) -> None:
    context.run(context.migrator.add_column("every_hook_stopwatch", "note",
                                            peewee.TextField(null=True)),
                context.migrator.add_index("every_hook_stopwatch", ("note",), False))


def _record(kernel: Any, kind: str, value: str) -> None:
    HookRecord.create(kind=kind, value=value)


def _tick(kernel: Any) -> None:
    HookRecord.create(kind="tick", value=kernel.settings.every_hook_greeting)


def _ping_command(kernel: Any, args: Any) -> int:
    print(f"{kernel.settings.every_hook_greeting} {args.target}")
    return 3 if args.target == "fail" else 0


def _configure_ping(parser: Any) -> None:
    parser.add_argument("target")


@hookimpl
def synergy_settings() -> list[Setting]:
    return [Setting("SYNERGY_EVERY_HOOK_GREETING", default="hello",
                    help="Greeting the test plugin uses in its header, job and command.")]


@hookimpl
def synergy_models() -> list[Any]:
    return [Stopwatch, HookRecord]


@hookimpl
def synergy_migrations() -> list[Migration]:
    return [Migration("0001_create", _create), Migration("0002_note", _add_note)]


@hookimpl
def synergy_routes(kernel: Any) -> list[Route]:
    return [Route("/api/every-hook/stopwatches", Stopwatches(kernel))]


@hookimpl
def synergy_middleware(kernel: Any) -> list[Any]:
    return [HeaderMiddleware(kernel.settings.every_hook_greeting)]


@hookimpl
def synergy_jobs(kernel: Any) -> list[Job]:
    return [Job("record", _record, description="Write one hook record."),
            Job("tick", _tick, schedule=crontab(minute="*/5"), description="Periodic tick.")]


@hookimpl
def synergy_event_types() -> list[EventType]:
    return [EventType("every_hook.started", "A stopwatch was started.", {"label": "tea"})]


@hookimpl
def synergy_on_event(kernel: Any, event: Any) -> None:
    HookRecord.create(kind="event", value=event.type)


@hookimpl
def synergy_permission(user: Any, action: str) -> bool | None:
    if action != "every_hook.start":
        return None
    return user is not None and user.username.startswith("ok")


@hookimpl
def synergy_password_checked(user: Any, succeeded: bool, purpose: str) -> None:
    HookRecord.create(kind="password", value=f"{user.username} {purpose} {succeeded}")


@hookimpl
def synergy_extend_resource(kind: str, objects: list[Any]) -> dict[Any, dict[str, Any]]:
    return {obj.id: {"every_hook_kind": kind} for obj in objects}


@hookimpl
def synergy_cli() -> list[Command]:
    return [Command("every-hook-ping", "Print the greeting", _ping_command, _configure_ping)]


@hookimpl
def synergy_startup(kernel: Any) -> None:
    CALLS.append(("startup", id(kernel)))


@hookimpl
def synergy_shutdown(kernel: Any) -> None:
    CALLS.append(("shutdown", id(kernel)))
