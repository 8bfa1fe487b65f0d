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
            raise ValueError(f"plugin {plugin} declares migration {migration.name} twice")
        self.steps.append((plugin, migration))

    def _ensure_table(self) -> None:
        self.kernel.db.create_tables([AppliedMigration], safe=True)

    def _applied(self) -> dict[tuple[str, str], Any]:
        return {(row.plugin, row.name): row.applied_at for row in AppliedMigration.select()}

    def status(self) -> list[MigrationStatus]:
        with self.kernel.connection():
            self._ensure_table()
            applied = self._applied()
        return [MigrationStatus(plugin, step.name, applied.get((plugin, step.name)))
                for plugin, step in self.steps]

    def pending(self) -> list[tuple[str, Migration]]:
        return [(s.plugin, step) for s, (_, step) in zip(self.status(), self.steps, strict=True)
                if s.applied_at is None]

    def apply(self) -> list[str]:
        """Apply pending steps; returns ``plugin:name`` of each step applied."""
        done: list[str] = []
        db = self.kernel.db
        with self.kernel.connection():
            self._ensure_table()
            for plugin, step in self.steps:
                with self._locked_transaction():
                    exists = AppliedMigration.select().where(
                        AppliedMigration.plugin == plugin,
                        AppliedMigration.name == step.name).exists()
                    if exists:
                        continue
                    log.info("applying migration %s:%s", plugin, step.name)
                    step.apply(MigrationContext(db=db, migrator=SchemaMigrator.from_database(db),
                                                plugin=plugin))
                    AppliedMigration.create(plugin=plugin, name=step.name)
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
            # IMMEDIATE takes SQLite's write lock up front: a concurrent migrator waits.
            with db.atomic("IMMEDIATE"):
                yield
