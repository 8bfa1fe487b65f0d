"""Accounts and their login sessions."""

from __future__ import annotations

import peewee

from synergy.models.base import BaseModel, utcnow

ROLES = ("member", "manager", "admin")


class User(BaseModel):
    """A person. ``role`` is a label for the directory; privileges come from ``is_staff``."""

    username = peewee.CharField(max_length=150)
    # Lower-cased copy: usernames are unique regardless of case.
    username_key = peewee.CharField(max_length=150, unique=True)
    # Stored lower-cased, so the unique index is case-insensitive.
    email = peewee.CharField(max_length=254, unique=True)
    password = peewee.CharField(max_length=256)
    first_name = peewee.CharField(max_length=150, default="")
    last_name = peewee.CharField(max_length=150, default="")
    bio = peewee.TextField(default="")
    location = peewee.CharField(max_length=100, default="")
    phone = peewee.CharField(max_length=30, default="")
    company = peewee.CharField(max_length=100, default="")
    role = peewee.CharField(max_length=20, default="member")
    is_active = peewee.BooleanField(default=True)
    is_staff = peewee.BooleanField(default=False)
    date_joined = peewee.DateTimeField(default=utcnow)
    last_login = peewee.DateTimeField(null=True)

    @property
    def full_name(self) -> str:
        name = f"{self.first_name} {self.last_name}".strip()
        return name or self.username


class AuthSession(BaseModel):
    """One login: the refresh-token family that rotation keeps replacing.

    ``refresh_jti`` is the only refresh token of the family that may still be
    used; presenting an older one means it was stolen or replayed, and the
    whole session is revoked. Access tokens name their session (``sid``), so
    revoking a session stops its access tokens at once.
    """

    id = peewee.CharField(max_length=32, primary_key=True)
    user = peewee.ForeignKeyField(User, backref="sessions", on_delete="CASCADE")
    refresh_jti = peewee.CharField(max_length=32, unique=True)
    created_at = peewee.DateTimeField(default=utcnow)
    last_used_at = peewee.DateTimeField(default=utcnow)
    expires_at = peewee.DateTimeField()
    ip_address = peewee.CharField(max_length=45, null=True)
    user_agent = peewee.CharField(max_length=512, default="")
    revoked_at = peewee.DateTimeField(null=True)
    revoked_reason = peewee.CharField(max_length=50, default="")

    class Meta:
        indexes = ((("user", "revoked_at"), False),)


class EmailChangeRequest(BaseModel):
    """A pending change of an account's e-mail, applied when the new address confirms it.

    Only the SHA-256 of the link's token is stored; a newer request of the same
    account supersedes (uses up) the older ones.
    """

    user = peewee.ForeignKeyField(User, backref="email_changes", on_delete="CASCADE")
    new_email = peewee.CharField(max_length=254)
    token_hash = peewee.CharField(max_length=64, unique=True)
    created_at = peewee.DateTimeField(default=utcnow)
    expires_at = peewee.DateTimeField()
    used_at = peewee.DateTimeField(null=True)


class PasswordResetToken(BaseModel):
    """A single-use reset token; only its SHA-256 is stored."""

    user = peewee.ForeignKeyField(User, backref="reset_tokens", on_delete="CASCADE")
    token_hash = peewee.CharField(max_length=64, unique=True)
    created_at = peewee.DateTimeField(default=utcnow)
    expires_at = peewee.DateTimeField()
    used_at = peewee.DateTimeField(null=True)
