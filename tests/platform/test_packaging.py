"""The distribution as users get it: a wheel in a fresh venv, plus the example plugin beside it.

Everything here runs the installed ``synergy`` console script from a folder
outside the repository, with no access to the source tree.
"""

from __future__ import annotations

import configparser
import datetime as dt
import json
import os
import signal
import socket
import subprocess
import time
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import requests

from synergy.database import open_database, release_connections
from tests.conftest import PASSWORD, TEST_REDIS_URL
from tests.platform.conftest import REPOSITORY, FreshEnvironment

pytestmark = pytest.mark.slow


def mapped_packages() -> dict[str, Path]:
    """``package_dir`` of setup.cfg: import name -> source folder."""
    config = configparser.ConfigParser()
    config.read(REPOSITORY / "setup.cfg")
    mapping = {}
    for line in config["options"]["package_dir"].strip().splitlines():
        name, folder = (part.strip() for part in line.split("="))
        mapping[name] = REPOSITORY / folder
    return mapping


def test_wheel_installs_only_namespaced_packages(fresh_environment: FreshEnvironment) -> None:
    names = zipfile.ZipFile(fresh_environment.wheel).namelist()
    top_level = {name.split("/")[0] for name in names if not name.split("/")[0].endswith(
        ".dist-info")}
    assert {"synergy", "synergy_hookspecs"} <= top_level
    assert not top_level & {"plugins", "hookspecs", "tests", "examples", "bench"}
    assert all(name.startswith("synergy") for name in top_level), top_level
    # Every module of every mapped source folder made it in (a package missing from
    # setup.cfg's `packages` would be silently left out of the wheel).
    missing = [f"{package}/{path.relative_to(folder)}"
               for package, folder in mapped_packages().items()
               for path in folder.rglob("*.py") if "__pycache__" not in path.parts
               and f"{package}/{path.relative_to(folder)}" not in names]
    assert missing == []
    entry_points = next(name for name in names if name.endswith("entry_points.txt"))
    text = zipfile.ZipFile(fresh_environment.wheel).read(entry_points).decode()
    assert "synergy = synergy.cli:main" in text and "[synergy.plugins]" in text


def test_installed_command_works_outside_the_source_tree(
        fresh_environment: FreshEnvironment) -> None:
    version = fresh_environment.run("synergy", "--version")
    assert version.stdout.strip().startswith("synergy 0.")
    located = fresh_environment.run(
        "python", "-c", "import synergy, synergy_hookspecs; print(synergy.__file__); "
        "print(synergy_hookspecs.__file__)")
    for path in located.stdout.split():
        assert str(fresh_environment.root / "venv") in path
        assert str(REPOSITORY) not in path
    for forbidden in ("plugins", "hookspecs"):
        result = fresh_environment.run("python", "-c", f"import {forbidden}", check=False)
        assert result.returncode == 1 and "ModuleNotFoundError" in result.stderr
    data = fresh_environment.root / "plugins-data"
    env = fresh_environment.env(SYNERGY_DATA_DIR=str(data))
    listed = json.loads(fresh_environment.run("synergy", "plugins", "--json", env=env).stdout)
    names = [plugin["name"] for plugin in listed["plugins"]]
    assert names[0] == "kernel" and "timesheets" in names
    assert listed["errors"] == []
    timesheets = next(p for p in listed["plugins"] if p["name"] == "timesheets")
    assert timesheets["version"] == "1.0.0" and timesheets["source"] == "entry point"
    text = fresh_environment.run("synergy", "plugins", env=env).stdout
    assert "timesheets 1.0.0 (entry point: synergy_timesheets.plugin)" in text


# The example plugin under a real `synergy serve` ------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(check: Callable[[], Any], what: str, timeout: float = 45) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        try:
            result = check()
        except (requests.ConnectionError, AssertionError):
            result = None
        if result:
            return result
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.25)


