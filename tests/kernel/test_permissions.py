"""The permission hook: the first plugin answer wins, the kernel's rules run last, default deny."""

from __future__ import annotations

from typing import Any

import pytest
from synergy_hookspecs import hookimpl

from synergy.errors import NotFound, PermissionDenied
from synergy.models import User
from tests.conftest import PASSWORD, Api, assert_error


class Gatekeeper:
    """Answers only for the actions it was given; None for everything else."""

    PLUGIN_NAME = "gatekeeper"

    def __init__(self, answers: dict[str, bool]) -> None:
        self.answers = answers
        self.asked: list[tuple[str, Any]] = []

    @hookimpl
    def synergy_permission(self, user: Any, action: str, obj: Any, request: Any) -> bool | None:
        self.asked.append((action, request))
        return self.answers.get(action)


def test_a_plugin_answer_overrides_the_kernel_rules(make_app) -> None:
    gate = Gatekeeper({"auth.login": False, "report.export": True})
    api = Api(make_app([gate]))
    api.as_new_user("ada")
    refused = api.post("/api/auth/login/", {"username": "ada", "password": PASSWORD})
    assert_error(refused, 401, "invalid_credentials")
    action, request = gate.asked[-1]
    assert action == "auth.login" and request is not None  # hooks see the request
    with api.kernel.connection():
        ada = User.get(User.username == "ada")
        assert api.kernel.permissions.allowed(ada, "report.export")
        # Nobody answers: denied.
        assert not api.kernel.permissions.allowed(ada, "report.delete")
        with pytest.raises(PermissionDenied, match="report.delete"):
            api.kernel.permissions.require(ada, "report.delete")
        with pytest.raises(NotFound):
            api.kernel.permissions.require(ada, "report.delete", hide=True)
        api.kernel.permissions.require(ada, "report.export")


def test_anonymous_and_inactive_users_are_denied_by_default(app) -> None:
    Api(app).as_new_user("ada")
    with app.connection():
        ada = User.get(User.username == "ada")
        assert app.permissions.allowed(ada, "auth.login")
        assert not app.permissions.allowed(None, "auth.login")
        User.update(is_active=False).execute()
        assert not app.permissions.allowed(User.get_by_id(ada.id), "auth.login")
