"""Sensitive account changes feed the lockout (issue #10 row 8).

A wrong current password on ``change-password`` or ``email-change`` counts as a
failed login for the account, through the kernel's ``synergy_password_checked``
hook; a locked account can change neither its password nor its e-mail.
"""

from __future__ import annotations

from collections.abc import Callable

from synergy.app import Kernel
from tests.conftest import PASSWORD, Api, assert_error
from tests.security.conftest import login, security_events

NEW_PASSWORD = "Another-Horse-77"


def _app(make_secure_app: Callable[..., Kernel]) -> Kernel:
    return make_secure_app(SYNERGY_SECURITY_LOCKOUT_THRESHOLD=3,
                           SYNERGY_SECURITY_LOGIN_ACCOUNT_RATE="off")


def _change_password(ada: Api, old: str) -> int:
    return ada.post("/api/auth/change-password/", {"old_password": old,
                                                   "new_password": NEW_PASSWORD}).status_code


def _change_email(ada: Api, password: str) -> int:
    return ada.post("/api/auth/email-change/", {"new_email": "new@example.org",
                                                "password": password}).status_code


def test_wrong_current_passwords_lock_the_account(make_secure_app: Callable[..., Kernel]
                                                  ) -> None:
    kernel = _app(make_secure_app)
    api = Api(kernel)
    ada = api.as_new_user("ada")
    assert [_change_password(ada, f"guess-{n}") for n in range(2)] == [400, 400]
    assert security_events(kernel, "account_locked") == []
    assert _change_email(ada, "guess-3") == 400
    [locked] = security_events(kernel, "account_locked")
    assert locked.metadata["failures"] == 3
    # Locked: the right password logs in no more, and changes nothing either.
    assert_error(login(api, "ada", PASSWORD), 401, "invalid_credentials")
    refused = ada.post("/api/auth/change-password/", {"old_password": PASSWORD,
                                                      "new_password": NEW_PASSWORD})
    assert_error(refused, 400, "validation_error", "old_password")
    assert "locked" in refused.json["error"]["message"]
    assert _change_email(ada, PASSWORD) == 400
    assert login(api, "ada", NEW_PASSWORD).status_code == 401


def test_a_right_current_password_clears_the_failures(make_secure_app: Callable[..., Kernel]
                                                      ) -> None:
    kernel = _app(make_secure_app)
    api = Api(kernel)
    ada = api.as_new_user("ada")
    assert [login(api, "ada", "wrong").status_code for _ in range(2)] == [401, 401]
    assert _change_email(ada, PASSWORD) == 202
    assert [login(api, "ada", "wrong").status_code for _ in range(2)] == [401, 401]
    assert security_events(kernel, "account_locked") == []
    assert _change_password(ada, PASSWORD) == 200
    assert [event.event_type for event in security_events(kernel)
            if event.event_type.startswith("email_change")] == ["email_change_request"]
