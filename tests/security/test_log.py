"""The security log: kernel auth events become entries, once, without secrets."""

from __future__ import annotations

import datetime as dt
import email
import re
from typing import Any

from synergy_security.models import EVENT_TYPES, SecurityEvent

from synergy.app import Kernel
from synergy.models import Event, utcnow
from tests.conftest import PASSWORD, Api, assert_error
from tests.security.conftest import login, security_events

NEW_PASSWORD = "Brand-New-Secret-77"


def _types(kernel: Kernel) -> list[str]:
    return [event.event_type for event in security_events(kernel)]


def test_every_kernel_auth_event_is_logged_without_secrets(secure_app: Kernel,
                                                            sapi: Api) -> None:
    ada = sapi.as_new_user("ada")
    assert_error(login(sapi, "ada", "wrong-password-1"), 401, "invalid_credentials")
    ok = login(sapi, "ada", PASSWORD, headers={"User-Agent": "pytest-agent/1"})
    assert ok.status_code == 200
    refresh = ok.json["refresh"]
    rotated = sapi.post("/api/auth/token/refresh/", {"refresh": refresh})
    assert rotated.status_code == 200
    assert_error(sapi.post("/api/auth/token/refresh/", {"refresh": refresh}), 401,
                 "token_reused")
    changed = ada.post("/api/auth/change-password/",
                       {"old_password": PASSWORD, "new_password": NEW_PASSWORD})
    assert changed.status_code == 200, changed.text
    assert sapi.post("/api/auth/password-reset/", {"email": "ada@example.com"}).status_code == 200
    # The token is read from the delivered message: the outbox row no longer holds it.
    [delivered] = secure_app.settings.outbox_path.glob("*.eml")
    body = email.message_from_bytes(delivered.read_bytes()).get_payload(decode=True).decode()
    uid, reset_token = re.search(r"uid=(\d+) and this token to the API:\n(\S+)",
                                 body).groups()
    final_password = "Another-Secret-88"
    reset = sapi.post("/api/auth/password-reset-confirm/",
                      {"uid": int(uid), "token": reset_token, "new_password": final_password})
    assert reset.status_code == 200, reset.text
    again = login(sapi, "ada", final_password)
    assert Api(secure_app, again.json["access"]).post("/api/auth/logout/", {}).status_code == 200

    assert _types(secure_app) == [
        "registration", "login_failed", "login_success", "token_reuse_detected",
        "password_change", "password_reset_request", "password_reset", "login_success",
        "logout"]
    failed = security_events(secure_app, "login_failed")[0]
    assert failed.username == "ada" and failed.user_id == ada.user["id"]
    assert failed.ip_address == "127.0.0.1"
    assert failed.metadata["reason"] == "bad_password"
    success = security_events(secure_app, "login_success")[0]
    assert success.user_agent == "pytest-agent/1"
    assert security_events(secure_app, "token_reuse_detected")[0].username == "ada"

    secrets = [PASSWORD, NEW_PASSWORD, final_password, "wrong-password-1", refresh,
               rotated.json["refresh"], rotated.json["access"], ok.json["access"],
               ada.token, reset_token, again.json["access"], again.json["refresh"]]
    with secure_app.connection():
        rows = list(SecurityEvent.select().tuples())
    stored = repr(rows)
    assert len(rows) == 9
    for secret in secrets:
        assert secret not in stored


def test_redelivered_event_is_written_once(secure_app: Kernel, sapi: Api) -> None:
    sapi.as_new_user("ada")
    with secure_app.connection():
        event = Event.get(Event.type == "user.registered")
        Event.update(dispatched_at=None, pending_subscribers=None).where(
            Event.id == event.id).execute()
        secure_app.events.dispatch(event.id)
    assert _types(secure_app) == ["registration"]


def test_unknown_login_name_is_logged_as_typed(secure_app: Kernel, sapi: Api) -> None:
    assert login(sapi, "Mallory", "whatever-pass").status_code == 401
    [entry] = security_events(secure_app, "login_failed")
    assert entry.user_id is None and entry.username == "Mallory"
    assert entry.metadata["reason"] == "unknown_user"


