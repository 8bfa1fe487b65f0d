"""The event outbox, which is also every project's activity feed."""

from __future__ import annotations

import peewee

from synergy.models.base import BaseModel, JSONField, utcnow


class Event(BaseModel):
    """A committed domain event.

    Written in the same transaction as the change it describes. ``actor_id``
    and ``project_id`` are plain integers, not foreign keys, so history
    survives the deletion of what it talks about. ``pending_subscribers`` lists
    the plugins that have not yet handled the event (``None``: not dispatched
    yet, so all of them); ``dispatched_at`` is set once that list is empty.
    """

    type = peewee.CharField(max_length=100, index=True)
    occurred_at = peewee.DateTimeField(default=utcnow)
    actor_id = peewee.IntegerField(null=True)
    project_id = peewee.IntegerField(null=True)
    payload = JSONField(default=dict)
    description = peewee.TextField(default="")
    dispatched_at = peewee.DateTimeField(null=True)
    dispatch_attempts = peewee.IntegerField(default=0)
    next_attempt_at = peewee.DateTimeField(null=True)
    pending_subscribers = JSONField(null=True)
    last_error = peewee.TextField(default="")

    class Meta:
        indexes = (
            (("project_id", "id"), False),
            (("dispatched_at", "next_attempt_at"), False),
        )
