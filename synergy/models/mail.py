"""Outgoing mail, recorded with the change that caused it (mail outbox).

A ``sensitive`` message (one carrying a token, like a password-reset link) has
its body cleared once it is sent or given up: the token is of no use to anyone
after that, and a copy of this table (a backup, a read replica) must not hand
it out. Other bodies are kept, so an operator can see what a user was sent.
"""

from __future__ import annotations

import peewee

from synergy.models.base import BaseModel, utcnow


class OutgoingMail(BaseModel):
    to = peewee.CharField(max_length=254)
    subject = peewee.CharField(max_length=255)
    text = peewee.TextField()
    html = peewee.TextField(null=True)
    sensitive = peewee.BooleanField(default=False)
    created_at = peewee.DateTimeField(default=utcnow)
    sent_at = peewee.DateTimeField(null=True)
    attempts = peewee.IntegerField(default=0)
    next_attempt_at = peewee.DateTimeField(null=True)
    gave_up_at = peewee.DateTimeField(null=True)
    last_error = peewee.TextField(default="")

    class Meta:
        indexes = ((("sent_at", "gave_up_at", "next_attempt_at"), False),)
