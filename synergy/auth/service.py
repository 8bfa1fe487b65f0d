"""Authentication rules: accounts, sessions, tokens and password changes.

HTTP-free so that resources, the CLI and tests share the same rules. Every
outcome worth auditing is recorded as an ``auth.*`` event with the client's
address and user agent; the security plugin builds its log from those.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import peewee

from synergy.auth.passwords import PasswordHasher, check_password
from synergy.auth.tokens import TokenCodec, new_token_id
from synergy.database import PreparedQuery
from synergy.errors import AuthenticationFailed, Conflict, ValidationError
from synergy.models import AuthSession, PasswordResetToken, User, utcnow
from synergy.rows import RowShape

if TYPE_CHECKING:
    from synergy.app import Kernel

INVALID_CREDENTIALS = "Invalid username/e-mail or password."
WRONG_CURRENT_PASSWORD = ("The current password is wrong, or the account is locked after too "
                          "many failed attempts.")
_USER_ROW = RowShape(User)


@dataclass(frozen=True)
class Client:
    """Who is on the other end of a request, as far as logs need to know."""

    ip: str | None = None
    user_agent: str = ""

    def as_payload(self) -> dict[str, Any]:
        return {"ip": self.ip, "user_agent": self.user_agent[:512]}


@dataclass(frozen=True)
class TokenPair:
    access: str
    refresh: str
    session_id: str
    # Until the session ends: rotation never extends a session beyond its login's lifetime.
    refresh_lifetime: dt.timedelta


def user_summary(user: User | None) -> dict[str, Any] | None:
    return None if user is None else {"id": user.id, "username": user.username}


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class AuthService:
    def __init__(self, kernel: Kernel) -> None:
        self.kernel = kernel
        settings = kernel.settings
        self.hasher = PasswordHasher(settings.password_hashing)
        self.tokens = TokenCodec(settings.secret(),
                                 access_minutes=settings.access_token_minutes,
                                 refresh_minutes=settings.refresh_token_minutes)
        self._session_user = PreparedQuery(lambda sid, user_id, now: (
            User.select(*_USER_ROW.columns)
            .join(AuthSession, on=(AuthSession.user == User.id))
            .where(AuthSession.id == sid, User.id == user_id, AuthSession.revoked_at.is_null(),
                   AuthSession.expires_at > now, User.is_active == True)), _USER_ROW)  # noqa: E712

    # Requests ------------------------------------------------------------------------

    def authenticate_access_token(self, token: str) -> tuple[User, str]:
        """One query: the user, provided the session is live and the account active."""
        claims = self.tokens.decode(token, "access")
        row = self._session_user.first(sid=claims["sid"], user_id=claims["user_id"],
                                       now=utcnow())
        if row is None:
            raise AuthenticationFailed("The session has ended; log in again.",
                                       code="session_revoked")
        return row, claims["sid"]

    # Accounts ------------------------------------------------------------------------

    def create_user(self, *, username: str, email: str, password: str, first_name: str = "",
                    last_name: str = "", is_staff: bool = False, check_rules: bool = True,
                    **profile: Any) -> User:
        """Create an account (also used by ``synergy createuser``)."""
        if check_rules:
            check_password(password, username=username, email=email, first_name=first_name,
                           last_name=last_name)
        self.ensure_unique(username=username, email=email)
        try:
            with self.kernel.db.atomic():
                return User.create(username=username, username_key=username.lower(),
                                   email=email.lower(), password=self.hasher.hash(password),
                                   first_name=first_name, last_name=last_name,
                                   is_staff=is_staff, **profile)
        except peewee.IntegrityError:
            raise Conflict("That username or e-mail is already registered.",
                           fields={"username": ["Already taken."]}) from None

    def ensure_unique(self, *, username: str | None = None, email: str | None = None,
                      exclude: int | None = None) -> None:
        errors: dict[str, list[str]] = {}
        for field, column, value in (("username", User.username_key, username),
                                     ("email", User.email, email)):
            if value is None:
                continue
            query = User.select().where(column == value.lower())
            if exclude is not None:
                query = query.where(User.id != exclude)
            if query.exists():
                errors[field] = [f"A user with that {field} already exists."]
        if errors:
            raise Conflict("Already registered: " + ", ".join(errors), fields=errors)

    def register(self, data: dict[str, Any], client: Client) -> tuple[User, TokenPair]:
        with self.kernel.db.atomic():
            user = self.create_user(**data)
            self.kernel.events.record("user.registered", actor=user, payload={
                "user": user_summary(user), "email": user.email, **client.as_payload()})
            pair = self.start_session(user, client)
        return user, pair

    # Sessions ------------------------------------------------------------------------

    def start_session(self, user: User, client: Client) -> TokenPair:
        session = AuthSession.create(
            id=new_token_id(), user=user, refresh_jti=new_token_id(),
            expires_at=utcnow() + self.tokens.refresh_lifetime,
            ip_address=client.ip, user_agent=client.user_agent[:512])
        return TokenPair(access=self.tokens.access_token(user.id, session.id),
                         refresh=self.tokens.refresh_token(user.id, session.id,
                                                           session.refresh_jti),
                         session_id=session.id, refresh_lifetime=self.tokens.refresh_lifetime)

    def login(self, identifier: str, password: str, client: Client,
              request: Any = None) -> tuple[User, TokenPair]:
        """Check the credentials, then open a session.

        Every check that can refuse comes first: rate limits (middleware, before
        this runs), the password, the account's state and the ``auth.login``
        permission hooks (where the lockout lives). Only then is the session
        written, and nothing after it may fail the request: what follows the
        response (failure counters) goes through the backing services and fails
        open, so a client is never refused a session that was committed for it.
        """
        key = identifier.strip().lower()
        user = User.get_or_none((User.username_key == key) | (User.email == key))
        matches, new_hash = self.hasher.verify(password, user.password if user else None)
        allowed = (matches and user is not None and user.is_active
                   and self.kernel.permissions.allowed(user, "auth.login", user, request))
        if not allowed:
            reason = ("unknown_user" if user is None else "inactive" if not user.is_active
                      else "bad_password" if not matches else "refused")
            with self.kernel.db.atomic():
                self.kernel.events.record("auth.login_failed", actor=user, payload={
                    "user": user_summary(user), "username": identifier[:150], "reason": reason,
                    **client.as_payload()})
            if user is not None:
                self.password_checked(user, False, "login", client, request)
            raise AuthenticationFailed(INVALID_CREDENTIALS, code="invalid_credentials")
        with self.kernel.db.atomic():
            updates: dict[Any, Any] = {User.last_login: utcnow()}
            if new_hash:
                updates[User.password] = new_hash
            User.update(updates).where(User.id == user.id).execute()
            user = User.get_by_id(user.id)
            pair = self.start_session(user, client)
            self.kernel.events.record("auth.login_succeeded", actor=user, payload={
                "user": user_summary(user), "username": identifier[:150],
                "session_id": pair.session_id, "hash_upgraded": bool(new_hash),
                **client.as_payload()})
        self.password_checked(user, True, "login", client, request)
        return user, pair

    def password_checked(self, user: User, succeeded: bool, purpose: str, client: Client,
                         request: Any = None) -> None:
        """Tell plugins (``synergy_password_checked``) how a password check of ``user`` ended.

        The security plugin's lockout counts failures here, whatever route or
        command checked the password.
        """
        self.kernel.plugins.call_each("synergy_password_checked", kernel=self.kernel, user=user,
                                      succeeded=succeeded, purpose=purpose, client=client,
                                      request=request)

    def verify_current_password(self, user: User, password: str, client: Client, *,
                                purpose: str, field: str, request: Any = None) -> None:
        """Require the caller's current password before a sensitive account change.

        An access token alone must not change what protects the account. The check
        is a login in all but name: a wrong password counts as a failed login for
        the account, and an account that may not log in now (inactive, or locked
        by the security plugin's ``auth.login`` rule) may not make the change
        either; both answer the same 400 on ``field``.
        """
        matches, _ = self.hasher.verify(password, user.password)
        allowed = (matches and user.is_active
                   and self.kernel.permissions.allowed(user, "auth.login", user, request))
        self.password_checked(user, allowed, purpose, client, request)
        if not allowed:
            raise ValidationError(WRONG_CURRENT_PASSWORD, fields={field: ["Wrong password."]})

    def refresh(self, token: str, client: Client) -> TokenPair:
        """Rotate: the presented refresh token dies, a new pair is issued.

        Presenting a refresh token that was already rotated means two parties
        hold it; the whole session is revoked so the thief loses access too.
        """
        claims = self.tokens.decode(token, "refresh")
        session = AuthSession.get_or_none(AuthSession.id == claims["sid"])
        if (session is None or session.user_id != claims["user_id"]
                or session.revoked_at is not None or session.expires_at <= utcnow()):
            raise AuthenticationFailed("The session has ended; log in again.",
                                       code="session_revoked")
        new_jti = new_token_id()
        with self.kernel.db.atomic():
            rotated = (AuthSession.update(refresh_jti=new_jti, last_used_at=utcnow(),
                                          ip_address=client.ip,
                                          user_agent=client.user_agent[:512])
                       .where(AuthSession.id == session.id,
                              AuthSession.refresh_jti == claims["jti"],
                              AuthSession.revoked_at.is_null())
                       .execute())
            if not rotated:
                self.revoke_sessions(session.user_id, reason="token_reuse",
                                     only=session.id)
                self.kernel.events.record("auth.token_reuse_detected", actor=session.user_id,
                                          payload={"user": user_summary(session.user),
                                                   "session_id": session.id,
                                                   **client.as_payload()})
        if not rotated:
            raise AuthenticationFailed("This refresh token was already used; the session "
                                       "has been revoked. Log in again.",
                                       code="token_reused")
        user = User.get_by_id(session.user_id)
        if not user.is_active:
            raise AuthenticationFailed("The account is inactive.", code="session_revoked")
        remaining = session.expires_at - utcnow()
        return TokenPair(access=self.tokens.access_token(user.id, session.id),
                         refresh=self.tokens.refresh_token(user.id, session.id, new_jti,
                                                           lifetime=remaining),
                         session_id=session.id, refresh_lifetime=remaining)

    def logout(self, user: User, client: Client, *, refresh_token: str | None,
               session_id: str | None) -> None:
        if refresh_token:
            try:
                claims = self.tokens.decode(refresh_token, "refresh")
            except AuthenticationFailed:
                raise ValidationError("The refresh token is invalid.",
                                      fields={"refresh": ["Invalid or expired token."]}) from None
            if claims["user_id"] != user.id:
                raise ValidationError("That refresh token belongs to another account.",
                                      fields={"refresh": ["Not your token."]})
            session_id = claims["sid"]
        with self.kernel.db.atomic():
            self.revoke_sessions(user.id, reason="logout", only=session_id)
            self.kernel.events.record("auth.logout", actor=user, payload={
                "user": user_summary(user), "session_id": session_id, **client.as_payload()})

    def revoke_sessions(self, user_id: int, *, reason: str, only: str | None = None,
                        keep: str | None = None) -> int:
        query = AuthSession.update(revoked_at=utcnow(), revoked_reason=reason).where(
            AuthSession.user == user_id, AuthSession.revoked_at.is_null())
        if only is not None:
            query = query.where(AuthSession.id == only)
        if keep is not None:
            query = query.where(AuthSession.id != keep)
        return query.execute()

    # Passwords -----------------------------------------------------------------------

    def change_password(self, user: User, old: str, new: str, client: Client,
                        current_session: str | None, request: Any = None) -> None:
        self.verify_current_password(user, old, client, purpose="change_password",
                                     field="old_password", request=request)
        if old == new:
            raise ValidationError("Choose a password different from the current one.",
                                  fields={"new_password": ["Same as the current password."]})
        check_password(new, field="new_password", username=user.username, email=user.email,
                       first_name=user.first_name, last_name=user.last_name)
        with self.kernel.db.atomic():
            User.update(password=self.hasher.hash(new)).where(User.id == user.id).execute()
            revoked = self.revoke_sessions(user.id, reason="password_changed",
                                           keep=current_session)
            self.kernel.events.record("auth.password_changed", actor=user, payload={
                "user": user_summary(user), "sessions_revoked": revoked,
                **client.as_payload()})

    def request_password_reset(self, email: str, client: Client) -> None:
        """Always succeeds from the caller's view, so it reveals no account."""
        user = User.get_or_none(User.email == email.lower())
        with self.kernel.db.atomic():
            if user is not None and user.is_active:
                token = secrets.token_urlsafe(32)
                PasswordResetToken.create(
                    user=user, token_hash=_hash_token(token),
                    expires_at=utcnow() + dt.timedelta(
                        minutes=self.kernel.settings.password_reset_minutes))
                link = (f"{self.kernel.settings.public_url.rstrip('/')}/reset-password/"
                        f"{user.id}/{token}")
                self.kernel.mail.send(
                    to=user.email, subject="Reset your SynergyOS password",
                    text=(f"Hello {user.full_name},\n\nSomeone asked to reset the password of "
                          f"your SynergyOS account '{user.username}'. If it was you, open:\n\n"
                          f"{link}\n\nor send uid={user.id} and this token to the API:\n{token}"
                          f"\n\nThe link works once and expires in "
                          f"{self.kernel.settings.password_reset_minutes} minutes. If it was "
                          "not you, ignore this message."),
                    sensitive=True)
            self.kernel.events.record("auth.password_reset_requested", actor=user, payload={
                "user": user_summary(user), "email": email[:254],
                "account_found": user is not None, **client.as_payload()})

    def confirm_password_reset(self, uid: int, token: str, new: str, client: Client) -> None:
        invalid = ValidationError("The reset link is invalid or has expired.",
                                  fields={"token": ["Invalid or expired."]})
        record = PasswordResetToken.get_or_none(PasswordResetToken.token_hash == _hash_token(token))
        if (record is None or record.user_id != uid or record.used_at is not None
                or record.expires_at <= utcnow()
                or not hmac.compare_digest(record.token_hash, _hash_token(token))):
            raise invalid
        user = User.get_by_id(uid)
        check_password(new, field="new_password", username=user.username, email=user.email,
                       first_name=user.first_name, last_name=user.last_name)
        with self.kernel.db.atomic():
            used = (PasswordResetToken.update(used_at=utcnow())
                    .where(PasswordResetToken.id == record.id,
                           PasswordResetToken.used_at.is_null()).execute())
            if not used:
                raise invalid
            PasswordResetToken.update(used_at=utcnow()).where(
                PasswordResetToken.user == uid, PasswordResetToken.used_at.is_null()).execute()
            User.update(password=self.hasher.hash(new)).where(User.id == uid).execute()
            revoked = self.revoke_sessions(uid, reason="password_reset")
            self.kernel.events.record("auth.password_reset", actor=user, payload={
                "user": user_summary(user), "sessions_revoked": revoked, **client.as_payload()})
