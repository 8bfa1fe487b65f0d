"""The kernel's default permission rules, as a ``trylast`` hook implementation.

Any plugin answering ``True`` or ``False`` first overrides these. Callers
report objects the user may not even see as 404 (``require(..., hide=True)``).

Rules: the owner does everything in a project; members read everything,
create tasks, comment and upload; an assignee may change the status and
actual hours of their task; authors edit their comments; authors, uploaders
and the owner delete comments and attachments; staff read everything.
"""

from __future__ import annotations

from typing import Any

from synergy_hookspecs import hookimpl

from synergy.models import Attachment, Comment, Project, ProjectMember, Task, TaskAssignee, User

MEMBER_ACTIONS = {"project.view", "task.view", "task.create", "comment.view", "comment.create",
                  "attachment.view", "attachment.create"}
STAFF_ACTIONS = {"project.view", "task.view", "comment.view", "attachment.view"}


def is_member(user: User, project_id: int) -> bool:
    return ProjectMember.select().where(ProjectMember.project == project_id,
                                        ProjectMember.user == user.id).exists()


def is_assignee(user: User, task_id: int) -> bool:
    return TaskAssignee.select().where(TaskAssignee.task == task_id,
                                       TaskAssignee.user == user.id).exists()


def project_of(obj: Any) -> Project | None:
    if isinstance(obj, Project):
        return obj
    if isinstance(obj, Task):
        return obj.project
    if isinstance(obj, (Comment, Attachment)):
        return obj.task.project
    return None


@hookimpl(trylast=True)
def synergy_permission(user: Any, action: str, obj: Any) -> bool | None:
    if user is None or not user.is_active:
        return False
    if action in ("auth.login", "project.create"):
        return True
    project = project_of(obj)
    if project is None:
        return None
    if project.owner_id == user.id:
        return True
    if action in STAFF_ACTIONS and user.is_staff:
        return True
    if action in MEMBER_ACTIONS:
        return is_member(user, project.id)
    if action == "task.change_status":
        return is_assignee(user, obj.id)
    if action == "comment.change":
        return obj.author_id == user.id
    if action == "comment.delete":
        return obj.author_id == user.id
    if action == "attachment.delete":
        return obj.uploaded_by_id == user.id
    return False
