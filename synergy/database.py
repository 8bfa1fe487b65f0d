"""The database proxy and the connection factory.

The proxy is the one global the kernel keeps: Peewee models bind to it at
import time, and :func:`connect_database` points it at SQLite or PostgreSQL
when an app is built. Tests build many apps in one process, one at a time.
"""

from __future__ import annotations

import itertools
import re
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlparse

import peewee
import psycopg2.extensions
from playhouse.pool import PooledDatabase, PooledPostgresqlDatabase, PooledSqliteDatabase

from synergy.commit_callbacks import CommitCallbacks
from synergy.errors import ConfigurationError
from synergy.rows import RowShape
from synergy.sqlite_write_lock import SqliteWriteLock

database_proxy = peewee.DatabaseProxy()

SQLITE_PRAGMAS = {
    "journal_mode": "wal",
    "foreign_keys": 1,
    "busy_timeout": 10000,
    "synchronous": "normal",
    "cache_size": -16000,
    # Checkpoints run after the write lock is handed on (see ImmediateSqliteDatabase);
    # SQLite's own, inside a COMMIT, only if the WAL still reaches 40 MB.
    "wal_autocheckpoint": 10000,
}
# Commits of one process between two of its checkpoints.
CHECKPOINT_EVERY = 200


class ImmediateSqliteDatabase(CommitCallbacks, PooledSqliteDatabase):
    """Pooled SQLite whose transactions take the write lock as they begin.

    Pooled, because closing the last connection to a WAL database checkpoints
    it: opening and closing per request cost 1.4 ms more than the request's
    own queries (measured here).

    ``BEGIN IMMEDIATE``: in WAL mode a deferred transaction that reads and then writes fails at once
    with "database is locked" when another connection committed in between:
    the busy timeout does not cover that lock upgrade. Web workers, the job
    worker and event subscribers all read-then-write, so every transaction
    starts IMMEDIATE and concurrent writers queue for up to the busy timeout.

    Writers also queue on a :class:`SqliteWriteLock` first, which hands the
    lock over far sooner than SQLite's sleeping busy handler.

    Checkpoints: SQLite's automatic checkpoint runs inside the ``COMMIT`` that
    crosses 1,000 WAL pages, so every other writer waited for it (task
    creations had a 253 ms p99 over a 10 s run, measured). Here each process
    checkpoints (PASSIVE: it never waits for readers or writers) after every
    ``CHECKPOINT_EVERY`` commits, once it has handed the write lock on: 58 ms.

    ``after_commit`` callbacks follow savepoints too (:class:`CommitCallbacks`).
    """

    def __init__(self, database: str, *args: Any, **kwargs: Any) -> None:
        super().__init__(database, *args, **kwargs)
        self._commits = 0
        self.write_lock = (SqliteWriteLock(database, kwargs.get("timeout", 5))
                           if database != ":memory:" else None)

    def begin(self, lock_type: str | None = None) -> None:
        if self.write_lock is not None:
            self.write_lock.acquire()
        try:
            super().begin(lock_type or "IMMEDIATE")
        except BaseException:
            self._release_write_lock()
            raise

    def commit(self) -> None:
        try:
            super().commit()
        finally:
            if not self._in_sqlite_transaction():
                self._release_write_lock()
        self._commits += 1
        if self._commits % CHECKPOINT_EVERY == 0:
            self.execute_sql("PRAGMA wal_checkpoint(PASSIVE)")

    def rollback(self) -> None:
        try:
            super().rollback()
        finally:
            self._release_write_lock()

    def _close(self, conn: Any, close_conn: bool = False) -> None:
        # The pool rolls back a connection returned mid-transaction; the lock goes with it.
        try:
            super()._close(conn, close_conn)
        finally:
            self._release_write_lock()

    def _in_sqlite_transaction(self) -> bool:
        return not self.is_closed() and self.connection().in_transaction

    def _release_write_lock(self) -> None:
        if self.write_lock is not None:
            self.write_lock.release()


class PostgresDatabase(CommitCallbacks, PooledPostgresqlDatabase):
    """Pooled PostgreSQL whose ``after_commit`` callbacks follow savepoints too."""


