"""Task rules: create, change, delete; progress and events in the same transaction.

Who may change what: the owner changes anything; an assignee may change
``status`` and ``actual_hours`` (judged on the fields that actually change,
so a PUT repeating unchanged values is fine); members who may see the task
but not change it get 403.
"""

from __future__ import annotations

from typing import Any

from synergy.errors import NotFound
from synergy.models import Attachment, Project, ProjectMember, Task, TaskAssignee, User, utcnow
from synergy.projects import activity
from synergy.projects.changes import collect_changes
from synergy.projects.lookups import fetch_task, load_project
from synergy.projects.progress import count_new_task, recompute_progress
from synergy.projects.representation import render_task
from synergy.projects.sanitising import sanitise_html
from synergy.projects.storage import remove_stored_files

TASK_FIELDS = ("title", "description", "status", "priority", "due_date", "estimated_hours",
               "actual_hours", "impact")
ASSIGNEE_FIELDS = frozenset({"status", "actual_hours"})
PROGRESS_FIELDS = frozenset({"status", "impact"})


def reload_task(task_id: int) -> Task:
    return fetch_task(task_id)


def check_assignees(project_id: int, user_ids: list[int]) -> None:
    """Every assignee must be a member; one query.

    404, like any other id in a body that points outside what the project shows;
    unknown user ids read exactly like non-members, so nothing is learnt by guessing.
    """
    if not user_ids:
        return
    members = {row.user_id for row in ProjectMember.select(ProjectMember.user).where(
        ProjectMember.project == project_id, ProjectMember.user.in_(user_ids))}
    strangers = [user_id for user_id in user_ids if user_id not in members]
    if strangers:
        listed = ", ".join(str(user_id) for user_id in strangers)
        raise NotFound("No member of this project with these ids.", fields={
            "assignees": [f"Not members of this project: {listed}. Add them as members first."]})


def _set_assignees(task_id: int, user_ids: list[int]) -> None:
    TaskAssignee.delete().where(TaskAssignee.task == task_id).execute()
    _add_assignees(task_id, user_ids)


def _add_assignees(task_id: int, user_ids: list[int]) -> None:
    if user_ids:
        TaskAssignee.insert_many([{"task": task_id, "user": user_id} for user_id in user_ids]) \
            .execute()


def _record(kernel: Any, event: str, actor: User, task: Task, rendered: dict[str, Any],
            description: str, **extra: Any) -> None:
    kernel.events.record(event, actor=actor, project=task.project_id,
                         payload={"task": rendered, **extra}, description=description)


def create_task(kernel: Any, actor: User, data: dict[str, Any],
                request: Any = None) -> tuple[Task, dict[str, Any]]:
    """``project`` must be a project the caller may see (else 404) and add tasks to (else 403).

    Returns the task and its representation for ``actor``: the one its events carry,
    so the response need not render it again.
    """
    try:
        project: Project = load_project(kernel, actor, data["project"], request)
    except NotFound as exc:
        raise NotFound(exc.message, fields={"project": ["No project with this id, or you "
                                                        "may not see it."]}) from None
    kernel.permissions.require(actor, "task.create", project, request)
    assignees = data.get("assignees", [])
    check_assignees(project.id, assignees)
    values = {field: data[field] for field in TASK_FIELDS if field in data}
    values["description"] = sanitise_html(values.get("description", ""))
    if values.get("status") == "done":
        values["completed_at"] = utcnow()
    with kernel.db.atomic():
        task = Task.create(project=project.id, created_by=actor.id, **values)
        _add_assignees(task.id, assignees)
        task = reload_task(task.id)
        rendered = render_task(kernel, task, actor, request)
        _record(kernel, "task.created", actor, task, rendered,
                activity.task_created(actor, task.title))
        if task.status == "done":
            _record(kernel, "task.completed", actor, task, rendered,
                    activity.task_completed(actor, task.title))
        # Last: it locks the project row until the commit, which other writers of the
        # project wait for (the task's representation does not show progress).
        count_new_task(task)
    return task, rendered


