"""Request and response shapes of the project API (validation and OpenAPI from one place).

Server-set fields (``id``, ``progress``, ``owner``, ``completed_at`` ...) are
declared ``read_only`` on the input schemas, so a client sending one gets a
400 naming the field ("This field is read-only") instead of a silent drop.
"""

from __future__ import annotations

import decimal
from typing import Any

from synergy.models import PRIORITIES, PROJECT_STATUSES, TASK_STATUSES
from synergy.schema import (
    Boolean,
    Date,
    DateTime,
    DecimalNumber,
    Dict,
    Field,
    FieldError,
    Id,
    Integer,
    List,
    Nested,
    Schema,
    String,
)

MAX_DESCRIPTION = 50_000
MAX_COMMENT = 20_000
MAX_ASSIGNEES = 50
PROJECT_ORDERINGS = ("name", "created_at", "updated_at", "priority", "progress", "end_date")
TASK_ORDERINGS = ("title", "created_at", "updated_at", "due_date", "priority", "status",
                  "impact")


def _ordering(fields: tuple[str, ...]) -> String:
    choices = [name for field in fields for name in (field, f"-{field}")]
    return String(required=False, choices=choices, description="Sort key; '-' for descending.")


class UserMini(Schema):
    id = Integer(read_only=True)
    username = String(read_only=True)
    first_name = String(read_only=True)
    last_name = String(read_only=True)
    full_name = String(read_only=True)


class MemberOut(UserMini):
    role = String(read_only=True, choices=("owner", "member"))


class ProjectRef(Schema):
    id = Integer(read_only=True)
    name = String(read_only=True)


# Projects ---------------------------------------------------------------------------------

class ProjectWrite(Schema):
    """A project as clients send it; the caller becomes the owner."""

    name = String(max_length=200, min_length=1)
    description = String(required=False, default="", max_length=MAX_DESCRIPTION,
                         description="Sanitised HTML (p, br, strong, em, ul, ol, li, a).")
    status = String(required=False, default="planning", choices=PROJECT_STATUSES)
    priority = String(required=False, default="medium", choices=PRIORITIES)
    start_date = Date(required=False, nullable=True, default=None)
    end_date = Date(required=False, nullable=True, default=None,
                    description="Not before start_date.")
    budget = DecimalNumber(required=False, nullable=True, default=None, max_digits=12,
                           places=2, minimum=0)
    id = Integer(read_only=True)
    owner = Nested(UserMini, read_only=True)
    members = List(Nested(MemberOut), read_only=True)
    progress = Integer(read_only=True)
    task_count = Integer(read_only=True)
    created_at = DateTime(read_only=True)
    updated_at = DateTime(read_only=True)


class ProjectOut(ProjectWrite):
    budget = String(read_only=True, nullable=True, description="Decimal string.")


class ProjectQuery(Schema):
    status = String(required=False, choices=PROJECT_STATUSES)
    priority = String(required=False, choices=PRIORITIES)
    q = String(required=False, max_length=200, description="Matches name or description.")
    ordering = _ordering(PROJECT_ORDERINGS)


class MemberBody(Schema):
    """Name the user by ``user_id`` or by ``username`` (exactly one)."""

    user_id = Id(required=False)
    username = String(required=False, min_length=1, max_length=150)


class MemberChangeOut(Schema):
    project = Nested(ProjectRef, read_only=True)
    user = Nested(UserMini, read_only=True)
    role = String(read_only=True, nullable=True)
    members = List(Nested(MemberOut), read_only=True)


class ProjectStatsOut(Schema):
    total_tasks = Integer(read_only=True)
    by_status = Dict(read_only=True, description="Task count per status.")
    overdue_tasks = Integer(read_only=True)
    progress = Integer(read_only=True)
    member_count = Integer(read_only=True)


class PageQuery(Schema):
    """Lists without filters: only ``page`` and ``page_size``; anything else is a typo (400)."""


class ActivityQuery(Schema):
    type = String(required=False, max_length=100, description="Only events of this type.")


class ActivityOut(Schema):
    id = Integer(read_only=True)
    type = String(read_only=True)
    description = String(read_only=True)
    actor = Nested(UserMini, read_only=True, nullable=True)
    payload = Dict(read_only=True)
    occurred_at = DateTime(read_only=True)


# Tasks ------------------------------------------------------------------------------------

