"""HTTP resources of ``/api/auth/``: parse, call :mod:`synergy.auth.service`, render."""

from __future__ import annotations

from typing import Any

import falcon
import peewee

from synergy.auth import schemas
from synergy.auth.email_change import EmailChanges
from synergy.auth.service import Client, TokenPair
from synergy.contributions import Route
from synergy.errors import AuthenticationFailed, Conflict, ValidationError
from synergy.http import endpoint, iso
from synergy.models import User

REFRESH_COOKIE = "synergy_refresh_token"
COOKIE_PATH = "/api/auth/"


def render_user(user: User) -> dict[str, Any]:
    return {
        "id": user.id, "username": user.username, "email": user.email,
        "first_name": user.first_name, "last_name": user.last_name,
        "full_name": user.full_name, "bio": user.bio, "location": user.location,
        "phone": user.phone, "company": user.company, "role": user.role,
        "is_staff": user.is_staff, "date_joined": iso(user.date_joined),
        "last_login": iso(user.last_login),
    }


def client_of(req: falcon.Request) -> Client:
    return Client(ip=req.context.client_ip, user_agent=req.user_agent or "")


class _AuthResource:
    def __init__(self, kernel: Any) -> None:
        self.kernel = kernel
        self.auth = kernel.auth

    def set_refresh_cookie(self, resp: falcon.Response, pair: TokenPair) -> None:
        settings = self.kernel.settings
        resp.set_cookie(REFRESH_COOKIE, pair.refresh,
                        max_age=int(pair.refresh_lifetime.total_seconds()), path=COOKIE_PATH,
                        secure=settings.is_production, http_only=True, same_site="Strict")
        resp.set_header("Cache-Control", "no-store")


class Register(_AuthResource):
    @endpoint("Create an account and log in", body=schemas.RegisterBody, public=True,
              status=201, tags=("auth",), errors=(400, 409))
    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        user, pair = self.auth.register(req.context.body, client_of(req))
        self.set_refresh_cookie(resp, pair)
        resp.media = {"user": render_user(user), "access": pair.access, "refresh": pair.refresh}


class Login(_AuthResource):
    @endpoint("Log in with username or e-mail", body=schemas.LoginBody, public=True,
              tags=("auth",), errors=(400, 401))
    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        body = req.context.body
        user, pair = self.auth.login(body["username"], body["password"], client_of(req),
                                     request=req)
        self.set_refresh_cookie(resp, pair)
        resp.media = {"access": pair.access, "refresh": pair.refresh, "user": render_user(user)}


class Refresh(_AuthResource):
    @endpoint("Exchange a refresh token for a new pair (rotation)", body=schemas.RefreshBody,
              response=schemas.TokensOut, public=True, tags=("auth",), errors=(400, 401))
    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        token = req.context.body.get("refresh") or req.get_cookie_values(REFRESH_COOKIE)
        if isinstance(token, list):
            token = token[0] if token else None
        if not token:
            raise AuthenticationFailed("Send the refresh token in the body or the cookie.",
                                       code="refresh_missing")
        pair = self.auth.refresh(token, client_of(req))
        self.set_refresh_cookie(resp, pair)
        resp.media = {"access": pair.access, "refresh": pair.refresh}


class Logout(_AuthResource):
    @endpoint("End a session", body=schemas.LogoutBody, response=schemas.MessageOut,
              tags=("auth",), errors=(400, 401))
    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        self.auth.logout(req.context.user, client_of(req),
                         refresh_token=req.context.body.get("refresh"),
                         session_id=req.context.session_id)
        resp.unset_cookie(REFRESH_COOKIE, path=COOKIE_PATH)
        resp.media = {"message": "Logged out."}


class CurrentUser(_AuthResource):
    @endpoint("The caller's account", response=schemas.UserOut, tags=("auth",), errors=(401,))
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.media = render_user(req.context.user)


