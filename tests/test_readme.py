"""The README is part of the product: its settings table and commands must match the code."""

from __future__ import annotations

import re
import types
from collections.abc import Callable
from pathlib import Path

import synergy_messaging.plugin
import synergy_notifications.plugin
import synergy_security.plugin
import synergy_webhooks.plugin

from synergy.app import Kernel
from synergy.cli import settings_table
from tests.conftest import Api

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()
BUNDLED = [synergy_webhooks.plugin, synergy_security.plugin, synergy_messaging.plugin,
           synergy_notifications.plugin]


def test_settings_table_matches_declarations(make_app: Callable[..., Kernel]) -> None:
    kernel = make_app(BUNDLED, migrate=False)
    block = re.search(r"<!-- settings-table:start[^>]*-->\n(.*?)\n<!-- settings-table:end -->",
                      README, re.S)
    assert block, "README lacks the settings-table markers"
    expected = settings_table(kernel.settings)
    assert block.group(1).strip() == expected.strip(), (
        "README settings table is stale: regenerate it with `synergy config --markdown`")


def test_readme_test_command_is_what_ci_runs() -> None:
    commands = re.findall(r"```sh\n(python3 -m venv [^\n]*)\n```", README)
    test_command = next(command for command in commands if "pytest" in command)
    assert f'README_TEST_COMMAND="{test_command}"' in (ROOT / ".ci" / "run").read_text()


def test_readme_plugin_example_works(make_app: Callable[..., Kernel]) -> None:
    source = re.search(r"```python\n(.*?)```", README, re.S).group(1)
    plugin = types.ModuleType("hello")
    exec(compile(source, "README.md", "exec"), plugin.__dict__)
    kernel = make_app([plugin])
    ada = Api(kernel).as_new_user("ada")
    assert ada.get("/api/hello/").json == {"hello": "ada"}
    assert Api(kernel).get("/api/hello/").status_code == 401
    assert "/api/hello/" in ada.get("/api/openapi.json").json["paths"]
