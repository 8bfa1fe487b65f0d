"""Tables of the notifications plugin (prefixed ``notifications_``)."""

from __future__ import annotations

import peewee

from synergy.models import BaseModel, JSONField, User, utcnow


class Notification(BaseModel):
    """One in-app notification.

    ``source`` names what caused it (``event:<id>`` or ``task:<id>:due:<date>``);
    the unique index on (recipient, type, source) is what makes fan-out
    idempotent when an event is delivered twice or a periodic job runs again.
    """

    recipient = peewee.ForeignKeyField(User, backref="notifications", on_delete="CASCADE")
    type = peewee.CharField(max_length=50)
    source = peewee.CharField(max_length=100)
    title = peewee.CharField(max_length=255)
    message = peewee.TextField(default="")
    action_url = peewee.CharField(max_length=500, default="")
    metadata = JSONField(default=dict)
    read = peewee.BooleanField(default=False)
    read_at = peewee.DateTimeField(null=True)
    created_at = peewee.DateTimeField(default=utcnow)

    class Meta:
        table_name = "notifications_notification"
        indexes = (
            (("recipient", "type", "source"), True),
            (("recipient", "read", "id"), False),
            (("read", "created_at"), False),
        )


class NotificationPreference(BaseModel):
    """A user's choices; ``in_app``/``email`` hold only the types that differ from defaults.

    No row means all defaults, so users need no row until they change something.
    """

    user = peewee.ForeignKeyField(User, unique=True, on_delete="CASCADE")
    in_app = JSONField(default=dict)
    email = JSONField(default=dict)
    digest = peewee.CharField(max_length=10, default="never")
    last_digest_at = peewee.DateTimeField(null=True)
    updated_at = peewee.DateTimeField(default=utcnow)

    class Meta:
        table_name = "notifications_preference"
        indexes = ((("digest",), False),)


NOTIFICATION_MODELS = (Notification, NotificationPreference)
