"""``/api/timesheets/entries/``: list your own entries, log time on a task.

Every responder is declared with :func:`synergy.http.endpoint` (auth, input
validation, OpenAPI) and every object is checked through
``kernel.permissions``, so the kernel's rules — and any plugin that changes
them — apply here too.
"""

from __future__ import annotations

from typing import Any

import falcon

from synergy import Route
from synergy.errors import NotFound, ValidationError
from synergy.http import endpoint, iso, paginate
from synergy.models import Task
from synergy.schema import Date, Integer, Nested, Schema, String
from synergy_timesheets.models import TimeEntry

LOG_TIME = "timesheets.log_time"
LOGGED_EVENT = "timesheets.entry_logged"


class TaskRef(Schema):
    id = Integer(read_only=True)
    title = String(read_only=True)


class EntryIn(Schema):
    """Time spent on a task; the limit per entry is SYNERGY_TIMESHEETS_MAX_MINUTES."""

    task = Integer(minimum=1, description="A task you may log time on (owner or assignee).")
    minutes = Integer(minimum=1)
    spent_on = Date()
    note = String(required=False, default="", max_length=500)


class EntryOut(Schema):
    id = Integer(read_only=True)
    task = Nested(TaskRef, read_only=True)
    minutes = Integer(read_only=True)
    spent_on = String(read_only=True)
    note = String(read_only=True)
    created_at = String(read_only=True)


class EntryQuery(Schema):
    task = Integer(required=False, minimum=1, description="Only entries of this task.")


def render(entry: TimeEntry) -> dict[str, Any]:
    return {"id": entry.id, "task": {"id": entry.task.id, "title": entry.task.title},
            "minutes": entry.minutes, "spent_on": entry.spent_on.isoformat(),
            "note": entry.note, "created_at": iso(entry.created_at)}


class Entries:
    def __init__(self, kernel: Any) -> None:
        self.kernel = kernel

    @endpoint("Your time entries, newest day first", query=EntryQuery, response=EntryOut,
              many=True, tags=("timesheets",), errors=(404,))
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        user = req.context.user
        query = (TimeEntry.select(TimeEntry, Task).join(Task)
                 .where(TimeEntry.user == user.id)
                 .order_by(TimeEntry.spent_on.desc(), TimeEntry.id.desc()))
        task_id = req.context.query.get("task")
        if task_id is not None:
            self._visible_task(task_id, req)
            query = query.where(TimeEntry.task == task_id)
        resp.media = paginate(req, query, lambda page: [render(entry) for entry in page])

    @endpoint("Log time on a task", body=EntryIn, response=EntryOut, status=201,
              tags=("timesheets",), errors=(403, 404))
    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        user, body = req.context.user, req.context.body
        limit = self.kernel.settings.timesheets_max_minutes
        if body["minutes"] > limit:
            raise ValidationError.for_field("minutes", f"Log at most {limit} minutes per entry.")
        task = self._visible_task(body["task"], req)
        self.kernel.permissions.require(user, LOG_TIME, task, req)
        with self.kernel.db.atomic():
            entry = TimeEntry.create(user=user.id, task=task, minutes=body["minutes"],
                                     spent_on=body["spent_on"], note=body["note"])
            self.kernel.events.record(
                LOGGED_EVENT, actor=user, project=task.project_id,
                description=f"{user.username} logged {entry.minutes} minutes on {task.title}",
                payload={"entry": {"id": entry.id, "minutes": entry.minutes,
                                   "spent_on": entry.spent_on.isoformat()},
                         "task": {"id": task.id, "title": task.title},
                         "user": {"id": user.id, "username": user.username}})
            self.kernel.jobs.enqueue_after_commit("timesheets.recount_task", task.id)
        resp.media = render(entry)

    def _visible_task(self, task_id: int, req: falcon.Request) -> Task:
        """The task, or 404 whether it is missing or merely hidden from the caller."""
        task = Task.get_or_none(Task.id == task_id)
        if task is None:
            raise NotFound("No such task.")
        self.kernel.permissions.require(req.context.user, "task.view", task, req, hide=True)
        return task


def routes(kernel: Any) -> list[Route]:
    return [Route("/api/timesheets/entries", Entries(kernel))]
