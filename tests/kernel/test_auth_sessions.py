"""Register, login, refresh rotation, logout, cookies, and the auth events they record."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from synergy.models import AuthSession, Event, User
from tests.conftest import PASSWORD, Api, assert_error

BROWSER = {"User-Agent": "Mozilla/5.0 (X11; Linux) Firefox/131.0"}


def events_of(api: Api, event_type: str) -> list[Event]:
    with api.kernel.connection():
        return list(Event.select().where(Event.type == event_type).order_by(Event.id))


def first_user_id(api: Api) -> int:
    with api.kernel.connection():
        return User.select(User.id).order_by(User.id).first().id


def login(api: Api, username: str = "ada", password: str = PASSWORD, **kwargs: Any) -> Any:
    return api.post("/api/auth/login/", {"username": username, "password": password}, **kwargs)


def test_register_answers_tokens_cookie_and_records_event(api: Api) -> None:
    result = api.post("/api/auth/register/", {
        "username": "Ada", "email": "Ada@Example.com", "password": PASSWORD,
        "first_name": "Ada", "last_name": "Lovelace"}, headers=BROWSER, remote_addr="192.0.2.4")
    assert result.status_code == 201, result.text
    assert set(result.json) == {"user", "access", "refresh"}
    user = result.json["user"]
    assert user["username"] == "Ada" and user["email"] == "ada@example.com"
    assert user["full_name"] == "Ada Lovelace" and user["role"] == "member"
    assert user["is_staff"] is False and user["date_joined"].endswith("Z")
    assert "password" not in user
    cookie = result.cookies["synergy_refresh_token"]
    assert cookie.http_only and cookie.path == "/api/auth/"
    assert cookie.value == result.json["refresh"]
    assert result.headers["Cache-Control"] == "no-store"

    [event] = events_of(api, "user.registered")
    assert event.actor_id == user["id"]
    assert event.payload == {"user": {"id": user["id"], "username": "Ada"},
                             "email": "ada@example.com", "ip": "192.0.2.4",
                             "user_agent": BROWSER["User-Agent"]}


@pytest.mark.parametrize("duplicate", [
    {"username": "ADA", "email": "other@example.com"},
    {"username": "other", "email": "ADA@EXAMPLE.COM"},
])
def test_username_and_email_are_unique_case_insensitively(api: Api,
                                                          duplicate: dict[str, str]) -> None:
    api.as_new_user("ada")
    result = api.post("/api/auth/register/", {**duplicate, "password": PASSWORD})
    assert_error(result, 409, "conflict")
    with api.kernel.connection():
        assert User.select().count() == 1


@pytest.mark.parametrize("identifier", ["ada", "ADA", "ada@example.com", " Ada@Example.COM "])
def test_login_by_username_or_email_case_insensitively(api: Api, identifier: str) -> None:
    api.as_new_user("ada")
    result = login(api, identifier, headers=BROWSER, remote_addr="198.51.100.20")
    assert result.status_code == 200, result.text
    assert result.json["user"]["username"] == "ada"
    assert result.json["user"]["last_login"] is not None
    assert result.cookies["synergy_refresh_token"].http_only
    [event] = events_of(api, "auth.login_succeeded")
    assert event.payload["ip"] == "198.51.100.20"
    assert event.payload["user_agent"] == BROWSER["User-Agent"]
    assert event.payload["user"]["username"] == "ada"


@pytest.mark.parametrize(("identifier", "password", "reason"), [
    ("ada", "Wrong-Horse-42", "bad_password"),
    ("nobody", PASSWORD, "unknown_user"),
])
def test_failed_logins_look_alike_and_are_recorded(api: Api, identifier: str, password: str,
                                                   reason: str) -> None:
    api.as_new_user("ada")
    error = assert_error(login(api, identifier, password, headers=BROWSER), 401,
                         "invalid_credentials")
    assert error["message"] == "Invalid username/e-mail or password."
    [event] = events_of(api, "auth.login_failed")
    assert event.payload["reason"] == reason
    assert event.payload["username"] == identifier
    assert event.payload["user_agent"] == BROWSER["User-Agent"]
    assert event.payload["ip"] == "127.0.0.1"


def test_inactive_accounts_cannot_log_in_and_lose_their_sessions(api: Api) -> None:
    ada = api.as_new_user("ada")
    with api.kernel.connection():
        User.update(is_active=False).where(User.username == "ada").execute()
    assert_error(login(api), 401, "invalid_credentials")
    assert_error(ada.get("/api/auth/user/"), 401, "session_revoked")
    assert events_of(api, "auth.login_failed")[0].payload["reason"] == "inactive"


def test_refresh_rotates_and_reuse_revokes_the_session(api: Api) -> None:
    api.as_new_user("ada")
    first = login(api).json
    rotated = api.post("/api/auth/token/refresh/", {"refresh": first["refresh"]},
                       remote_addr="203.0.113.50")
    assert rotated.status_code == 200, rotated.text
    assert set(rotated.json) == {"access", "refresh"}
    assert rotated.json["refresh"] != first["refresh"]
    assert rotated.cookies["synergy_refresh_token"].value == rotated.json["refresh"]
    assert Api(api.kernel, rotated.json["access"]).get("/api/auth/user/").status_code == 200

    # The old refresh token is presented again: someone else holds a copy.
    reused = api.post("/api/auth/token/refresh/", {"refresh": first["refresh"]},
                      remote_addr="203.0.113.99")
    assert_error(reused, 401, "token_reused")
    for token in (first["access"], rotated.json["access"]):
        assert_error(Api(api.kernel, token).get("/api/auth/user/"), 401, "session_revoked")
    assert_error(api.post("/api/auth/token/refresh/", {"refresh": rotated.json["refresh"]}),
                 401, "session_revoked")
    [event] = events_of(api, "auth.token_reuse_detected")
    assert event.payload["ip"] == "203.0.113.99"
    assert event.payload["user"] == {"id": first_user_id(api), "username": "ada"}
    with api.kernel.connection():
        session = AuthSession.get_by_id(event.payload["session_id"])
    assert session.revoked_reason == "token_reuse"


def test_refresh_accepts_the_http_only_cookie(api: Api) -> None:
    api.as_new_user("ada")
    cookie = login(api).cookies["synergy_refresh_token"].value
    result = api.post("/api/auth/token/refresh/", {},
                      headers={"Cookie": f"synergy_refresh_token={cookie}"})
    assert result.status_code == 200, result.text
    assert result.json["refresh"] != cookie
    assert_error(api.post("/api/auth/token/refresh/", {}), 401, "refresh_missing")


def test_logout_with_a_refresh_token_ends_that_session_only(api: Api) -> None:
    api.as_new_user("ada")
    phone, laptop = login(api).json, login(api).json
    laptop_api = Api(api.kernel, laptop["access"])
    result = laptop_api.post("/api/auth/logout/", {"refresh": phone["refresh"]})
    assert result.status_code == 200, result.text
    cleared = result.cookies["synergy_refresh_token"]
    assert cleared.value == "" and cleared.expires <= dt.datetime.now(dt.UTC)
    assert_error(Api(api.kernel, phone["access"]).get("/api/auth/user/"), 401)
    assert_error(api.post("/api/auth/token/refresh/", {"refresh": phone["refresh"]}), 401)
    assert laptop_api.get("/api/auth/user/").status_code == 200
    assert len(events_of(api, "auth.logout")) == 1


def test_logout_without_a_body_ends_the_current_session(api: Api) -> None:
    ada = api.as_new_user("ada")
    assert ada.post("/api/auth/logout/").status_code == 200
    assert_error(ada.get("/api/auth/user/"), 401, "session_revoked")


def test_logout_refuses_someone_elses_refresh_token(api: Api) -> None:
    api.as_new_user("ada")
    grace = api.as_new_user("grace")
    ada_refresh = login(api).json["refresh"]
    assert_error(grace.post("/api/auth/logout/", {"refresh": ada_refresh}), 400,
                 "validation_error", "refresh")
    assert_error(grace.post("/api/auth/logout/", {"refresh": "not-a-token-at-all"}), 400,
                 "validation_error", "refresh")
    assert Api(api.kernel, login(api).json["access"]).get("/api/auth/user/").status_code == 200
