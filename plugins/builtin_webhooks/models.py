"""Webhooks, their deliveries and the log of every attempt."""

from __future__ import annotations

import uuid

import peewee

from synergy.models import BaseModel, JSONField, User, utcnow

PENDING = "pending"
RETRYING = "retrying"
SUCCESS = "success"
FAILED = "failed"
DELIVERY_STATUSES = (PENDING, RETRYING, SUCCESS, FAILED)
OPEN_STATUSES = (PENDING, RETRYING)


class Webhook(BaseModel):
    """A receiver URL owned by one user.

    ``project_id`` (optional scope) is a plain integer like ``Event.project_id``:
    a scoped webhook outlives its project so it can still be inspected.
    ``previous_secret`` keeps signing until ``previous_secret_expires_at`` after
    a rotation. ``failing_since`` is the start of the current run of failures.
    """

    id = peewee.UUIDField(primary_key=True, default=uuid.uuid4)
    owner = peewee.ForeignKeyField(User, backref="webhooks", on_delete="CASCADE")
    name = peewee.CharField(max_length=200)
    url = peewee.CharField(max_length=2000)
    events = JSONField(default=list)
    project_id = peewee.IntegerField(null=True, index=True)
    is_active = peewee.BooleanField(default=True)
    secret = peewee.CharField(max_length=100)
    previous_secret = peewee.CharField(max_length=100, null=True)
    previous_secret_expires_at = peewee.DateTimeField(null=True)
    failing_since = peewee.DateTimeField(null=True)
    disabled_at = peewee.DateTimeField(null=True)
    disabled_reason = peewee.TextField(default="")
    created_at = peewee.DateTimeField(default=utcnow)
    updated_at = peewee.DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("owner", "created_at"), False), (("is_active", "owner"), False))


class Delivery(BaseModel):
    """One event for one webhook: created once, sent until a 2xx or given up.

    ``body`` is the exact text sent, so every retry signs the same bytes;
    ``message_id`` is the ``webhook-id`` header, stable across retries and
    redeliveries. While an attempt is in flight ``claim_token`` is set and
    ``next_attempt_at`` is the end of its lease: if the worker dies the lease
    runs out and the sweep sends the delivery again.
    """

    id = peewee.UUIDField(primary_key=True, default=uuid.uuid4)
    webhook = peewee.ForeignKeyField(Webhook, backref="deliveries", on_delete="CASCADE")
    event_id = peewee.IntegerField()
    event_type = peewee.CharField(max_length=100)
    message_id = peewee.CharField(max_length=64, unique=True)
    body = peewee.TextField()
    status = peewee.CharField(max_length=10, default=PENDING)
    attempts = peewee.IntegerField(default=0)
    # ``attempts`` when the current run of tries began (0, or a manual resend):
    # the retry ladder restarts from its first step after redeliver/recover.
    ladder_start = peewee.IntegerField(default=0)
    next_attempt_at = peewee.DateTimeField(default=utcnow)
    claim_token = peewee.CharField(max_length=32, null=True)
    created_at = peewee.DateTimeField(default=utcnow)
    delivered_at = peewee.DateTimeField(null=True)
    last_attempt_at = peewee.DateTimeField(null=True)
    last_status_code = peewee.IntegerField(null=True)
    last_error = peewee.TextField(default="")
    last_duration_ms = peewee.IntegerField(null=True)
    last_response = peewee.TextField(default="")

    class Meta:
        indexes = (
            (("webhook", "event_id"), True),
            (("status", "next_attempt_at"), False),
            (("webhook", "created_at"), False),
        )


class DeliveryAttempt(BaseModel):
    """The log line of one HTTP attempt (or of a refusal to send one)."""

    delivery = peewee.ForeignKeyField(Delivery, backref="attempt_log", on_delete="CASCADE")
    number = peewee.IntegerField()
    started_at = peewee.DateTimeField(default=utcnow)
    status_code = peewee.IntegerField(null=True)
    error = peewee.TextField(default="")
    duration_ms = peewee.IntegerField(default=0)
    response_body = peewee.TextField(default="")
    succeeded = peewee.BooleanField(default=False)

    class Meta:
        indexes = ((("delivery", "number"), False),)


MODELS = (Webhook, Delivery, DeliveryAttempt)
