"""The ``synergy`` command line: serve, worker, migrate, createuser, plugins, openapi, config.

Every command meets the same prelude: the app is built (bad settings, an
unloadable plugin or an unreachable database end there), and commands that
work on the tables — ``worker``, ``createuser`` and every plugin command —
refuse a database with pending migrations, saying to run ``synergy migrate``.
``serve`` migrates by itself; ``worker`` also checks that the queue storage
answers. An expected condition (unmigrated or locked database, database or
Redis unreachable) is one line on stderr and exit code 1 or 2, never a
traceback.
"""

from __future__ import annotations

import argparse
import getpass
import json
import logging
import os
import sys
from typing import Any

import peewee
import redis

from synergy import __version__
from synergy.errors import ConfigurationError, PluginError, SynergyError
from synergy.migrations import MigrationFailed
from synergy.ticker import Ticker
from synergy.worker_heartbeat import Heartbeat

log = logging.getLogger("synergy.cli")

# Core commands that read or write tables, so refuse to run before ``synergy migrate``.
NEEDS_MIGRATED = frozenset({"worker", "createuser"})
# Commands that are useless without the queue storage: checked before they start, so an
# unreachable Redis is one line and an exit code a supervisor can act on.
NEEDS_QUEUE = frozenset({"worker"})


def _build() -> Any:
    from synergy.app import create_app
    from synergy.settings import Settings

    return create_app(Settings())


def cmd_migrate(kernel: Any, args: argparse.Namespace) -> int:
    if args.list:
        for status in kernel.migrations.status():
            state = f"applied {status.applied_at:%Y-%m-%d %H:%M}" if status.applied_at \
                else "pending"
            print(f"{status.plugin:<20} {status.name:<40} {state}")
        return 0
    applied = kernel.migrate()
    for name in applied:
        print(f"applied {name}")
    print("database is up to date" if not applied else f"{len(applied)} migration(s) applied")
    return 0


def cmd_createuser(kernel: Any, args: argparse.Namespace) -> int:
    interactive = not args.no_input and sys.stdin.isatty()
    username = args.username or (input("Username: ").strip() if interactive else None)
    email = args.email or (input("E-mail: ").strip() if interactive else None)
    password = args.password or os.environ.get("SYNERGY_CREATEUSER_PASSWORD")
    if not password and interactive:
        password = getpass.getpass("Password: ")
        if password != getpass.getpass("Password (again): "):
            print("error: the passwords do not match", file=sys.stderr)
            return 2
    if not (username and email and password):
        print("error: give --username, --email and --password (or "
              "SYNERGY_CREATEUSER_PASSWORD), or run interactively", file=sys.stderr)
        return 2
    from synergy.auth.schemas import RegisterBody

    with kernel.connection():
        data = RegisterBody.validate({"username": username, "email": email,
                                      "password": password,
                                      "first_name": args.first_name or "",
                                      "last_name": args.last_name or ""})
        user = kernel.auth.create_user(**data, is_staff=args.staff)
    print(f"created user {user.username} (id {user.id}{', staff' if user.is_staff else ''})")
    return 0


def cmd_plugins(kernel: Any, args: argparse.Namespace) -> int:
    from synergy.system.introspection import describe_plugins

    description = describe_plugins(kernel)
    if args.json:
        print(json.dumps(description, indent=2, default=str))
        return 0
    print(f"SynergyOS kernel {description['kernel_version']}")
    for plugin in description["plugins"]:
        migrations = plugin["migrations"]
        print(f"\n{plugin['name']} {plugin['version']} ({plugin['source']}: {plugin['module']})")
        print(f"  hooks:      {', '.join(plugin['hooks']) or '-'}")
        print(f"  routes:     {', '.join(r['path'] for r in plugin['routes']) or '-'}")
        print(f"  models:     {', '.join(plugin['models']) or '-'}")
        print(f"  migrations: {len(migrations['applied'])} applied, "
              f"{len(migrations['pending'])} pending {migrations['pending'] or ''}")
        jobs = [job["name"] + (" (periodic)" if job["periodic"] else "")
                for job in plugin["jobs"]]
        print(f"  jobs:       {', '.join(jobs) or '-'}")
    if description["errors"]:
        print("\nload errors:")
        for error in description["errors"]:
            print(f"  {error['name']}: {error['error']}")
    return 0


def cmd_openapi(kernel: Any, args: argparse.Namespace) -> int:
    from synergy.openapi import build_openapi

    print(json.dumps(build_openapi(kernel), indent=2))
    return 0


