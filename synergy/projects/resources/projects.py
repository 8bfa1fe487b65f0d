"""HTTP resources of ``/api/projects/``: parse, call the domain functions, render."""

from __future__ import annotations

from typing import Any

import falcon

from synergy.errors import ValidationError
from synergy.http import endpoint, iso, paginate
from synergy.models import Event, User
from synergy.projects import members, projects, schemas
from synergy.projects.filters import filter_projects
from synergy.projects.lookups import load_project, member_projects_page, visible_projects
from synergy.projects.representation import (
    members_of,
    render_project,
    render_projects,
    user_mini,
)

TAGS = ("projects",)


def require_fields(body: dict[str, Any]) -> None:
    """An empty PATCH is almost always a client bug; say so instead of answering 200."""
    if not body:
        raise ValidationError("Send at least one field to change.",
                              fields={"non_field_errors": ["Send at least one field."]})


class ProjectList:
    def __init__(self, kernel: Any) -> None:
        self.kernel = kernel

    @endpoint("List the projects the caller belongs to (staff: all)", query=schemas.ProjectQuery,
              response=schemas.ProjectOut, many=True, tags=TAGS, errors=(400, 401))
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Queries: page (owner and task count joined), count when the page is full,
        members: three at most, for any page size."""
        user = req.context.user
        render = lambda rows: render_projects(self.kernel, rows, user, req)  # noqa: E731
        filters = [key for key, value in req.context.query.items()
                   if value not in (None, "", [])]
        if not filters and not user.is_staff:
            resp.media = paginate(req, None, render, **member_projects_page(user))
            return
        query = filter_projects(visible_projects(user), req.context.query)
        resp.media = paginate(req, query, render)

    @endpoint("Create a project; the caller becomes its owner", body=schemas.ProjectWrite,
              response=schemas.ProjectOut, status=201, tags=TAGS, errors=(400, 401))
    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        user = req.context.user
        project = projects.create_project(self.kernel, user, req.context.body, req)
        resp.media = render_project(self.kernel, project, user, req)


class ProjectDetail:
    def __init__(self, kernel: Any) -> None:
        self.kernel = kernel

    @endpoint("A project (members and staff)", response=schemas.ProjectOut, tags=TAGS,
              errors=(401, 404))
    def on_get(self, req: falcon.Request, resp: falcon.Response, project_id: int) -> None:
        user = req.context.user
        project = load_project(self.kernel, user, project_id, req)
        resp.media = render_project(self.kernel, project, user, req)

    @endpoint("Replace a project's fields (owner)", body=schemas.ProjectWrite,
              response=schemas.ProjectOut, tags=TAGS, errors=(400, 401, 403, 404))
    def on_put(self, req: falcon.Request, resp: falcon.Response, project_id: int) -> None:
        self._update(req, resp, project_id)

    @endpoint("Change some of a project's fields (owner)", body=schemas.ProjectWrite,
              response=schemas.ProjectOut, tags=TAGS, errors=(400, 401, 403, 404))
    def on_patch(self, req: falcon.Request, resp: falcon.Response, project_id: int) -> None:
        require_fields(req.context.body)
        self._update(req, resp, project_id)

    def _update(self, req: falcon.Request, resp: falcon.Response, project_id: int) -> None:
        user = req.context.user
        project = load_project(self.kernel, user, project_id, req)
        project = projects.update_project(self.kernel, user, project, req.context.body, req)
        resp.media = render_project(self.kernel, project, user, req)

    @endpoint("Delete a project with its tasks and files (owner)", status=204, tags=TAGS,
              errors=(401, 403, 404))
    def on_delete(self, req: falcon.Request, resp: falcon.Response, project_id: int) -> None:
        user = req.context.user
        project = load_project(self.kernel, user, project_id, req)
        projects.delete_project(self.kernel, user, project, req)


class AddMember:
    def __init__(self, kernel: Any) -> None:
        self.kernel = kernel

    @endpoint("Add a member by user_id or username (owner)", body=schemas.MemberBody,
              response=schemas.MemberChangeOut, tags=TAGS, errors=(400, 401, 403, 404, 409))
    def on_post(self, req: falcon.Request, resp: falcon.Response, project_id: int) -> None:
        user = req.context.user
        project = load_project(self.kernel, user, project_id, req)
        result = members.add_member(self.kernel, user, project, req.context.body, req)
        resp.media = {**result, "members": members_of([project.id])[project.id]}


class RemoveMember:
    def __init__(self, kernel: Any) -> None:
        self.kernel = kernel

    @endpoint("Remove a member (owner; the owner cannot be removed)", body=schemas.MemberBody,
              response=schemas.MemberChangeOut, tags=TAGS, errors=(400, 401, 403, 404))
    def on_post(self, req: falcon.Request, resp: falcon.Response, project_id: int) -> None:
        user = req.context.user
        project = load_project(self.kernel, user, project_id, req)
        result = members.remove_member(self.kernel, user, project, req.context.body, req)
        resp.media = {**result, "role": None, "members": members_of([project.id])[project.id]}


class ProjectStats:
    def __init__(self, kernel: Any) -> None:
        self.kernel = kernel

    @endpoint("Task counts by status, overdue tasks, progress, member count",
              response=schemas.ProjectStatsOut, tags=TAGS, errors=(401, 404))
    def on_get(self, req: falcon.Request, resp: falcon.Response, project_id: int) -> None:
        project = load_project(self.kernel, req.context.user, project_id, req)
        resp.media = projects.project_stats(project)


class ProjectActivities:
    def __init__(self, kernel: Any) -> None:
        self.kernel = kernel

    @endpoint("The project's activity feed, newest first", query=schemas.ActivityQuery,
              response=schemas.ActivityOut, many=True, tags=TAGS, errors=(400, 401, 404))
    def on_get(self, req: falcon.Request, resp: falcon.Response, project_id: int) -> None:
        """Queries: count, page, actors: three, for any page size."""
        project = load_project(self.kernel, req.context.user, project_id, req)
        query = Event.select().where(Event.project_id == project.id)
        if "type" in req.context.query:
            query = query.where(Event.type == req.context.query["type"])
        query = query.order_by(Event.id.desc())
        resp.media = paginate(req, query, render_activities)


def render_activities(events: list[Event]) -> list[dict[str, Any]]:
    actor_ids = {event.actor_id for event in events if event.actor_id is not None}
    actors = {user.id: user for user in User.select().where(User.id.in_(actor_ids))} \
        if actor_ids else {}
    return [{"id": event.id, "type": event.type, "description": event.description,
             "actor": user_mini(actors.get(event.actor_id)), "payload": event.payload,
             "occurred_at": iso(event.occurred_at)} for event in events]
