"""Per-plugin schema migrations recorded in a kernel-owned table.

Steps are applied in order, one transaction each, under a lock (an advisory
lock on PostgreSQL, ``BEGIN IMMEDIATE`` on SQLite) so that several processes
starting at once apply each step exactly once.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import peewee
from playhouse.migrate import SchemaMigrator

from synergy.contributions import Migration
from synergy.database import is_postgres
from synergy.errors import PluginError
from synergy.models.base import BaseModel, utcnow

if TYPE_CHECKING:
    from synergy.app import Kernel

log = logging.getLogger("synergy.migrations")

_ADVISORY_LOCK_ID = 72_114_911


class AppliedMigration(BaseModel):
    plugin = peewee.CharField(max_length=100)
    name = peewee.CharField(max_length=200)
    applied_at = peewee.DateTimeField(default=utcnow)

    class Meta:
        table_name = "synergy_migration"
        indexes = ((("plugin", "name"), True),)


@dataclass
class MigrationContext:
    """What a migration step receives."""

    db: peewee.Database
    migrator: SchemaMigrator
    plugin: str

    def create_tables(self, *models: type[peewee.Model]) -> None:
        self.db.create_tables(models, safe=False)

    def drop_tables(self, *models: type[peewee.Model]) -> None:
        self.db.drop_tables(models, safe=True)

    def run(self, *operations: Any) -> None:
        """Run playhouse ``migrate`` operations, e.g. ``context.migrator.add_column(...)``."""
        for operation in operations:
            operation.run()


class MigrationIntegrityError(Exception):
    """A step on SQLite left rows pointing at rows that do not exist."""


class MigrationFailed(Exception):
    """A step raised: its transaction was rolled back and it stays pending."""

    def __init__(self, plugin: str, name: str, cause: BaseException) -> None:
        self.plugin = plugin
        self.name = name
        super().__init__(f"migration {plugin}:{name} failed and was rolled back: "
                         f"{type(cause).__name__}: {cause}")


@dataclass
class MigrationStatus:
    plugin: str
    name: str
    applied_at: Any


class Migrator:
    def __init__(self, kernel: Kernel) -> None:
        self.kernel = kernel
        self.steps: list[tuple[str, Migration]] = []

    def add(self, plugin: str, migration: Migration) -> None:
        if any(p == plugin and m.name == migration.name for p, m in self.steps):
            raise PluginError(f"plugin {plugin} declares migration {migration.name} twice")
        self.steps.append((plugin, migration))

    def _applied(self) -> dict[tuple[str, str], Any]:
        """What the table records; an absent table (fresh database) means nothing yet."""
        if not self.kernel.db.table_exists(AppliedMigration._meta.table_name):
            return {}
        return {(row.plugin, row.name): row.applied_at for row in AppliedMigration.select()}

    def status(self) -> list[MigrationStatus]:
        """Every declared step with its ``applied_at`` (``None`` when pending); read only."""
        with self.kernel.connection():
            applied = self._applied()
        return [MigrationStatus(plugin, step.name, applied.get((plugin, step.name)))
                for plugin, step in self.steps]

    def pending(self) -> list[tuple[str, Migration]]:
        return [(s.plugin, step) for s, (_, step) in zip(self.status(), self.steps, strict=True)
                if s.applied_at is None]

    def apply(self) -> list[str]:
        """Apply pending steps; returns ``plugin:name`` of each step applied.

        Each step runs in its own locked transaction and is recorded in it, so a
        step that raises leaves no trace and is retried by the next run, while
        the steps before it stay applied. :class:`MigrationFailed` names the step.
        """
        done: list[str] = []
        db = self.kernel.db
        with self.kernel.connection():
            with self._locked_transaction():
                db.create_tables([AppliedMigration], safe=True)
            for plugin, step in self.steps:
                try:
                    with self._locked_transaction():
                        exists = AppliedMigration.select().where(
                            AppliedMigration.plugin == plugin,
                            AppliedMigration.name == step.name).exists()
                        if exists:
                            continue
                        log.info("applying migration %s:%s", plugin, step.name)
                        step.apply(MigrationContext(
                            db=db, migrator=SchemaMigrator.from_database(db), plugin=plugin))
                        AppliedMigration.create(plugin=plugin, name=step.name)
                except Exception as exc:
                    raise MigrationFailed(plugin, step.name, exc) from exc
                done.append(f"{plugin}:{step.name}")
        return done

    @contextlib.contextmanager
    def _locked_transaction(self) -> Iterator[None]:
        db = self.kernel.db
        if is_postgres(db):
            with db.atomic():
                db.execute_sql("SELECT pg_advisory_xact_lock(%s)", (_ADVISORY_LOCK_ID,))
                yield
        else:
            yield from self._sqlite_transaction(db)

    @staticmethod
    def _sqlite_transaction(db: Any) -> Iterator[None]:
        """IMMEDIATE takes SQLite's write lock up front: a concurrent migrator waits.

        Foreign keys are off during the step, as SQLite's own procedure for
        altering tables asks: Peewee's migrator rebuilds a table to change a
        column, and dropping the old copy with foreign keys on would first
        delete its rows, cascading to every table that references it. The
        step must leave no dangling reference, checked before it commits.
        """
        db.execute_sql("PRAGMA foreign_keys = OFF")
        try:
            with db.atomic("IMMEDIATE"):
                yield
                broken = db.execute_sql("PRAGMA foreign_key_check").fetchall()
                if broken:
                    raise MigrationIntegrityError(
                        f"the step left {len(broken)} row(s) referencing missing rows, "
                        f"first in table {broken[0][0]!r}")
        finally:
            db.execute_sql("PRAGMA foreign_keys = ON")
