"""The SynergyOS hook specifications: the whole contract between kernel and plugins.

Installed as ``synergy_hookspecs``. A plugin is a module (or object) whose
functions are decorated with :data:`hookimpl` and named after one of the specs
below; it is registered through the ``synergy.plugins`` entry-point group::

    [options.entry_points]
    synergy.plugins =
        timesheets = acme_timesheets.plugin

Rules every hook shares:

* Hooks are called with keyword arguments. An implementation may accept any
  subset of a spec's arguments (pluggy passes only the ones it names), so new
  arguments can be added to a spec without breaking existing plugins.
* Hooks that handle a request receive ``request`` (the Falcon request) and
  ``user`` (the acting :class:`synergy.models.User`, or ``None``).
* ``kernel`` is the :class:`synergy.Kernel` of the app being built: settings,
  the job queue, event recording, permission checks.
* Unless a spec says *firstresult*, every implementation is called and the
  kernel collects the non-``None`` results.
* A module may declare ``SYNERGY_KERNEL = ">=0.1,<1"``; the plugin is skipped
  (or start-up fails in strict mode) when the running kernel is outside it.
* The plugin's name is its entry-point name. A module registered directly
  (``create_app(plugins=[module])``) is named by ``PLUGIN_NAME`` if it sets
  one, else by the last part of its module name. Names are lower-case
  identifiers; they prefix job names (``<plugin>.<job>``) and settings
  (``SYNERGY_<PLUGIN>_<NAME>``). ``SYNERGY_DISABLED_PLUGINS`` lists names.
* A plugin that fails to import, requires another kernel, implements a hook
  that does not exist, or names a function ``synergy_*`` without decorating
  it is skipped and listed under load errors by ``synergy plugins`` and
  ``GET /api/plugins/`` (``SYNERGY_STRICT_PLUGINS`` makes that fatal).
"""

from __future__ import annotations

from typing import Any

import pluggy

PROJECT_NAME = "synergy"

hookspec = pluggy.HookspecMarker(PROJECT_NAME)
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)


@hookspec
def synergy_settings() -> list[Any]:
    """Declare the plugin's settings.

    Called once while the app is built, before any other hook of the plugin
    runs. Return a list of :class:`synergy.Setting`. Names must follow
    ``SYNERGY_<PLUGIN>_<NAME>``. Values are read from the environment or the
    TOML file and are then available as ``kernel.settings.<plugin>_<name>``.
    Declarations appear in ``synergy config`` and the README table.

    Example::

        @hookimpl
        def synergy_settings():
            return [Setting("SYNERGY_TIMESHEETS_WEEK_HOURS", type="int", default=40,
                            help="Contracted hours per week.")]
    """


@hookspec
def synergy_models() -> list[Any]:
    """Return the Peewee model classes the plugin owns.

    Models must subclass :class:`synergy.models.BaseModel` so they are bound
    to the kernel's database (SQLite or PostgreSQL). Listing a model here does
    not create its table: ship a :func:`synergy_migrations` step for that. The
    kernel uses the list for introspection and for the schema check that
    compares migrated tables with model definitions.
    """


@hookspec
def synergy_migrations() -> list[Any]:
    """Return the plugin's schema migrations, oldest first.

    Each item is a :class:`synergy.Migration` ``(name, apply)``. ``synergy
    migrate`` applies pending steps in order, each inside a transaction, and
    records them per plugin in the kernel's ``synergy_migration`` table. Steps
    must work on SQLite and PostgreSQL; ``context.create_tables(*models)`` and
    ``context.migrator`` (a ``playhouse.migrate.SchemaMigrator``) help with that.
    Never rename, reorder or edit a shipped step: add a new one.
    """


@hookspec
def synergy_routes(kernel: Any) -> list[Any]:
    """Return the HTTP routes the plugin serves, as :class:`synergy.Route` items.

    Called once while the app is built; resources usually keep ``kernel`` to
    reach settings, permissions and events when a request arrives. Paths
    must start with ``/api/``. A path that another plugin or the kernel
    already serves is refused with an error naming both owners. Every
    responder must be decorated with :func:`synergy.http.endpoint`, which
    validates input against the declared schema, enforces authentication and
    feeds ``GET /api/openapi.json``. Segments are Falcon templates
    (``/api/timesheets/{entry_id:int}``); two plugins using different field
    names at the same level of one prefix collide too.
    """


@hookspec
def synergy_middleware(kernel: Any) -> list[Any]:
    """Return Falcon WSGI middleware objects to install after the kernel's own.

    Called once with the ``kernel`` being built; keep it to reach settings.

    Kernel middleware runs first (request id, database connection, CORS,
    authentication), so ``req.context.user`` and ``req.context.client_ip`` are
    already set in ``process_resource``. Raising a :mod:`synergy.errors` error
    from middleware produces the standard JSON error response.
    """


