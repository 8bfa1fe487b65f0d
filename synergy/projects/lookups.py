"""Loading one object with what its permission check needs, and scoping lists in SQL.

Single objects come with their task and project joined, so the permission
hook never triggers lazy loads. Lists are scoped by membership in SQL (staff
see everything): the hook decides on objects, not on every row of a page.
"""

from __future__ import annotations

from typing import Any

import peewee

from synergy.database import PreparedQuery
from synergy.errors import NotFound
from synergy.models import Attachment, Comment, Project, ProjectMember, Task, User
from synergy.projects.filters import filter_projects, filter_tasks
from synergy.projects.representation import PROJECT_ROW, TASK_ROW, project_select, task_select
from synergy.schema import MAX_ID

Author = User.alias("author")
Uploader = User.alias("uploader")


def member_project_ids(user: User) -> peewee.ModelSelect:
    return ProjectMember.select(ProjectMember.project).where(ProjectMember.user == user.id)


def visible_projects(user: User) -> peewee.ModelSelect:
    query = project_select()
    if not user.is_staff:
        query = query.where(Project.id.in_(member_project_ids(user)))
    return query


def visible_tasks(user: User) -> peewee.ModelSelect:
    query = task_select()
    if not user.is_staff:
        query = query.where(Task.project.in_(member_project_ids(user)))
    return query


# The unfiltered first pages are what clients load most: their queries are prepared.
_MEMBER_PROJECTS_PAGE = PreparedQuery(lambda user_id, offset, limit: filter_projects(
    project_select().where(Project.id.in_(
        ProjectMember.select(ProjectMember.project).where(ProjectMember.user == user_id))),
    {}).offset(offset).limit(limit), PROJECT_ROW)
_MEMBER_PROJECTS_COUNT = PreparedQuery(lambda user_id: ProjectMember.select(
    peewee.fn.COUNT(ProjectMember.id)).where(ProjectMember.user == user_id).tuples())
_PROJECT_TASKS_PAGE = PreparedQuery(lambda project_id, offset, limit: filter_tasks(
    task_select().where(Task.project == project_id), {}, None).offset(offset).limit(limit),
    TASK_ROW)


def member_projects_page(user: User) -> dict[str, Any]:
    """``paginate`` arguments for the caller's projects, unfiltered, default order."""
    return {"fetch": lambda offset, limit: _MEMBER_PROJECTS_PAGE.rows(
                user_id=user.id, offset=offset, limit=limit),
            "total": lambda: _MEMBER_PROJECTS_COUNT.tuples(user_id=user.id)[0][0]}


def project_tasks_page(project: Project) -> dict[str, Any]:
    """``paginate`` arguments for one visible project's tasks, unfiltered, default order.

    The total is the project's stored task count, kept exact by every task write:
    counting a board of 20,000 tasks on every full page was the list's largest cost.
    """
    return {"fetch": lambda offset, limit: _PROJECT_TASKS_PAGE.rows(
                project_id=project.id, offset=offset, limit=limit),
            "total": lambda: project.task_count}


def _visible(kernel: Any, user: User, query: peewee.ModelSelect | PreparedQuery, what: str,
             request: Any, object_id: int) -> Any:
    """The object if it exists and the caller may view it; one identical 404 otherwise.

    Ids outside the 32-bit range of PostgreSQL serials cannot exist: no query is run.
    """
    found = None
    if 1 <= object_id <= MAX_ID:
        found = (query.first(object_id=object_id) if isinstance(query, PreparedQuery)
                 else query.first())
    if found is None or not kernel.permissions.allowed(user, f"{what}.view", found, request):
        raise NotFound(f"No {what} with this id, or you may not see it.")
    return found


# Every project or task URL loads its object first: compile those two queries once.
_PROJECT_BY_ID = PreparedQuery(
    lambda object_id: project_select().where(Project.id == object_id).limit(1), PROJECT_ROW)
_TASK_BY_ID = PreparedQuery(lambda object_id: task_select().where(Task.id == object_id).limit(1),
                            TASK_ROW)


def fetch_project(project_id: int) -> Project:
    """The project as pages render it, without a permission check (after a write)."""
    return _PROJECT_BY_ID.first(object_id=project_id)


def fetch_task(task_id: int) -> Task:
    """The task as pages render it, without a permission check (after a write)."""
    return _TASK_BY_ID.first(object_id=task_id)


def load_project(kernel: Any, user: User, project_id: int, request: Any = None) -> Project:
    """The project, or 404 when it does not exist or the caller may not see it."""
    return _visible(kernel, user, _PROJECT_BY_ID, "project", request, project_id)


def load_task(kernel: Any, user: User, task_id: int, request: Any = None) -> Task:
    return _visible(kernel, user, _TASK_BY_ID, "task", request, task_id)


def load_comment(kernel: Any, user: User, comment_id: int, request: Any = None) -> Comment:
    return _visible(kernel, user, Comment.select(Comment, Task, Project, Author)
                     .join(Task, on=(Comment.task == Task.id))
                     .join(Project, on=(Task.project == Project.id))
                     .switch(Comment)
                     .join(Author, on=(Comment.author == Author.id), attr="author")
                     .where(Comment.id == comment_id), "comment", request, comment_id)


def load_attachment(kernel: Any, user: User, attachment_id: int,
                    request: Any = None) -> Attachment:
    return _visible(kernel, user, Attachment.select(Attachment, Task, Project, Uploader)
                        .join(Task, on=(Attachment.task == Task.id))
                        .join(Project, on=(Task.project == Project.id))
                        .switch(Attachment)
                        .join(Uploader, on=(Attachment.uploaded_by == Uploader.id),
                              attr="uploaded_by")
                        .where(Attachment.id == attachment_id), "attachment", request,
                    attachment_id)
