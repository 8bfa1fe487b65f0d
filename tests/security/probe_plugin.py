"""A test plugin with project endpoints guarded the kernel way (view hidden as 404, change
as 403), so the authorisation sweep has denials of both kinds whatever else is installed."""

from __future__ import annotations

from typing import Any

import falcon

from synergy import Route, hookimpl
from synergy.errors import NotFound
from synergy.http import endpoint
from synergy.models import Project
from synergy.schema import Schema, String

PLUGIN_NAME = "probe"


class RenameBody(Schema):
    name = String(max_length=200)


class ProbeProject:
    def __init__(self, kernel: Any) -> None:
        self.kernel = kernel

    def _visible(self, req: falcon.Request, project_id: int) -> Project:
        project = Project.get_or_none(Project.id == project_id)
        if project is None:
            raise NotFound()
        self.kernel.permissions.require(req.context.user, "project.view", project, req,
                                        hide=True)
        return project

    @endpoint("Read a project", tags=("probe",))
    def on_get(self, req: falcon.Request, resp: falcon.Response, project_id: int) -> None:
        resp.media = {"id": self._visible(req, project_id).id}

    @endpoint("Rename a project", body=RenameBody, tags=("probe",))
    def on_patch(self, req: falcon.Request, resp: falcon.Response, project_id: int) -> None:
        project = self._visible(req, project_id)
        self.kernel.permissions.require(req.context.user, "project.change", project, req)
        resp.media = {"id": project.id}


@hookimpl
def synergy_routes(kernel: Any) -> list[Route]:
    return [Route("/api/probe/projects/{project_id:int}", ProbeProject(kernel))]
