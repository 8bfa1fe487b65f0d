"""Request and response shapes of ``/api/messages/`` (also the OpenAPI description)."""

from __future__ import annotations

from synergy_messaging.text import MAX_LENGTH

from synergy.schema import Boolean, Dict, Integer, List, Schema, String

# Ids are 32-bit on PostgreSQL: a larger number is a client error, not a database error.
MAX_ID = 2_147_483_647


class MessageCreate(Schema):
    project = Integer(minimum=1, maximum=MAX_ID)
    message = String(min_length=1, max_length=MAX_LENGTH,
                     description="HTML subset p, br, strong, em, ul, ol, li, a[href]; "
                                 "@username mentions members.")
    parent = Integer(minimum=1, maximum=MAX_ID, required=False, nullable=True,
                     description="Reply to this message; a reply to a reply joins the "
                                 "thread root (threads are one level deep).")


class MessageEdit(Schema):
    message = String(min_length=1, max_length=MAX_LENGTH)


class MessageListQuery(Schema):
    project = Integer(minimum=1, maximum=MAX_ID, required=False,
                      description="Only this project.")
    thread = Integer(minimum=1, maximum=MAX_ID, required=False,
                     description="A whole thread (root first, then replies) given any of "
                                 "its messages.")


class UnreadQuery(Schema):
    project = Integer(minimum=1, maximum=MAX_ID, required=False)


class MessageOut(Schema):
    id = Integer(read_only=True)
    project = Dict(read_only=True)
    sender = Dict(read_only=True, nullable=True, description="null for a deleted message.")
    message = String(read_only=True, nullable=True, description="null for a deleted message.")
    parent = Integer(read_only=True, nullable=True)
    thread = Integer(read_only=True, description="Id of the thread root.")
    mentions = List(Dict(), read_only=True)
    replies_count = Integer(read_only=True)
    is_read = Boolean(read_only=True, description="For the caller.")
    is_edited = Boolean(read_only=True)
    edited_at = String(read_only=True, nullable=True)
    is_deleted = Boolean(read_only=True)
    created_at = String(read_only=True)
    updated_at = String(read_only=True)


class ReadOut(Schema):
    id = Integer(read_only=True)
    is_read = Boolean(read_only=True)
