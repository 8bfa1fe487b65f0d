"""Which domain events notify whom: one builder per event type, each returning drafts.

Builders read only the documented event payloads (see the kernel's event
catalogue and messaging's ``message.*`` types) and never notify the actor
about their own action. Every draft's source is ``event:<id>``, so delivering
the same event twice creates nothing new.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from synergy_notifications.fanout import Draft
from synergy_notifications.mentions import members_among, mentioned_members

from synergy.models import ProjectMember, Task, User

Builder = Callable[[Any], list[Draft]]


def user_ids(items: Any) -> list[int]:
    """Ids from ``[{"id": 1, ...}, 2, ...]``; anything else is skipped."""
    ids: list[int] = []
    for item in items if isinstance(items, list) else []:
        value = item.get("id") if isinstance(item, dict) else item
        if isinstance(value, int) and not isinstance(value, bool) and value not in ids:
            ids.append(value)
    return ids


def _others(event: Any, ids: list[int]) -> list[int]:
    return [user_id for user_id in ids if user_id != event.actor_id]


def _task_draft(event: Any, user_id: int, kind: str, title: str, message: str = "") -> Draft:
    task = event.payload.get("task") or {}
    project = task.get("project") or {}
    return Draft(user_id, kind, f"event:{event.id}", title, message,
                 f"/tasks/{task.get('id')}",
                 {"task": {"id": task.get("id"), "title": task.get("title")},
                  "project": {"id": project.get("id"), "name": project.get("name")},
                  "event_id": event.id})


def _describe_changes(changes: dict[str, Any]) -> str:
    parts = []
    for name, change in sorted(changes.items()):
        if isinstance(change, dict) and "old" in change and "new" in change:
            parts.append(f"{name}: {change['old']} → {change['new']}")
        else:
            parts.append(name)
    return "Changed " + "; ".join(parts) + "."


def task_created(event: Any) -> list[Draft]:
    task = event.payload.get("task") or {}
    return [_task_draft(event, user_id, "task_assigned",
                        f"You were assigned to \"{task.get('title')}\"")
            for user_id in _others(event, user_ids(task.get("assignees")))]


def task_updated(event: Any) -> list[Draft]:
    """New assignees hear "assigned"; the others hear "updated" unless only completion changed.

    Completion has its own event (``task.completed``), so a status change to done
    is left to it rather than notified twice.
    """
    task = event.payload.get("task") or {}
    changes = event.payload.get("changes") or {}
    current = user_ids(task.get("assignees"))
    newly: list[int] = []
    if isinstance(changes.get("assignees"), dict):
        before = user_ids(changes["assignees"].get("old"))
        newly = [user_id for user_id in current if user_id not in before]
    drafts = [_task_draft(event, user_id, "task_assigned",
                          f"You were assigned to \"{task.get('title')}\"")
              for user_id in _others(event, newly)]
    reported = {name: change for name, change in changes.items()
                if name != "assignees" and not (name == "status" and isinstance(change, dict)
                                                and change.get("new") == "done")}
    if reported:
        message = _describe_changes(reported)
        drafts += [_task_draft(event, user_id, "task_updated",
                               f"\"{task.get('title')}\" was updated", message)
                   for user_id in _others(event, current) if user_id not in newly]
    return drafts


def task_completed(event: Any) -> list[Draft]:
    task = event.payload.get("task") or {}
    return [_task_draft(event, user_id, "task_completed",
                        f"\"{task.get('title')}\" was completed")
            for user_id in _others(event, user_ids(task.get("assignees")))]


def member_added(event: Any) -> list[Draft]:
    project = event.payload.get("project") or {}
    return [Draft(user_id, "member_added", f"event:{event.id}",
                  f"You were added to the project \"{project.get('name')}\"",
                  action_url=f"/projects/{project.get('id')}",
                  metadata={"project": project, "event_id": event.id})
            for user_id in _others(event, user_ids([event.payload.get("user")]))]


def project_updated(event: Any) -> list[Draft]:
    project = event.payload.get("project") or {}
    status = (event.payload.get("changes") or {}).get("status")
    if not isinstance(status, dict) or not isinstance(project.get("id"), int):
        return []
    members = [user_id for (user_id,) in ProjectMember.select(ProjectMember.user)
               .where(ProjectMember.project == project["id"]).tuples()]
    return [Draft(user_id, "project_status_changed", f"event:{event.id}",
                  f"Project \"{project.get('name')}\" is now {status.get('new')}",
                  f"Status changed from {status.get('old')} to {status.get('new')}.",
                  f"/projects/{project['id']}",
                  {"project": {"id": project["id"], "name": project.get("name")},
                   "status": status, "event_id": event.id})
            for user_id in _others(event, members)]


def comment_created(event: Any) -> list[Draft]:
    comment = event.payload.get("comment") or {}
    task = comment.get("task") or {}
    project_id = event.project_id
    if project_id is None and isinstance(task.get("id"), int):
        found = Task.get_or_none(Task.id == task["id"])
        project_id = found.project_id if found else None
    if project_id is None:
        return []
    author = (comment.get("author") or {}).get("username")
    mentioned = mentioned_members(project_id, str(comment.get("content") or ""))
    return [Draft(user_id, "mention", f"event:{event.id}",
                  f"{author} mentioned you on \"{task.get('title')}\"",
                  str(comment.get("content") or ""), f"/tasks/{task.get('id')}",
                  {"comment": {"id": comment.get("id")}, "task": task,
                   "event_id": event.id})
            for user_id in _others(event, mentioned)]


def _message_mentions(event: Any, ids: list[int]) -> list[Draft]:
    message = event.payload.get("message") or {}
    project = message.get("project") or {}
    project_id = event.project_id or project.get("id")
    if not ids or not isinstance(project_id, int):
        return []
    members = members_among(project_id, User.id.in_(ids))
    sender = (message.get("sender") or {}).get("username")
    return [Draft(user_id, "mention", f"event:{event.id}",
                  f"{sender} mentioned you in \"{project.get('name')}\"",
                  str(message.get("content") or ""),
                  f"/projects/{project_id}/messages?thread={message.get('thread')}",
                  {"message": {"id": message.get("id"), "thread": message.get("thread")},
                   "project": project, "event_id": event.id})
            for user_id in _others(event, members)]


def message_created(event: Any) -> list[Draft]:
    return _message_mentions(event, user_ids((event.payload.get("message") or {})
                                             .get("mentions")))


def message_updated(event: Any) -> list[Draft]:
    """Only members a correction newly names are told; the others already were."""
    change = (event.payload.get("changes") or {}).get("mentions")
    if not isinstance(change, dict):
        return []
    before = user_ids(change.get("old"))
    return _message_mentions(event, [user_id for user_id in user_ids(change.get("new"))
                                     if user_id not in before])


BUILDERS: dict[str, Builder] = {
    "task.created": task_created,
    "task.updated": task_updated,
    "task.completed": task_completed,
    "member.added": member_added,
    "project.updated": project_updated,
    "comment.created": comment_created,
    "message.created": message_created,
    "message.updated": message_updated,
}


def drafts_for(event: Any) -> list[Draft]:
    builder = BUILDERS.get(event.type)
    return builder(event) if builder is not None else []
