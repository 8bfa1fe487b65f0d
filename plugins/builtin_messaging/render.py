"""Message representations, a page at a time: three extra queries whatever the page size."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import peewee
from synergy_messaging.models import Message, MessageMention, MessageRead

from synergy.http import iso
from synergy.models import Project, ProjectMember, User


def message_query() -> peewee.ModelSelect:
    """Messages with their project and sender joined, so rendering needs no per-row query."""
    return (Message.select(Message, Project, User)
            .join(Project).switch(Message)
            .join(User, peewee.JOIN.LEFT_OUTER, on=(Message.sender == User.id)))


def member_project_ids(user: User) -> peewee.ModelSelect:
    return ProjectMember.select(ProjectMember.project).where(ProjectMember.user == user.id)


def render_messages(messages: list[Message], reader: User) -> list[dict[str, Any]]:
    """Represent a page for ``reader``: mentions, replies count and read state batched."""
    ids = [message.id for message in messages]
    if not ids:
        return []
    mentions: dict[int, list[dict[str, Any]]] = defaultdict(list)
    mention_rows = (MessageMention.select(MessageMention.message, User.id, User.username)
                    .join(User).where(MessageMention.message.in_(ids))
                    .order_by(User.username_key).tuples())
    for message_id, user_id, username in mention_rows:
        mentions[message_id].append({"id": user_id, "username": username})
    read = {row[0] for row in MessageRead.select(MessageRead.message)
            .where(MessageRead.message.in_(ids), MessageRead.user == reader.id).tuples()}
    replies = dict(Message.select(Message.parent, peewee.fn.COUNT(Message.id))
                   .where(Message.parent.in_(ids)).group_by(Message.parent).tuples())
    return [render_one(message, mentions[message.id], replies.get(message.id, 0),
                       message.id in read) for message in messages]


def render_one(message: Message, mentions: list[dict[str, Any]], replies_count: int,
               is_read: bool) -> dict[str, Any]:
    deleted = message.is_deleted
    return {
        "id": message.id,
        "project": {"id": message.project.id, "name": message.project.name},
        "sender": None if deleted or message.sender is None else {
            "id": message.sender.id, "username": message.sender.username},
        "message": None if deleted else message.message,
        "parent": message.parent_id,
        "thread": message.thread_id,
        "mentions": mentions,
        "replies_count": replies_count,
        "is_read": is_read,
        "is_edited": message.is_edited,
        "edited_at": iso(message.edited_at),
        "is_deleted": deleted,
        "created_at": iso(message.created_at),
        "updated_at": iso(message.updated_at),
    }
