"""Project rules: create, change, delete, statistics (a write and its event commit together)."""

from __future__ import annotations

from typing import Any

import peewee

from synergy.errors import ValidationError
from synergy.models import Attachment, Project, ProjectMember, Task, User, utcnow
from synergy.projects import activity
from synergy.projects.changes import collect_changes
from synergy.projects.lookups import fetch_project
from synergy.projects.representation import render_project, today
from synergy.projects.sanitising import sanitise_html
from synergy.projects.storage import remove_stored_files

PROJECT_FIELDS = ("name", "description", "status", "priority", "start_date", "end_date",
                  "budget")


def check_dates(start: Any, end: Any, *, start_field: str = "start_date",
                end_field: str = "end_date") -> None:
    if start is not None and end is not None and end < start:
        raise ValidationError.for_field(end_field, f"Must not be before {start_field}.")


def reload_project(project_id: int) -> Project:
    return fetch_project(project_id)


def create_project(kernel: Any, actor: User, data: dict[str, Any],
                   request: Any = None) -> Project:
    """The caller becomes the owner (and the first member, with role ``owner``)."""
    kernel.permissions.require(actor, "project.create", None, request)
    values = {field: data[field] for field in PROJECT_FIELDS if field in data}
    values["description"] = sanitise_html(values.get("description", ""))
    check_dates(values.get("start_date"), values.get("end_date"))
    with kernel.db.atomic():
        project = Project.create(owner=actor.id, **values)
        ProjectMember.create(project=project.id, user=actor.id, role="owner")
        project = reload_project(project.id)
        kernel.events.record("project.created", actor=actor, project=project,
                             payload={"project": render_project(kernel, project, actor,
                                                                request)},
                             description=activity.project_created(actor, project.name))
    return project


def update_project(kernel: Any, actor: User, project: Project, data: dict[str, Any],
                   request: Any = None) -> Project:
    """Owner only (403 for members and staff, who may see it)."""
    kernel.permissions.require(actor, "project.change", project, request)
    wanted = dict(data)
    if "description" in wanted:
        wanted["description"] = sanitise_html(wanted["description"])
    current = {field: getattr(project, field) for field in PROJECT_FIELDS}
    check_dates(wanted.get("start_date", current["start_date"]),
                wanted.get("end_date", current["end_date"]))
    changes = collect_changes(current, wanted)
    if not changes:
        return project
    with kernel.db.atomic():
        Project.update({field: wanted[field] for field in changes}, updated_at=utcnow()) \
            .where(Project.id == project.id).execute()
        project = reload_project(project.id)
        kernel.events.record("project.updated", actor=actor, project=project,
                             payload={"project": render_project(kernel, project, actor, request),
                                      "changes": changes},
                             description=activity.project_updated(actor, project.name, changes))
    return project


def delete_project(kernel: Any, actor: User, project: Project, request: Any = None) -> None:
    """Owner only. Tasks, comments and attachments go with it (and the stored files)."""
    kernel.permissions.require(actor, "project.delete", project, request)
    payload = {"project": render_project(kernel, project, actor, request)}
    with kernel.db.atomic():
        # Writing first (not reading) keeps concurrent SQLite writers queued, not failing;
        # RETURNING names exactly the files whose rows this transaction removes.
        tasks = Task.select(Task.id).where(Task.project == project.id)
        stored = [row.storage_name for row in Attachment.delete()
                  .where(Attachment.task.in_(tasks)).returning(Attachment.storage_name)]
        Project.delete().where(Project.id == project.id).execute()
        kernel.events.record("project.deleted", actor=actor, project=project.id,
                             payload=payload,
                             description=activity.project_deleted(actor, project.name))
    remove_stored_files(kernel, stored)


def project_stats(project: Project) -> dict[str, Any]:
    """Counts by status, overdue tasks, progress and member count: three queries."""
    by_status = dict.fromkeys(("todo", "in_progress", "review", "done"), 0)
    rows = (Task.select(Task.status, peewee.fn.COUNT(Task.id))
            .where(Task.project == project.id).group_by(Task.status).tuples())
    for status, count in rows:
        by_status[status] = count
    overdue = (Task.select().where(Task.project == project.id, Task.due_date < today(),
                                   Task.status != "done").count())
    members = ProjectMember.select().where(ProjectMember.project == project.id).count()
    return {"total_tasks": sum(by_status.values()), "by_status": by_status,
            "overdue_tasks": overdue, "progress": project.progress, "member_count": members}
