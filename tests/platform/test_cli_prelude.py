"""Every ``synergy`` command, run as a real process, meets expected conditions with one line.

The commands are enumerated from the parser the console script builds, with
every installed plugin loaded, so a command added later is covered without
editing this file. "Expected" means what an operator meets in normal life: a
new data directory, pending migrations, a database that is down or locked,
a bad setting. None of them may print a traceback.
"""

from __future__ import annotations

import argparse
import http.client
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from synergy import create_app
from synergy.cli import build_parser
from synergy.migrations import AppliedMigration
from synergy.settings import Settings
from tests.conftest import PASSWORD
from tests.kernel.conftest import free_port

# The installed console script, as a user runs it (not ``python -m``).
SYNERGY = str(Path(sys.executable).with_name("synergy"))
NOT_SET_UP = "error: the database is not set up yet: run `synergy migrate` first"


def _command_lines(parser: argparse.ArgumentParser, prefix: list[str]) -> Iterator[list[str]]:
    """Every leaf command line of ``parser``, with a placeholder for each positional argument.

    argparse has no public API to walk its subcommands, hence ``_actions``.
    """
    positionals = [action for action in parser._actions
                   if not action.option_strings
                   and not isinstance(action, argparse._SubParsersAction)]
    line = prefix + ["ada"] * len(positionals)
    subcommands = [action for action in parser._actions
                   if isinstance(action, argparse._SubParsersAction)]
    if not subcommands:
        yield line
        return
    for name, child in subcommands[0].choices.items():
        yield from _command_lines(child, [*line, name])


