"""The permission matrix: every endpoint and method × owner, member, assignee, outsider, staff.

Each case names how to make a fresh target (so a successful DELETE by one role
does not change what the next role sees) and the expected status per role.
Non-members get 404 for anything in the project; those who may see but not
change get 403; anonymous callers get 401.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from synergy.models import Attachment, Comment, Project, Task
from tests.conftest import Api
from tests.projects.conftest import World, add_member, new_project, new_task, upload

_USER_NUMBERS = itertools.count()
ROLES = ("owner", "member", "assignee", "outsider", "staff", "anonymous")


@dataclass(frozen=True)
class Case:
    name: str
    method: str
    path: str  # formatted with the target's fields
    expected: tuple[int, int, int, int, int, int]  # in ROLES order
    target: str = "shared"
    body: Callable[[World, dict[str, Any]], Any] | None = None
    upload: bool = False


def _fresh_project(world: World) -> dict[str, Any]:
    project = new_project(world.owner, name="Disposable")
    for client in (world.member, world.assignee):
        add_member(world.owner, project["id"], client)
    return {"project": project["id"]}


def _fresh_task(world: World) -> dict[str, Any]:
    task = new_task(world.owner, world.project["id"], assignees=[world.assignee.user["id"]])
    return {"project": world.project["id"], "task": task["id"]}


def _fresh_comment(world: World) -> dict[str, Any]:
    result = world.member.post(f"/api/tasks/{world.task['id']}/add_comment/",
                               {"content": "By the member"})
    assert result.status_code == 201, result.text
    return {"comment": result.json["id"]}


def _fresh_attachment(world: World) -> dict[str, Any]:
    result = upload(world.member, world.task["id"])
    assert result.status_code == 201, result.text
    return {"attachment": result.json["id"]}


def _fresh_user(world: World) -> dict[str, Any]:
    client = Api(world.kernel).as_new_user(f"extra{next(_USER_NUMBERS)}")
    return {"project": world.project["id"], "user": client.user["id"]}


def _fresh_member(world: World) -> dict[str, Any]:
    target = _fresh_user(world)
    result = world.owner.post(f"/api/projects/{world.project['id']}/add_member/",
                              {"user_id": target["user"]})
    assert result.status_code == 200, result.text
    return target


TARGETS: dict[str, Callable[[World], dict[str, Any]]] = {
    "shared": lambda w: {"project": w.project["id"], "task": w.task["id"]},
    "project": _fresh_project,
    "task": _fresh_task,
    "comment": _fresh_comment,
    "attachment": _fresh_attachment,
    "user": _fresh_user,
    "member": _fresh_member,
}

#                                   owner member assignee outsider staff anonymous
CASES = (
    Case("project list", "GET", "/api/projects/", (200, 200, 200, 200, 200, 401)),
    Case("project create", "POST", "/api/projects/", (201, 201, 201, 201, 201, 401),
         body=lambda w, t: {"name": "Mine"}),
    Case("project detail", "GET", "/api/projects/{project}/", (200, 200, 200, 404, 200, 401)),
    Case("project patch", "PATCH", "/api/projects/{project}/", (200, 403, 403, 404, 403, 401),
         body=lambda w, t: {"description": "changed"}),
    Case("project put", "PUT", "/api/projects/{project}/", (200, 403, 403, 404, 403, 401),
         body=lambda w, t: {"name": "Renamed", "status": "active"}),
    Case("project delete", "DELETE", "/api/projects/{project}/",
         (204, 403, 403, 404, 403, 401), target="project"),
    Case("add member", "POST", "/api/projects/{project}/add_member/",
         (200, 403, 403, 404, 403, 401), target="user",
         body=lambda w, t: {"user_id": t["user"]}),
    Case("remove member", "POST", "/api/projects/{project}/remove_member/",
         (200, 403, 403, 404, 403, 401), target="member",
         body=lambda w, t: {"user_id": t["user"]}),
    Case("project stats", "GET", "/api/projects/{project}/stats/",
         (200, 200, 200, 404, 200, 401)),
    Case("project activities", "GET", "/api/projects/{project}/activities/",
         (200, 200, 200, 404, 200, 401)),
    Case("task list", "GET", "/api/tasks/", (200, 200, 200, 200, 200, 401)),
    Case("task create", "POST", "/api/tasks/", (201, 201, 201, 404, 403, 401),
         body=lambda w, t: {"project": t["project"], "title": "New"}),
    Case("task detail", "GET", "/api/tasks/{task}/", (200, 200, 200, 404, 200, 401)),
    Case("task patch title", "PATCH", "/api/tasks/{task}/", (200, 403, 403, 404, 403, 401),
         target="task", body=lambda w, t: {"title": "Retitled"}),
    Case("task patch status", "PATCH", "/api/tasks/{task}/", (200, 403, 200, 404, 403, 401),
         target="task", body=lambda w, t: {"status": "in_progress"}),
    Case("task patch actual hours", "PATCH", "/api/tasks/{task}/",
         (200, 403, 200, 404, 403, 401), target="task",
         body=lambda w, t: {"actual_hours": "2.5"}),
    Case("task put", "PUT", "/api/tasks/{task}/", (200, 403, 403, 404, 403, 401),
         target="task", body=lambda w, t: {"title": "Whole", "status": "review"}),
    Case("bulk status", "POST", "/api/tasks/bulk_update/", (200, 403, 200, 404, 403, 401),
         target="task", body=lambda w, t: {"task_ids": [t["task"]],
                                           "updates": {"status": "in_progress"}}),
    Case("bulk priority", "POST", "/api/tasks/bulk_update/", (200, 403, 403, 404, 403, 401),
         target="task", body=lambda w, t: {"task_ids": [t["task"]],
                                           "updates": {"priority": "urgent"}}),
    Case("task delete", "DELETE", "/api/tasks/{task}/", (204, 403, 403, 404, 403, 401),
         target="task"),
    Case("task comments", "GET", "/api/tasks/{task}/comments/", (200, 200, 200, 404, 200, 401)),
    Case("add comment", "POST", "/api/tasks/{task}/add_comment/",
         (201, 201, 201, 404, 403, 401), body=lambda w, t: {"content": "<p>Hi</p>"}),
    Case("task attachments", "GET", "/api/tasks/{task}/attachments/",
         (200, 200, 200, 404, 200, 401)),
    Case("upload attachment", "POST", "/api/tasks/{task}/upload_attachment/",
         (201, 201, 201, 404, 403, 401), upload=True),
    Case("comment detail", "GET", "/api/comments/{comment}/", (200, 200, 200, 404, 200, 401),
         target="comment"),
    Case("comment edit", "PATCH", "/api/comments/{comment}/", (403, 200, 403, 404, 403, 401),
         target="comment", body=lambda w, t: {"content": "Edited"}),
    Case("comment delete", "DELETE", "/api/comments/{comment}/",
         (204, 204, 403, 404, 403, 401), target="comment"),
    Case("attachment detail", "GET", "/api/attachments/{attachment}/",
         (200, 200, 200, 404, 200, 401), target="attachment"),
    Case("attachment download", "GET", "/api/attachments/{attachment}/download/",
         (200, 200, 200, 404, 200, 401), target="attachment"),
    Case("attachment delete", "DELETE", "/api/attachments/{attachment}/",
         (204, 204, 403, 404, 403, 401), target="attachment"),
)


def _client(world: World, role: str) -> Api:
    return Api(world.kernel) if role == "anonymous" else world.client(role)


def _call(world: World, case: Case, role: str, target: dict[str, Any]) -> Any:
    client = _client(world, role)
    path = case.path.format(**target)
    if case.upload:
        return upload(client, target["task"])
    body = case.body(world, target) if case.body else None
    return client.request(case.method, path, body)


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_permission_matrix(world: World, case: Case) -> None:
    mismatches = []
    for role, expected in zip(ROLES, case.expected, strict=True):
        target = TARGETS[case.target](world)
        result = _call(world, case, role, target)
        if result.status_code != expected:
            mismatches.append(f"{role}: expected {expected}, got {result.status_code} "
                              f"{result.text[:200]}")
        elif expected >= 400:
            error = result.json["error"]
            assert error["status"] == expected and error["message"]
    assert not mismatches, f"{case.method} {case.path}:\n" + "\n".join(mismatches)


def test_refused_writes_change_nothing(world: World) -> None:
    """403/404 answers leave rows as they were (checked in the database, not via the API)."""
    project_id, task_id = world.project["id"], world.task["id"]
    comment = _fresh_comment(world)["comment"]
    attachment = _fresh_attachment(world)["attachment"]
    with world.kernel.connection():
        before = (Project.get_by_id(project_id).name, Task.get_by_id(task_id).title,
                  Comment.get_by_id(comment).content, Attachment.select().count())
    for client in (world.member, world.outsider, world.staff):
        client.patch(f"/api/projects/{project_id}/", {"name": "Hijacked"})
        client.patch(f"/api/tasks/{task_id}/", {"title": "Hijacked"})
        client.delete(f"/api/tasks/{task_id}/")
        client.delete(f"/api/projects/{project_id}/")
    for client in (world.assignee, world.outsider, world.staff):
        client.patch(f"/api/comments/{comment}/", {"content": "Hijacked"})
        client.delete(f"/api/attachments/{attachment}/")
    with world.kernel.connection():
        after = (Project.get_by_id(project_id).name, Task.get_by_id(task_id).title,
                 Comment.get_by_id(comment).content, Attachment.select().count())
    assert after == before


def test_lists_are_scoped_to_membership(world: World) -> None:
    """Lists filter in SQL: members see their projects' rows only, staff see everything."""
    other = new_project(world.outsider, name="Outsider's own")
    new_task(world.outsider, other["id"], title="Private")
    expectations = {"owner": ({world.project["id"]}, {world.task["id"]}),
                    "member": ({world.project["id"]}, {world.task["id"]}),
                    "outsider": ({other["id"]}, None)}
    for role, (projects, tasks) in expectations.items():
        client = world.client(role)
        seen_projects = {row["id"] for row in client.get("/api/projects/").json["results"]}
        assert seen_projects == projects, role
        seen_tasks = {row["id"] for row in client.get("/api/tasks/").json["results"]}
        if tasks is not None:
            assert seen_tasks == tasks, role
        else:
            assert world.task["id"] not in seen_tasks and len(seen_tasks) == 1
    staff_projects = {row["id"] for row in world.staff.get("/api/projects/").json["results"]}
    assert staff_projects == {world.project["id"], other["id"]}


