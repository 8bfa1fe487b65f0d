"""Projects, their members, tasks, comments and attachments."""

from __future__ import annotations

import peewee

from synergy.models.base import BaseModel, utcnow
from synergy.models.users import User

PROJECT_STATUSES = ("planning", "active", "on_hold", "completed", "cancelled")
TASK_STATUSES = ("todo", "in_progress", "review", "done")
PRIORITIES = ("low", "medium", "high", "urgent")
MEMBER_ROLES = ("owner", "member")


class Project(BaseModel):
    name = peewee.CharField(max_length=200)
    description = peewee.TextField(default="")
    status = peewee.CharField(max_length=20, default="planning", index=True)
    priority = peewee.CharField(max_length=20, default="medium", index=True)
    owner = peewee.ForeignKeyField(User, backref="owned_projects", on_delete="CASCADE")
    start_date = peewee.DateField(null=True)
    end_date = peewee.DateField(null=True)
    budget = peewee.DecimalField(max_digits=12, decimal_places=2, null=True, auto_round=True)
    # Derived from the tasks in the same transaction as any task change: a new task adds
    # to the totals, any other change recounts them (synergy.projects.progress).
    progress = peewee.IntegerField(default=0)
    task_count = peewee.IntegerField(default=0)
    done_count = peewee.IntegerField(default=0)
    impact_hundredths = peewee.BigIntegerField(default=0)
    done_impact_hundredths = peewee.BigIntegerField(default=0)
    created_at = peewee.DateTimeField(default=utcnow, index=True)
    updated_at = peewee.DateTimeField(default=utcnow, index=True)


class ProjectMember(BaseModel):
    """Membership; the owner has a row too (role ``owner``) so one join answers 'who may see'."""

    project = peewee.ForeignKeyField(Project, backref="memberships", on_delete="CASCADE")
    user = peewee.ForeignKeyField(User, backref="memberships", on_delete="CASCADE")
    role = peewee.CharField(max_length=10, default="member")
    added_at = peewee.DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("project", "user"), True), (("user", "project"), False))


class Task(BaseModel):
    project = peewee.ForeignKeyField(Project, backref="tasks", on_delete="CASCADE")
    title = peewee.CharField(max_length=200)
    description = peewee.TextField(default="")
    status = peewee.CharField(max_length=20, default="todo")
    priority = peewee.CharField(max_length=20, default="medium")
    due_date = peewee.DateField(null=True, index=True)
    estimated_hours = peewee.DecimalField(max_digits=8, decimal_places=2, null=True,
                                          auto_round=True)
    actual_hours = peewee.DecimalField(max_digits=8, decimal_places=2, null=True,
                                       auto_round=True)
    impact = peewee.DecimalField(max_digits=5, decimal_places=2, default=0, auto_round=True)
    created_by = peewee.ForeignKeyField(User, null=True, backref="created_tasks",
                                        on_delete="SET NULL")
    created_at = peewee.DateTimeField(default=utcnow, index=True)
    updated_at = peewee.DateTimeField(default=utcnow)
    completed_at = peewee.DateTimeField(null=True)

    class Meta:
        indexes = (
            # Covers the status filter and, with impact, the progress recount.
            (("project", "status", "impact"), False),
            # A project's board in its default order (newest first), read from the index.
            (("project", "created_at", "id"), False),
            (("project", "priority"), False),
            (("project", "due_date"), False),
        )


class TaskAssignee(BaseModel):
    task = peewee.ForeignKeyField(Task, backref="assignments", on_delete="CASCADE")
    user = peewee.ForeignKeyField(User, backref="assignments", on_delete="CASCADE")

    class Meta:
        indexes = ((("task", "user"), True), (("user", "task"), False))


class Comment(BaseModel):
    task = peewee.ForeignKeyField(Task, backref="comments", on_delete="CASCADE")
    author = peewee.ForeignKeyField(User, backref="comments", on_delete="CASCADE")
    content = peewee.TextField()
    is_edited = peewee.BooleanField(default=False)
    created_at = peewee.DateTimeField(default=utcnow)
    updated_at = peewee.DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("task", "created_at"), False),)


class Attachment(BaseModel):
    task = peewee.ForeignKeyField(Task, backref="attachments", on_delete="CASCADE")
    uploaded_by = peewee.ForeignKeyField(User, backref="attachments", on_delete="CASCADE")
    original_name = peewee.CharField(max_length=255)
    storage_name = peewee.CharField(max_length=64, unique=True)
    content_type = peewee.CharField(max_length=100)
    file_type = peewee.CharField(max_length=20)
    size = peewee.BigIntegerField()
    description = peewee.TextField(default="")
    is_proof_of_completion = peewee.BooleanField(default=False)
    created_at = peewee.DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("task", "created_at"), False),)
