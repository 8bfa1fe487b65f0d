"""Comment rules: members comment; authors edit; authors and the owner delete."""

from __future__ import annotations

from typing import Any

from synergy.errors import ValidationError
from synergy.models import Comment, Task, User, utcnow
from synergy.projects import activity
from synergy.projects.sanitising import sanitise_html


def _clean(content: str) -> str:
    cleaned = sanitise_html(content)
    if not cleaned:
        raise ValidationError.for_field("content", "Nothing is left after removing "
                                        "disallowed HTML; write some text.")
    return cleaned


def _payload(comment: Comment, task: Task, author: User) -> dict[str, Any]:
    return {"comment": {"id": comment.id, "task": {"id": task.id, "title": task.title},
                        "author": {"id": author.id, "username": author.username},
                        "content": comment.content}}


def add_comment(kernel: Any, actor: User, task: Task, content: str,
                request: Any = None) -> Comment:
    kernel.permissions.require(actor, "comment.create", task, request)
    cleaned = _clean(content)
    with kernel.db.atomic():
        comment = Comment.create(task=task.id, author=actor.id, content=cleaned)
        comment.author = actor
        kernel.events.record("comment.created", actor=actor, project=task.project_id,
                             payload=_payload(comment, task, actor),
                             description=activity.comment_created(actor, task.title))
    return comment


def edit_comment(kernel: Any, actor: User, comment: Comment, content: str,
                 request: Any = None) -> Comment:
    kernel.permissions.require(actor, "comment.change", comment, request)
    cleaned = _clean(content)
    if cleaned == comment.content:
        return comment
    task = comment.task
    with kernel.db.atomic():
        comment.content = cleaned
        comment.is_edited = True
        comment.updated_at = utcnow()
        comment.save(only=[Comment.content, Comment.is_edited, Comment.updated_at])
        kernel.events.record("comment.updated", actor=actor, project=task.project_id,
                             payload=_payload(comment, task, comment.author),
                             description=activity.comment_updated(actor, task.title))
    return comment


def delete_comment(kernel: Any, actor: User, comment: Comment, request: Any = None) -> None:
    kernel.permissions.require(actor, "comment.delete", comment, request)
    task = comment.task
    with kernel.db.atomic():
        payload = _payload(comment, task, comment.author)
        comment.delete_instance()
        kernel.events.record("comment.deleted", actor=actor, project=task.project_id,
                             payload=payload,
                             description=activity.comment_deleted(actor, task.title))