def cmd_config(kernel: Any, args: argparse.Namespace) -> int:
    settings = kernel.settings
    if args.check:
        for unknown in kernel.unknown_settings:
            print(f"error: {unknown}", file=sys.stderr)
        if kernel.unknown_settings:
            return 1
        print(f"configuration is valid: {len(settings.declarations())} settings declared, "
              "no unknown SYNERGY_* names")
        return 0
    if args.markdown:
        print(settings_table(settings))
        return 0
    for (_decl, owner), (name, value) in zip(settings.declarations(), settings.masked().items(),
                                            strict=True):
        print(f"{name:<42} {json.dumps(value, default=str):<40} ({owner})")
    return 0


def settings_table(settings: Any) -> str:
    """The README's settings table, generated from the declarations."""
    lines = ["| Setting | Type | Default | Owner | Meaning |", "|---|---|---|---|---|"]
    for decl, owner in settings.declarations():
        default = decl.default
        shown = ", ".join(default) if isinstance(default, list) else default
        shown = "" if shown in (None, "") else f"`{shown}`"
        lines.append(f"| `{decl.name}` | {decl.type} | {shown} | {owner} | "
                     f"{decl.help.replace('|', '/')} |")
    return "\n".join(lines)


def cmd_worker(kernel: Any, args: argparse.Namespace) -> int:
    huey = kernel.jobs.huey
    if huey.immediate:
        print("SYNERGY_QUEUE_IMMEDIATE is on: jobs run inline, no worker needed")
        return 0
    consumer = huey.create_consumer(workers=args.concurrency, worker_type="thread",
                                    periodic=not args.no_periodic, check_worker_health=True)
    log.info("worker started on %s queue with %s thread(s)%s", kernel.jobs.backend,
             args.concurrency, "" if args.no_periodic else ", periodic jobs enabled")
    heartbeat = Heartbeat(kernel)
    heartbeat.start()
    # The sweeps of lost work run every few seconds, beside Huey's minute scheduler.
    ticker = Ticker(kernel.jobs) if not args.no_periodic else None
    if ticker is not None:
        ticker.start()
    try:
        consumer.run()
    finally:
        if ticker is not None:
            ticker.stop()
        heartbeat.stop()
    return 0


def cmd_serve(kernel: Any, args: argparse.Namespace) -> int:
    from synergy.serve import serve

    return serve(kernel, args)


def _positive(text: str) -> int:
    """argparse type: a whole number of at least 1 (workers, threads, port)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} is less than 1")
    return value


def _add_core_commands(sub: Any) -> dict[str, Any]:
    handlers: dict[str, Any] = {}

    p = sub.add_parser("serve", help="apply migrations, start the web server and a worker")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=_positive, default=8000)
    p.add_argument("--workers", type=_positive, default=2, help="gunicorn worker processes")
    p.add_argument("--worker-class", default="gthread", choices=("gthread", "sync"),
                   help="gthread: threads fed only complete requests (survives slow clients); "
                        "sync: one request per process, only behind a buffering proxy")
    p.add_argument("--threads", type=_positive, default=4, help="threads per gthread worker")
    p.add_argument("--no-worker", action="store_true", help="do not start a job worker")
    p.add_argument("--demo", action="store_true", help="load demo users and projects")
    handlers["serve"] = cmd_serve

    p = sub.add_parser("worker", help="run the background job consumer")
    p.add_argument("--concurrency", type=_positive, default=2)
    p.add_argument("--no-periodic", action="store_true",
                   help="do not schedule periodic jobs from this worker")
    handlers["worker"] = cmd_worker

    p = sub.add_parser("migrate", help="apply pending migrations")
    p.add_argument("--list", action="store_true", help="show applied and pending steps")
    handlers["migrate"] = cmd_migrate

    p = sub.add_parser("createuser", help="create an account")
    p.add_argument("--username")
    p.add_argument("--email")
    p.add_argument("--password", help="prefer SYNERGY_CREATEUSER_PASSWORD or the prompt")
    p.add_argument("--first-name")
    p.add_argument("--last-name")
    p.add_argument("--staff", action="store_true")
    p.add_argument("--no-input", action="store_true")
    handlers["createuser"] = cmd_createuser

    p = sub.add_parser("plugins", help="list plugins, their contributions and load errors")
    p.add_argument("--json", action="store_true")
    handlers["plugins"] = cmd_plugins

    sub.add_parser("openapi", help="print the OpenAPI document")
    handlers["openapi"] = cmd_openapi

    p = sub.add_parser("config", help="show effective settings (secrets masked)")
    p.add_argument("--markdown", action="store_true", help="print the README settings table")
    p.add_argument("--check", action="store_true",
                   help="exit 1 when a SYNERGY_* name is not a declared setting")
    handlers["config"] = cmd_config
    return handlers


def _add_plugin_commands(kernel: Any, sub: Any, handlers: dict[str, Any]) -> set[str]:
    """Add every plugin's subcommands; returns their names (they all need a migrated database)."""
    added = set()
    for plugin, command in kernel.plugins.collect("synergy_cli"):
        if command.name in handlers:
            print(f"warning: plugin {plugin} command {command.name} collides; ignored",
                  file=sys.stderr)
            continue
        parser = sub.add_parser(command.name, help=f"{command.help} [{plugin}]")
        if command.configure:
            command.configure(parser)
        handlers[command.name] = command.run
        added.add(command.name)
    return added


