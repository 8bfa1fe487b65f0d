"""Changing many tasks at once: all or nothing, with the same rules as one task at a time.

Every task must be visible (else 404 naming none of them) and changeable by
the caller (else 403); then one transaction updates them, recomputes the
progress of each project touched once, and records the same events a
one-by-one change would. Reads are batched: the cost does not grow with the
number of tasks except for one UPDATE per task.
"""

from __future__ import annotations

from typing import Any

from synergy.errors import NotFound
from synergy.models import Task, User, utcnow
from synergy.projects import activity
from synergy.projects.changes import collect_changes
from synergy.projects.progress import recompute_progress
from synergy.projects.representation import render_tasks, task_select
from synergy.projects.tasks import PROGRESS_FIELDS, require_change


def _visible_tasks(kernel: Any, actor: User, task_ids: list[int], request: Any) -> list[Task]:
    found = {task.id: task for task in task_select().where(Task.id.in_(task_ids))}
    hidden = [task_id for task_id in task_ids if task_id not in found
              or not kernel.permissions.allowed(actor, "task.view", found[task_id], request)]
    if hidden:
        listed = ", ".join(str(task_id) for task_id in hidden)
        message = f"No tasks with these ids, or you may not see them: {listed}."
        raise NotFound(message, fields={"task_ids": [message]})
    return [found[task_id] for task_id in task_ids]


def bulk_update(kernel: Any, actor: User, task_ids: list[int], updates: dict[str, Any],
                request: Any = None) -> tuple[int, list[dict[str, Any]]]:
    """Apply ``updates`` to every task: how many changed, and all of them as rendered now."""
    tasks = _visible_tasks(kernel, actor, task_ids, request)
    planned = []
    for task in tasks:
        changes = collect_changes({field: getattr(task, field) for field in updates}, updates)
        require_change(kernel, actor, task, set(changes), request)
        if changes:
            planned.append((task, changes))
    with kernel.db.atomic():
        projects: set[int] = set()
        for task, changes in planned:
            values = {field: updates[field] for field in changes}
            if "status" in changes:
                values["completed_at"] = utcnow() if updates["status"] == "done" else None
            Task.update(values, updated_at=utcnow()).where(Task.id == task.id).execute()
            if PROGRESS_FIELDS & set(changes):
                projects.add(task.project_id)
        for project_id in sorted(projects):
            recompute_progress(project_id)
        rendered = render_tasks(kernel, list(task_select().where(Task.id.in_(task_ids))
                                             .order_by(Task.id)), actor, request)
        by_id = {row["id"]: row for row in rendered}
        _record_events(kernel, actor, planned, by_id)
    return len(planned), [by_id[task_id] for task_id in task_ids]


def _record_events(kernel: Any, actor: User, planned: list[tuple[Task, dict[str, Any]]],
                   rendered: dict[int, dict[str, Any]]) -> None:
    for task, changes in planned:
        payload = rendered[task.id]
        kernel.events.record("task.updated", actor=actor, project=task.project_id,
                             payload={"task": payload, "changes": changes},
                             description=activity.task_updated(actor, task.title, changes))
        if "status" in changes and changes["status"]["new"] == "done":
            kernel.events.record("task.completed", actor=actor, project=task.project_id,
                                 payload={"task": payload},
                                 description=activity.task_completed(actor, task.title))
