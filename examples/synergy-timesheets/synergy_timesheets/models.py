"""The plugin's tables and the migrations that create them.

Models subclass :class:`synergy.models.BaseModel`, so they live in the
kernel's database (SQLite or PostgreSQL) and may reference kernel models.
"""

from __future__ import annotations

from typing import Any

import peewee

from synergy import Migration
from synergy.models import BaseModel, Task, User, utcnow


class TimeEntry(BaseModel):
    """Minutes one person spent on one task on one day."""

    user = peewee.ForeignKeyField(User, backref="time_entries", on_delete="CASCADE")
    task = peewee.ForeignKeyField(Task, backref="time_entries", on_delete="CASCADE")
    minutes = peewee.IntegerField()
    spent_on = peewee.DateField()
    note = peewee.TextField(default="")
    created_at = peewee.DateTimeField(default=utcnow)

    class Meta:
        table_name = "timesheets_entry"
        # "My entries, newest day first" is the list endpoint's query.
        indexes = ((("user", "spent_on"), False),)


class TaskTime(BaseModel):
    """Per-task totals, kept by a job so that reading them never sums the entries."""

    task = peewee.ForeignKeyField(Task, unique=True, on_delete="CASCADE")
    total_minutes = peewee.IntegerField(default=0)
    entries = peewee.IntegerField(default=0)
    # Filled by the task.completed subscriber: how much time the task took.
    completed_at = peewee.DateTimeField(null=True)
    minutes_at_completion = peewee.IntegerField(null=True)
    updated_at = peewee.DateTimeField(default=utcnow)

    class Meta:
        table_name = "timesheets_task_time"


MODELS = (TimeEntry, TaskTime)


def _initial(context: Any) -> None:
    # The first step may use the models as they are. When a model changes,
    # ship a new step (context.migrator.add_column(...)) instead of editing this one.
    context.create_tables(*MODELS)


MIGRATIONS = (Migration("0001_initial", _initial),)