@hookspec
def synergy_jobs(kernel: Any) -> list[Any]:
    """Return background and periodic jobs as :class:`synergy.Job` items.

    Called once with the ``kernel`` being built (web and worker processes alike).

    The kernel registers each on the app's Huey instance under
    ``"<plugin>.<name>"``; enqueue with ``kernel.enqueue("<plugin>.<name>",
    *args)``. The worker (``synergy worker``) builds the same app, so the same
    jobs exist there. A periodic job runs once per scheduled minute however
    many workers are running; a job with an ``interval`` runs every that many
    seconds (once per interval across workers), for sweeps of lost work.
    """


@hookspec
def synergy_event_types() -> list[Any]:
    """Return the event types the plugin emits, as :class:`synergy.EventType` items.

    The catalogue (kernel and plugin events) is what webhooks and other
    subscribers can ask for. Emitting an event type that nobody declared is
    refused, so the catalogue stays complete.
    """


@hookspec
def synergy_on_event(kernel: Any, event: Any) -> None:
    """Receive a committed domain event (at-least-once).

    ``kernel`` is the app; ``event`` is a :class:`synergy.models.Event` row:
    ``type``, ``occurred_at``, ``actor_id``, ``project_id`` and ``payload``
    (a dict). Called in a worker after the transaction that recorded the
    event committed. Each plugin's implementation is called on its own: an
    exception is logged and that plugin alone is called again later by the
    outbox sweep, so implementations must be idempotent (for instance with a
    unique key on ``event.id``). The return value is ignored.
    """


@hookspec(firstresult=True)
def synergy_permission(
    kernel: Any, user: Any, action: str, obj: Any, request: Any
) -> bool | None:
    """Decide whether ``user`` may perform ``action`` on ``obj`` (firstresult).

    ``action`` is a dotted name such as ``"project.view"``, ``"project.change"``,
    ``"task.change"`` or ``"task.change_status"``; ``obj`` is the model
    instance concerned (or ``None`` for creation checks); ``request`` may be
    ``None`` outside HTTP; ``kernel`` is the app. Return ``True`` to allow,
    ``False`` to deny, or ``None`` to let the next implementation decide. The kernel's default rules
    are an implementation registered last, so any plugin can override them.
    """


@hookspec
def synergy_password_checked(
    kernel: Any, user: Any, succeeded: bool, purpose: str, client: Any, request: Any
) -> None:
    """The kernel checked the password of an existing account (called synchronously).

    ``purpose`` is ``"login"``, ``"change_password"`` or ``"email_change"``: a
    login, or the current password a sensitive account change requires.
    ``succeeded`` is ``False`` for a wrong password and also for a right one
    that was refused (inactive account, or ``auth.login`` denied by a
    permission rule, as during a lockout). ``user`` is the account,
    ``client`` has ``ip`` and ``user_agent``, ``request`` is the Falcon
    request (``None`` outside HTTP) and ``kernel`` the app. Called before the
    answer leaves, so a lockout counted here holds from the very next attempt;
    unknown login names are not reported (there is no account to count). An
    exception is logged and the other plugins are still called. The return
    value is ignored. The security plugin counts failures towards its lockout
    here::

        @hookimpl
        def synergy_password_checked(kernel, user, succeeded, client):
            if not succeeded:
                count_failure(user, client.ip)
    """


@hookspec
def synergy_extend_resource(
    kernel: Any, kind: str, objects: list[Any], user: Any, request: Any
) -> dict[Any, dict[str, Any]] | None:
    """Add fields to the representations of a page of objects.

    ``kind`` is ``"project"`` or ``"task"``; ``objects`` is the whole page
    being rendered (one call per page, so use one query for all of them);
    ``user`` is the caller, ``request`` the Falcon request (``None`` outside
    HTTP) and ``kernel`` the app.
    Return ``{object.id: {"field": value, ...}}``; keys the kernel already
    renders cannot be overwritten. Return ``None`` to add nothing.
    """


@hookspec
def synergy_cli() -> list[Any]:
    """Return extra ``synergy`` subcommands as :class:`synergy.Command` items.

    The command's ``run(kernel, args)`` receives a fully built app (database
    connected, plugins loaded) and returns an exit code. It runs only on a
    migrated database: with migrations pending, ``synergy`` refuses it and
    tells the user to run ``synergy migrate`` first.
    """


@hookspec
def synergy_startup(kernel: Any) -> None:
    """Called once when an app has been built, in every process (web and worker).

    ``kernel`` is fully built and a database connection is open. Use it to
    warm caches or check external services; raise
    :class:`synergy.errors.ConfigurationError` to refuse to start. The return
    value is ignored.
    """


@hookspec
def synergy_shutdown(kernel: Any) -> None:
    """Called once when a process that built the app stops cleanly.

    ``kernel`` is still usable: release what :func:`synergy_startup` acquired
    (threads, sockets, files). An exception is logged and does not stop the
    other plugins' shutdown. The return value is ignored.
    """