class UpdateProfile(_AuthResource):
    @endpoint("Replace the caller's profile", body=schemas.ProfileBody,
              response=schemas.UserOut, tags=("auth",), errors=(400, 401, 409))
    def on_put(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.media = render_user(self._update(req))

    @endpoint("Change some fields of the caller's profile", body=schemas.ProfileBody,
              response=schemas.UserOut, tags=("auth",), errors=(400, 401, 409))
    def on_patch(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.media = render_user(self._update(req))

    def _update(self, req: falcon.Request) -> User:
        user: User = req.context.user
        changes = dict(req.context.body)
        # PUT sends the whole profile back, e-mail included; only a different one is refused.
        if changes.pop("email", user.email) != user.email:
            raise ValidationError(
                "Change the e-mail with POST /api/auth/email-change/ (it needs your password "
                "and a confirmation from the new address).",
                fields={"email": ["Use POST /api/auth/email-change/ to change it."]})
        self.auth.ensure_unique(username=changes.get("username"), exclude=user.id)
        if "username" in changes:
            changes["username_key"] = changes["username"].lower()
        if changes:
            try:
                with self.kernel.db.atomic():
                    User.update(changes).where(User.id == user.id).execute()
            except peewee.IntegrityError:
                # Lost a race with another account taking the same name.
                raise Conflict("That username or e-mail is already registered.",
                               fields={"username": ["Already taken."]}) from None
        return User.get_by_id(user.id)


class ChangePassword(_AuthResource):
    @endpoint("Change the caller's password; ends the caller's other sessions",
              body=schemas.ChangePasswordBody, response=schemas.MessageOut, tags=("auth",),
              errors=(400, 401))
    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        body = req.context.body
        self.auth.change_password(req.context.user, body["old_password"], body["new_password"],
                                  client_of(req), req.context.session_id, request=req)
        resp.media = {"message": "Password changed; other sessions were ended."}


class EmailChange(_AuthResource):
    @endpoint("Ask to change the caller's e-mail: needs the current password; a link goes to "
              "the new address and a notice to the old one", body=schemas.EmailChangeBody,
              response=schemas.MessageOut, status=202, tags=("auth",),
              errors=(400, 401, 409))
    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        body = req.context.body
        EmailChanges(self.kernel).request(req.context.user, body["new_email"], body["password"],
                                          client_of(req), request=req)
        resp.media = {"message": "A confirmation link was sent to the new address; the e-mail "
                                 "changes once it is opened."}


class EmailChangeConfirm(_AuthResource):
    @endpoint("Confirm a new e-mail with the token mailed to it (works once)",
              body=schemas.EmailChangeConfirmBody, response=schemas.MessageOut, public=True,
              tags=("auth",), errors=(400, 409))
    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        EmailChanges(self.kernel).confirm(req.context.body["token"], client_of(req))
        resp.media = {"message": "Your e-mail address has been changed."}


class PasswordReset(_AuthResource):
    @endpoint("Mail a password-reset link (always answers 200)",
              body=schemas.PasswordResetBody, response=schemas.MessageOut, public=True,
              tags=("auth",), errors=(400,))
    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        self.auth.request_password_reset(req.context.body["email"], client_of(req))
        resp.media = {"message": "If an account with that e-mail exists, a reset link "
                                 "has been sent to it."}


class PasswordResetConfirm(_AuthResource):
    @endpoint("Set a new password with a reset token; ends every session",
              body=schemas.PasswordResetConfirmBody, response=schemas.MessageOut,
              public=True, tags=("auth",), errors=(400,))
    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        body = req.context.body
        self.auth.confirm_password_reset(body["uid"], body["token"], body["new_password"],
                                         client_of(req))
        resp.media = {"message": "Password has been reset; log in with the new password."}


def auth_routes(kernel: Any) -> list[Route]:
    return [
        Route("/api/auth/register", Register(kernel)),
        Route("/api/auth/login", Login(kernel)),
        Route("/api/auth/token/refresh", Refresh(kernel)),
        Route("/api/auth/logout", Logout(kernel)),
        Route("/api/auth/user", CurrentUser(kernel)),
        Route("/api/auth/user/update", UpdateProfile(kernel)),
        Route("/api/auth/change-password", ChangePassword(kernel)),
        Route("/api/auth/email-change", EmailChange(kernel)),
        Route("/api/auth/email-change-confirm", EmailChangeConfirm(kernel)),
        Route("/api/auth/password-reset", PasswordReset(kernel)),
        Route("/api/auth/password-reset-confirm", PasswordResetConfirm(kernel)),
    ]
