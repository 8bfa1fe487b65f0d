"""HTTP resources of ``/api/tasks/`` and of comments on a task."""

from __future__ import annotations

from typing import Any

import falcon

from synergy.errors import ValidationError
from synergy.http import endpoint, paginate
from synergy.models import Comment, User
from synergy.projects import bulk, comments, schemas, tasks
from synergy.projects.filters import filter_tasks
from synergy.projects.lookups import (
    fetch_project,
    load_task,
    project_tasks_page,
    visible_tasks,
)
from synergy.projects.representation import render_comment, render_task, render_tasks
from synergy.projects.resources.projects import require_fields
from synergy.schema import MAX_ID

TAGS = ("tasks",)


class TaskList:
    def __init__(self, kernel: Any) -> None:
        self.kernel = kernel

    @endpoint("List tasks of the caller's projects (staff: all)", query=schemas.TaskQuery,
              response=schemas.TaskOut, many=True, tags=TAGS, errors=(400, 401))
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Queries: page (project, creator and counts joined), count when the page is full,
        assignees: three at most, for any page size."""
        user = req.context.user
        filters = {key: value for key, value in req.context.query.items()
                   if value not in (None, "", [])}
        render = lambda rows: render_tasks(self.kernel, rows, user, req)  # noqa: E731
        if list(filters) == ["project"]:
            # The board view: one project's tasks, prepared queries once access is settled.
            project = fetch_project(filters["project"]) if filters["project"] <= MAX_ID else None
            if project is not None and self.kernel.permissions.allowed(
                    user, "project.view", project, req):
                resp.media = paginate(req, None, render, **project_tasks_page(project))
                return
        query = filter_tasks(visible_tasks(user), req.context.query, user)
        resp.media = paginate(req, query, render)

    @endpoint("Create a task in a project the caller belongs to", body=schemas.TaskCreate,
              response=schemas.TaskOut, status=201, tags=TAGS, errors=(400, 401, 403, 404))
    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        user = req.context.user
        _, resp.media = tasks.create_task(self.kernel, user, req.context.body, req)


class BulkUpdate:
    def __init__(self, kernel: Any) -> None:
        self.kernel = kernel

    @endpoint("Change status, priority, due date or actual hours of many tasks at once",
              body=schemas.BulkUpdateBody, response=schemas.BulkUpdateOut, tags=TAGS,
              errors=(400, 401, 403, 404))
    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        """All or nothing: one invisible task is a 404, one unchangeable task a 403."""
        body = req.context.body
        if not body["updates"]:
            raise ValidationError("Name at least one field to change.",
                                  fields={"updates": ["Name at least one field."]})
        changed, rendered = bulk.bulk_update(self.kernel, req.context.user, body["task_ids"],
                                             body["updates"], req)
        resp.media = {"updated_count": changed, "tasks": rendered}


class TaskDetail:
    def __init__(self, kernel: Any) -> None:
        self.kernel = kernel

    @endpoint("A task (members and staff)", response=schemas.TaskOut, tags=TAGS,
              errors=(401, 404))
    def on_get(self, req: falcon.Request, resp: falcon.Response, task_id: int) -> None:
        user = req.context.user
        task = load_task(self.kernel, user, task_id, req)
        resp.media = render_task(self.kernel, task, user, req)

    @endpoint("Replace a task's fields (owner; assignees: status and actual_hours)",
              body=schemas.TaskUpdate, response=schemas.TaskOut, tags=TAGS,
              errors=(400, 401, 403, 404))
    def on_put(self, req: falcon.Request, resp: falcon.Response, task_id: int) -> None:
        self._update(req, resp, task_id)

    @endpoint("Change some of a task's fields (owner; assignees: status and actual_hours)",
              body=schemas.TaskUpdate, response=schemas.TaskOut, tags=TAGS,
              errors=(400, 401, 403, 404))
    def on_patch(self, req: falcon.Request, resp: falcon.Response, task_id: int) -> None:
        require_fields(req.context.body)
        self._update(req, resp, task_id)

    def _update(self, req: falcon.Request, resp: falcon.Response, task_id: int) -> None:
        user = req.context.user
        task = load_task(self.kernel, user, task_id, req)
        _, resp.media = tasks.update_task(self.kernel, user, task, req.context.body, req)

    @endpoint("Delete a task and its files (owner)", status=204, tags=TAGS,
              errors=(401, 403, 404))
    def on_delete(self, req: falcon.Request, resp: falcon.Response, task_id: int) -> None:
        user = req.context.user
        task = load_task(self.kernel, user, task_id, req)
        tasks.delete_task(self.kernel, user, task, req)


class TaskComments:
    def __init__(self, kernel: Any) -> None:
        self.kernel = kernel

    @endpoint("A task's comments, oldest first", query=schemas.PageQuery,
              response=schemas.CommentBody, many=True, tags=TAGS, errors=(400, 401, 404))
    def on_get(self, req: falcon.Request, resp: falcon.Response, task_id: int) -> None:
        """Queries: count and page (author joined): two, for any page size."""
        task = load_task(self.kernel, req.context.user, task_id, req)
        query = (Comment.select(Comment, User).join(User, on=(Comment.author == User.id))
                 .where(Comment.task == task.id).order_by(Comment.created_at, Comment.id))
        resp.media = paginate(req, query,
                              lambda rows: [render_comment(comment) for comment in rows])


class AddComment:
    def __init__(self, kernel: Any) -> None:
        self.kernel = kernel

    @endpoint("Comment on a task (members)", body=schemas.CommentBody,
              response=schemas.CommentBody, status=201, tags=TAGS,
              errors=(400, 401, 403, 404))
    def on_post(self, req: falcon.Request, resp: falcon.Response, task_id: int) -> None:
        user = req.context.user
        task = load_task(self.kernel, user, task_id, req)
        comment = comments.add_comment(self.kernel, user, task, req.context.body["content"],
                                       req)
        resp.media = render_comment(comment)

