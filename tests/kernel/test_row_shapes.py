"""Prepared queries and row shapes return what Peewee itself would, on the real database."""

from __future__ import annotations

import datetime as dt
import decimal
from collections.abc import Callable
from typing import Any

import peewee
import pytest

from synergy.app import Kernel
from synergy.database import PreparedQuery
from synergy.models import Project, ProjectMember, Task, User
from synergy.projects.representation import (
    PROJECT_ROW,
    TASK_ROW,
    project_select,
    task_select,
)
from synergy.rows import RowShape
from tests.conftest import requires_postgres


def _snapshot(instance: peewee.Model, extras: tuple[str, ...] = ()) -> dict[str, Any]:
    """Field values, the joined instances' values, and extra attributes."""
    joined = {name: (None if value is None else dict(value.__data__))
              for name, value in instance.__rel__.items()}
    return {"data": dict(instance.__data__), "joined": joined,
            "extras": {name: getattr(instance, name) for name in extras},
            "dirty": set(instance._dirty)}


def _world() -> tuple[User, Project, Task, Task]:
    owner = User.create(username="ros", username_key="ros", email="ros@example.com",
                        password="x", first_name="Rosa", last_name="Shape")
    project = Project.create(name="Shapes ✓", owner=owner, budget=decimal.Decimal("12.50"),
                             start_date=dt.date(2026, 1, 2))
    ProjectMember.create(project=project, user=owner, role="owner")
    with_creator = Task.create(project=project, title="Made", created_by=owner,
                               impact=decimal.Decimal("33.33"), due_date=dt.date(2026, 3, 4),
                               completed_at=dt.datetime(2026, 5, 6, 7, 8, 9))
    orphan = Task.create(project=project, title="Creator gone", created_by=None)
    return owner, project, with_creator, orphan


def test_shapes_decode_exactly_what_peewee_builds(make_app: Callable[..., Kernel]) -> None:
    kernel = make_app()
    with kernel.connection():
        owner, project, with_creator, orphan = _world()
        cases = [
            (PROJECT_ROW, project_select().where(Project.id == project.id), ("task_count",)),
            (TASK_ROW, task_select().where(Task.project == project.id).order_by(Task.id),
             ("comment_count", "attachment_count")),
            (RowShape(User), User.select(*RowShape(User).columns).where(User.id == owner.id),
             ()),
        ]
        for shape, query, extras in cases:
            by_peewee = [_snapshot(row, extras) for row in query]
            raw = kernel.db.execute(query).fetchall()
            decoded = [_snapshot(row, extras) for row in shape.decode_all(raw)]
            assert decoded == by_peewee
            assert all(row["dirty"] == set() for row in decoded)
        tasks = TASK_ROW.decode_all(kernel.db.execute(
            task_select().where(Task.project == project.id).order_by(Task.id)).fetchall())
        assert [type(value) for value in (tasks[0].impact, tasks[0].due_date,
                                          tasks[0].completed_at)] == [
            decimal.Decimal, dt.date, dt.datetime]
        assert tasks[0].created_by.username == "ros"
        assert tasks[1].created_by is None  # a LEFT JOIN that found nothing: no lazy query
        assert tasks[0].project.name == "Shapes ✓" and tasks[0].project_id == project.id


def test_prepared_query_reuses_its_sql_for_new_values(make_app: Callable[..., Kernel]) -> None:
    kernel = make_app()
    with kernel.connection():
        owner, project, with_creator, orphan = _world()
        by_ids = PreparedQuery(lambda ids: Task.select(Task.id, Task.title)
                               .where(Task.id.in_(ids)).order_by(Task.id).tuples())
        assert by_ids.tuples(ids=[with_creator.id]) == [(with_creator.id, "Made")]
        assert by_ids.tuples(ids=[orphan.id, with_creator.id]) == [
            (with_creator.id, "Made"), (orphan.id, "Creator gone")]
        assert by_ids.tuples(ids=[orphan.id]) == [(orphan.id, "Creator gone")]
        assert len(by_ids._compiled) == 2  # one SQL text per IN-list length

        rename = PreparedQuery(lambda task_id, title: Task.update(title=title)
                               .where(Task.id == task_id))
        assert rename.execute(task_id=orphan.id, title="Renamed") == 1
        assert rename.execute(task_id=10**6, title="Nobody") == 0
        assert Task.get_by_id(orphan.id).title == "Renamed"

        by_shape = PreparedQuery(lambda object_id: task_select().where(Task.id == object_id),
                                 TASK_ROW)
        found = by_shape.first(object_id=with_creator.id)
        assert isinstance(found, Task) and found.comment_count == 0
        assert by_shape.first(object_id=10**6) is None


@requires_postgres
def test_postgresql_plans_a_prepared_query_once_per_connection(
        make_app: Callable[..., Kernel]) -> None:
    kernel = make_app()
    by_id = PreparedQuery(lambda user_id: User.select(User.username).where(User.id == user_id)
                          .tuples())
    with kernel.connection():
        owner, *_ = _world()
        with pytest.raises(RuntimeError), kernel.db.atomic():
            assert by_id.tuples(user_id=owner.id) == [("ros",)]
            raise RuntimeError("a rolled-back transaction keeps the prepared statement")
        for _ in range(3):
            assert by_id.tuples(user_id=owner.id) == [("ros",)]
        prepared = kernel.db.execute_sql(
            "SELECT statement FROM pg_prepared_statements").fetchall()
    assert len(prepared) == 1 and "SELECT" in prepared[0][0] and "$1" in prepared[0][0]


@requires_postgres
def test_server_side_prepare_can_be_turned_off(make_app: Callable[..., Kernel]) -> None:
    kernel = make_app(SYNERGY_DATABASE_SERVER_PREPARE=False)
    by_id = PreparedQuery(lambda user_id: User.select(User.username).where(User.id == user_id)
                          .tuples())
    with kernel.connection():
        owner, *_ = _world()
        assert by_id.tuples(user_id=owner.id) == [("ros",)]
        assert kernel.db.execute_sql("SELECT count(*) FROM pg_prepared_statements").fetchone() \
            == (0,)
