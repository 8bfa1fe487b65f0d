"""Who may do what with messages, answered through the public ``synergy_permission`` hook.

Actions: ``message.view`` (whoever may view the project), ``message.create``
(project members, the owner included), ``message.change`` (the sender, while
still able to see the project) and ``message.delete`` (the sender or the
project owner). Another plugin registered later can still override these.
"""

from __future__ import annotations

from typing import Any

from synergy_messaging.models import Message

from synergy.models import Project, ProjectMember, User

ACTIONS = ("message.view", "message.create", "message.change", "message.delete")


def is_member(user: User, project_id: int) -> bool:
    return ProjectMember.select().where(ProjectMember.project == project_id,
                                        ProjectMember.user == user.id).exists()


def decide(kernel: Any, user: Any, action: str, obj: Any) -> bool | None:
    if action not in ACTIONS:
        return None
    if user is None or not user.is_active:
        return False
    if isinstance(obj, Project):
        project = obj
    elif isinstance(obj, Message):
        project = obj.project
    else:
        return False
    if action == "message.create":
        return project.owner_id == user.id or is_member(user, project.id)
    if not kernel.permissions.allowed(user, "project.view", project):
        return False
    if action == "message.view":
        return True
    if not isinstance(obj, Message):
        return False
    if action == "message.change":
        return obj.sender_id == user.id
    return obj.sender_id == user.id or project.owner_id == user.id
