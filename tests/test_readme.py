"""The README is part of the product: its settings table and commands must match the code."""

from __future__ import annotations

import json
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
from synergy.demo import DEMO_PASSWORD, load_demo_data
from synergy.models import User
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


def test_readme_demo_data_and_first_request_are_true(make_app: Callable[..., Kernel]) -> None:
    """The demo accounts, who is staff, and the curl login example, run against demo data."""
    kernel = make_app()
    with kernel.connection():
        load_demo_data(kernel)
        staff = {user.username: user.is_staff for user in User.select()}
    assert f"password `{DEMO_PASSWORD}`" in README
    assert [name for name, is_staff in staff.items() if is_staff] == ["ada"]
    assert re.search(r"`ada` \(Ada Lovelace, \*\*staff\*\*", README)
    assert all(f"`{name}`" in README for name in staff)

    example = re.search(r"```sh\n(TOKEN=\$\(curl .*?)```", README, re.S).group(1)
    body = json.loads(re.search(r"-d '([^']*)'", example).group(1))
    login = Api(kernel).post(re.search(r"http://127\.0\.0\.1:8000(\S+)", example).group(1),
                             body)
    assert login.status_code == 200, login.text
    assert '["access"]' in example and set(login.json) >= {"access", "refresh", "user"}
    path = re.search(r"\ncurl -s http://127\.0\.0\.1:8000(\S+) ", example).group(1)
    projects = Api(kernel, login.json["access"]).get(path)
    assert projects.status_code == 200 and projects.json["count"] == 2


def test_readme_api_index_links_are_the_served_ones(make_app: Callable[..., Kernel]) -> None:
    links = Api(make_app()).get("/api/").json["links"]
    for name in ("openapi", "docs", "health"):
        assert f"(`{links[name]}`)" in README, name