def children(pid: int) -> dict[int, str]:
    """Direct child processes of ``pid`` with their command lines (Linux /proc)."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found[int(entry.name)] = cmdline
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


class Client:
    def __init__(self, base: str, token: str | None = None) -> None:
        self.base, self.token = base, token

    def call(self, method: str, path: str, body: Any = None) -> requests.Response:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        return requests.request(method, self.base + path, json=body, headers=headers,
                                timeout=10)

    def register(self, username: str) -> Client:
        result = self.call("POST", "/api/auth/register/", {
            "username": username, "email": f"{username}@example.com", "password": PASSWORD})
        assert result.status_code == 201, result.text
        return Client(self.base, result.json()["access"])


def test_example_plugin_end_to_end_under_synergy_serve(
        fresh_environment: FreshEnvironment, tmp_path: Path, database_url: str | None,
        spare_database_url: str) -> None:
    """The embedded default (SQLite, SQLite queue), or PostgreSQL and Redis when the run has them.
    """
    installed = set(fresh_environment.run("python", "-c", (
        "import importlib.metadata as m; "
        "print(*(e.name for e in m.entry_points(group='synergy.plugins')))")).stdout.split())
    assert "timesheets" in installed
    data = tmp_path / "data"
    backend = {}
    if database_url:
        backend["SYNERGY_DATABASE_URL"] = spare_database_url
        if TEST_REDIS_URL:
            backend["SYNERGY_REDIS_URL"] = TEST_REDIS_URL
    env = fresh_environment.env(
        SYNERGY_DATA_DIR=str(data), SYNERGY_PASSWORD_HASHING="fast",
        SYNERGY_QUEUE_NAME=f"timesheets-{os.getpid()}", SYNERGY_TIMESHEETS_MAX_MINUTES="600",
        SYNERGY_STRICT_PLUGINS="true",
        # Only the kernel and the example: bundled plugins have tests of their own.
        SYNERGY_DISABLED_PLUGINS=",".join(sorted(installed - {"kernel", "timesheets"})),
        **backend)
    database = backend.get("SYNERGY_DATABASE_URL", f"sqlite:///{data / 'synergy.db'}")

    def timesheets_migrations() -> list[list[str]]:
        listed = fresh_environment.run("synergy", "migrate", "--list", env=env).stdout
        return [line.split()[:3] for line in listed.splitlines() if "timesheets" in line]

    assert timesheets_migrations() == [["timesheets", "0001_initial", "pending"]]
    plugin = next(p for p in json.loads(fresh_environment.run(
        "synergy", "plugins", "--json", env=env).stdout)["plugins"] if p["name"] == "timesheets")
    assert plugin["routes"] == [{"path": "/api/timesheets/entries/", "methods": ["GET", "POST"]}]
    assert plugin["models"] == ["timesheets_entry", "timesheets_task_time"]
    assert plugin["jobs"] == [{"name": "timesheets.recount_all", "periodic": True},
                              {"name": "timesheets.recount_task", "periodic": False}]
    assert "synergy_on_event" in plugin["hooks"] and "synergy_settings" in plugin["hooks"]

    port = free_port()
    log = (tmp_path / "serve.log").open("w")
    server = subprocess.Popen([str(fresh_environment.bin / "synergy"), "serve", "--port",
                               str(port), "--workers", "1"], cwd=tmp_path, env=env,
                              stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        # Healthy once the job worker has written its first heartbeat.
        health = wait_for(lambda: (h := requests.get(base + "/api/auth/health/",
                                                     timeout=2).json())["status"] == "ok" and h,
                          "the server and its job worker to be healthy")
        expected = ({"database", "queue", "worker"}
                    | ({"redis"} if "SYNERGY_REDIS_URL" in env else set()))
        assert health["services"] == dict.fromkeys(expected, "ok")
        workers = wait_for(lambda: {pid: cmd for pid, cmd in children(server.pid).items()
                                    if "synergy worker" in cmd}, "the job worker")
        # `synergy serve` applied the pending migrations before starting.
        assert timesheets_migrations() == [["timesheets", "0001_initial", "applied"]]
        assert "database is up to date" in fresh_environment.run("synergy", "migrate",
                                                                 env=env).stdout
        _exercise_example(Client(base), fresh_environment, env, database)
    except BaseException:
        print((tmp_path / "serve.log").read_text()[-20000:])  # shown by pytest on failure
        raise
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            code = server.wait(timeout=40)
        finally:
            log.close()
            if server.poll() is None:
                server.kill()
    output = (tmp_path / "serve.log").read_text()
    assert code == 0, output
    assert all(not alive(pid) for pid in workers), output
    assert "started job worker" in output


def _report(fresh: FreshEnvironment, env: dict[str, str]) -> list[dict[str, Any]]:
    out = fresh.run("synergy", "timesheets-report", env=env).stdout
    return [json.loads(line) for line in out.splitlines()]


def _exercise_example(anonymous: Client, fresh: FreshEnvironment, env: dict[str, str],
                      database: str) -> None:
    """Each contribution of the example plugin, observed from outside the server."""
    ada, bob = anonymous.register("ada"), anonymous.register("bob")
    project = ada.call("POST", "/api/projects/", {"name": "Moon base"}).json()
    task = ada.call("POST", "/api/tasks/", {"project": project["id"], "title": "Dig"}).json()
    entries = "/api/timesheets/entries/"
    today = dt.date.today().isoformat()

    first = ada.call("POST", entries, {"task": task["id"], "minutes": 45, "spent_on": today,
                                       "note": "shovels"})
    assert first.status_code == 201, first.text
    assert first.json()["task"] == {"id": task["id"], "title": "Dig"}
    assert ada.call("POST", entries, {"task": task["id"], "minutes": 30,
                                      "spent_on": today}).status_code == 201
    too_long = ada.call("POST", entries, {"task": task["id"], "minutes": 601, "spent_on": today})
    assert too_long.status_code == 400
    assert too_long.json()["error"]["fields"] == {"minutes": ["Log at most 600 minutes per entry."]}
    unknown = ada.call("POST", entries, {"task": task["id"], "minutes": 5, "spent_on": today,
                                         "billable": True})
    assert unknown.status_code == 400 and "billable" in unknown.json()["error"]["fields"]
    assert bob.call("POST", entries, {"task": task["id"], "minutes": 5,
                                      "spent_on": today}).status_code == 404
    assert bob.call("GET", f"{entries}?task={task['id']}").status_code == 404
    assert anonymous.call("GET", entries).status_code == 401
    # A member who is neither owner nor assignee sees the task but may not log time on it.
    added = ada.call("POST", f"/api/projects/{project['id']}/add_member/", {"username": "bob"})
    assert added.status_code in (200, 201), added.text
    denied = bob.call("POST", entries, {"task": task["id"], "minutes": 5, "spent_on": today})
    assert denied.status_code == 403, denied.text

    feed = ada.call("GET", f"/api/projects/{project['id']}/activities/").json()["results"]
    assert [item["description"] for item in feed if item["type"] == "timesheets.entry_logged"
            ] == ["ada logged 30 minutes on Dig", "ada logged 45 minutes on Dig"]
    listed = ada.call("GET", f"{entries}?task={task['id']}").json()
    assert listed["count"] == 2 and [e["minutes"] for e in listed["results"]] == [30, 45]
    assert bob.call("GET", entries).json()["count"] == 0

    # The Huey job, run by the worker child of `synergy serve`.
    wait_for(lambda: _report(fresh, env) == [
        {"task": task["id"], "total_minutes": 75, "entries": 2, "completed_at": None,
         "minutes_at_completion": None}], "the recount job")
    # The event subscriber, called by the worker when the kernel dispatches task.completed.
    done = ada.call("PATCH", f"/api/tasks/{task['id']}/", {"status": "done"})
    assert done.status_code == 200, done.text
    completed = wait_for(lambda: [row for row in _report(fresh, env)
                                  if row["minutes_at_completion"] == 75], "the subscriber")
    assert completed[0]["completed_at"].endswith("Z")
    # The periodic job repairs totals that went wrong; queued now instead of at 03:30.
    db = open_database(database)
    with db.connection_context():
        db.execute_sql("UPDATE timesheets_task_time SET total_minutes = 0, entries = 0")
    release_connections(db)
    assert "recount queued" in fresh.run("synergy", "timesheets-report", "--recount",
                                         env=env).stdout
    wait_for(lambda: _report(fresh, env)[0]["total_minutes"] == 75,
             "the periodic recount")