class TaskUpdate(Schema):
    """Task fields that may change after creation (a task never moves between projects)."""

    title = String(max_length=200, min_length=1)
    description = String(required=False, default="", max_length=MAX_DESCRIPTION,
                         description="Sanitised HTML (p, br, strong, em, ul, ol, li, a).")
    status = String(required=False, default="todo", choices=TASK_STATUSES)
    priority = String(required=False, default="medium", choices=PRIORITIES)
    assignees = List(Id(), required=False, default=list, unique=True,
                     max_items=MAX_ASSIGNEES, description="User ids; each must be a member.")
    due_date = Date(required=False, nullable=True, default=None)
    estimated_hours = DecimalNumber(required=False, nullable=True, default=None, max_digits=8,
                                    places=2, minimum=0)
    actual_hours = DecimalNumber(required=False, nullable=True, default=None, max_digits=8,
                                 places=2, minimum=0)
    impact = DecimalNumber(required=False, default=decimal.Decimal("0.00"), max_digits=5,
                           places=2, minimum=0, maximum=100)
    id = Integer(read_only=True)
    created_by = Nested(UserMini, read_only=True, nullable=True)
    created_at = DateTime(read_only=True)
    updated_at = DateTime(read_only=True)
    completed_at = DateTime(read_only=True, nullable=True)
    comment_count = Integer(read_only=True)
    attachment_count = Integer(read_only=True)
    is_overdue = Boolean(read_only=True)


class TaskCreate(TaskUpdate):
    project = Id(description="A project the caller belongs to.")


class TaskOut(TaskUpdate):
    project = Nested(ProjectRef, read_only=True)
    assignees = List(Nested(UserMini), read_only=True)
    estimated_hours = String(read_only=True, nullable=True)
    actual_hours = String(read_only=True, nullable=True)
    impact = String(read_only=True)


class AssigneeRef(Field):
    """``me`` or a user id (converted and bounded like :class:`Id`)."""

    def convert(self, value: Any) -> int | str:
        text = value.strip() if isinstance(value, str) else value
        if text == "me":
            return text
        if isinstance(text, str) and text.isascii() and text.isdigit() and len(text) <= 10:
            text = int(text)
        try:
            return Id().convert(text)
        except FieldError:
            raise FieldError("Expected a user id or 'me'.") from None


class TaskQuery(Schema):
    project = Id(required=False)
    status = List(String(choices=TASK_STATUSES), required=False,
                  description="Comma list, e.g. todo,in_progress.")
    priority = List(String(choices=PRIORITIES), required=False, description="Comma list.")
    assignee = AssigneeRef(required=False, description="A user id or 'me'.")
    due_before = Date(required=False, description="Due strictly before this date.")
    due_after = Date(required=False, description="Due strictly after this date.")
    overdue = Boolean(required=False, description="true: past due and not done.")
    q = String(required=False, max_length=200, description="Matches title or description.")
    ordering = _ordering(TASK_ORDERINGS)


class BulkChanges(Schema):
    """The fields a bulk update may set (the same permission rules as one task at a time)."""

    status = String(required=False, choices=TASK_STATUSES)
    priority = String(required=False, choices=PRIORITIES)
    due_date = Date(required=False, nullable=True)
    actual_hours = DecimalNumber(required=False, nullable=True, max_digits=8, places=2,
                                 minimum=0)


class BulkUpdateBody(Schema):
    task_ids = List(Id(), min_items=1, max_items=200,
                    unique=True)
    updates = Nested(BulkChanges)


class BulkUpdateOut(Schema):
    updated_count = Integer(read_only=True)
    tasks = List(Nested(TaskOut), read_only=True)


# Comments and attachments -----------------------------------------------------------------

class CommentBody(Schema):
    content = String(min_length=1, max_length=MAX_COMMENT,
                     description="Sanitised HTML (p, br, strong, em, ul, ol, li, a).")
    id = Integer(read_only=True)
    task = Integer(read_only=True)
    author = Nested(UserMini, read_only=True)
    is_edited = Boolean(read_only=True)
    created_at = DateTime(read_only=True)
    updated_at = DateTime(read_only=True)


class AttachmentOut(Schema):
    id = Integer(read_only=True)
    task = Integer(read_only=True)
    uploaded_by = Nested(UserMini, read_only=True)
    original_name = String(read_only=True)
    content_type = String(read_only=True)
    file_type = String(read_only=True, choices=("image", "document", "archive", "other"))
    size = Integer(read_only=True)
    description = String(read_only=True)
    is_proof_of_completion = Boolean(read_only=True)
    created_at = DateTime(read_only=True)
    download_url = String(read_only=True)
