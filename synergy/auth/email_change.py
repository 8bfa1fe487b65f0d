"""Changing an account's e-mail: proven by the current password, confirmed from the new address.

Whoever controls an account's mailbox controls its password resets, so an access
token alone must not move the account to another address. A request needs the
current password (a wrong one counts as a failed login, and a locked account
cannot ask), sends a single-use link to the NEW address and tells the OLD one;
the address changes only when the link is used, within :data:`CONFIRM_HOURS`.
A newer request of the same account supersedes the older ones.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from typing import TYPE_CHECKING, Any

import peewee

from synergy.auth.service import Client, user_summary
from synergy.errors import Conflict, ValidationError
from synergy.models import EmailChangeRequest, User, utcnow

if TYPE_CHECKING:
    from synergy.app import Kernel

CONFIRM_HOURS = 24
CONFIRM_PATH = "confirm-email"


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class EmailChanges:
    def __init__(self, kernel: Kernel) -> None:
        self.kernel = kernel

    def request(self, user: User, new_email: str, password: str, client: Client,
                request: Any = None) -> None:
        """Check the password, then mail a confirmation link to ``new_email``."""
        self.kernel.auth.verify_current_password(user, password, client,
                                                 purpose="email_change", field="password",
                                                 request=request)
        new_email = new_email.lower()
        if new_email == user.email:
            raise ValidationError("That is already your e-mail address.",
                                  fields={"new_email": ["Same as the current address."]})
        self.kernel.auth.ensure_unique(email=new_email, exclude=user.id)
        token = secrets.token_urlsafe(32)
        now = utcnow()
        with self.kernel.db.atomic():
            EmailChangeRequest.update(used_at=now).where(
                EmailChangeRequest.user == user.id, EmailChangeRequest.used_at.is_null()
            ).execute()
            EmailChangeRequest.create(user=user, new_email=new_email,
                                      token_hash=_hash_token(token), created_at=now,
                                      expires_at=now + dt.timedelta(hours=CONFIRM_HOURS))
            self._mail_confirmation(user, new_email, token)
            self._mail_notice(user, new_email)
            self.kernel.events.record("auth.email_change_requested", actor=user, payload={
                "user": user_summary(user), **client.as_payload()})

    def confirm(self, token: str, client: Client) -> User:
        """Apply the change a link names; the link works once, before it expires."""
        invalid = ValidationError("The confirmation link is invalid, was already used or has "
                                  "expired.", fields={"token": ["Invalid or expired."]})
        record = EmailChangeRequest.get_or_none(
            EmailChangeRequest.token_hash == _hash_token(token))
        if record is None or record.used_at is not None or record.expires_at <= utcnow():
            raise invalid
        user = User.get_or_none(User.id == record.user_id)
        if user is None or not user.is_active:
            raise invalid
        self.kernel.auth.ensure_unique(email=record.new_email, exclude=user.id)
        with self.kernel.db.atomic():
            used = (EmailChangeRequest.update(used_at=utcnow())
                    .where(EmailChangeRequest.id == record.id,
                           EmailChangeRequest.used_at.is_null()).execute())
            if not used:
                raise invalid
            try:
                with self.kernel.db.atomic():
                    User.update(email=record.new_email).where(User.id == user.id).execute()
            except peewee.IntegrityError:
                # Lost a race with another account taking the address.
                raise Conflict("That e-mail is already registered.",
                               fields={"new_email": ["Already taken."]}) from None
            self.kernel.events.record("auth.email_changed", actor=user, payload={
                "user": user_summary(user), **client.as_payload()})
        return User.get_by_id(user.id)

    def _mail_confirmation(self, user: User, new_email: str, token: str) -> None:
        """Carries a secret (the token) to the new address."""
        link = f"{self.kernel.settings.public_url.rstrip('/')}/{CONFIRM_PATH}/{token}"
        self.kernel.mail.send(
            to=new_email, subject="Confirm your new SynergyOS e-mail address",
            text=(f"Hello {user.full_name},\n\nThe SynergyOS account '{user.username}' asked "
                  f"to use this address from now on. To confirm, open:\n\n{link}\n\nor send "
                  f"this token to POST /api/auth/email-change-confirm/:\n{token}\n\nThe link "
                  f"works once and expires in {CONFIRM_HOURS} hours. If you did not ask for "
                  "this, ignore this message: nothing changes."),
            sensitive=True)

    def _mail_notice(self, user: User, new_email: str) -> None:
        self.kernel.mail.send(
            to=user.email, subject="Your SynergyOS e-mail address is about to change",
            text=(f"Hello {user.full_name},\n\nSomeone signed in as '{user.username}' and "
                  f"asked to change the account's e-mail to {_masked(new_email)}. It changes "
                  "only once a link sent to that address is opened.\n\nIf it was not you, "
                  "change your password now: that also ends every other session."))


def _masked(address: str) -> str:
    """Enough of the new address for its owner to recognise it, not enough to harvest it."""
    local, _, domain = address.partition("@")
    return f"{local[:2]}{'*' * max(1, len(local) - 2)}@{domain}"
