"""Impact-weighted project progress, kept exact in the transaction that changed the tasks.

progress = floor(100 × impact of done tasks / total impact), or, when every
impact is 0, floor(100 × done tasks / all tasks); 0 for a project without
tasks. The original forgot deletions; here every create, update, delete and
status change goes through this module.

The project row carries the totals progress is computed from (task and done
counts, impact and done impact in integer hundredths, so the floor is exact
on both backends; SQLite would sum decimals as floats). A new task adds to
them in one ``UPDATE``, whatever the size of the project: a board of 17,000
tasks recounted on every creation spent milliseconds holding the write lock.
Every other change recounts the totals from the ``(project, status, impact)``
index, so they can never drift for long.
"""

from __future__ import annotations

import decimal
from typing import Any

from synergy.database import PreparedQuery, database_proxy, is_postgres
from synergy.models import Project, Task

_HUNDREDTHS = 'CAST(ROUND("impact" * 100) AS INTEGER)'
_DONE = """CASE WHEN "status" = 'done' THEN 1 ELSE 0 END"""
_DONE_HUNDREDTHS = f"""CASE WHEN "status" = 'done' THEN {_HUNDREDTHS} ELSE 0 END"""
_PROGRESS = (f"CASE WHEN SUM({_HUNDREDTHS}) > 0 "
             f"THEN SUM({_DONE_HUNDREDTHS}) * 100 / SUM({_HUNDREDTHS}) "
             f"WHEN COUNT(*) > 0 THEN SUM({_DONE}) * 100 / COUNT(*) ELSE 0 END")
_TOTALS = ('"task_count", "done_count", "impact_hundredths", "done_impact_hundredths", '
           '"progress"')


def _recount_sql(param: str) -> str:
    """Totals and progress from the task index; ``param`` is the project id (or, in the
    migration that backfills every project, the outer row's own id)."""
    return (f'UPDATE "project" SET ({_TOTALS}) = (SELECT COUNT(*), COALESCE(SUM({_DONE}), 0), '
            f"COALESCE(SUM({_HUNDREDTHS}), 0), COALESCE(SUM({_DONE_HUNDREDTHS}), 0), "
            f'{_PROGRESS} FROM "task" WHERE "task"."project_id" = "project"."id") '
            f'WHERE "project"."id" = {param}')


def _add_task_sql(param: str) -> str:
    p = param
    return ('UPDATE "project" SET "task_count" = "task_count" + 1, '
            f'"done_count" = "done_count" + {p}, '
            f'"impact_hundredths" = "impact_hundredths" + {p}, '
            f'"done_impact_hundredths" = "done_impact_hundredths" + {p}, '
            f'"progress" = CASE WHEN "impact_hundredths" + {p} > 0 '
            f'THEN ("done_impact_hundredths" + {p}) * 100 / ("impact_hundredths" + {p}) '
            f'ELSE ("done_count" + {p}) * 100 / ("task_count" + 1) END '
            f'WHERE "id" = {p}')


def _hundredths(impact: decimal.Decimal | None) -> int:
    return int((impact or 0) * 100)


def count_new_task(task: Task) -> None:
    """Add a task created in this transaction to its project's totals and progress.

    One statement, and a safe one under concurrency: each addition is applied
    to the row as the previous writer left it.
    """
    database: Any = database_proxy.obj
    done = 1 if task.status == "done" else 0
    hundredths = _hundredths(task.impact)
    done_hundredths = hundredths if done else 0
    database.execute_sql(_add_task_sql(database.param), (
        done, hundredths, done_hundredths, hundredths, done_hundredths, hundredths, done,
        task.project_id))


_LOCK_PROJECT = PreparedQuery(lambda project_id: Project.select(Project.id)
                              .where(Project.id == project_id).for_update("FOR NO KEY UPDATE"))


def recompute_progress(project_id: int) -> None:
    """Recount the project's totals and progress; call inside the changing transaction.

    On PostgreSQL the project row is locked first, so two concurrent task
    changes in one project compute one after the other and the last one sees
    both (each statement reads what is committed when it starts; the lock
    must come before the statement that counts). NO KEY UPDATE: inserting a
    task takes KEY SHARE on its project (the foreign key), which a plain FOR
    UPDATE would conflict with, deadlocking two inserts.
    """
    database: Any = database_proxy.obj
    if is_postgres():
        _LOCK_PROJECT.rows(project_id=project_id)
    database.execute_sql(_recount_sql(database.param), (project_id,))


def recount_every_project() -> None:
    """Backfill the totals of every project (the migration that introduced them)."""
    database: Any = database_proxy.obj
    database.execute_sql(_recount_sql('"project"."id"'))
