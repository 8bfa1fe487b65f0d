"""``synergy_extend_resource``: plugins add fields to a page in one call, never overwrite."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from synergy_hookspecs import hookimpl

from synergy.app import Kernel
from tests.conftest import Api
from tests.projects.conftest import new_project, new_task


class Badges:
    PLUGIN_NAME = "badges"

    def __init__(self) -> None:
        self.calls: list[tuple[str, int]] = []

    @hookimpl
    def synergy_extend_resource(self, kind: str, objects: list[Any], user: Any) -> dict[Any, Any]:
        self.calls.append((kind, len(objects)))
        return {obj.id: {"badge": f"{kind}-{obj.id}", "name": "overwritten?",
                         "viewer": user.username} for obj in objects}


def test_extensions_are_added_once_per_page(make_app: Callable[..., Kernel]) -> None:
    badges = Badges()
    kernel = make_app(plugins=[badges])
    owner = Api(kernel).as_new_user("olivia")
    projects = [new_project(owner, name=f"P{n}") for n in range(3)]
    for project in projects:
        new_task(owner, project["id"])
    badges.calls.clear()
    listed = owner.get("/api/projects/").json["results"]
    assert badges.calls == [("project", 3)]
    assert {row["badge"] for row in listed} == {f"project-{p['id']}" for p in projects}
    assert {row["name"] for row in listed} == {"P0", "P1", "P2"}
    assert {row["viewer"] for row in listed} == {"olivia"}
    tasks = owner.get("/api/tasks/").json["results"]
    assert badges.calls[-1] == ("task", 3)
    assert all(row["badge"] == f"task-{row['id']}" for row in tasks)
    detail = owner.get(f"/api/tasks/{tasks[0]['id']}/").json
    assert detail["badge"] == f"task-{tasks[0]['id']}"