def test_guessed_project_id_in_body_is_not_found(world: World) -> None:
    result = world.outsider.post("/api/tasks/", {"project": world.project["id"], "title": "x"})
    assert result.status_code == 404
    assert "project" in result.json["error"]["fields"]
    missing = world.owner.post("/api/tasks/", {"project": 999_999, "title": "x"})
    assert missing.status_code == 404
    assert missing.json["error"]["message"] == result.json["error"]["message"]


def test_a_plugin_can_change_the_rules(make_app: Callable[..., Any]) -> None:
    """The synergy_permission hook decides first: here a plugin lets members edit tasks."""
    from synergy_hookspecs import hookimpl

    class MembersEditTasks:
        PLUGIN_NAME = "open_tasks"

        @hookimpl
        def synergy_permission(self, user: Any, action: str, obj: Any) -> bool | None:
            return True if action == "task.change" and obj.project.name == "Open" else None

    kernel = make_app(plugins=[MembersEditTasks()])
    anonymous = Api(kernel)
    owner, member = anonymous.as_new_user("olga"), anonymous.as_new_user("max")
    open_project = new_project(owner, name="Open")
    closed_project = new_project(owner, name="Closed")
    for project in (open_project, closed_project):
        add_member(owner, project["id"], member)
    open_task = new_task(owner, open_project["id"])
    closed_task = new_task(owner, closed_project["id"])
    assert member.patch(f"/api/tasks/{open_task['id']}/", {"title": "Mine"}).status_code == 200
    assert member.patch(f"/api/tasks/{closed_task['id']}/", {"title": "Mine"}).status_code == 403
