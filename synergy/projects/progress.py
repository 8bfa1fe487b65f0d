"""Impact-weighted project progress, recomputed in the transaction that changed the tasks.

progress = floor(100 × impact of done tasks / total impact), or, when every
impact is 0, floor(100 × done tasks / all tasks); 0 for a project without
tasks. Called after every task create, update, delete and status change, so
the stored value is never stale (the original forgot deletions).

The whole computation is one prepared ``UPDATE`` whose subquery reads only the
``(project, status, impact)`` index: it runs while the caller holds the write
lock, on every task write. Impacts are summed as integer hundredths, so the
division is exact on both backends (SQLite would otherwise sum decimals as
floats, and 49.999… would floor to 49).
"""

from __future__ import annotations

import peewee

from synergy.database import PreparedQuery, is_postgres
from synergy.models import Project, Task


def _progress_update(project_id: object) -> peewee.ModelUpdate:
    # Integer literals, not parameters: next to a decimal column Peewee would
    # send 100 as Decimal("100.00"), which SQLite multiplies as a float.
    zero, one, hundred = peewee.SQL("0"), peewee.SQL("1"), peewee.SQL("100")
    hundredths = peewee.Cast(peewee.fn.ROUND(Task.impact * hundred), "INTEGER")
    done = Task.status == "done"
    total = peewee.fn.SUM(hundredths)
    done_total = peewee.fn.SUM(peewee.Case(None, ((done, hundredths),), zero))
    count = peewee.fn.COUNT(Task.id)
    done_count = peewee.fn.SUM(peewee.Case(None, ((done, one),), zero))
    progress = peewee.Case(None, (
        (total > zero, done_total * hundred / total),
        (count > zero, done_count * hundred / count),
    ), zero)
    return (Project.update(progress=Task.select(progress).where(Task.project == project_id))
            .where(Project.id == project_id))


_UPDATE_PROGRESS = PreparedQuery(_progress_update)
# NO KEY UPDATE: inserting a task takes KEY SHARE on its project (the foreign
# key); a plain FOR UPDATE would conflict with that and deadlock two inserts.
_LOCK_PROJECT = PreparedQuery(lambda project_id: Project.select(Project.id)
                              .where(Project.id == project_id).for_update("FOR NO KEY UPDATE"))


def recompute_progress(project_id: int) -> None:
    """Store the project's progress; call inside the changing transaction.

    On PostgreSQL the project row is locked first, so two concurrent task
    changes in one project compute one after the other and the last one sees
    both (each statement reads what is committed when it starts; the lock
    must come before the statement that computes).
    """
    if is_postgres():
        _LOCK_PROJECT.rows(project_id=project_id)
    _UPDATE_PROGRESS.execute(project_id=project_id)
