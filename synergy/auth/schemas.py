"""Request and response shapes of the authentication endpoints."""

from __future__ import annotations

from synergy.schema import Boolean, DateTime, Email, Integer, Schema, String

USERNAME_PATTERN = r"[A-Za-z0-9][A-Za-z0-9_.-]{2,29}"
NAME_PATTERN = r"[^\x00-\x1f<>]*"


class RegisterBody(Schema):
    username = String(min_length=3, max_length=30, pattern=USERNAME_PATTERN,
                      description="3–30 characters: letters, digits, '_', '.', '-'; "
                                  "starts with a letter or digit.")
    email = Email()
    password = String(max_length=128, strip=False)
    first_name = String(max_length=50, default="", pattern=NAME_PATTERN)
    last_name = String(max_length=50, default="", pattern=NAME_PATTERN)


class LoginBody(Schema):
    username = String(min_length=1, max_length=254, description="Username or e-mail.")
    password = String(min_length=1, max_length=1024, strip=False)


class RefreshBody(Schema):
    refresh = String(required=False, max_length=2048,
                     description="Omit to use the HttpOnly refresh cookie.")


class LogoutBody(Schema):
    refresh = String(required=False, max_length=2048,
                     description="Omit to end the session of the access token used.")


class ChangePasswordBody(Schema):
    old_password = String(min_length=1, max_length=1024, strip=False)
    new_password = String(max_length=128, strip=False)


class EmailChangeBody(Schema):
    new_email = Email()
    password = String(min_length=1, max_length=1024, strip=False,
                      description="Your current password.")


class EmailChangeConfirmBody(Schema):
    token = String(min_length=10, max_length=256, description="The token from the link.")


class PasswordResetBody(Schema):
    email = String(min_length=3, max_length=254)


class PasswordResetConfirmBody(Schema):
    uid = Integer(minimum=1, maximum=2**31 - 1)
    token = String(min_length=10, max_length=256)
    new_password = String(max_length=128, strip=False)


class ProfileBody(Schema):
    username = String(min_length=3, max_length=30, pattern=USERNAME_PATTERN)
    email = Email(description="Must stay the current address: change it with "
                              "POST /api/auth/email-change/.")
    first_name = String(max_length=50, pattern=NAME_PATTERN)
    last_name = String(max_length=50, pattern=NAME_PATTERN)
    bio = String(max_length=2000, default="")
    location = String(max_length=100, default="")
    phone = String(max_length=30, default="", pattern=r"[0-9+()\-. ]*")
    company = String(max_length=100, default="")


class UserOut(Schema):
    id = Integer(read_only=True)
    username = String(read_only=True)
    email = String(read_only=True)
    first_name = String(read_only=True)
    last_name = String(read_only=True)
    full_name = String(read_only=True)
    bio = String(read_only=True)
    location = String(read_only=True)
    phone = String(read_only=True)
    company = String(read_only=True)
    role = String(read_only=True)
    is_staff = Boolean(read_only=True)
    date_joined = DateTime(read_only=True)
    last_login = DateTime(read_only=True, nullable=True)


class TokensOut(Schema):
    access = String(read_only=True)
    refresh = String(read_only=True)


class MessageOut(Schema):
    message = String(read_only=True)
