"""Membership rules: the owner adds and removes members; the owner cannot be removed."""

from __future__ import annotations

from typing import Any

import peewee

from synergy.errors import Conflict, ValidationError
from synergy.models import Project, ProjectMember, Task, TaskAssignee, User, utcnow
from synergy.projects import activity
from synergy.projects.representation import user_mini


def _resolve_user(data: dict[str, Any]) -> tuple[User, str]:
    """The user named by ``user_id`` or ``username``, and the field that named them."""
    given = [field for field in ("user_id", "username") if field in data]
    if len(given) != 1:
        message = "Send either user_id or username." if given else "Send user_id or username."
        raise ValidationError(message, fields={"user_id": [message]})
    field = given[0]
    if field == "user_id":
        user = User.get_or_none(User.id == data["user_id"])
    else:
        user = User.get_or_none(User.username_key == data["username"].lower())
    if user is None or not user.is_active:
        raise ValidationError.for_field(field, "No active user with this "
                                        f"{'id' if field == 'user_id' else 'username'}.")
    return user, field


def _project_ref(project: Project) -> dict[str, Any]:
    return {"id": project.id, "name": project.name}


def add_member(kernel: Any, actor: User, project: Project, data: dict[str, Any],
               request: Any = None) -> dict[str, Any]:
    kernel.permissions.require(actor, "project.manage_members", project, request)
    user, _ = _resolve_user(data)
    already = Conflict(f"{user.username} is already a member of this project.",
                       code="already_member")
    if ProjectMember.select().where(ProjectMember.project == project.id,
                                    ProjectMember.user == user.id).exists():
        raise already
    with kernel.db.atomic():
        try:
            with kernel.db.atomic():
                ProjectMember.create(project=project.id, user=user.id, role="member")
        except peewee.IntegrityError:
            # A concurrent request added them between the check and the insert.
            raise already from None
        Project.update(updated_at=utcnow()).where(Project.id == project.id).execute()
        payload = {"project": _project_ref(project), "user": user_mini(user), "role": "member"}
        kernel.events.record("member.added", actor=actor, project=project, payload=payload,
                             description=activity.member_added(actor, user.username,
                                                               project.name))
    return payload


def remove_member(kernel: Any, actor: User, project: Project, data: dict[str, Any],
                  request: Any = None) -> dict[str, Any]:
    """Also unassigns the user from the project's tasks: they can no longer see them."""
    kernel.permissions.require(actor, "project.manage_members", project, request)
    user, field = _resolve_user(data)
    if user.id == project.owner_id:
        raise ValidationError.for_field(field, "The owner cannot be removed from the project.")
    membership = ProjectMember.get_or_none(ProjectMember.project == project.id,
                                           ProjectMember.user == user.id)
    if membership is None:
        raise ValidationError.for_field(field, f"{user.username} is not a member.")
    with kernel.db.atomic():
        membership.delete_instance()
        project_tasks = Task.select(Task.id).where(Task.project == project.id)
        unassigned = [row.task_id for row in TaskAssignee.select(TaskAssignee.task).where(
            TaskAssignee.user == user.id, TaskAssignee.task.in_(project_tasks))]
        if unassigned:
            TaskAssignee.delete().where(TaskAssignee.user == user.id,
                                        TaskAssignee.task.in_(unassigned)).execute()
        Project.update(updated_at=utcnow()).where(Project.id == project.id).execute()
        payload = {"project": _project_ref(project), "user": user_mini(user),
                   "unassigned_tasks": unassigned}
        kernel.events.record("member.removed", actor=actor, project=project, payload=payload,
                             description=activity.member_removed(actor, user.username,
                                                                 project.name))
    return payload
