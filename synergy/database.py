"""The database proxy and the connection factory.

The proxy is the one global the kernel keeps: Peewee models bind to it at
import time, and :func:`connect_database` points it at SQLite or PostgreSQL
when an app is built. Tests build many apps in one process, one at a time.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlparse

import peewee
from playhouse.pool import PooledDatabase, PooledPostgresqlDatabase, PooledSqliteDatabase

from synergy.errors import ConfigurationError

database_proxy = peewee.DatabaseProxy()

SQLITE_PRAGMAS = {
    "journal_mode": "wal",
    "foreign_keys": 1,
    "busy_timeout": 10000,
    "synchronous": "normal",
    "cache_size": -16000,
}


class ImmediateSqliteDatabase(PooledSqliteDatabase):
    """Pooled SQLite whose transactions take the write lock as they begin.

    Pooled, because closing the last connection to a WAL database checkpoints
    it: opening and closing per request cost 1.4 ms more than the request's
    own queries (measured here).

    ``BEGIN IMMEDIATE``: in WAL mode a deferred transaction that reads and then writes fails at once
    with "database is locked" when another connection committed in between:
    the busy timeout does not cover that lock upgrade. Web workers, the job
    worker and event subscribers all read-then-write, so every transaction
    starts IMMEDIATE and concurrent writers queue for up to the busy timeout.
    """

    def begin(self, lock_type: str | None = None) -> None:
        super().begin(lock_type or "IMMEDIATE")


def open_database(url: str, *, pool_size: int = 10) -> peewee.Database:
    """Build (but do not connect) a Peewee database for ``url``."""
    parsed = urlparse(url)
    scheme = parsed.scheme.split("+")[0]
    if scheme == "sqlite":
        path = unquote(url.split("://", 1)[1])
        # sqlite:///relative.db and sqlite:////absolute/path.db, as in SQLAlchemy.
        path = path[1:] if path.startswith("/") else path
        if path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        # A pooled connection may be handed to another thread later (never to two at once).
        return ImmediateSqliteDatabase(path, pragmas=SQLITE_PRAGMAS, timeout=10,
                                       max_connections=pool_size, stale_timeout=300,
                                       check_same_thread=False)
    if scheme in ("postgres", "postgresql"):
        options = {key: values[-1] for key, values in parse_qs(parsed.query).items()}
        return PooledPostgresqlDatabase(
            unquote(parsed.path.lstrip("/")) or "postgres",
            user=unquote(parsed.username) if parsed.username else None,
            password=unquote(parsed.password) if parsed.password else None,
            host=parsed.hostname or "127.0.0.1",
            port=parsed.port or 5432,
            max_connections=pool_size,
            stale_timeout=300,
            timeout=10,
            autoconnect=True,
            **options,
        )
    raise ConfigurationError(
        f"SYNERGY_DATABASE_URL scheme {parsed.scheme!r} is not supported: "
        "use sqlite:///path/to/file.db or postgresql://user@host:5432/dbname"
    )


def connect_database(url: str, *, pool_size: int = 10) -> peewee.Database:
    """Point the shared proxy at a new database and return it."""
    current = database_proxy.obj
    if current is not None:
        release_connections(current)
    database = open_database(url, pool_size=pool_size)
    database_proxy.initialize(database)
    return database


def release_connections(database: peewee.Database) -> None:
    """Close this thread's connection and, for a pool, every idle pooled one.

    Called before forking (``synergy serve``) so no child inherits a socket.
    """
    if isinstance(database, PooledDatabase):
        database.close_all()
    else:
        database.close()


class PreparedQuery:
    """A model query whose SQL is compiled once and reused with new parameter values.

    Peewee rebuilds the SQL text of a query on every execution; for the query
    every authenticated request runs, that was a third of the request's time.
    ``build(**sentinels)`` must return a flat (join-free result) model query in
    which each keyword appears exactly once as a parameter.
    """

    def __init__(self, build: Any) -> None:
        self.build = build
        self._compiled: dict[int, tuple[Any, str, list[Any]]] = {}

    def first(self, **values: Any) -> Any:
        database = database_proxy.obj
        compiled = self._compiled.get(id(database))
        if compiled is None:
            sentinels = {name: _Sentinel(name) for name in values}
            query = self.build(**sentinels)
            sql, params = query.sql()
            compiled = (query.model, sql, params)
            self._compiled = {id(database): compiled}
        model, sql, template = compiled
        params = [values[_Sentinel.name_of(p)] if _Sentinel.name_of(p) else p for p in template]
        return next(iter(model.raw(sql, *params)), None)


class _Sentinel:
    """Stands in for a parameter while compiling.

    Fields may convert it (a ``CharField`` calls ``str``), so it is recognised
    both as itself and by its string form.
    """

    _PREFIX = "\x00synergy-parameter:"

    def __init__(self, name: str) -> None:
        self.name = name

    def __str__(self) -> str:
        return self._PREFIX + self.name

    @classmethod
    def name_of(cls, value: Any) -> str | None:
        if isinstance(value, _Sentinel):
            return value.name
        if isinstance(value, str) and value.startswith(cls._PREFIX):
            return value[len(cls._PREFIX):]
        return None


def is_postgres(database: peewee.Database | None = None) -> bool:
    return isinstance(database or database_proxy.obj, peewee.PostgresqlDatabase)