def update_task(kernel: Any, actor: User, task: Task, data: dict[str, Any],
                request: Any = None) -> tuple[Task, dict[str, Any]]:
    """Apply the changes the caller may make; returns the task and its representation
    for ``actor`` (as its events carry it)."""
    wanted = dict(data)
    if "description" in wanted:
        wanted["description"] = sanitise_html(wanted["description"])
    current: dict[str, Any] = {field: getattr(task, field) for field in TASK_FIELDS}
    if "assignees" in wanted:
        current["assignees"] = [row.user_id for row in TaskAssignee.select(TaskAssignee.user)
                                .where(TaskAssignee.task == task.id).order_by(TaskAssignee.id)]
        if sorted(current["assignees"]) == sorted(wanted["assignees"]):
            wanted["assignees"] = current["assignees"]
    changes = collect_changes(current, wanted)
    require_change(kernel, actor, task, set(changes), request)
    if not changes:
        return task, render_task(kernel, task, actor, request)
    if "assignees" in changes:
        check_assignees(task.project_id, wanted["assignees"])
    values = {field: wanted[field] for field in changes if field != "assignees"}
    completed = "status" in changes and wanted["status"] == "done"
    if "status" in changes:
        values["completed_at"] = utcnow() if completed else None
    with kernel.db.atomic():
        Task.update(values, updated_at=utcnow()).where(Task.id == task.id).execute()
        if "assignees" in changes:
            _set_assignees(task.id, wanted["assignees"])
        task = reload_task(task.id)
        rendered = render_task(kernel, task, actor, request)
        _record(kernel, "task.updated", actor, task, rendered,
                activity.task_updated(actor, task.title, changes, _usernames(changes)),
                changes=changes)
        if completed:
            _record(kernel, "task.completed", actor, task, rendered,
                    activity.task_completed(actor, task.title))
        if PROGRESS_FIELDS & set(changes):
            recompute_progress(task.project_id)  # last: see create_task
    return task, rendered


def _usernames(changes: dict[str, dict[str, Any]]) -> dict[int, str] | None:
    if "assignees" not in changes:
        return None
    ids = set(changes["assignees"]["old"]) | set(changes["assignees"]["new"])
    return {user.id: user.username for user in User.select(User.id, User.username)
            .where(User.id.in_(ids))} if ids else {}


def require_change(kernel: Any, actor: User, task: Task, changed: set[str],
                   request: Any) -> None:
    """Assignees may change status and actual hours; anything else needs ``task.change``."""
    if changed <= ASSIGNEE_FIELDS \
            and kernel.permissions.allowed(actor, "task.change_status", task, request):
        return
    kernel.permissions.require(actor, "task.change", task, request)


def delete_task(kernel: Any, actor: User, task: Task, request: Any = None) -> None:
    """Owner only; progress is recomputed and the task's files are removed."""
    kernel.permissions.require(actor, "task.delete", task, request)
    payload = {"task": render_task(kernel, task, actor, request)}
    with kernel.db.atomic():
        # Write first (see delete_project); RETURNING names the files of the deleted rows.
        stored = [row.storage_name for row in Attachment.delete()
                  .where(Attachment.task == task.id).returning(Attachment.storage_name)]
        Task.delete().where(Task.id == task.id).execute()
        recompute_progress(task.project_id)
        kernel.events.record("task.deleted", actor=actor, project=task.project_id,
                             payload=payload, description=activity.task_deleted(actor,
                                                                                 task.title))
    remove_stored_files(kernel, stored)


def move_to_review(kernel: Any, actor: User, task: Task, request: Any = None) -> Task:
    """A proof of completion from an assignee puts the task up for review (if not there yet)."""
    if task.status in ("review", "done"):
        return task
    changes = {"status": {"old": task.status, "new": "review"}}
    Task.update(status="review", updated_at=utcnow()).where(Task.id == task.id).execute()
    recompute_progress(task.project_id)
    task = reload_task(task.id)
    _record(kernel, "task.updated", actor, task, render_task(kernel, task, actor, request),
            activity.task_updated(actor, task.title, changes), changes=changes)
    return task
