"""Profile updates, password change and reset, client IPs behind proxies."""

from __future__ import annotations

import datetime as dt
import email
import re
from pathlib import Path

import pytest

from synergy.models import Event, OutgoingMail, PasswordResetToken, User
from tests.conftest import PASSWORD, Api, assert_error

NEW_PASSWORD = "Brand-New-Secret-77"


def login(api: Api, username: str = "ada", password: str = PASSWORD) -> Api:
    result = api.post("/api/auth/login/", {"username": username, "password": password})
    assert result.status_code == 200, result.text
    return Api(api.kernel, result.json["access"])


def test_profile_patch_and_put(api: Api) -> None:
    ada = api.as_new_user("ada")
    patched = ada.patch("/api/auth/user/update/", {"bio": "Analyst", "location": "London"})
    assert patched.status_code == 200, patched.text
    assert patched.json["bio"] == "Analyst" and patched.json["username"] == "ada"

    # PUT sends the e-mail back unchanged (any case); changing it has its own endpoint.
    put = ada.put("/api/auth/user/update/", {"username": "countess", "email": "ADA@Example.com",
                                             "first_name": "Ada", "last_name": "King"})
    assert put.status_code == 200, put.text
    assert put.json["username"] == "countess" and put.json["email"] == "ada@example.com"
    assert put.json["bio"] == ""  # PUT replaces: omitted optional fields reset
    assert login(api, "COUNTESS").get("/api/auth/user/").json["full_name"] == "Ada King"
    assert_error(ada.put("/api/auth/user/update/", {"bio": "x"}), 400, "validation_error",
                 "username")


@pytest.mark.parametrize("field", ["role", "is_staff", "is_active", "password", "id",
                                   "date_joined"])
def test_profile_update_cannot_touch_privileges(api: Api, field: str) -> None:
    ada = api.as_new_user("ada")
    value = True if field.startswith("is_") else "admin"
    assert_error(ada.patch("/api/auth/user/update/", {field: value, "bio": "sneaky"}), 400,
                 "validation_error", field)
    me = ada.get("/api/auth/user/").json
    assert me["role"] == "member" and me["is_staff"] is False and me["bio"] == ""


def test_profile_update_refuses_a_taken_username_or_email(api: Api) -> None:
    api.as_new_user("grace")
    ada = api.as_new_user("ada")
    assert_error(ada.patch("/api/auth/user/update/", {"username": "GRACE"}), 409, "conflict",
                 "username")
    assert_error(ada.patch("/api/auth/user/update/", {"email": "grace@example.com"}), 400,
                 "validation_error", "email")
    assert ada.patch("/api/auth/user/update/", {"username": "ADA"}).status_code == 200


def test_change_password_keeps_this_session_and_ends_the_others(api: Api) -> None:
    ada = api.as_new_user("ada")
    other = login(api)
    assert_error(ada.post("/api/auth/change-password/", {
        "old_password": "Wrong-Horse-42", "new_password": NEW_PASSWORD}), 400,
        "validation_error", "old_password")
    assert_error(ada.post("/api/auth/change-password/", {
        "old_password": PASSWORD, "new_password": "12345678"}), 400, "validation_error",
        "new_password")
    assert other.get("/api/auth/user/").status_code == 200

    changed = ada.post("/api/auth/change-password/", {"old_password": PASSWORD,
                                                      "new_password": NEW_PASSWORD},
                       remote_addr="192.0.2.8")
    assert changed.status_code == 200, changed.text
    assert ada.get("/api/auth/user/").status_code == 200
    assert_error(other.get("/api/auth/user/"), 401, "session_revoked")
    assert_error(api.post("/api/auth/login/", {"username": "ada", "password": PASSWORD}), 401)
    login(api, password=NEW_PASSWORD)
    with api.kernel.connection():
        event = Event.get(Event.type == "auth.password_changed")
    assert event.payload["sessions_revoked"] == 1 and event.payload["ip"] == "192.0.2.8"


def _reset_mail(outbox: Path) -> tuple[email.message.Message, int, str]:
    [path] = outbox.glob("*.eml")
    message = email.message_from_bytes(path.read_bytes())
    body = message.get_payload(decode=True).decode()
    match = re.search(r"/reset-password/(\d+)/([A-Za-z0-9_-]{20,})", body)
    assert match, body
    return message, int(match.group(1)), match.group(2)


