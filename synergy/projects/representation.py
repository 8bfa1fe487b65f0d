"""Rendering pages of projects and tasks with a constant number of queries.

The page query already joins what is one-to-one (owner, creator, project);
the one-to-many parts (members, assignees, counts) are fetched for the whole
page at once, and ``synergy_extend_resource`` is called once per page.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import peewee

from synergy.database import PreparedQuery
from synergy.http import iso, iso_date
from synergy.http.render import decimal_str
from synergy.models import Attachment, Comment, Project, ProjectMember, Task, TaskAssignee, User
from synergy.rows import Joined, RowShape

TaskCreator = User.alias("task_creator")


def user_mini(user: User | None) -> dict[str, Any] | None:
    if user is None:
        return None
    return {"id": user.id, "username": user.username, "first_name": user.first_name,
            "last_name": user.last_name, "full_name": user.full_name}


def _count_of(model: type[peewee.Model], column: peewee.Field,
              outer: peewee.Field, alias: str) -> peewee.Node:
    """A correlated COUNT subquery: the page query carries its own counts (no extra trip)."""
    counted = model.alias(f"{alias}_source")
    return (counted.select(peewee.fn.COUNT(counted.id))
            .where(getattr(counted, column.name) == outer).alias(alias))


USER_MINI_FIELDS = ("id", "username", "first_name", "last_name")

# Projects with their owner (UserMini columns) in the same row; the task count is a column.
PROJECT_ROW = RowShape(Project, joined=[Joined("owner", User, USER_MINI_FIELDS)])

# Tasks with their project (id, name, owner, status: what rendering and permission
# checks read), creator and comment/attachment counts in the same row. Every selected
# column costs SQL-building time on each request, so the project's other columns are
# left out.
TASK_ROW = RowShape(Task, joined=[
    Joined("project", Project, ("id", "name", "owner", "status")),
    Joined("created_by", TaskCreator, USER_MINI_FIELDS, outer=True),
], extras=[_count_of(Comment, Comment.task, Task.id, "comment_count"),
           _count_of(Attachment, Attachment.task, Task.id, "attachment_count")])


def project_select() -> peewee.ModelSelect:
    """Selects :data:`PROJECT_ROW` (decode raw rows with it, or let Peewee do it)."""
    return Project.select(*PROJECT_ROW.columns).join(User, on=(Project.owner == User.id))


def task_select() -> peewee.ModelSelect:
    """Selects :data:`TASK_ROW` (decode raw rows with it, or let Peewee do it)."""
    return (Task.select(*TASK_ROW.columns)
            .join(Project, on=(Task.project == Project.id))
            .switch(Task)
            .join(TaskCreator, peewee.JOIN.LEFT_OUTER, on=(Task.created_by == TaskCreator.id),
                  attr="created_by"))


def _extensions(kernel: Any, kind: str, objects: Sequence[Any], user: Any,
                request: Any) -> dict[Any, dict[str, Any]]:
    merged: dict[Any, dict[str, Any]] = defaultdict(dict)
    if not objects:
        return merged
    answers = kernel.plugins.pm.hook.synergy_extend_resource(
        kernel=kernel, kind=kind, objects=list(objects), user=user, request=request)
    for answer in answers:
        for object_id, fields in (answer or {}).items():
            merged[object_id].update(fields)
    return merged


def _merge(row: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    for name, value in extra.items():
        row.setdefault(name, value)
    return row


USER_MINI_COLUMNS = tuple(getattr(User, name) for name in USER_MINI_FIELDS)


def _mini_from_columns(user_id: int, username: str, first: str, last: str) -> dict[str, Any]:
    """UserMini from plain columns: pages render hundreds of these, model instances cost 5×."""
    full_name = f"{first} {last}".strip() or username
    return {"id": user_id, "username": username, "first_name": first, "last_name": last,
            "full_name": full_name}


def _members_query(condition: peewee.Expression) -> peewee.ModelSelect:
    return (ProjectMember.select(ProjectMember.project, ProjectMember.role, *USER_MINI_COLUMNS)
            .join(User, on=(ProjectMember.user == User.id))
            .where(condition)
            .order_by(ProjectMember.added_at, ProjectMember.id)
            .tuples())


# Every rendered page runs these: compiled once per page length.
_MEMBERS = PreparedQuery(lambda ids: _members_query(ProjectMember.project.in_(ids)))


def members_of(project_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    """Members (UserMini + role) of several projects, in the order they joined: one query."""
    members: dict[int, list[dict[str, Any]]] = defaultdict(list)
    rows = _MEMBERS.tuples(ids=list(project_ids)) if project_ids else []
    for project_id, role, *user in rows:
        member = _mini_from_columns(*user)
        member["role"] = role
        members[project_id].append(member)
    return members


def render_projects(kernel: Any, projects: Sequence[Project], user: Any = None,
                    request: Any = None) -> list[dict[str, Any]]:
    """One query for the page (members), whatever its size; counts come with the rows."""
    ids = [project.id for project in projects]
    members = members_of(ids)
    extra = _extensions(kernel, "project", projects, user, request)
    return [_merge({
        "id": project.id,
        "name": project.name,
        "description": project.description,
        "status": project.status,
        "priority": project.priority,
        "owner": user_mini(project.owner),
        "members": members[project.id],
        "start_date": iso_date(project.start_date),
        "end_date": iso_date(project.end_date),
        "budget": decimal_str(project.budget),
        "progress": project.progress,
        "task_count": project.task_count,
        "created_at": iso(project.created_at),
        "updated_at": iso(project.updated_at),
    }, extra[project.id]) for project in projects]


def render_project(kernel: Any, project: Project, user: Any = None,
                   request: Any = None) -> dict[str, Any]:
    return render_projects(kernel, [project], user, request)[0]


def today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


def is_overdue(task: Task, on: dt.date) -> bool:
    return task.due_date is not None and task.due_date < on and task.status != "done"


def _assignees_query(condition: peewee.Expression) -> peewee.ModelSelect:
    return (TaskAssignee.select(TaskAssignee.task, *USER_MINI_COLUMNS)
            .join(User, on=(TaskAssignee.user == User.id))
            .where(condition)
            .order_by(TaskAssignee.id)
            .tuples())


_ASSIGNEES = PreparedQuery(lambda ids: _assignees_query(TaskAssignee.task.in_(ids)))


def render_tasks(kernel: Any, tasks: Sequence[Task], user: Any = None,
                 request: Any = None) -> list[dict[str, Any]]:
    """One query for the page (assignees); counts come with the rows."""
    ids = [task.id for task in tasks]
    assignees: dict[int, list[dict[str, Any]]] = defaultdict(list)
    rows = _ASSIGNEES.tuples(ids=ids) if ids else []
    for task_id, *user in rows:
        assignees[task_id].append(_mini_from_columns(*user))
    extra = _extensions(kernel, "task", tasks, user, request)
    now = today()
    return [_merge({
        "id": task.id,
        "project": {"id": task.project.id, "name": task.project.name},
        "title": task.title,
        "description": task.description,
        "status": task.status,
        "priority": task.priority,
        "assignees": assignees[task.id],
        "due_date": iso_date(task.due_date),
        "estimated_hours": decimal_str(task.estimated_hours),
        "actual_hours": decimal_str(task.actual_hours),
        "impact": decimal_str(task.impact),
        "created_by": user_mini(task.created_by),
        "created_at": iso(task.created_at),
        "updated_at": iso(task.updated_at),
        "completed_at": iso(task.completed_at),
        "comment_count": task.comment_count,
        "attachment_count": task.attachment_count,
        "is_overdue": is_overdue(task, now),
    }, extra[task.id]) for task in tasks]


def render_task(kernel: Any, task: Task, user: Any = None, request: Any = None) -> dict[str, Any]:
    return render_tasks(kernel, [task], user, request)[0]


def render_comment(comment: Comment) -> dict[str, Any]:
    return {"id": comment.id, "task": comment.task_id, "author": user_mini(comment.author),
            "content": comment.content, "is_edited": comment.is_edited,
            "created_at": iso(comment.created_at), "updated_at": iso(comment.updated_at)}


def render_attachment(attachment: Attachment) -> dict[str, Any]:
    return {"id": attachment.id, "task": attachment.task_id,
            "uploaded_by": user_mini(attachment.uploaded_by),
            "original_name": attachment.original_name,
            "content_type": attachment.content_type, "file_type": attachment.file_type,
            "size": attachment.size, "description": attachment.description,
            "is_proof_of_completion": attachment.is_proof_of_completion,
            "created_at": iso(attachment.created_at),
            "download_url": f"/api/attachments/{attachment.id}/download/"}
