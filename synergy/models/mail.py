"""Outgoing mail, recorded with the change that caused it (mail outbox)."""

from __future__ import annotations

import peewee

from synergy.models.base import BaseModel, utcnow


class OutgoingMail(BaseModel):
    to = peewee.CharField(max_length=254)
    subject = peewee.CharField(max_length=255)
    text = peewee.TextField()
    html = peewee.TextField(null=True)
    created_at = peewee.DateTimeField(default=utcnow)
    sent_at = peewee.DateTimeField(null=True)
    attempts = peewee.IntegerField(default=0)
    next_attempt_at = peewee.DateTimeField(null=True)
    gave_up_at = peewee.DateTimeField(null=True)
    last_error = peewee.TextField(default="")

    class Meta:
        indexes = ((("sent_at", "gave_up_at", "next_attempt_at"), False),)