def test_password_reset_round_trip(make_app) -> None:
    kernel = make_app(SYNERGY_PUBLIC_URL="https://pm.example.org")
    api = Api(kernel)
    ada = api.as_new_user("ada")
    assert_error(api.post("/api/auth/password-reset/", {}), 400, "validation_error", "email")

    unknown = api.post("/api/auth/password-reset/", {"email": "nobody@example.com"})
    known = api.post("/api/auth/password-reset/", {"email": "ADA@example.com"},
                     remote_addr="192.0.2.77")
    assert unknown.status_code == known.status_code == 200
    assert unknown.json == known.json  # no account enumeration
    outbox = kernel.settings.outbox_path
    message, uid, token = _reset_mail(outbox)
    assert message["To"] == "ada@example.com"
    assert message["Subject"] == "Reset your SynergyOS password"
    assert f"https://pm.example.org/reset-password/{uid}/{token}" in \
        message.get_payload(decode=True).decode()
    with kernel.connection():
        requested = list(Event.select().where(Event.type == "auth.password_reset_requested")
                         .order_by(Event.id))
        assert PasswordResetToken.get().token_hash != token  # only a digest is stored
    assert [event.payload["account_found"] for event in requested] == [False, True]
    assert requested[1].payload["ip"] == "192.0.2.77"

    weak = api.post("/api/auth/password-reset-confirm/", {"uid": uid, "token": token,
                                                          "new_password": "password1"})
    assert_error(weak, 400, "validation_error", "new_password")
    assert_error(api.post("/api/auth/password-reset-confirm/", {
        "uid": uid + 1, "token": token, "new_password": NEW_PASSWORD}), 400, field="token")

    confirmed = api.post("/api/auth/password-reset-confirm/", {
        "uid": uid, "token": token, "new_password": NEW_PASSWORD})
    assert confirmed.status_code == 200, confirmed.text
    assert_error(ada.get("/api/auth/user/"), 401, "session_revoked")
    login(api, password=NEW_PASSWORD)
    replay = api.post("/api/auth/password-reset-confirm/", {
        "uid": uid, "token": token, "new_password": "Another-Secret-88"})
    assert_error(replay, 400, "validation_error", "token")
    with kernel.connection():
        assert Event.select().where(Event.type == "auth.password_reset").count() == 1


def test_an_expired_reset_token_is_refused(api: Api) -> None:
    api.as_new_user("ada")
    assert api.post("/api/auth/password-reset/", {"email": "ada@example.com"}).status_code == 200
    _, uid, token = _reset_mail(api.kernel.settings.outbox_path)
    with api.kernel.connection():
        PasswordResetToken.update(expires_at=dt.datetime.now(dt.UTC).replace(tzinfo=None)
                                  - dt.timedelta(seconds=1)).execute()
    assert_error(api.post("/api/auth/password-reset-confirm/", {
        "uid": uid, "token": token, "new_password": NEW_PASSWORD}), 400, field="token")
    login(api)


def test_inactive_accounts_get_no_reset_mail(api: Api) -> None:
    api.as_new_user("ada")
    with api.kernel.connection():
        User.update(is_active=False).execute()
    assert api.post("/api/auth/password-reset/", {"email": "ada@example.com"}).status_code == 200
    with api.kernel.connection():
        assert OutgoingMail.select().count() == 0


@pytest.mark.parametrize(("peer", "forwarded", "expected"), [
    ("10.0.0.5", "198.51.100.7", "198.51.100.7"),
    ("10.0.0.5", "6.6.6.6, 198.51.100.7, 10.1.1.1", "198.51.100.7"),
    ("203.0.113.9", "198.51.100.7", "203.0.113.9"),
    ("10.0.0.5", "not-an-ip", "10.0.0.5"),
    ("::ffff:10.0.0.5", "2001:db8::7", "2001:db8::7"),
    ("unix:/run/synergy.sock", "198.51.100.7", None),
])
def test_client_ip_believes_forwarded_for_only_from_trusted_proxies(
        make_app, peer: str, forwarded: str, expected: str | None) -> None:
    api = Api(make_app(SYNERGY_TRUSTED_PROXIES="10.0.0.0/8, 127.0.0.1"))
    result = api.post("/api/auth/login/", {"username": "ghost", "password": PASSWORD},
                      remote_addr=peer, headers={"X-Forwarded-For": forwarded})
    assert_error(result, 401)
    with api.kernel.connection():
        assert Event.get(Event.type == "auth.login_failed").payload["ip"] == expected
