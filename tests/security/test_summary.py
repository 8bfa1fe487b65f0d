"""The dashboard summary: counters per type and day, top failed-login IPs, locked accounts."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from synergy_security.models import SecurityEvent

from synergy.app import Kernel
from synergy.models import utcnow
from tests.conftest import Api, assert_error
from tests.security.conftest import login


def test_summary_counts_and_lockouts(make_secure_app: Callable[..., Kernel]) -> None:
    kernel = make_secure_app(SYNERGY_SECURITY_LOCKOUT_THRESHOLD=3)
    api = Api(kernel)
    staff = api.as_new_user("root", staff=True)
    api.as_new_user("ada")
    for ip in ("192.0.2.1", "192.0.2.1", "192.0.2.2"):
        login(api, "ada", "nope-nope-1", ip=ip)
    login(api, "ghost", "nope-nope-1", ip="192.0.2.3")
    with kernel.connection():
        SecurityEvent.update(created_at=utcnow() - dt.timedelta(days=2)).where(
            SecurityEvent.username == "ghost").execute()
    result = staff.get("/api/security/summary/")
    assert result.status_code == 200, result.text
    body = result.json
    today = utcnow().date()
    assert body["date_to"] == today.isoformat()
    assert body["date_from"] == (today - dt.timedelta(days=29)).isoformat()
    assert len(body["by_day"]) == 30
    assert body["totals"]["login_failed"] == 4
    assert body["totals"]["registration"] == 2
    assert body["totals"]["account_locked"] == 1
    days = {row["date"]: row["counts"] for row in body["by_day"]}
    assert days[today.isoformat()]["login_failed"] == 3
    assert days[(today - dt.timedelta(days=2)).isoformat()]["login_failed"] == 1
    assert body["top_failed_login_ips"][0] == {"ip": "192.0.2.1", "count": 2}
    assert len(body["top_failed_login_ips"]) == 3
    [locked] = body["locked_accounts"]
    assert locked["user"]["username"] == "ada" and locked["failures"] == 3

    narrow = staff.get(f"/api/security/summary/?date_from={today}&date_to={today}").json
    assert narrow["totals"]["login_failed"] == 3 and len(narrow["by_day"]) == 1


def test_summary_is_staff_only_and_validates_range(secure_app: Kernel, sapi: Api) -> None:
    ada = sapi.as_new_user("ada")
    staff = sapi.as_new_user("root", staff=True)
    assert_error(ada.get("/api/security/summary/"), 403, "permission_denied")
    assert_error(staff.get("/api/security/summary/?date_from=2020-01-01&date_to=2026-01-01"),
                 400, field="date_from")
    assert_error(staff.get("/api/security/summary/?date_from=2026-05-02&date_to=2026-05-01"),
                 400, field="date_from")
    assert_error(staff.get("/api/security/summary/?date_to=31/12/2026"), 400, field="date_to")
    assert_error(staff.get("/api/security/summary/?days=3"), 400, field="days")
