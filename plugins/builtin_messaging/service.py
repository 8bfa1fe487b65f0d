"""Message rules: posting, threads, mentions, editing, deleting and read state.

Thread depth is ONE level: a reply names its parent, and a reply to a reply is
attached to that reply's thread root, so every thread is a root plus a flat,
chronological list of replies (the way chat tools show them). Deleting a root
that still has replies leaves a placeholder; deleting the last reply of such
a placeholder removes the placeholder too. Each change and its event are
written in one transaction.
"""

from __future__ import annotations

from typing import Any

from synergy_messaging.models import Message, MessageMention, MessageRead
from synergy_messaging.render import message_query
from synergy_messaging.text import mentioned_usernames, plain_text, sanitise

from synergy.errors import Conflict, NotFound, ValidationError
from synergy.models import Project, ProjectMember, User, utcnow


def clean_text(raw: str) -> str:
    """Sanitised text; the length limit applies to what the sender typed (schema-checked)."""
    text = sanitise(raw)
    if not plain_text(text).strip():
        raise ValidationError.for_field("message", "The message is empty once unsafe markup "
                                                   "is removed.")
    return text


def member_mentions(project_id: int, text: str) -> list[User]:
    """Users named in ``text`` who belong to the project; anyone else is ignored."""
    names = mentioned_usernames(text)
    if not names:
        return []
    return list(User.select(User.id, User.username)
                .join(ProjectMember, on=(ProjectMember.user == User.id))
                .where(ProjectMember.project == project_id, User.username_key.in_(names),
                       User.is_active == True)  # noqa: E712
                .order_by(User.username_key))


def brief_user(user: User | None) -> dict[str, Any] | None:
    return None if user is None else {"id": user.id, "username": user.username}


def event_message(message: Message, mentions: list[User]) -> dict[str, Any]:
    """The message as events carry it (no per-reader fields such as ``is_read``)."""
    return {"id": message.id,
            "project": {"id": message.project.id, "name": message.project.name},
            "sender": brief_user(message.sender), "parent": message.parent_id,
            "thread": message.thread_id, "content": message.message,
            "mentions": [brief_user(user) for user in mentions],
            "created_at": message.created_at, "is_edited": message.is_edited}


def visible_project(kernel: Any, user: User, project_id: int, field: str = "project") -> Project:
    """The project, or 404 naming ``field`` whether it is missing or merely not visible."""
    project = Project.get_or_none(Project.id == project_id)
    if project is None or not kernel.permissions.allowed(user, "project.view", project):
        raise NotFound("No such project.", fields={field: ["No such project."]})
    return project


def visible_message(kernel: Any, user: User, message_id: int) -> Message:
    message = message_query().where(Message.id == message_id).get_or_none()
    if message is None or not kernel.permissions.allowed(user, "message.view", message):
        raise NotFound("No such message.")
    return message


def post_message(kernel: Any, user: User, project_id: int, raw_text: str,
                 parent_id: int | None = None) -> Message:
    project = visible_project(kernel, user, project_id)
    kernel.permissions.require(user, "message.create", project)
    text = clean_text(raw_text)
    root_id = None
    if parent_id is not None:
        parent = Message.get_or_none(Message.id == parent_id, Message.project == project.id)
        if parent is None:
            raise ValidationError.for_field("parent", "No such message in this project.")
        root_id = parent.parent_id or parent.id
    with kernel.db.atomic():
        message = Message.create(project=project, sender=user, parent=root_id, message=text)
        mentions = member_mentions(project.id, text)
        _store_mentions(message.id, mentions)
        MessageRead.create(message=message, user=user)
        kernel.events.record("message.created", payload={
            "message": event_message(message, mentions)}, actor=user, project=project,
            description=f"{user.username} posted a message")
    return message


def edit_message(kernel: Any, user: User, message: Message, raw_text: str) -> Message:
    kernel.permissions.require(user, "message.change", message)
    if message.is_deleted:
        raise Conflict("A deleted message cannot be edited.", code="message_deleted")
    text = clean_text(raw_text)
    if text == message.message:
        return message
    old_mentions = list(User.select(User.id, User.username)
                        .join(MessageMention, on=(MessageMention.user == User.id))
                        .where(MessageMention.message == message.id).order_by(User.username_key))
    with kernel.db.atomic():
        now = utcnow()
        old_text = message.message
        message.message, message.is_edited, message.edited_at = text, True, now
        message.updated_at = now
        message.save()
        MessageMention.delete().where(MessageMention.message == message.id).execute()
        mentions = member_mentions(message.project_id, text)
        _store_mentions(message.id, mentions)
        changes: dict[str, Any] = {"message": {"old": old_text, "new": text}}
        if {u.id for u in old_mentions} != {u.id for u in mentions}:
            changes["mentions"] = {"old": [brief_user(u) for u in old_mentions],
                                   "new": [brief_user(u) for u in mentions]}
        kernel.events.record("message.updated", payload={
            "message": event_message(message, mentions), "changes": changes},
            actor=user, project=message.project_id,
            description=f"{user.username} edited a message")
    return message


def delete_message(kernel: Any, user: User, message: Message) -> None:
    kernel.permissions.require(user, "message.delete", message)
    with kernel.db.atomic():
        payload = {"message": {"id": message.id,
                               "project": {"id": message.project.id,
                                           "name": message.project.name},
                               "sender": brief_user(message.sender),
                               "parent": message.parent_id, "thread": message.thread_id}}
        has_replies = Message.select().where(Message.parent == message.id).exists()
        if has_replies:
            Message.update(is_deleted=True, message="", updated_at=utcnow()).where(
                Message.id == message.id).execute()
            MessageMention.delete().where(MessageMention.message == message.id).execute()
        else:
            Message.delete().where(Message.id == message.id).execute()
            _drop_empty_placeholder(message.parent_id)
        kernel.events.record("message.deleted", payload=payload, actor=user,
                             project=message.project_id,
                             description=f"{user.username} deleted a message")


def _store_mentions(message_id: int, mentions: list[User]) -> None:
    if mentions:
        MessageMention.insert_many([{"message": message_id, "user": mentioned.id}
                                    for mentioned in mentions]).execute()


def _drop_empty_placeholder(root_id: int | None) -> None:
    if root_id is None:
        return
    still_replied = Message.select().where(Message.parent == root_id).exists()
    if not still_replied:
        Message.delete().where(Message.id == root_id, Message.is_deleted == True).execute()  # noqa: E712


def mark_read(user: User, message: Message) -> None:
    MessageRead.insert(message=message.id, user=user.id).on_conflict_ignore().execute()
