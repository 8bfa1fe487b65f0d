"""The ``synergy`` command line, run in-process against a real database."""

from __future__ import annotations

import json
import os
import pty
import select
import subprocess
import sys
import time

import pytest
from openapi_spec_validator import validate

from synergy import __version__, create_app, kernel_plugin
from synergy.models import User
from synergy.settings import Settings
from tests.conftest import PASSWORD


def users() -> list[tuple[str, str, bool]]:
    kernel = create_app(Settings(), load_entrypoints=False)
    try:
        with kernel.connection():
            return [(u.username, u.email, u.is_staff) for u in User.select().order_by(User.id)]
    finally:
        kernel.close()


def test_version_needs_no_app(run_cli, cli_env) -> None:
    cli_env(SYNERGY_DATABASE_URL="mysql://nowhere/db")
    result = run_cli("--version")
    assert (result.code, result.out.strip()) == (0, f"synergy {__version__}")


def test_help_still_works_when_the_app_cannot_be_built(run_cli, cli_env) -> None:
    cli_env(SYNERGY_DATABASE_URL="mysql://nowhere/db")
    result = run_cli("--help")
    assert result.code == 2
    assert "SYNERGY_DATABASE_URL scheme 'mysql' is not supported" in result.err
    assert "createuser" in result.out


def test_migrate_then_list(run_cli) -> None:
    listed = run_cli("migrate", "--list")
    assert listed.code == 0
    steps = [step.name for step in kernel_plugin.synergy_migrations()]
    assert steps[0] == "0001_initial"
    assert [line.split() for line in listed.out.splitlines()] == [
        ["kernel", name, "pending"] for name in steps]
    first = run_cli("migrate")
    assert first.out.splitlines() == [f"applied kernel:{name}" for name in steps] + [
        f"{len(steps)} migration(s) applied"]
    assert run_cli("migrate").out.strip() == "database is up to date"
    assert run_cli("migrate", "--list").out.split()[:3] == ["kernel", "0001_initial", "applied"]


def test_failed_migration_exits_non_zero(run_cli, cli_env, install_entry_points) -> None:
    cli_env(SYNERGY_DISABLED_PLUGINS=install_entry_points(
        {"failing_migration": "tests.plugins.failing_migration"}))
    result = run_cli("migrate")
    assert result.code == 1
    assert "migration failing_migration:0002_second failed and was rolled back" in result.err
    listed = [line.split() for line in run_cli("migrate", "--list").out.splitlines()
              if line.startswith("failing_migration")]
    assert listed[0][:3] == ["failing_migration", "0001_first", "applied"]
    assert listed[1] == ["failing_migration", "0002_second", "pending"]


def test_createuser_with_flags_and_staff(run_cli, cli_env) -> None:
    run_cli("migrate")
    made = run_cli("createuser", "--username", "Root", "--email", "Root@Example.com",
                   "--password", PASSWORD, "--staff")
    assert made.code == 0, made.err
    assert made.out.strip().startswith("created user Root (id ") and "staff" in made.out
    cli_env(SYNERGY_CREATEUSER_PASSWORD=PASSWORD)
    plain = run_cli("createuser", "--username", "bob", "--email", "bob@example.com",
                    "--no-input")
    assert plain.code == 0, plain.err
    assert users() == [("Root", "root@example.com", True), ("bob", "bob@example.com", False)]


def test_createuser_reports_bad_input_without_traceback(run_cli) -> None:
    run_cli("migrate")
    run_cli("createuser", "--username", "ada", "--email", "ada@example.com", "--password",
            PASSWORD)
    duplicate = run_cli("createuser", "--username", "ADA", "--email", "x@example.com",
                        "--password", PASSWORD)
    weak = run_cli("createuser", "--username", "eve", "--email", "eve@example.com",
                   "--password", "12345678")
    missing = run_cli("createuser", "--username", "zed", "--no-input")
    assert duplicate.code == weak.code == missing.code == 2
    assert duplicate.err.startswith("error: ") and "username" in duplicate.err
    assert weak.err.startswith("error: ") and "password" in weak.err
    assert "give --username, --email and --password" in missing.err
    assert "Traceback" not in duplicate.err + weak.err + missing.err
    assert [u[0] for u in users()] == ["ada"]


def _talk(master: int, script: list[tuple[str, str]], timeout: float = 30) -> str:
    """Answer each prompt when it appears on the terminal; return everything shown."""
    seen = ""
    deadline = time.monotonic() + timeout
    for prompt, answer in script:
        while prompt not in seen:
            assert time.monotonic() < deadline, f"no prompt {prompt!r}; saw {seen!r}"
            ready, _, _ = select.select([master], [], [], 0.5)
            if ready:
                seen += os.read(master, 4096).decode(errors="replace")
        seen = seen.split(prompt, 1)[1]
        os.write(master, answer.encode() + b"\n")
    while True:
        ready, _, _ = select.select([master], [], [], 5)
        if not ready:
            return seen
        try:
            chunk = os.read(master, 4096)
        except OSError:
            return seen
        if not chunk:
            return seen
        seen += chunk.decode(errors="replace")