def build_parser(kernel: Any | None) -> tuple[argparse.ArgumentParser, dict[str, Any], set[str]]:
    """The parser with the core commands, plus the plugins' when an app is given.

    Returns the parser, the handler of each command, and the names of the
    commands that need a migrated database.
    """
    parser = argparse.ArgumentParser(prog="synergy", description="SynergyOS command line")
    parser.add_argument("--version", action="version", version=f"synergy {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="command", required=True)
    handlers = _add_core_commands(sub)
    needs_migrated = set(NEEDS_MIGRATED)
    if kernel is not None:
        needs_migrated |= _add_plugin_commands(kernel, sub, handlers)
    return parser, handlers, needs_migrated


def pending_migrations_problem(kernel: Any) -> str | None:
    """One line saying what to run when migrations are pending, else None."""
    pending = [f"{plugin}:{step.name}" for plugin, step in kernel.migrations.pending()]
    if not pending:
        return None
    if len(pending) == len(kernel.migrations.steps):
        return "the database is not set up yet: run `synergy migrate` first"
    shown = ", ".join(pending[:3]) + (", ..." if len(pending) > 3 else "")
    return (f"the database has {len(pending)} pending migration(s) ({shown}): "
            "run `synergy migrate` first")


def database_problem(exc: peewee.DatabaseError) -> str:
    """A database error as one line that says what to do about it."""
    text = str(exc).strip()
    first = text.splitlines()[0].strip() if text else type(exc).__name__
    lowered = first.lower()
    if "no such table" in lowered or ("relation" in lowered and "does not exist" in lowered):
        return f"the database is not migrated ({first}): run `synergy migrate` first"
    if "locked" in lowered:
        return f"the database is locked by another process ({first}): try again once it is done"
    return f"database error ({first}): check SYNERGY_DATABASE_URL and that the server is up"


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``synergy`` console script; returns the process exit code.

    The app is built before the arguments are parsed because plugins add
    subcommands; only ``--version`` answers without building it, and help
    still works (without plugin commands) when the app cannot be built.
    """
    logging.basicConfig(level=os.environ.get("SYNERGY_LOG_LEVEL", "INFO"),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    argv = sys.argv[1:] if argv is None else argv
    parser, _, _ = build_parser(None)
    wants_help = not argv or argv[0] in ("-h", "--help")
    if argv[:1] == ["--version"]:
        parser.parse_args(argv)
    try:
        kernel = _build()
    except (ConfigurationError, PluginError) as exc:
        return _fail(str(exc), 2, parser if wants_help else None)
    except peewee.DatabaseError as exc:
        return _fail(database_problem(exc), 2, parser if wants_help else None)
    try:
        parser, handlers, needs_migrated = build_parser(kernel)
        args = parser.parse_args(argv or ["--help"])
        if args.command in needs_migrated:
            problem = pending_migrations_problem(kernel)
            if problem:
                return _fail(problem, 2)
        if args.command in NEEDS_QUEUE:
            kernel.backing_services.ping("queue")
        if args.command in ("serve", "worker"):
            return int(handlers[args.command](kernel, args) or 0)
        with kernel.connection():
            return int(handlers[args.command](kernel, args) or 0)
    except MigrationFailed as exc:
        return _fail(str(exc), 1)
    except SynergyError as exc:
        details = "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.fields.items())
        return _fail(exc.message + (f" ({details})" if details else ""), 2)
    except peewee.DatabaseError as exc:
        log.debug("database error in synergy %s", " ".join(argv), exc_info=True)
        return _fail(database_problem(exc), 1)
    except redis.exceptions.ConnectionError as exc:
        log.debug("Redis error in synergy %s", " ".join(argv), exc_info=True)
        return _fail(f"cannot reach Redis ({exc}): check SYNERGY_REDIS_URL and that Redis is up",
                     1)
    except KeyboardInterrupt:
        return 130
    finally:
        kernel.close()


def _fail(message: str, code: int, parser: argparse.ArgumentParser | None = None) -> int:
    """Print ``error: message`` on stderr (and the help when it was asked for); return code."""
    print(f"error: {message}", file=sys.stderr)
    if parser is not None:
        parser.print_help()
    return code
