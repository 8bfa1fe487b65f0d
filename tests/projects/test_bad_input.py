"""Bad input, endpoint by endpoint: a 4xx naming the field, never a 500, never a partial write.

Every case runs against the same world and the database is compared before
and after (row counts of every table and the rows that could have changed).
"""

from __future__ import annotations

from typing import Any

import pytest

from synergy.models import (
    Attachment,
    Comment,
    Event,
    Project,
    ProjectMember,
    Task,
    TaskAssignee,
)
from tests.conftest import Api
from tests.projects.conftest import World, new_project

HUGE = "x" * 50_001
TOO_BIG_ID = 2**40


def snapshot(world: World) -> tuple[Any, ...]:
    with world.kernel.connection():
        counts = tuple(model.select().count() for model in (
            Project, ProjectMember, Task, TaskAssignee, Comment, Attachment, Event))
        projects = list(Project.select().order_by(Project.id).dicts())
        tasks = list(Task.select().order_by(Task.id).dicts())
        comments = list(Comment.select().order_by(Comment.id).dicts())
    return counts, projects, tasks, comments


P, T, C = "{project}", "{task}", "{comment}"
#        method, path, body, status, field (None: only the shape is checked)
CASES: list[tuple[str, str, Any, int, str | None]] = [
    ("POST", "/api/projects/", {}, 400, "name"),
    ("POST", "/api/projects/", {"name": 5}, 400, "name"),
    ("POST", "/api/projects/", {"name": "  "}, 400, "name"),
    ("POST", "/api/projects/", {"name": "x" * 201}, 400, "name"),
    ("POST", "/api/projects/", {"name": "nul\x00"}, 400, "name"),
    ("POST", "/api/projects/", {"name": "x", "status": "done"}, 400, "status"),
    ("POST", "/api/projects/", {"name": "x", "priority": "extreme"}, 400, "priority"),
    ("POST", "/api/projects/", {"name": "x", "start_date": "2026-02-01",
                                "end_date": "2026-01-31"}, 400, "end_date"),
    ("POST", "/api/projects/", {"name": "x", "start_date": "2026-02-30"}, 400, "start_date"),
    ("POST", "/api/projects/", {"name": "x", "start_date": 20260101}, 400, "start_date"),
    ("POST", "/api/projects/", {"name": "x", "budget": -1}, 400, "budget"),
    ("POST", "/api/projects/", {"name": "x", "budget": "lots"}, 400, "budget"),
    ("POST", "/api/projects/", {"name": "x", "budget": True}, 400, "budget"),
    ("POST", "/api/projects/", {"name": "x", "budget": "1e20"}, 400, "budget"),
    ("POST", "/api/projects/", {"name": "x", "budget": "NaN"}, 400, "budget"),
    ("POST", "/api/projects/", {"name": "x", "budget": "0.001"}, 400, "budget"),
    ("POST", "/api/projects/", {"name": "x", "description": HUGE}, 400, "description"),
    ("POST", "/api/projects/", {"name": "x", "description": ["a"]}, 400, "description"),
    ("POST", "/api/projects/", {"name": "x", "progress": 50}, 400, "progress"),
    ("POST", "/api/projects/", {"name": "x", "owner": 2}, 400, "owner"),
    ("POST", "/api/projects/", {"name": "x", "id": 9}, 400, "id"),
    ("POST", "/api/projects/", {"name": "x", "colour": "red"}, 400, "colour"),
    ("POST", "/api/projects/", ["name"], 400, "non_field_errors"),
    ("POST", "/api/projects/", "name", 400, "non_field_errors"),
    ("POST", "/api/projects/", b"{not json", 400, "non_field_errors"),
    ("PATCH", f"/api/projects/{P}/", {}, 400, "non_field_errors"),
    ("PATCH", f"/api/projects/{P}/", {"name": None}, 400, "name"),
    ("PATCH", f"/api/projects/{P}/", {"status": "archived"}, 400, "status"),
    ("PATCH", f"/api/projects/{P}/", {"start_date": "2026-05-02", "end_date": "2026-05-01"},
     400, "end_date"),
    ("PATCH", f"/api/projects/{P}/", {"progress": 100}, 400, "progress"),
    ("PATCH", f"/api/projects/{P}/", {"task_count": 1, "name": "ok"}, 400, "task_count"),
    ("PUT", f"/api/projects/{P}/", {"description": "no name"}, 400, "name"),
    ("POST", f"/api/projects/{P}/add_member/", {"user_id": "abc"}, 400, "user_id"),
    ("POST", f"/api/projects/{P}/add_member/", {"user_id": -1}, 400, "user_id"),
    ("POST", f"/api/projects/{P}/add_member/", {"user_id": TOO_BIG_ID}, 400, "user_id"),
    ("POST", f"/api/projects/{P}/add_member/", {"username": ""}, 400, "username"),
    ("POST", f"/api/projects/{P}/add_member/", {"username": "ghost"}, 400, "username"),
    ("POST", f"/api/projects/{P}/add_member/", {"user_id": 1, "role": "owner"}, 400, "role"),
    ("POST", f"/api/projects/{P}/remove_member/", {}, 400, "user_id"),
    ("POST", "/api/tasks/", {}, 400, "title"),
    ("POST", "/api/tasks/", {"title": "no project"}, 400, "project"),
    ("POST", "/api/tasks/", {"project": P, "title": ""}, 400, "title"),
    ("POST", "/api/tasks/", {"project": P, "title": "x" * 201}, 400, "title"),
    ("POST", "/api/tasks/", {"project": P, "title": "x", "status": "completed"}, 400, "status"),
    ("POST", "/api/tasks/", {"project": P, "title": "x", "priority": 1}, 400, "priority"),
    ("POST", "/api/tasks/", {"project": P, "title": "x", "impact": 101}, 400, "impact"),
    ("POST", "/api/tasks/", {"project": P, "title": "x", "impact": -1}, 400, "impact"),
    ("POST", "/api/tasks/", {"project": P, "title": "x", "impact": "1.234"}, 400, "impact"),
    ("POST", "/api/tasks/", {"project": P, "title": "x", "estimated_hours": -0.5}, 400,
     "estimated_hours"),
    ("POST", "/api/tasks/", {"project": P, "title": "x", "actual_hours": "soon"}, 400,
     "actual_hours"),
    ("POST", "/api/tasks/", {"project": P, "title": "x", "due_date": "tomorrow"}, 400,
     "due_date"),
    ("POST", "/api/tasks/", {"project": P, "title": "x", "assignees": "1"}, 400, "assignees"),
    ("POST", "/api/tasks/", {"project": P, "title": "x", "assignees": [1.5]}, 400,
     "assignees"),
    ("POST", "/api/tasks/", {"project": P, "title": "x", "assignees": [True]}, 400,
     "assignees"),
    ("POST", "/api/tasks/", {"project": P, "title": "x", "assignees": [TOO_BIG_ID]}, 400,
     "assignees"),
    ("POST", "/api/tasks/", {"project": P, "title": "x", "assignees": list(range(1, 60))},
     400, "assignees"),
    ("POST", "/api/tasks/", {"project": P, "title": "x", "completed_at": "2026-01-01T00:00Z"},
     400, "completed_at"),
    ("POST", "/api/tasks/", {"project": P, "title": "x", "progress": 3}, 400, "progress"),
    ("POST", "/api/tasks/", {"project": str(1), "title": "x"}, 400, "project"),
    ("POST", "/api/tasks/", {"project": TOO_BIG_ID, "title": "x"}, 400, "project"),
    ("POST", "/api/tasks/", {"project": "{foreign}", "title": "x"}, 404, "project"),
    ("POST", "/api/tasks/", {"project": P, "title": "x", "assignees": ["{stranger}"]}, 404,
     "assignees"),
    ("PATCH", f"/api/tasks/{T}/", {}, 400, "non_field_errors"),
    ("PATCH", f"/api/tasks/{T}/", {"status": "completed"}, 400, "status"),
    ("PATCH", f"/api/tasks/{T}/", {"title": None}, 400, "title"),
    ("PATCH", f"/api/tasks/{T}/", {"completed_at": None}, 400, "completed_at"),
    ("PATCH", f"/api/tasks/{T}/", {"created_by": 1}, 400, "created_by"),
    ("PATCH", f"/api/tasks/{T}/", {"project": P}, 400, "project"),
    ("PATCH", f"/api/tasks/{T}/", {"assignees": ["{stranger}"]}, 404, "assignees"),
    ("PATCH", f"/api/tasks/{T}/", b"[1,", 400, "non_field_errors"),
    ("PUT", f"/api/tasks/{T}/", {"status": "done"}, 400, "title"),
    ("POST", f"/api/tasks/{T}/add_comment/", {}, 400, "content"),
    ("POST", f"/api/tasks/{T}/add_comment/", {"content": ""}, 400, "content"),
    ("POST", f"/api/tasks/{T}/add_comment/", {"content": 7}, 400, "content"),
    ("POST", f"/api/tasks/{T}/add_comment/", {"content": "x" * 20_001}, 400, "content"),
    ("POST", f"/api/tasks/{T}/add_comment/", {"content": "<style>p{}</style>"}, 400,
     "content"),
    ("POST", f"/api/tasks/{T}/add_comment/", {"content": "x", "author": 1}, 400, "author"),
    ("PATCH", f"/api/comments/{C}/", {}, 400, "non_field_errors"),
    ("PATCH", f"/api/comments/{C}/", {"content": None}, 400, "content"),
    ("PATCH", f"/api/comments/{C}/", {"content": "x", "is_edited": False}, 400, "is_edited"),
    ("GET", "/api/projects/?ordering=owner", None, 400, "ordering"),
    ("GET", "/api/projects/?status=archived", None, 400, "status"),
    ("GET", "/api/projects/?search=x", None, 400, "search"),
    ("GET", f"/api/projects/{TOO_BIG_ID}/", None, 404, None),
    ("GET", "/api/tasks/abc/", None, 404, None),
    ("GET", "/api/tasks/-1/", None, 404, None),
    ("GET", "/api/tasks/0/comments/", None, 404, None),
    ("GET", f"/api/attachments/{TOO_BIG_ID}/download/", None, 404, None),
    ("DELETE", f"/api/comments/{TOO_BIG_ID}/", None, 404, None),
]