@pytest.fixture
def environment(tmp_path: Path, spare_database_url: str) -> dict[str, str]:
    """A brand-new data directory and empty database, every installed plugin enabled."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("SYNERGY_")}
    env.update(SYNERGY_DATA_DIR=str(tmp_path / "new-data"), SYNERGY_PASSWORD_HASHING="fast",
               SYNERGY_DATABASE_URL=spare_database_url,
               SYNERGY_CREATEUSER_PASSWORD=PASSWORD)
    return env


@pytest.fixture
def command_lines(environment: dict[str, str]) -> list[list[str]]:
    kernel = create_app(Settings(environ=environment))
    try:
        parser, _, _ = build_parser(kernel)
    finally:
        kernel.close()
    return list(_command_lines(parser, []))


def _run(env: dict[str, str], *argv: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([SYNERGY, *argv], env=env, cwd=env["SYNERGY_DATA_DIR"] + "-cwd",
                          capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)


@pytest.fixture
def run(environment: dict[str, str]) -> Callable[..., subprocess.CompletedProcess]:
    os.makedirs(environment["SYNERGY_DATA_DIR"] + "-cwd")
    return lambda *argv, env=environment: _run(env, *argv)


def _last_line(result: subprocess.CompletedProcess) -> str:
    return result.stderr.strip().splitlines()[-1]


def test_every_command_on_a_new_data_directory(command_lines, run) -> None:
    """Commands that need tables say to migrate; the others work; none prints a traceback."""
    assert {line[0] for line in command_lines} >= {
        "serve", "worker", "migrate", "createuser", "plugins", "openapi", "config", "security"}
    assert ["security", "unlock", "ada"] in command_lines
    for line in command_lines:
        if line[0] in ("serve", "migrate"):
            continue  # they change the database: below, and in test_serve_migrates_first
        result = run(*line)
        assert "Traceback" not in result.stderr, (line, result.stderr)
        if line[0] in ("plugins", "openapi", "config"):
            assert result.returncode == 0, (line, result.stderr)
        else:
            assert (result.returncode, _last_line(result)) == (2, NOT_SET_UP), line
    migrated = run("migrate")
    assert migrated.returncode == 0 and "Traceback" not in migrated.stderr
    made = run("createuser", "--username", "ada", "--email", "ada@example.com", "--no-input")
    assert made.returncode == 0, made.stderr


def test_pending_plugin_migrations_are_named(run, environment) -> None:
    assert run("migrate").returncode == 0
    kernel = create_app(Settings(environ=environment))
    try:
        with kernel.connection():
            AppliedMigration.delete().where(AppliedMigration.plugin == "webhooks").execute()
        steps = [f"webhooks:{status.name}" for status in kernel.migrations.status()
                 if status.plugin == "webhooks"]
    finally:
        kernel.close()
    result = run("security", "locked")
    assert result.returncode == 2
    assert _last_line(result).startswith(
        f"error: the database has {len(steps)} pending migration(s) ({steps[0]}")
    assert _last_line(result).endswith("run `synergy migrate` first")


@pytest.mark.parametrize(("setting", "expected"), [
    ({"SYNERGY_DATABASE_URL": "postgresql://postgres@127.0.0.1:1/nowhere"},
     "error: database error (connection to server at \"127.0.0.1\", port 1 failed"),
    ({"SYNERGY_ACCESS_TOKEN_MINUTES": "soon"},
     "error: SYNERGY_ACCESS_TOKEN_MINUTES: invalid literal"),
    ({"SYNERGY_ENV": "production", "SYNERGY_ACCESS_TOKEN_MINUTE": "5"},
     "error: unknown settings:"),
])
@pytest.mark.parametrize("command", [["worker"], ["security", "locked"]])
def test_bad_configuration_is_one_line_for_every_kind_of_command(
        run, environment, setting: dict[str, str], expected: str, command: list[str]) -> None:
    """These fail while the app is built, before any command runs: one kind of each suffices."""
    result = run(*command, env={**environment, **setting})
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith(expected), result.stderr


def test_a_worker_without_its_redis_is_one_line(run, environment) -> None:
    assert run("migrate").returncode == 0
    result = run("worker", env={**environment, "SYNERGY_REDIS_URL": "redis://127.0.0.1:1/0"})
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert _last_line(result).startswith("error: cannot reach Redis (")
    assert _last_line(result).endswith("check SYNERGY_REDIS_URL and that Redis is up")


def test_a_locked_database_is_one_line(run, environment, database_url) -> None:
    if database_url is not None:
        pytest.skip("locking the whole database is SQLite's behaviour")
    assert run("migrate").returncode == 0
    path = environment["SYNERGY_DATABASE_URL"].removeprefix("sqlite:///")
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        result = run("createuser", "--username", "ada", "--email", "ada@example.com",
                     "--no-input")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert _last_line(result).startswith("error: the database is locked by another process")


def test_serve_migrates_first_and_stops_on_ctrl_c(environment, tmp_path: Path) -> None:
    """``serve`` on a new data directory migrates, answers, and Ctrl-C stops it cleanly."""
    port = free_port()
    os.makedirs(environment["SYNERGY_DATA_DIR"] + "-cwd")
    # A file, not a pipe: nobody reads a pipe while the server runs, and a full one would
    # block its log writes (and so the server) before it ever answers 200.
    log_path = tmp_path / "serve.log"
    with open(log_path, "w") as log_file:
        process = subprocess.Popen(
            [SYNERGY, "serve", "--port", str(port), "--workers", "1"], env=environment,
            cwd=environment["SYNERGY_DATA_DIR"] + "-cwd", stdout=log_file, stderr=log_file,
            text=True)
    try:
        deadline = time.monotonic() + 60
        status = None
        while status != 200 and time.monotonic() < deadline and process.poll() is None:
            try:
                # Long enough never to abandon a request that waits for the worker to boot.
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                connection.request("GET", "/api/auth/health/")
                response = connection.getresponse()
                response.read()
                status = response.status
                connection.close()
            except OSError:
                pass
            if status != 200:
                time.sleep(0.2)
        assert status == 200, log_path.read_text()
        # Let the web worker finish that request: gunicorn's Ctrl-C is a quick shutdown that
        # cuts a request in flight short (with a traceback in its log).
        time.sleep(1)
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=60)
    stderr = log_path.read_text()
    assert process.returncode == 0, stderr
    assert "Traceback" not in stderr, stderr
    assert "applying migration kernel:0001_initial" in stderr
