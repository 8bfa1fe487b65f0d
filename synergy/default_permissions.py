"""The kernel's default permission rules, as a ``trylast`` hook implementation.

Any plugin answering ``True`` or ``False`` first overrides these. Callers
check ``*.view`` first with ``require(..., hide=True)``, so objects a user may
not see are reported as 404, and objects they may see but not change as 403.

The matrix (project-scoped objects):

============================  =====  ======  ========  ========  =====
action                        owner  member  assignee  author    staff
============================  =====  ======  ========  ========  =====
project.view                  yes    yes                         yes
project.change/.delete        yes
project.manage_members        yes
task.view                     yes    yes                         yes
task.create (obj = project)   yes    yes
task.change/.delete           yes
task.change_status            yes            yes
comment.view                  yes    yes                         yes
comment.create (obj = task)   yes    yes
comment.change                                         yes
comment.delete                yes                      yes
attachment.view               yes    yes                         yes
attachment.create (obj=task)  yes    yes
attachment.delete             yes                      uploader
============================  =====  ======  ========  ========  =====

``task.change_status`` covers the fields an assignee may change (status and
actual hours). Authors and uploaders must still be members. ``project.create``
is open to every active user.

These rules decide on single objects. List endpoints do not ask the hook per
row: they filter in SQL by the same membership rule (staff see everything),
so a plugin that widens object access should also contribute its own list.

Query cost: the caller's role in a project is read once per request and
project (cached on the request context), and objects are expected to arrive
with their task and project already joined, so a check costs at most one
query, plus one for the assignee rule.
"""

from __future__ import annotations

from typing import Any

from synergy_hookspecs import hookimpl

from synergy.models import Attachment, Comment, Project, ProjectMember, Task, TaskAssignee, User

MEMBER_ACTIONS = frozenset({"project.view", "task.view", "task.create", "comment.view",
                            "comment.create", "attachment.view", "attachment.create"})
STAFF_ACTIONS = frozenset({"project.view", "task.view", "comment.view", "attachment.view"})
OPEN_ACTIONS = frozenset({"auth.login", "project.create"})
_ROLE_CACHE = "synergy_project_roles"


def project_of(obj: Any) -> Project | None:
    if isinstance(obj, Project):
        return obj
    if isinstance(obj, Task):
        return obj.project
    if isinstance(obj, (Comment, Attachment)):
        return obj.task.project
    return None


def project_role(user: User, project: Project, request: Any = None) -> str | None:
    """``"owner"``, ``"member"`` or ``None``: one query per request and project at most."""
    if project.owner_id == user.id:
        return "owner"
    context = getattr(request, "context", None)
    cache: dict[tuple[int, int], str | None] | None = None
    if context is not None:
        cache = getattr(context, _ROLE_CACHE, None)
        if cache is None:
            cache = {}
            setattr(context, _ROLE_CACHE, cache)
        if (user.id, project.id) in cache:
            return cache[(user.id, project.id)]
    row = (ProjectMember.select(ProjectMember.role)
           .where(ProjectMember.project == project.id, ProjectMember.user == user.id)
           .first())
    role = row.role if row is not None else None
    if cache is not None:
        cache[(user.id, project.id)] = role
    return role


def is_assignee(user: User, task_id: int) -> bool:
    return TaskAssignee.select().where(TaskAssignee.task == task_id,
                                       TaskAssignee.user == user.id).exists()


@hookimpl(trylast=True)
def synergy_permission(user: Any, action: str, obj: Any, request: Any) -> bool | None:
    if user is None or not user.is_active:
        return False
    if action in OPEN_ACTIONS:
        return True
    project = project_of(obj)
    if project is None:
        return None
    role = project_role(user, project, request)
    if action == "comment.change":
        # Words are their author's: not even the owner rewrites someone's comment.
        return role is not None and obj.author_id == user.id
    if role == "owner":
        return True
    if action in STAFF_ACTIONS and user.is_staff:
        return True
    if role is None:
        return False
    if action in MEMBER_ACTIONS:
        return True
    if action == "task.change_status":
        return is_assignee(user, obj.id)
    if action == "comment.delete":
        return obj.author_id == user.id
    if action == "attachment.delete":
        return obj.uploaded_by_id == user.id
    return False
