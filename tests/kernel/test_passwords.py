"""Password hashing (argon2id, legacy hashes upgraded at login) and password rules."""

from __future__ import annotations

import base64
import hashlib

import pytest
from passlib.hash import pbkdf2_sha256

from synergy.auth.passwords import PasswordHasher
from synergy.models import Event, User
from tests.conftest import PASSWORD, Api, assert_error


def test_default_hash_is_argon2id_at_owasp_parameters() -> None:
    hasher = PasswordHasher("owasp")
    stored = hasher.hash(PASSWORD)
    assert stored.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert hasher.verify(PASSWORD, stored) == (True, None)
    assert hasher.verify("Wrong-Horse-42", stored) == (False, None)


def test_fast_profile_is_still_argon2id_and_upgrades_to_owasp() -> None:
    fast = PasswordHasher("fast").hash(PASSWORD)
    assert fast.startswith("$argon2id$v=19$m=256,t=1,p=1$")
    matches, replacement = PasswordHasher("owasp").verify(PASSWORD, fast)
    assert matches
    assert replacement is not None and replacement.startswith("$argon2id$v=19$m=19456,t=2,p=1$")


def test_garbage_stored_hashes_never_match() -> None:
    hasher = PasswordHasher("fast")
    for stored in ("", None, "plaintext", "$argon2id$broken", "pbkdf2_sha256$x$y$z"):
        assert hasher.verify(PASSWORD, stored) == (False, None)


def _django_hash(password: str, iterations: int = 1000, salt: str = "s4ltS4lt") -> str:
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt.encode(), iterations)
    return f"pbkdf2_sha256${iterations}${salt}${base64.b64encode(digest).decode()}"


@pytest.mark.parametrize("legacy", ["django", "passlib"])
def test_imported_pbkdf2_hashes_log_in_and_are_upgraded(api: Api, legacy: str) -> None:
    api.as_new_user("grace")
    stored = (_django_hash(PASSWORD) if legacy == "django"
              else pbkdf2_sha256.using(rounds=1000).hash(PASSWORD))
    with api.kernel.connection():
        User.update(password=stored).where(User.username == "grace").execute()

    assert_error(api.post("/api/auth/login/", {"username": "grace",
                                               "password": "Wrong-Horse-42"}),
                 401, "invalid_credentials")
    with api.kernel.connection():
        assert User.get(User.username == "grace").password == stored

    login = api.post("/api/auth/login/", {"username": "grace", "password": PASSWORD})
    assert login.status_code == 200, login.text
    with api.kernel.connection():
        upgraded = User.get(User.username == "grace").password
        event = Event.select().where(Event.type == "auth.login_succeeded") \
            .order_by(Event.id.desc()).get()
    assert upgraded.startswith("$argon2id$")
    assert event.payload["hash_upgraded"] is True
    again = api.post("/api/auth/login/", {"username": "grace", "password": PASSWORD})
    assert again.status_code == 200


@pytest.mark.parametrize(("password", "fragment"), [
    ("Sh0rt!", "at least 8"),
    ("A1-" + "x" * 126, "at most 128"),
    ("8675309123", "entirely numeric"),
    ("password123", "too common"),
    ("Qwerty123!", "too common"),
    ("abcdefgh", "too common"),
    ("margaret-hamilton", "similar to the username"),
    ("Hamilton-Margaret1", "similar to the username"),
    ("apollo-mail-guidance", "similar to the e-mail"),
])
def test_password_rules_on_register(api: Api, password: str, fragment: str) -> None:
    result = api.post("/api/auth/register/", {
        "username": "margaret_hamilton", "email": "apollo.mail.guidance@example.com",
        "password": password})
    error = assert_error(result, 400, "validation_error", "password")
    assert any(fragment in problem for problem in error["fields"]["password"]), error
    with api.kernel.connection():
        assert User.select().count() == 0


def test_a_good_password_is_accepted(api: Api) -> None:
    result = api.post("/api/auth/register/", {
        "username": "margaret_hamilton", "email": "apollo@example.com",
        "password": "Lunar-Module-1969"})
    assert result.status_code == 201, result.text
