"""``GET /api/plugins/`` and ``synergy plugins``: what is installed, what it adds, what failed."""

from __future__ import annotations

import json
from collections.abc import Callable

from synergy import create_app
from synergy.migrations import AppliedMigration
from tests.conftest import Api, assert_error
from tests.plugins import every_hook


def test_api_lists_plugins_contributions_and_errors(install_entry_points, make_settings) -> None:
    others = install_entry_points({"every_hook": "tests.plugins.every_hook",
                                   "broken": "tests.plugins.broken_import"})
    kernel = create_app(make_settings(SYNERGY_DISABLED_PLUGINS=others,
                                      SYNERGY_STRICT_PLUGINS=False), load_entrypoints=True)
    try:
        with kernel.connection():
            kernel.migrations.apply()
        api = Api(kernel)
        assert_error(api.get("/api/plugins/"), 401, "not_authenticated")
        result = api.as_new_user("ada").get("/api/plugins/")
        assert result.status_code == 200, result.text
        body = result.json
        assert body["kernel_version"] == kernel.version
        assert [p["name"] for p in body["plugins"]] == ["kernel", "every_hook"]
        assert body["errors"] == [{"name": "broken", "error": body["errors"][0]["error"]}]
        assert body["errors"][0]["error"].startswith("import failed: ImportError")
        plugin = body["plugins"][1]
        assert plugin["version"] == "1.2.3"
        assert plugin["source"] == "entry point"
        assert "synergy_on_event" in plugin["hooks"] and len(plugin["hooks"]) == 14
        assert plugin["routes"] == [{"path": "/api/every-hook/stopwatches/",
                                     "methods": ["GET", "POST"]}]
        assert plugin["models"] == ["every_hook_stopwatch", "every_hook_record"]
        assert plugin["migrations"] == {"applied": ["0001_create", "0002_note"], "pending": []}
        assert plugin["jobs"] == [{"name": "every_hook.record", "periodic": False},
                                  {"name": "every_hook.tick", "periodic": True}]
        assert plugin["event_types"] == ["every_hook.started"]
        kernel_entry = body["plugins"][0]
        assert {"path": "/api/openapi.json", "methods": ["GET"]} in kernel_entry["routes"]
        assert {"name": "kernel.sweep_events", "periodic": True} in kernel_entry["jobs"]
    finally:
        kernel.close()


def test_pending_migrations_are_listed(make_app: Callable) -> None:
    kernel = make_app([every_hook])
    with kernel.connection():
        AppliedMigration.delete().where(AppliedMigration.name == "0002_note").execute()
    ada = Api(kernel).as_new_user("ada")
    plugin = ada.get("/api/plugins/").json["plugins"][1]
    assert plugin["migrations"] == {"applied": ["0001_create"], "pending": ["0002_note"]}


def test_cli_plugins_text_and_json(run_cli, cli_env, install_entry_points) -> None:
    others = install_entry_points({"every_hook": "tests.plugins.every_hook",
                                   "misspelled": "tests.plugins.misspelled_hook"})
    cli_env(SYNERGY_DISABLED_PLUGINS=others)
    before = run_cli("plugins")
    assert before.code == 0, before.err
    assert "every_hook 1.2.3 (entry point: tests.plugins.every_hook)" in before.out
    assert "migrations: 0 applied, 2 pending ['0001_create', '0002_note']" in before.out
    assert "every_hook.tick (periodic)" in before.out
    assert "routes:     /api/every-hook/stopwatches/" in before.out
    assert "load errors:\n  misspelled: implements unknown hook(s) synergy_route" in before.out

    assert run_cli("migrate").code == 0
    listed = json.loads(run_cli("plugins", "--json").out)
    every = next(p for p in listed["plugins"] if p["name"] == "every_hook")
    assert every["migrations"] == {"applied": ["0001_create", "0002_note"], "pending": []}
    assert listed["errors"][0]["name"] == "misspelled"
