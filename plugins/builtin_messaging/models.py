"""Tables of the messaging plugin (prefixed ``messaging_`` so no other plugin collides)."""

from __future__ import annotations

import peewee

from synergy.models import BaseModel, Project, User, utcnow


class Message(BaseModel):
    """A chat message in a project; ``parent`` is always a thread root (threads are one level).

    A deleted root that still has replies stays as a placeholder (``is_deleted``,
    empty text) so the replies keep their thread.
    """

    project = peewee.ForeignKeyField(Project, backref="messages", on_delete="CASCADE")
    # SET NULL: deleting an account must not take other people's replies with its threads.
    sender = peewee.ForeignKeyField(User, backref="messages", null=True, on_delete="SET NULL")
    parent = peewee.ForeignKeyField("self", null=True, backref="replies", on_delete="CASCADE")
    message = peewee.TextField()
    is_edited = peewee.BooleanField(default=False)
    edited_at = peewee.DateTimeField(null=True)
    is_deleted = peewee.BooleanField(default=False)
    created_at = peewee.DateTimeField(default=utcnow)
    updated_at = peewee.DateTimeField(default=utcnow)

    class Meta:
        table_name = "messaging_message"
        indexes = ((("project", "parent", "id"), False),)

    @property
    def thread_id(self) -> int:
        return self.parent_id or self.id


class MessageMention(BaseModel):
    """A project member named with ``@username`` in a message (non-members are never stored)."""

    message = peewee.ForeignKeyField(Message, backref="mention_rows", on_delete="CASCADE")
    user = peewee.ForeignKeyField(User, on_delete="CASCADE")

    class Meta:
        table_name = "messaging_mention"
        indexes = ((("message", "user"), True),)


class MessageRead(BaseModel):
    """That ``user`` has read ``message``; absence means unread."""

    message = peewee.ForeignKeyField(Message, backref="read_rows", on_delete="CASCADE")
    user = peewee.ForeignKeyField(User, on_delete="CASCADE")
    read_at = peewee.DateTimeField(default=utcnow)

    class Meta:
        table_name = "messaging_read"
        indexes = ((("message", "user"), True), (("user", "message"), False))


MESSAGING_MODELS = (Message, MessageMention, MessageRead)
