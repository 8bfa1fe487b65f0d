"""The plugin's tables: the security log, rate-limit counters and account locks."""

from __future__ import annotations

import peewee

from synergy.models import BaseModel, JSONField, utcnow

# The original system's nine types first, then the ones it lacked.
EVENT_TYPES = (
    "login_success", "login_failed", "logout", "password_change", "password_reset_request",
    "password_reset", "rate_limit", "registration", "other",
    "account_locked", "account_unlocked", "token_reuse_detected", "permission_denied",
    "session_revoked", "email_change_request", "email_change",
)


class SecurityEvent(BaseModel):
    """One entry of the security log.

    ``user_id`` is a plain integer (not a foreign key) so the log outlives the
    account it talks about; ``username`` keeps the name as typed, which is what
    matters for failed logins. ``source_event_id`` is the kernel event an entry
    was made from: unique, so a re-delivered event is written once.
    """

    user_id = peewee.IntegerField(null=True)
    username = peewee.CharField(max_length=150, default="")
    event_type = peewee.CharField(max_length=40)
    ip_address = peewee.CharField(max_length=45, null=True)
    user_agent = peewee.CharField(max_length=512, default="")
    description = peewee.TextField(default="")
    metadata = JSONField(default=dict)
    created_at = peewee.DateTimeField(default=utcnow)
    source_event_id = peewee.IntegerField(null=True, unique=True)

    class Meta:
        table_name = "security_event"
        indexes = (
            (("created_at",), False),
            (("user_id", "created_at"), False),
            (("event_type", "created_at"), False),
        )


class RateCounter(BaseModel):
    """A rate-limit bucket when Redis is not configured: hits in the window that ends at
    ``window_ends_at`` (seconds since the epoch, so the upsert's arithmetic is portable)."""

    bucket = peewee.CharField(max_length=255, primary_key=True)
    hits = peewee.IntegerField(default=0)
    window_ends_at = peewee.DoubleField()

    class Meta:
        table_name = "security_rate_counter"


class AccountLock(BaseModel):
    """An account refusing logins until ``locked_until`` after too many failures."""

    user_id = peewee.IntegerField(unique=True)
    locked_at = peewee.DateTimeField(default=utcnow)
    locked_until = peewee.DateTimeField()
    failures = peewee.IntegerField(default=0)

    class Meta:
        table_name = "security_account_lock"


SECURITY_MODELS = (SecurityEvent, RateCounter, AccountLock)