class PreparingConnection(psycopg2.extensions.connection):
    """A psycopg2 connection that remembers what its server session has prepared.

    Lets :class:`PreparedQuery` plan its statements once per connection on the
    server too (``PREPARE``/``EXECUTE``). Prepared statements outlive
    transactions, including rolled-back ones, and end with the session.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.synergy_prepared: set[str] = set()


def open_database(url: str, *, pool_size: int = 10,
                  server_prepare: bool = True) -> peewee.Database:
    """Build (but do not connect) a Peewee database for ``url``.

    ``server_prepare=False`` keeps prepared queries from using PostgreSQL's
    ``PREPARE`` (needed behind a pooler that hands each transaction to a
    different server session, such as PgBouncer in transaction mode).
    """
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
        return PostgresDatabase(
            unquote(parsed.path.lstrip("/")) or "postgres",
            user=unquote(parsed.username) if parsed.username else None,
            password=unquote(parsed.password) if parsed.password else None,
            host=parsed.hostname or "127.0.0.1",
            port=parsed.port or 5432,
            max_connections=pool_size,
            stale_timeout=300,
            timeout=10,
            autoconnect=True,
            **({"connection_factory": PreparingConnection} if server_prepare else {}),
            **options,
        )
    raise ConfigurationError(
        f"SYNERGY_DATABASE_URL scheme {parsed.scheme!r} is not supported: "
        "use sqlite:///path/to/file.db or postgresql://user@host:5432/dbname"
    )


def connect_database(url: str, *, pool_size: int = 10,
                     server_prepare: bool = True) -> peewee.Database:
    """Point the shared proxy at a new database and return it."""
    current = database_proxy.obj
    if current is not None:
        release_connections(current)
    database = open_database(url, pool_size=pool_size, server_prepare=server_prepare)
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

    Peewee rebuilds the SQL text of a query on every execution, which measured
    here was close to half the time of a simple authenticated request. Use it
    for the queries every request runs. ``build(**sentinels)`` returns the
    query (joins allowed); each keyword must appear as a plain parameter, or
    as a list for ``IN`` (compiled once per list length). Rows come back
    exactly as the query itself would return them, or decoded by ``shape``
    when the query selects ``shape.columns``.

    On PostgreSQL the statement is also prepared on the server, once per
    connection, so it is not planned again on every execution either (a
    project page spent 0.4 ms planning for 0.5 ms executing, measured here).
    """

    def __init__(self, build: Any, shape: RowShape | None = None) -> None:
        self.build = build
        self.shape = shape
        self._compiled: dict[tuple[int, tuple[int, ...]], _Compiled] = {}

    def rows(self, **values: Any) -> list[Any]:
        query, cursor = self._run(values)
        if self.shape is not None:
            return self.shape.decode_all(cursor.fetchall())
        return list(query._get_cursor_wrapper(cursor))

    def tuples(self, **values: Any) -> list[tuple[Any, ...]]:
        """Rows exactly as the driver returns them: for columns that need no conversion."""
        return self._run(values)[1].fetchall()

    def first(self, **values: Any) -> Any:
        found = self.rows(**values)
        return found[0] if found else None

    def execute(self, **values: Any) -> int:
        """Run a prepared UPDATE or DELETE; returns the number of rows it changed."""
        return self._run(values)[1].rowcount

    def _run(self, values: dict[str, Any]) -> tuple[Any, Any]:
        database = database_proxy.obj
        shape = tuple(len(v) if isinstance(v, (list, tuple)) else -1 for v in values.values())
        key = (id(database), shape)
        compiled = self._compiled.get(key)
        if compiled is None:
            if self._compiled and next(iter(self._compiled))[0] != id(database):
                self._compiled.clear()
            query = self.build(**{
                name: ([_Sentinel(f"{name}#{i}") for i in range(len(value))]
                       if isinstance(value, (list, tuple)) else _Sentinel(name))
                for name, value in values.items()})
            sql, params = query.sql()
            compiled = self._compiled[key] = _Compiled(query, sql, params)
        params = [_Sentinel.resolve(p, values) for p in compiled.params]
        prepared = getattr(database.connection(), "synergy_prepared", None)
        if prepared is None:
            return compiled.query, database.execute_sql(compiled.sql, params)
        if compiled.name not in prepared:
            database.execute_sql(compiled.prepare_sql())
            prepared.add(compiled.name)
        return compiled.query, database.execute_sql(compiled.execute_sql, params)


_statement_numbers = itertools.count(1)


class _Compiled:
    """One compiled shape of a :class:`PreparedQuery`, and its server-side name."""

    def __init__(self, query: Any, sql: str, params: list[Any]) -> None:
        self.query = query
        self.sql = sql
        self.params = params
        self.name = f"synergy_q{next(_statement_numbers)}"
        arguments = ", ".join(["%s"] * len(params))
        self.execute_sql = f"EXECUTE {self.name}({arguments})" if params else \
            f"EXECUTE {self.name}"

    def prepare_sql(self) -> str:
        """The SQL with PostgreSQL's numbered parameters; ``%%`` is psycopg2's literal %."""
        numbers = itertools.count(1)
        body = re.sub(r"%[s%]", lambda m: f"${next(numbers)}" if m.group() == "%s" else "%",
                      self.sql)
        return f"PREPARE {self.name} AS {body}"


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
    def resolve(cls, value: Any, values: dict[str, Any]) -> Any:
        """The real value for a compiled parameter (itself when it is not a sentinel)."""
        if isinstance(value, _Sentinel):
            name = value.name
        elif isinstance(value, str) and value.startswith(cls._PREFIX):
            name = value[len(cls._PREFIX):]
        else:
            return value
        base, _, index = name.partition("#")
        return values[base][int(index)] if index else values[base]


def is_postgres(database: peewee.Database | None = None) -> bool:
    return isinstance(database or database_proxy.obj, peewee.PostgresqlDatabase)
