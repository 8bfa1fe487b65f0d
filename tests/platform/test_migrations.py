"""Migrations: ordered per plugin, one transaction each, safe to race, and equal to the models."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any

import peewee
import pytest

from synergy import create_app, kernel_plugin
from synergy.app import Kernel
from synergy.database import is_postgres, open_database, release_connections
from synergy.migrations import AppliedMigration, MigrationFailed
from synergy.settings import Settings
from tests.conftest import reset_postgres
from tests.platform.conftest import EXAMPLE, REPOSITORY, installed_plugin_names
from tests.plugins import every_hook, failing_migration, slow_migrations
from tests.plugins.failing_migration import FirstTable

KERNEL_STEPS = [("kernel", step.name) for step in kernel_plugin.synergy_migrations()]


def test_steps_apply_in_order_once_and_are_recorded(make_app: Callable[..., Kernel]) -> None:
    kernel = make_app([every_hook, slow_migrations], migrate=False)
    with kernel.connection():
        expected = KERNEL_STEPS + [
            ("every_hook", "0001_create"), ("every_hook", "0002_note"),
            ("slow_migrations", "0001_create"), ("slow_migrations", "0002_one"),
            ("slow_migrations", "0003_two")]
        assert [(s.plugin, s.name, s.applied_at) for s in kernel.migrations.status()] == [
            (plugin, name, None) for plugin, name in expected]
        assert kernel.migrate() == [f"{plugin}:{name}" for plugin, name in expected]
        assert kernel.migrate() == []
        assert kernel.migrations.pending() == []
        rows = [(row.plugin, row.name) for row in AppliedMigration.select().order_by(
            AppliedMigration.id)]
        assert rows == expected


def test_status_of_a_fresh_database_creates_nothing(make_app: Callable[..., Kernel]) -> None:
    kernel = make_app(migrate=False)
    with kernel.connection():
        assert [s.applied_at for s in kernel.migrations.status()] == [None] * len(KERNEL_STEPS)
        assert not kernel.db.table_exists("synergy_migration")


def test_failing_step_leaves_nothing_and_stays_pending(make_app: Callable[..., Kernel]) -> None:
    kernel = make_app([failing_migration], migrate=False)
    with kernel.connection():
        with pytest.raises(MigrationFailed, match=r"migration failing_migration:0002_second "
                                                  r"failed and was rolled back: RuntimeError"):
            kernel.migrate()
        assert kernel.db.table_exists("failing_migration_first")
        assert not kernel.db.table_exists("failing_migration_second")
        assert FirstTable.select().count() == 0
        pending = [(plugin, step.name) for plugin, step in kernel.migrations.pending()]
        assert pending == [("failing_migration", "0002_second")]
        assert not AppliedMigration.select().where(
            AppliedMigration.name == "0002_second").exists()
        with pytest.raises(MigrationFailed):
            kernel.migrate()
        assert AppliedMigration.select().count() == len(KERNEL_STEPS) + 1


def test_concurrent_migrators_apply_each_step_exactly_once(
        make_app: Callable[..., Kernel]) -> None:
    kernel = make_app([slow_migrations], migrate=False)
    applied: list[list[str]] = []
    failures: list[BaseException] = []
    start = threading.Barrier(3)

    def migrate() -> None:
        start.wait()
        try:
            applied.append(kernel.migrate())
        except BaseException as exc:  # reported below, with the other thread's result
            failures.append(exc)

    threads = [threading.Thread(target=migrate) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert failures == []
    every = [name for result in applied for name in result]
    assert sorted(every) == sorted(f"{p}:{m.name}" for p, m in kernel.migrations.steps)
    with kernel.connection():
        assert slow_migrations.Counter.select().count() == 2
        assert AppliedMigration.select().count() == len(KERNEL_STEPS) + 3


# The migrated schema equals the models' schema ----------------------------------------------


def full_types(db: peewee.Database, table: str) -> dict[str, str]:
    """Column types with their size: PostgreSQL's ``get_columns`` leaves out varchar lengths."""
    if not isinstance(db, peewee.PostgresqlDatabase):
        return {column.name: column.data_type.lower() for column in db.get_columns(table)}
    cursor = db.execute_sql(
        "SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute "
        "WHERE attrelid = %s::regclass AND attnum > 0 AND NOT attisdropped", (f'"{table}"',))
    return dict(cursor.fetchall())


def describe_schema(db: peewee.Database) -> dict[str, Any]:
    """Tables with their columns (sized type, nullability, key), indexes and foreign keys."""
    schema = {}
    for table in db.get_tables():
        types = full_types(db, table)
        schema[table] = {
            "columns": sorted((c.name, types[c.name], c.null, c.primary_key)
                              for c in db.get_columns(table)),
            "indexes": sorted((i.name, tuple(i.columns), bool(i.unique))
                              for i in db.get_indexes(table)),
            "foreign_keys": sorted((f.column, f.dest_table, f.dest_column)
                                   for f in db.get_foreign_keys(table)),
        }
    return schema