def test_createuser_interactive_on_a_terminal(run_cli) -> None:
    """Prompts on a real pseudo-terminal; the password is not echoed."""
    run_cli("migrate")
    pid, master = pty.fork()
    if pid == 0:
        os.execv(sys.executable, [sys.executable, "-m", "synergy", "createuser", "--staff"])
    output = _talk(master, [("Username: ", "grace"), ("E-mail: ", "grace@example.com"),
                            ("Password: ", PASSWORD), ("Password (again): ", PASSWORD)])
    _, status = os.waitpid(pid, 0)
    os.close(master)
    assert os.waitstatus_to_exitcode(status) == 0, output
    assert "created user grace" in output
    assert PASSWORD not in output
    assert users() == [("grace", "grace@example.com", True)]


def test_createuser_interactive_mismatched_passwords(run_cli) -> None:
    run_cli("migrate")
    pid, master = pty.fork()
    if pid == 0:
        os.execv(sys.executable, [sys.executable, "-m", "synergy", "createuser"])
    output = _talk(master, [("Username: ", "grace"), ("E-mail: ", "grace@example.com"),
                            ("Password: ", PASSWORD), ("Password (again): ", "other")])
    _, status = os.waitpid(pid, 0)
    os.close(master)
    assert os.waitstatus_to_exitcode(status) == 2
    assert "the passwords do not match" in output
    assert users() == []


def test_createuser_without_terminal_does_not_prompt(run_cli) -> None:
    run_cli("migrate")
    result = subprocess.run([sys.executable, "-m", "synergy", "createuser"], input="grace\n",
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert "Username:" not in result.stdout
    assert "give --username, --email and --password" in result.stderr


def test_openapi_command_prints_the_valid_document(run_cli) -> None:
    result = run_cli("openapi")
    document = json.loads(result.out)
    validate(document)
    assert "/api/plugins/" in document["paths"]


def test_config_masks_secrets_and_prints_the_table(run_cli, cli_env) -> None:
    cli_env(SYNERGY_SECRET_KEY="s" * 20 + "0123456789abcdef",
            SYNERGY_SMTP_URL="smtp://user:hunter2@127.0.0.1:2525")
    shown = run_cli("config")
    assert shown.code == 0
    assert "hunter2" not in shown.out and "0123456789abcdef" not in shown.out
    lines = {line.split()[0]: line for line in shown.out.splitlines()}
    assert '"********"' in lines["SYNERGY_SECRET_KEY"]
    assert '"********"' in lines["SYNERGY_SMTP_URL"]
    assert '"fast"' in lines["SYNERGY_PASSWORD_HASHING"]
    table = run_cli("config", "--markdown").out.splitlines()
    assert table[0] == "| Setting | Type | Default | Owner | Meaning |"
    assert any(line.startswith("| `SYNERGY_DATABASE_URL` | str |") for line in table)
    assert "hunter2" not in "\n".join(table)


def test_plugin_settings_and_commands(run_cli, cli_env, install_entry_points) -> None:
    cli_env(SYNERGY_DISABLED_PLUGINS=install_entry_points(
        {"every_hook": "tests.plugins.every_hook"}), SYNERGY_EVERY_HOOK_GREETING="ahoy")
    assert "SYNERGY_EVERY_HOOK_GREETING" in run_cli("config", "--markdown").out
    refused = run_cli("every-hook-ping", "world")
    assert (refused.code, refused.err.strip()) == (
        2, "error: the database is not set up yet: run `synergy migrate` first")
    run_cli("migrate")
    ok = run_cli("every-hook-ping", "world")
    assert (ok.code, ok.out.strip()) == (0, "ahoy world")
    assert run_cli("every-hook-ping", "fail").code == 3
    helped = run_cli("--help")
    assert helped.code == 0
    assert "every-hook-ping" in helped.out and "Print the greeting [every_hook]" in helped.out


def test_plugin_error_in_strict_mode_is_a_clear_exit(run_cli, cli_env,
                                                    install_entry_points) -> None:
    cli_env(SYNERGY_DISABLED_PLUGINS=install_entry_points(
        {"broken": "tests.plugins.broken_import"}), SYNERGY_STRICT_PLUGINS="true")
    result = run_cli("plugins")
    assert result.code == 2
    assert result.err.startswith("error: plugin broken: import failed")


@pytest.mark.parametrize("argv", [["nonsense"], ["migrate", "--bogus"],
                                  ["serve", "--workers", "0"], ["worker", "--concurrency", "x"]])
def test_unknown_arguments_exit_with_usage(run_cli, argv: list[str]) -> None:
    result = run_cli(*argv)
    assert result.code == 2
    assert "usage: synergy" in result.err


def test_config_check_exits_non_zero_on_unknown_names(run_cli, cli_env,
                                                      install_entry_points) -> None:
    cli_env(SYNERGY_DISABLED_PLUGINS=install_entry_points(
        {"every_hook": "tests.plugins.every_hook"}), SYNERGY_EVERY_HOOK_GREETING="ahoy")
    valid = run_cli("config", "--check")
    assert valid.code == 0 and valid.out.startswith("configuration is valid")
    cli_env(SYNERGY_SMTP_URI="smtp://127.0.0.1:25", SYNERGY_EVERY_HOOK_GRETING="hi")
    checked = run_cli("config", "--check")
    assert checked.code == 1
    assert checked.err.splitlines() == [
        "error: SYNERGY_SMTP_URI (from environment) is not a setting; "
        "did you mean SYNERGY_SMTP_URL?",
        "error: SYNERGY_EVERY_HOOK_GRETING (from environment) is not a setting; "
        "did you mean SYNERGY_EVERY_HOOK_GREETING?"]
