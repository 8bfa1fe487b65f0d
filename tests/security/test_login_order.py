"""No half-finished login: every check that can refuse runs before a session exists.

A session is a row the client can only use if it receives its tokens, so a
login that is refused — by the lockout, a permission hook or a rate limit —
must leave no session and no ``auth.login_succeeded`` event behind.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from synergy import hookimpl
from synergy.app import Kernel
from synergy.models import AuthSession, Event
from tests.conftest import PASSWORD, Api, assert_error
from tests.security.conftest import login


class RefuseLogins:
    """A permission hook that refuses every login, as an SSO-only policy would."""

    PLUGIN_NAME = "refuse_logins"

    @hookimpl
    def synergy_permission(self, kernel: Any, user: Any, action: str, obj: Any,
                           request: Any) -> bool | None:
        return False if action == "auth.login" else None


def _sessions_and_successes(kernel: Kernel) -> tuple[int, int]:
    with kernel.connection():
        return (AuthSession.select().count(),
                Event.select().where(Event.type == "auth.login_succeeded").count())


def test_a_locked_account_gets_no_session_with_the_right_password(
        make_secure_app: Callable[..., Kernel]) -> None:
    kernel = make_secure_app(SYNERGY_SECURITY_LOCKOUT_THRESHOLD=2,
                             SYNERGY_SECURITY_LOGIN_RATE="off",
                             SYNERGY_SECURITY_LOGIN_ACCOUNT_RATE="off")
    api = Api(kernel)
    api.as_new_user("ada")
    before = _sessions_and_successes(kernel)
    for _ in range(2):
        assert_error(login(api, "ada", "wrong-password"), 401, "invalid_credentials")
    assert_error(login(api, "ada", PASSWORD), 401, "invalid_credentials")
    assert _sessions_and_successes(kernel) == before


def test_a_permission_hook_refusal_leaves_no_session(
        make_secure_app: Callable[..., Kernel]) -> None:
    kernel = make_secure_app(RefuseLogins())
    api = Api(kernel)
    api.as_new_user("ada")
    before = _sessions_and_successes(kernel)
    assert_error(login(api, "ada", PASSWORD), 401, "invalid_credentials")
    assert _sessions_and_successes(kernel) == before


def test_a_rate_limited_login_leaves_no_session(
        make_secure_app: Callable[..., Kernel]) -> None:
    kernel = make_secure_app(SYNERGY_SECURITY_LOGIN_RATE="1/1m")
    api = Api(kernel)
    api.as_new_user("ada")
    assert login(api, "ada", PASSWORD).status_code == 200
    before = _sessions_and_successes(kernel)
    assert_error(login(api, "ada", PASSWORD), 429, "rate_limited")
    assert _sessions_and_successes(kernel) == before