@pytest.fixture
def reference_database(spare_database_url: str) -> Iterator[peewee.Database]:
    """An empty second database on the same backend as the migrated one."""
    db = open_database(spare_database_url)
    yield db
    release_connections(db)


@pytest.fixture
def every_plugin_app(make_settings: Callable[..., Settings], database_url: str | None,
                     monkeypatch: pytest.MonkeyPatch) -> Iterator[Kernel]:
    """Kernel, every installed plugin, the example plugin and the test plugins, migrated."""
    monkeypatch.syspath_prepend(str(REPOSITORY / EXAMPLE))
    if database_url:
        reset_postgres(database_url)
    kernel = create_app(make_settings(), load_entrypoints=True, plugins=[
        every_hook, slow_migrations, "synergy_timesheets.plugin"])
    with kernel.connection():
        kernel.migrate()
    yield kernel
    kernel.close()


def test_migrated_schema_equals_model_schema(every_plugin_app: Kernel,
                                             reference_database: peewee.Database) -> None:
    kernel = every_plugin_app
    assert set(kernel.plugins.info) >= {"kernel", "every_hook", "timesheets",
                                        *installed_plugin_names()}
    models = [AppliedMigration] + [model for _, model in kernel.models]
    with kernel.connection():
        migrated = describe_schema(kernel.db)
    with reference_database.bind_ctx(models):
        reference_database.create_tables(models)
        expected = describe_schema(reference_database)
    assert set(migrated) == set(expected) == {model._meta.table_name for model in models}
    assert {"every_hook_stopwatch", "timesheets_entry", "user", "task"} <= set(expected)
    different = [table for table in expected if migrated[table] != expected[table]]
    assert different == [], {table: (migrated[table], expected[table]) for table in different}


def test_schema_comparison_notices_a_difference(make_app: Callable[..., Kernel],
                                                reference_database: peewee.Database) -> None:
    """The comparison above can fail: a model field that no migration added shows up."""
    kernel = make_app([every_hook])
    record = every_hook.HookRecord
    record._meta.add_field("forgotten", peewee.IntegerField(null=True, index=True))
    try:
        with reference_database.bind_ctx([record]):
            reference_database.create_tables([record])
            expected = describe_schema(reference_database)["every_hook_record"]
    finally:
        record._meta.remove_field("forgotten")
    with kernel.connection():
        migrated = describe_schema(kernel.db)["every_hook_record"]
    assert {c[0] for c in expected["columns"]} - {c[0] for c in migrated["columns"]} == {
        "forgotten"}
    assert len(expected["indexes"]) == len(migrated["indexes"]) + 1


def test_project_totals_are_backfilled_when_upgrading(make_app: Callable[..., Kernel]) -> None:
    """A database from before 0004 gets the columns, and every project its real totals."""
    from synergy.models import Project, Task, User

    kernel = make_app()
    with kernel.connection():
        owner = User.create(username="up", username_key="up", email="up@example.com",
                            password="x")
        busy = Project.create(name="Busy", owner=owner)
        Project.create(name="Empty", owner=owner)
        for status, impact in (("done", "12.50"), ("todo", "37.50"), ("done", "0")):
            Task.create(project=busy, title="t", status=status, impact=impact)
        for column in ("task_count", "done_count", "impact_hundredths",
                       "done_impact_hundredths"):
            kernel.db.execute_sql(f'ALTER TABLE "project" DROP COLUMN "{column}"')
        AppliedMigration.delete().where(AppliedMigration.name == "0004_project_task_totals") \
            .execute()
        assert kernel.migrate() == ["kernel:0004_project_task_totals"]
        rows = {project.name: (project.task_count, project.done_count,
                               project.impact_hundredths, project.done_impact_hundredths,
                               project.progress)
                for project in Project.select()}
    assert rows == {"Busy": (3, 2, 5000, 1250, 25), "Empty": (0, 0, 0, 0, 0)}


def test_a_step_that_leaves_dangling_references_is_rolled_back(
        make_app: Callable[..., Kernel]) -> None:
    """SQLite runs steps with foreign keys off (so table rebuilds cannot cascade), and
    checks them before committing; PostgreSQL refuses the row itself."""
    from synergy.contributions import Migration
    from synergy.models import Task

    def orphan_task(context: Any) -> None:
        Task.insert(project=10**6, title="Nobody's").execute()

    kernel = make_app()
    kernel.migrations.add("probe", Migration("0001_orphan", orphan_task))
    with kernel.connection():
        with pytest.raises(MigrationFailed, match="probe:0001_orphan"):
            kernel.migrate()
        assert Task.select().count() == 0
        assert not AppliedMigration.select().where(AppliedMigration.plugin == "probe").exists()
        if not is_postgres(kernel.db):
            assert kernel.db.execute_sql("PRAGMA foreign_keys").fetchone() == (1,)
