"""The hook specs are the plugin contract: each documented, each callable by a real plugin."""

from __future__ import annotations

import inspect
import types
from collections.abc import Callable
from typing import Any

import synergy_hookspecs
from huey import crontab

from synergy.app import Kernel
from tests.conftest import Api, assert_error
from tests.plugins import every_hook
from tests.plugins.every_hook import HookRecord, Stopwatch


def hook_specs(module: types.ModuleType) -> dict[str, Callable[..., Any]]:
    marker = f"{module.PROJECT_NAME}_spec"
    return {name: func for name, func in vars(module).items()
            if callable(func) and hasattr(func, marker)}


def documentation_problems(module: types.ModuleType) -> list[str]:
    """Each spec needs a docstring naming every argument (as ``arg``) and what it returns."""
    problems = []
    for name, spec in hook_specs(module).items():
        doc = inspect.getdoc(spec) or ""
        if not doc:
            problems.append(f"{name}: no docstring")
            continue
        for argument in inspect.signature(spec).parameters:
            if f"``{argument}``" not in doc:
                problems.append(f"{name}: argument {argument} is not documented")
        if "return" not in doc.lower():
            problems.append(f"{name}: does not say what it returns")
    return problems


def test_every_hook_spec_is_fully_documented() -> None:
    specs = hook_specs(synergy_hookspecs)
    assert len(specs) >= 13
    assert documentation_problems(synergy_hookspecs) == []


def test_the_documentation_check_catches_an_undocumented_spec() -> None:
    fake = types.ModuleType("fake_specs")
    fake.PROJECT_NAME = synergy_hookspecs.PROJECT_NAME

    @synergy_hookspecs.hookspec
    def synergy_bare(kernel: Any) -> None:
        pass

    @synergy_hookspecs.hookspec
    def synergy_half(kernel: Any, user: Any) -> list[Any]:
        """Return things for ``kernel``."""

    fake.synergy_bare = synergy_bare
    fake.synergy_half = synergy_half
    assert documentation_problems(fake) == ["synergy_bare: no docstring",
                                            "synergy_half: argument user is not documented"]


def test_the_test_plugin_implements_every_hook(make_app: Callable[..., Kernel]) -> None:
    kernel = make_app([every_hook])
    assert kernel.plugins.info["every_hook"].hooks == sorted(hook_specs(synergy_hookspecs))


def test_every_hook_takes_effect(make_app: Callable[..., Kernel]) -> None:
    every_hook.CALLS.clear()
    kernel = make_app([every_hook], SYNERGY_EVERY_HOOK_GREETING="bonjour")
    assert ("startup", id(kernel)) in every_hook.CALLS
    api = Api(kernel)
    denied = api.as_new_user("nobody").post("/api/every-hook/stopwatches/", {"label": "tea"})
    assert_error(denied, 403, "permission_denied")
    created = api.as_new_user("okay").post("/api/every-hook/stopwatches/", {"label": "tea"})
    assert created.status_code == 201, created.text
    assert created.headers["X-Every-Hook"] == "bonjour"
    assert_error(api.as_new_user("ok2").post("/api/every-hook/stopwatches/", {"lable": "x"}),
                 400, "validation_error", "lable")

    assert api.post("/api/auth/login/", {"username": "okay", "password": "wrong"}
                    ).status_code == 401
    with kernel.connection():
        assert Stopwatch.select().count() == 1
        records = {(r.kind, r.value) for r in HookRecord.select()}
        assert ("event", "every_hook.started") in records
        kernel.enqueue("every_hook.record", "job", "ran")
        kernel.enqueue("every_hook.tick")
        records = {(r.kind, r.value) for r in HookRecord.select()}
        assert {("job", "ran"), ("tick", "bonjour"), ("password", "okay login False")} <= records
        user = kernel.auth.create_user(username="staffer", email="s@example.com",
                                       password="Correct-Horse-42", is_staff=True)
        extended = kernel.plugins.pm.hook.synergy_extend_resource(
            kernel=kernel, kind="task", objects=[user], user=user, request=None)
        assert {user.id: {"every_hook_kind": "task"}} in extended

    tick = kernel.jobs.registered["every_hook.tick"][1]
    assert tick.schedule is not None
    assert "every_hook.started" in kernel.events.catalogue
    assert kernel.settings.every_hook_greeting == "bonjour"
    assert kernel.permissions.allowed(None, "every_hook.start") is False
    kernel.close()
    assert ("shutdown", id(kernel)) in every_hook.CALLS


def test_periodic_schedule_is_the_declared_crontab(make_app: Callable[..., Kernel]) -> None:
    import datetime as dt

    kernel = make_app([every_hook])
    schedule = kernel.jobs.registered["every_hook.tick"][1].schedule
    assert schedule(dt.datetime(2026, 1, 1, 12, 5)) == crontab(minute="*/5")(
        dt.datetime(2026, 1, 1, 12, 5)) is True
    assert schedule(dt.datetime(2026, 1, 1, 12, 6)) is False
