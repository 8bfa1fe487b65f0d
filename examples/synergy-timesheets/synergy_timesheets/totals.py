"""Keeping :class:`TaskTime` in step with the entries (the work behind both jobs)."""

from __future__ import annotations

import peewee

from synergy.models import utcnow
from synergy_timesheets.models import TaskTime, TimeEntry


def minutes_logged(task_id: int) -> tuple[int, int]:
    """(total minutes, number of entries) for one task, in one query."""
    row = (TimeEntry.select(peewee.fn.COALESCE(peewee.fn.SUM(TimeEntry.minutes), 0),
                            peewee.fn.COUNT(TimeEntry.id))
           .where(TimeEntry.task == task_id).tuples().get())
    return int(row[0]), int(row[1])


def recount_task(task_id: int) -> None:
    """Idempotent upsert: running it twice, late, or in two workers at once is harmless."""
    total, entries = minutes_logged(task_id)
    now = utcnow()
    (TaskTime.insert(task=task_id, total_minutes=total, entries=entries, updated_at=now)
     .on_conflict(conflict_target=[TaskTime.task],
                  update={TaskTime.total_minutes: total, TaskTime.entries: entries,
                          TaskTime.updated_at: now})
     .execute())


def recount_all() -> int:
    """Recount every task that has entries; returns how many were recounted."""
    task_ids = [task_id for (task_id,) in TimeEntry.select(TimeEntry.task).distinct().tuples()]
    for task_id in task_ids:
        recount_task(task_id)
    return len(task_ids)
