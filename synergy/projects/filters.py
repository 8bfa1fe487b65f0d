"""List filters and orderings, applied in SQL.

Every filter but the text search ``q`` (a LIKE on the caller's own rows) has
an index behind it: project status/priority/created_at/updated_at; task
(project, status), (project, priority), (project, due_date), due_date; the
assignee filter uses (user, task) of the assignment table.
"""

from __future__ import annotations

from typing import Any

import peewee

from synergy.models import PRIORITIES, Project, Task, TaskAssignee, User
from synergy.projects.representation import today

_PRIORITY_RANK = tuple((name, rank) for rank, name in enumerate(PRIORITIES))


def _priority_rank(column: peewee.Field) -> peewee.Case:
    """Priorities sort by urgency (low < medium < high < urgent), not alphabetically."""
    return peewee.Case(column, _PRIORITY_RANK, len(PRIORITIES))


def _contains(text: str) -> str:
    """A LIKE pattern matching ``text`` literally (``%`` and ``_`` typed by users included)."""
    escaped = text.lower().replace("!", "!!").replace("%", "!%").replace("_", "!_")
    return f"%{escaped}%"


def _like(column: peewee.Field, pattern: str) -> peewee.Node:
    return peewee.NodeList((peewee.fn.LOWER(column), peewee.SQL("LIKE"), peewee.Value(pattern),
                            peewee.SQL("ESCAPE '!'")))


def _order(query: peewee.ModelSelect, model: type[peewee.Model], ordering: str | None,
           default: str) -> peewee.ModelSelect:
    key = ordering or default
    descending = key.startswith("-")
    name = key.lstrip("-")
    column = getattr(model, name)
    if name == "priority":
        expression = _priority_rank(column)
    elif name in ("name", "title"):
        # Case-insensitive, so SQLite (binary collation) and PostgreSQL agree on names.
        expression = peewee.fn.LOWER(column)
    else:
        expression = column
    tie = model.id.desc() if descending else model.id.asc()
    # NULLS LAST only where NULLs exist: on a NOT NULL column it would keep both
    # databases from reading the order off an index.
    nulls = "LAST" if isinstance(column, peewee.Field) and column.null else None
    if descending:
        return query.order_by(expression.desc(nulls=nulls), tie)
    return query.order_by(expression.asc(nulls=nulls), tie)


def filter_projects(query: peewee.ModelSelect, params: dict[str, Any]) -> peewee.ModelSelect:
    if "status" in params:
        query = query.where(Project.status == params["status"])
    if "priority" in params:
        query = query.where(Project.priority == params["priority"])
    if params.get("q"):
        pattern = _contains(params["q"])
        query = query.where(_like(Project.name, pattern) | _like(Project.description, pattern))
    return _order(query, Project, params.get("ordering"), "-created_at")


def filter_tasks(query: peewee.ModelSelect, params: dict[str, Any],
                 user: User) -> peewee.ModelSelect:
    if "project" in params:
        query = query.where(Task.project == params["project"])
    if params.get("status"):
        query = query.where(Task.status.in_(params["status"]))
    if params.get("priority"):
        query = query.where(Task.priority.in_(params["priority"]))
    if "assignee" in params:
        assignee = user.id if params["assignee"] == "me" else params["assignee"]
        query = query.where(Task.id.in_(TaskAssignee.select(TaskAssignee.task)
                                        .where(TaskAssignee.user == assignee)))
    if "due_before" in params:
        query = query.where(Task.due_date < params["due_before"])
    if "due_after" in params:
        query = query.where(Task.due_date > params["due_after"])
    if "overdue" in params:
        late = (Task.due_date < today()) & (Task.status != "done")
        query = query.where(late if params["overdue"] else ~late | Task.due_date.is_null())
    if params.get("q"):
        pattern = _contains(params["q"])
        query = query.where(_like(Task.title, pattern) | _like(Task.description, pattern))
    return _order(query, Task, params.get("ordering"), "-created_at")
