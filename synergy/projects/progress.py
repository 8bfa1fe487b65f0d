"""Impact-weighted project progress, recomputed in the transaction that changed the tasks.

progress = floor(100 × impact of done tasks / total impact), or, when every
impact is 0, floor(100 × done tasks / all tasks); 0 for a project without
tasks. Called after every task create, update, delete and status change, so
the stored value is never stale (the original forgot deletions).
"""

from __future__ import annotations

import decimal

import peewee

from synergy.database import is_postgres
from synergy.models import Project, Task


def compute_progress(total_impact: decimal.Decimal, done_impact: decimal.Decimal,
                     task_count: int, done_count: int) -> int:
    if total_impact > 0:
        return min(100, int(done_impact * 100 // total_impact))
    if task_count:
        return done_count * 100 // task_count
    return 0


def _cents(value: object) -> decimal.Decimal:
    """SQLite sums decimals as floats; round back to the column's two places."""
    return decimal.Decimal(str(value)).quantize(decimal.Decimal("0.01"))


def recompute_progress(project_id: int) -> int:
    """Store and return the project's progress; call inside the changing transaction.

    On PostgreSQL the project row is locked first, so two concurrent task
    changes in one project compute one after the other and the last one sees
    both (each statement reads what is committed when it starts).
    """
    if is_postgres():
        # NO KEY UPDATE: inserting a task takes KEY SHARE on its project (the foreign
        # key); a plain FOR UPDATE would conflict with that and deadlock two inserts.
        list(Project.select(Project.id).where(Project.id == project_id)
             .for_update("FOR NO KEY UPDATE"))
    done = Task.status == "done"
    row = (Task.select(
        peewee.fn.COALESCE(peewee.fn.SUM(Task.impact), 0),
        peewee.fn.COALESCE(peewee.fn.SUM(peewee.Case(None, ((done, Task.impact),), 0)), 0),
        peewee.fn.COUNT(Task.id),
        peewee.fn.COALESCE(peewee.fn.SUM(peewee.Case(None, ((done, 1),), 0)), 0))
        .where(Task.project == project_id).tuples().get())
    total_impact, done_impact, task_count, done_count = row
    progress = compute_progress(_cents(total_impact), _cents(done_impact), int(task_count),
                                int(done_count))
    Project.update(progress=progress).where(Project.id == project_id).execute()
    return progress
