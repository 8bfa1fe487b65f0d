"""The floor every SynergyOS endpoint is compared with.

A bare Falcon + Peewee app that verifies the same JWT (HS256, audience, issuer, expiry) and runs
one query per request, returning the same rows as plain dicts — no permissions, no validation
framework, no representation layer, no plugins. Served by the same gunicorn configuration.
"""

from __future__ import annotations

from typing import Any

import falcon
import jwt
import orjson

from synergy.database import connect_database
from synergy.models import Project, ProjectMember, Task, utcnow
from synergy.settings import Settings

settings = Settings()
database = connect_database(settings.effective_database_url,
                            pool_size=settings.database_pool_size)
SECRET = settings.secret()
PAGE = 20


def _claims(req: falcon.Request) -> dict[str, Any]:
    token = (req.get_header("Authorization") or "").partition(" ")[2]
    try:
        return jwt.decode(token, SECRET, algorithms=["HS256"], audience="synergy",
                          issuer="synergy")
    except jwt.PyJWTError:
        raise falcon.HTTPUnauthorized() from None


def _dump(resp: falcon.Response, value: Any) -> None:
    resp.content_type = falcon.MEDIA_JSON
    resp.data = orjson.dumps(value, default=str)


class Connection:
    def process_request(self, req: falcon.Request, resp: falcon.Response) -> None:
        database.connect(reuse_if_open=True)

    def process_response(self, req: Any, resp: Any, resource: Any, ok: bool) -> None:
        if not database.is_closed():
            database.close()


class Projects:
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        user_id = int(_claims(req)["sub"])
        rows = (Project.select().join(ProjectMember, on=(ProjectMember.project == Project.id))
                .where(ProjectMember.user == user_id).order_by(Project.id.desc())
                .limit(PAGE).dicts())
        _dump(resp, {"results": list(rows)})


class ProjectDetail:
    def on_get(self, req: falcon.Request, resp: falcon.Response, project_id: int) -> None:
        _claims(req)
        _dump(resp, Project.select().where(Project.id == project_id).dicts().get())


class Tasks:
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        _claims(req)
        project = req.get_param_as_int("project", required=True)
        rows = Task.select().where(Task.project == project).order_by(Task.id).limit(PAGE).dicts()
        _dump(resp, {"results": list(rows)})

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        user_id = int(_claims(req)["sub"])
        body = orjson.loads(req.bounded_stream.read())
        task = Task.create(project=body["project"], title=body["title"], created_by=user_id)
        resp.status = falcon.HTTP_201
        _dump(resp, Task.select().where(Task.id == task.id).dicts().get())


class TaskDetail:
    def on_get(self, req: falcon.Request, resp: falcon.Response, task_id: int) -> None:
        _claims(req)
        _dump(resp, Task.select().where(Task.id == task_id).dicts().get())

    def on_patch(self, req: falcon.Request, resp: falcon.Response, task_id: int) -> None:
        _claims(req)
        body = orjson.loads(req.bounded_stream.read())
        Task.update(status=body["status"], updated_at=utcnow()).where(
            Task.id == task_id).execute()
        _dump(resp, Task.select().where(Task.id == task_id).dicts().get())


application = falcon.App(middleware=[Connection()])
application.add_route("/ref/projects", Projects())
application.add_route("/ref/projects/{project_id:int}", ProjectDetail())
application.add_route("/ref/tasks", Tasks())
application.add_route("/ref/tasks/{task_id:int}", TaskDetail())
