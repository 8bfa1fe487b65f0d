"""``synergy serve``: the embedded default in one command.

Applies migrations, optionally loads demo data, starts ``synergy worker`` as
a supervised child process (unless jobs run inline; see
:mod:`synergy.worker_supervisor`) and runs gunicorn in the foreground. Each
gunicorn worker builds its own app after the fork, so no database connection
is shared between processes.
"""

from __future__ import annotations

import argparse
import logging
from typing import Any

from gunicorn.app.base import BaseApplication

from synergy.database import release_connections
from synergy.worker_supervisor import WorkerSupervisor, worker_command

log = logging.getLogger("synergy.serve")


class _Gunicorn(BaseApplication):
    def __init__(self, options: dict[str, Any]) -> None:
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        from synergy.app import create_app

        return create_app()


def _close_app(server: Any, worker: Any) -> None:
    """gunicorn ``worker_exit``: run the plugins' shutdown hooks in each web process."""
    app = getattr(worker, "wsgi", None)
    if app is not None and hasattr(app, "close"):
        app.close()


#: ``--worker-class`` names to gunicorn worker classes. gthread is gunicorn's thread worker
#: receiving whole requests in its event loop, so slow clients hold no thread (see
#: :mod:`synergy.serve_worker`); sync holds a process per request being read.
WORKER_CLASSES = {"gthread": "synergy.serve_worker.BufferingThreadWorker", "sync": "sync"}


def gunicorn_options(args: argparse.Namespace) -> dict[str, Any]:
    options: dict[str, Any] = {
        "worker_exit": _close_app,
        "bind": f"{args.host}:{args.port}",
        "workers": args.workers,
        "worker_class": WORKER_CLASSES[args.worker_class],
        "accesslog": None,
        "timeout": 60,
        "graceful_timeout": 20,
        "limit_request_line": 8190,
        # gunicorn's runtime control socket sits at one path in $HOME, shared by every
        # server of the user, and lets anyone with access change the worker count.
        "control_socket_disable": True,
    }
    if args.worker_class == "gthread":
        options["threads"] = args.threads
    return options


def serve(kernel: Any, args: argparse.Namespace) -> int:
    with kernel.connection():
        for name in kernel.migrate():
            log.info("applied migration %s", name)
        if args.demo:
            from synergy.demo import load_demo_data

            load_demo_data(kernel)
    release_connections(kernel.db)
    worker = None
    if not args.no_worker and not kernel.jobs.huey.immediate:
        worker = WorkerSupervisor(worker_command())
        worker.start()
    log.info("SynergyOS %s listening on http://%s:%s/api/ (database %s, queue %s)",
             kernel.version, args.host, args.port, kernel.db.__class__.__name__,
             kernel.jobs.backend)
    try:
        _Gunicorn(gunicorn_options(args)).run()
    finally:
        if worker is not None:
            worker.stop()
    return 0
