"""Account lockout: failures from many IPs lock one account; staff and the CLI unlock."""

from __future__ import annotations

import argparse
import datetime as dt
from collections.abc import Callable

import pytest
from synergy_security.models import AccountLock

from synergy.app import Kernel
from synergy.models import utcnow
from tests.conftest import PASSWORD, Api, assert_error
from tests.security.conftest import login, security_events

PROXY = "10.0.0.2"


def _locking_app(make_secure_app: Callable[..., Kernel]) -> Kernel:
    """Per-account rate limit off, so only the lockout stands between attacker and account."""
    return make_secure_app(SYNERGY_TRUSTED_PROXIES=PROXY,
                           SYNERGY_SECURITY_LOGIN_ACCOUNT_RATE="off")


def _attack(api: Api, attempts: int, first_ip: int = 1) -> list[int]:
    return [login(api, "ada", f"guess-{n}", ip=PROXY,
                  headers={"X-Forwarded-For": f"198.51.100.{first_ip + n}"}).status_code
            for n in range(attempts)]


def test_tenth_failure_from_many_ips_locks_the_account(
        make_secure_app: Callable[..., Kernel]) -> None:
    kernel = _locking_app(make_secure_app)
    api = Api(kernel)
    api.as_new_user("ada")
    assert _attack(api, 9) == [401] * 9
    assert security_events(kernel, "account_locked") == []
    assert login(api, "ada", PASSWORD, ip="192.0.2.1").status_code == 200
    # A success clears the count: nine more failures still do not lock.
    assert _attack(api, 9, first_ip=20) == [401] * 9
    assert security_events(kernel, "account_locked") == []
    assert _attack(api, 1, first_ip=40) == [401]
    [locked] = security_events(kernel, "account_locked")
    assert locked.username == "ada" and locked.metadata["failures"] == 10
    assert locked.ip_address == "198.51.100.40"

    wrong = login(api, "ada", "guess-again", ip="192.0.2.1")
    right = login(api, "ada", PASSWORD, ip="192.0.2.2")
    assert_error(right, 401, "invalid_credentials")
    assert right.json["error"]["message"] == wrong.json["error"]["message"]
    assert right.json["error"]["code"] == wrong.json["error"]["code"]
    with kernel.connection():
        lock = AccountLock.get()
    assert dt.timedelta(minutes=14) < lock.locked_until - utcnow() <= dt.timedelta(minutes=15)
    assert security_events(kernel, "login_failed")[-1].metadata["reason"] == "refused"


def test_expired_lock_lets_the_user_in_and_logs_the_unlock(
        make_secure_app: Callable[..., Kernel]) -> None:
    kernel = make_secure_app(SYNERGY_SECURITY_LOCKOUT_THRESHOLD=3)
    api = Api(kernel)
    api.as_new_user("ada")
    assert [login(api, "ada", "nope-nope").status_code for _ in range(3)] == [401] * 3
    assert login(api, "ada", PASSWORD).status_code == 401
    with kernel.connection():
        AccountLock.update(locked_until=utcnow() - dt.timedelta(seconds=1)).execute()
    assert login(api, "ada", PASSWORD).status_code == 200
    [unlocked] = security_events(kernel, "account_unlocked")
    assert unlocked.metadata["reason"] == "expired"


def test_staff_unlock_endpoint(make_secure_app: Callable[..., Kernel]) -> None:
    kernel = make_secure_app(SYNERGY_SECURITY_LOCKOUT_THRESHOLD=2)
    api = Api(kernel)
    ada = api.as_new_user("ada")
    staff = api.as_new_user("root", staff=True)
    mallory = api.as_new_user("mallory")
    assert [login(api, "ada", "nope-nope").status_code for _ in range(2)] == [401, 401]
    url = f"/api/security/users/{ada.user['id']}/unlock/"
    assert_error(mallory.post(url, {}), 403, "permission_denied")
    assert_error(staff.post(url, {"force": True}), 400, field="force")
    assert_error(staff.post("/api/security/users/999999/unlock/", {}), 404)
    assert_error(staff.post("/api/security/users/99999999999999999999/unlock/", {}), 404)
    done = staff.post(url, {})
    assert done.status_code == 200, done.text
    assert done.json == {"user": {"id": ada.user["id"], "username": "ada"}, "was_locked": True}
    assert staff.post(url).json["was_locked"] is False
    assert login(api, "ada", PASSWORD).status_code == 200
    [unlocked] = security_events(kernel, "account_unlocked")
    assert unlocked.metadata["by"] == {"id": staff.user["id"], "username": "root"}
    [denied] = security_events(kernel, "permission_denied")
    assert denied.username == "mallory" and denied.metadata["actions"] == ["security.unlock"]


def test_cli_unlock(make_secure_app: Callable[..., Kernel],
                    capsys: pytest.CaptureFixture[str]) -> None:
    kernel = make_secure_app(SYNERGY_SECURITY_LOCKOUT_THRESHOLD=2)
    api = Api(kernel)
    api.as_new_user("ada")
    assert [login(api, "ada", "nope-nope").status_code for _ in range(2)] == [401, 401]
    [(_, command)] = kernel.plugins.collect("synergy_cli")
    parser = argparse.ArgumentParser(prog="synergy security")
    command.configure(parser)
    with kernel.connection():
        assert command.run(kernel, parser.parse_args(["locked"])) == 0
        assert "ada" in capsys.readouterr().out
        assert command.run(kernel, parser.parse_args(["unlock", "ADA@example.com"])) == 0
        assert command.run(kernel, parser.parse_args(["unlock", "nobody"])) == 1
    output = capsys.readouterr()
    assert "ada unlocked" in output.out and "no user 'nobody'" in output.err
    assert login(api, "ada", PASSWORD).status_code == 200
    assert security_events(kernel, "account_unlocked")[0].metadata["reason"] == "unlocked via cli"


def test_threshold_zero_never_locks(make_secure_app: Callable[..., Kernel]) -> None:
    kernel = make_secure_app(SYNERGY_SECURITY_LOCKOUT_THRESHOLD=0,
                             SYNERGY_SECURITY_LOGIN_RATE="off",
                             SYNERGY_SECURITY_LOGIN_ACCOUNT_RATE="off")
    api = Api(kernel)
    api.as_new_user("ada")
    assert [login(api, "ada", "nope-nope").status_code for _ in range(12)] == [401] * 12
    assert login(api, "ada", PASSWORD).status_code == 200
    assert security_events(kernel, "account_locked") == []
