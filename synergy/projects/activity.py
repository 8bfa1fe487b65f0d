"""Human-readable sentences for the activity feed, written into each event's description.

Kept apart from the domain code so the wording lives in one place; names are
quoted as typed, and values are rendered the way the API renders them.
"""

from __future__ import annotations

from typing import Any

_FIELD_NAMES = {"due_date": "due date", "estimated_hours": "estimated hours",
                "actual_hours": "actual hours", "start_date": "start date",
                "end_date": "end date"}


def _who(actor: Any) -> str:
    return actor.username if actor is not None else "Someone"


def _value(value: Any) -> str:
    if value is None or value == "":
        return "nothing"
    if isinstance(value, list):
        return ", ".join(str(item) for item in value) or "nobody"
    return str(value)


def describe_changes(changes: dict[str, dict[str, Any]],
                     usernames: dict[int, str] | None = None) -> str:
    """``usernames`` turns assignee ids into names people recognise."""
    parts = []
    for field, change in changes.items():
        label = _FIELD_NAMES.get(field, field)
        old, new = change["old"], change["new"]
        if field == "description":
            parts.append("the description")
            continue
        if field == "assignees" and usernames is not None:
            old = [usernames.get(user_id, f"user {user_id}") for user_id in old]
            new = [usernames.get(user_id, f"user {user_id}") for user_id in new]
        parts.append(f"{label} from {_value(old)} to {_value(new)}")
    return "; ".join(parts)


def project_created(actor: Any, name: str) -> str:
    return f"{_who(actor)} created project “{name}”."


def project_updated(actor: Any, name: str, changes: dict[str, dict[str, Any]]) -> str:
    return f"{_who(actor)} changed project “{name}”: {describe_changes(changes)}."


def project_deleted(actor: Any, name: str) -> str:
    return f"{_who(actor)} deleted project “{name}”."


def member_added(actor: Any, username: str, project: str) -> str:
    return f"{_who(actor)} added {username} to project “{project}”."


def member_removed(actor: Any, username: str, project: str) -> str:
    return f"{_who(actor)} removed {username} from project “{project}”."


def task_created(actor: Any, title: str) -> str:
    return f"{_who(actor)} created task “{title}”."


def task_updated(actor: Any, title: str, changes: dict[str, dict[str, Any]],
                 usernames: dict[int, str] | None = None) -> str:
    return f"{_who(actor)} changed task “{title}”: {describe_changes(changes, usernames)}."


def task_completed(actor: Any, title: str) -> str:
    return f"{_who(actor)} completed task “{title}”."


def task_deleted(actor: Any, title: str) -> str:
    return f"{_who(actor)} deleted task “{title}”."


def comment_created(actor: Any, title: str) -> str:
    return f"{_who(actor)} commented on task “{title}”."


def comment_updated(actor: Any, title: str) -> str:
    return f"{_who(actor)} edited a comment on task “{title}”."


def comment_deleted(actor: Any, title: str) -> str:
    return f"{_who(actor)} deleted a comment on task “{title}”."


def attachment_created(actor: Any, name: str, title: str, proof: bool) -> str:
    kind = "a proof of completion" if proof else "a file"
    return f"{_who(actor)} attached {kind} “{name}” to task “{title}”."


def attachment_deleted(actor: Any, name: str, title: str) -> str:
    return f"{_who(actor)} removed the file “{name}” from task “{title}”."