def test_reset_request_for_unknown_address_keeps_the_address(secure_app: Kernel,
                                                            sapi: Api) -> None:
    assert sapi.post("/api/auth/password-reset/", {"email": "who@example.com"}).status_code == 200
    [entry] = security_events(secure_app, "password_reset_request")
    assert entry.user_id is None and entry.username == "who@example.com"
    assert entry.metadata["account_found"] is False


def test_list_shows_own_events_and_staff_sees_all(secure_app: Kernel, sapi: Api) -> None:
    ada = sapi.as_new_user("ada")
    grace = sapi.as_new_user("grace", staff=True)
    login(sapi, "ada", "nope-nope-1")
    mine = ada.get("/api/auth/security-events/")
    assert mine.status_code == 200, mine.text
    assert [row["event_type"] for row in mine.json["results"]] == ["login_failed",
                                                                   "registration"]
    assert all(row["user"]["username"] == "ada" for row in mine.json["results"])
    everyone = grace.get("/api/auth/security-events/")
    assert everyone.json["count"] == 3
    only_ada = grace.get("/api/auth/security-events/?user=ada&event_type=login_failed,logout")
    assert [row["event_type"] for row in only_ada.json["results"]] == ["login_failed"]
    by_id = grace.get(f"/api/auth/security-events/?user={ada.user['id']}")
    assert by_id.json["count"] == 2
    foreign = ada.get("/api/auth/security-events/?user=grace")
    assert foreign.json["count"] == 0


def test_filters_by_ip_and_dates(secure_app: Kernel, sapi: Api) -> None:
    grace = sapi.as_new_user("grace", staff=True)
    login(sapi, "grace", "bad-one-111", ip="198.51.100.4")
    with secure_app.connection():
        SecurityEvent.update(created_at=utcnow() - dt.timedelta(days=3)).where(
            SecurityEvent.event_type == "registration").execute()
    by_ip = grace.get("/api/auth/security-events/?ip=198.51.100.4")
    assert [row["event_type"] for row in by_ip.json["results"]] == ["login_failed"]
    today = utcnow().date().isoformat()
    assert grace.get(f"/api/auth/security-events/?date_from={today}").json["count"] == 1
    assert grace.get(f"/api/auth/security-events/?date_to={today}").json["count"] == 2
    old = (utcnow().date() - dt.timedelta(days=2)).isoformat()
    assert grace.get(f"/api/auth/security-events/?date_to={old}").json["count"] == 1
    since = (utcnow() - dt.timedelta(hours=1)).isoformat() + "Z"
    assert grace.get(f"/api/auth/security-events/?date_from={since}").json["count"] == 1


def test_bad_filters_are_400_with_details(sapi: Api) -> None:
    ada = sapi.as_new_user("ada")
    base = "/api/auth/security-events/"
    assert_error(ada.get(base + "?event_type=login_success,hacked"), 400, field="event_type")
    assert_error(ada.get(base + "?date_from=2026-02-30"), 400, field="date_from")
    assert_error(ada.get(base + "?date_to=yesterday"), 400, field="date_to")
    assert_error(ada.get(base + "?ip=999.1.1.1"), 400, field="ip")
    assert_error(ada.get(base + "?colour=red"), 400, field="colour")
    assert_error(ada.get(base + "?date_from=2026-05-02&date_to=2026-05-01"), 400,
                 field="date_from")
    assert_error(ada.get(base + "?page=0"), 400, field="page")
    assert_error(sapi.get(base), 401)


def test_event_types_cover_the_original_and_the_new_ones() -> None:
    original = {"login_success", "login_failed", "logout", "password_change",
                "password_reset_request", "password_reset", "rate_limit", "registration",
                "other"}
    added = {"account_locked", "account_unlocked", "token_reuse_detected",
             "permission_denied", "session_revoked", "email_change_request", "email_change"}
    assert set(EVENT_TYPES) == original | added


def test_retention_job_deletes_old_events(make_secure_app: Any) -> None:
    kernel = make_secure_app(SYNERGY_SECURITY_RETENTION_DAYS=30)
    api = Api(kernel)
    api.as_new_user("ada")
    login(api, "ada", "nope-nope-1")
    with kernel.connection():
        SecurityEvent.update(created_at=utcnow() - dt.timedelta(days=31)).where(
            SecurityEvent.event_type == "registration").execute()
    kernel.enqueue("security.purge")
    assert _types(kernel) == ["login_failed"]