@pytest.fixture
def scene(world: World) -> dict[str, Any]:
    foreign = new_project(world.outsider, name="Foreign")
    comment = world.member.post(f"/api/tasks/{world.task['id']}/add_comment/",
                                {"content": "Original"})
    assert comment.status_code == 201
    return {"project": world.project["id"], "task": world.task["id"],
            "comment": comment.json["id"], "foreign": foreign["id"],
            "stranger": world.outsider.user["id"]}


def _fill(value: Any, ids: dict[str, Any]) -> Any:
    if isinstance(value, str) and value.startswith("{") and value.endswith("}") \
            and value[1:-1] in ids:
        return ids[value[1:-1]]
    if isinstance(value, str):
        for name, replacement in ids.items():
            value = value.replace(f"{{{name}}}", str(replacement))
        return value
    if isinstance(value, list):
        return [_fill(item, ids) for item in value]
    if isinstance(value, dict):
        return {key: _fill(item, ids) for key, item in value.items()}
    return value


def _send(client: Api, method: str, path: str, body: Any) -> Any:
    if isinstance(body, bytes):
        return client.request(method, path, body=body,
                              headers={"Content-Type": "application/json"})
    return client.request(method, path, body)


def test_bad_input_table(world: World, scene: dict[str, Any]) -> None:
    before = snapshot(world)
    problems = []
    for method, path, body, status, field in CASES:
        the_path = _fill(path, scene)
        result = _send(world.owner, method, the_path, _fill(body, scene))
        error = result.json.get("error") if isinstance(result.json, dict) else None
        if result.status_code != status or error is None \
                or (field is not None and field not in error["fields"]):
            problems.append(f"{method} {the_path} {body!r:.80}: {result.status_code} "
                            f"{result.text[:200]}")
        elif not error["message"] or error["status"] != status:
            problems.append(f"{method} {the_path}: malformed error {error}")
    assert not problems, "\n".join(problems)
    assert snapshot(world) == before


def test_unicode_round_trips(world: World) -> None:
    name = "Проект 项目 🚀 ‮ «ok»"
    created = world.owner.post("/api/projects/", {"name": name, "description": "<p>é ✓</p>"})
    assert created.status_code == 201, created.text
    assert (created.json["name"], created.json["description"]) == (name, "<p>é ✓</p>")
    found = world.owner.get("/api/projects/", query_string="q=项目").json["results"]
    assert [row["id"] for row in found] == [created.json["id"]]


def test_json_with_wrong_content_type(world: World) -> None:
    result = world.owner.request("POST", "/api/projects/", body=b'{"name": "x"}',
                                 headers={"Content-Type": "text/plain"})
    assert result.status_code == 415
    assert result.json["error"]["code"] == "unsupported_media_type"

