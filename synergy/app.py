"""The app factory and the :class:`Kernel` every plugin hook receives."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterable, Iterator
from typing import Any

import falcon
import peewee

from synergy import __version__
from synergy.auth.service import AuthService
from synergy.backing_services import BackingServices
from synergy.database import connect_database
from synergy.events import EventBus
from synergy.http.errors import install_error_handlers
from synergy.http.middleware import (
    AuthenticationMiddleware,
    CORSMiddleware,
    DatabaseMiddleware,
    RequestContextMiddleware,
)
from synergy.http.render import dumps
from synergy.http.streams import guard_body
from synergy.jobs import JobQueue
from synergy.mail import Mailer
from synergy.migrations import Migrator
from synergy.permissions import Permissions
from synergy.plugin_manager import PluginHost, module_plugins
from synergy.routing import RouteTable
from synergy.settings import Settings

log = logging.getLogger("synergy")


class Kernel:
    """One built app: settings, plugins, database, queue, routes — and the WSGI callable.

    Plugins receive it in their hooks. Its public attributes are the kernel API:
    ``settings``, ``db``, ``events.record()``, ``enqueue()``, ``mail.send()``,
    ``permissions.allowed()/require()``, ``connection()``, ``routes.find()`` (the
    installed route a template names, to attach a policy to it) and
    ``backing_services.call()`` for every call to Redis or the queue storage.
    """

    version = __version__

    def __init__(self, settings: Settings, plugins: Iterable[Any] | None,
                 load_entrypoints: bool) -> None:
        from synergy import kernel_plugin

        self.settings = settings
        self.plugins = PluginHost(kernel_version=__version__,
                                  disabled=settings.disabled_plugins,
                                  strict=settings.strict_plugins)
        self.plugins.add(kernel_plugin, name="kernel", source="kernel")
        for plugin in module_plugins(plugins):
            self.plugins.add(plugin)
        if load_entrypoints:
            self.plugins.load_entry_points()

        for plugin, declaration in self.plugins.collect("synergy_settings"):
            settings.declare([declaration], owner=plugin)
        # A disabled or broken plugin's settings are expected, not misspelt.
        absent = [*self.plugins.disabled, *(error.name for error in self.plugins.errors)]
        self.unknown_settings = settings.check_names(
            f"SYNERGY_{name.upper()}_" for name in absent)
        settings.check_production()
        settings.prepare_data_dir()

        self.db: peewee.Database = connect_database(
            settings.effective_database_url, pool_size=settings.database_pool_size,
            server_prepare=settings.database_server_prepare)
        self.permissions = Permissions(self)
        self.jobs = JobQueue(self)
        self.backing_services = BackingServices(settings.redis_url, self.jobs.huey)
        self.events = EventBus(self)
        self.mail = Mailer(self)
        self.auth = AuthService(self)
        self.migrations = Migrator(self)
        self.models: list[tuple[str, type[peewee.Model]]] = []

        for plugin, model in self.plugins.collect("synergy_models"):
            self.models.append((plugin, model))
        for plugin, migration in self.plugins.collect("synergy_migrations"):
            self.migrations.add(plugin, migration)
        for plugin, event_type in self.plugins.collect("synergy_event_types"):
            self.events.declare(plugin, event_type)
        for plugin, job in self.plugins.collect("synergy_jobs", kernel=self):
            self.jobs.register(plugin, job)

        self.routes = RouteTable()
        for plugin, route in self.plugins.collect("synergy_routes", kernel=self):
            self.routes.add(plugin, route)

        middleware: list[Any] = [RequestContextMiddleware(self), DatabaseMiddleware(self),
                                 CORSMiddleware(self), AuthenticationMiddleware(self)]
        middleware += [item for _, item in self.plugins.collect("synergy_middleware",
                                                                kernel=self)]
        self.wsgi = falcon.App(middleware=middleware)
        self.wsgi.req_options.strip_url_path_trailing_slash = True
        self.wsgi.req_options.auto_parse_qs_csv = False
        json_handler = falcon.media.JSONHandler(dumps=lambda obj: dumps(obj).decode())
        self.wsgi.resp_options.media_handlers[falcon.MEDIA_JSON] = json_handler
        install_error_handlers(self.wsgi)
        self.routes.install(self.wsgi)

        with self.connection():
            self.plugins.call_each("synergy_startup", kernel=self)

    # The kernel API ------------------------------------------------------------------

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        guard_body(environ)
        return self.wsgi(environ, start_response)

    def enqueue(self, name: str, *args: Any, **kwargs: Any) -> None:
        """Queue a job now; inside a transaction prefer ``jobs.enqueue_after_commit``."""
        self.jobs.enqueue(name, *args, **kwargs)

    @contextlib.contextmanager
    def connection(self) -> Iterator[peewee.Database]:
        """A database connection for code outside a request (CLI, scripts, tests).

        Jobs deferred with ``enqueue_after_commit`` inside the block are handed
        to the queue when the outermost block ends, as a request would do.
        """
        opened = self.db.is_closed()
        if opened:
            self.db.connect()
        try:
            yield self.db
        finally:
            if opened:
                self.jobs.flush_after_commit()
                if not self.db.is_closed():
                    self.db.close()

    def migrate(self) -> list[str]:
        return self.migrations.apply()

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.plugins.call_each("synergy_shutdown", kernel=self)
        close_all = getattr(self.db, "close_all", None)
        if close_all is not None:
            close_all()
        elif not self.db.is_closed():
            self.db.close()


def create_app(
    settings: Settings | None = None,
    plugins: Iterable[Any] | None = None,
    load_entrypoints: bool = True,
) -> Kernel:
    """Build an app.

    ``plugins`` are registered explicitly (modules, objects or dotted paths) in
    addition to — or, with ``load_entrypoints=False``, instead of — the
    installed ``synergy.plugins`` entry points. Tests use the latter to build
    apps with an exact plugin list.
    """
    settings = settings or Settings()
    logging.getLogger("synergy").setLevel(settings.log_level)
    return Kernel(settings, plugins, load_entrypoints)
