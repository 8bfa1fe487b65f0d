"""Users see their sessions and end them; an ended session's access tokens stop at once."""

from __future__ import annotations

from synergy.app import Kernel
from tests.conftest import PASSWORD, Api, assert_error
from tests.security.conftest import login, security_events


def test_list_and_revoke_sessions(secure_app: Kernel, sapi: Api) -> None:
    ada = sapi.as_new_user("ada")
    laptop = login(sapi, "ada", PASSWORD, ip="192.0.2.7", headers={"User-Agent": "Laptop/2"})
    laptop_api = Api(secure_app, laptop.json["access"])
    listed = ada.get("/api/auth/sessions/")
    assert listed.status_code == 200, listed.text
    sessions = listed.json["results"]
    assert listed.json["count"] == 2
    by_agent = {row["user_agent"]: row for row in sessions}
    assert by_agent["Laptop/2"]["ip_address"] == "192.0.2.7"
    assert by_agent["Laptop/2"]["current"] is False
    assert [row["current"] for row in sessions].count(True) == 1
    assert set(sessions[0]) == {"id", "created_at", "last_used_at", "expires_at",
                                "ip_address", "user_agent", "current"}
    assert laptop_api.get("/api/auth/user/").status_code == 200

    revoked = ada.delete(f"/api/auth/sessions/{by_agent['Laptop/2']['id']}/")
    assert revoked.status_code == 204, revoked.text
    assert_error(laptop_api.get("/api/auth/user/"), 401, "session_revoked")
    assert_error(sapi.post("/api/auth/token/refresh/", {"refresh": laptop.json["refresh"]}),
                 401)
    assert ada.get("/api/auth/sessions/").json["count"] == 1
    assert_error(ada.delete(f"/api/auth/sessions/{by_agent['Laptop/2']['id']}/"), 404)
    [event] = security_events(secure_app, "session_revoked")
    assert event.username == "ada" and event.metadata["session_ip"] == "192.0.2.7"


def test_someone_elses_session_is_not_found(sapi: Api) -> None:
    ada = sapi.as_new_user("ada")
    grace = sapi.as_new_user("grace")
    [ada_session] = ada.get("/api/auth/sessions/").json["results"]
    assert_error(grace.delete(f"/api/auth/sessions/{ada_session['id']}/"), 404)
    assert ada.get("/api/auth/user/").status_code == 200
    assert_error(sapi.get("/api/auth/sessions/"), 401)
