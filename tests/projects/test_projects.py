"""Projects: create, representation, change, delete, members, stats, filters, ordering, paging."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest

from synergy.models import Project, ProjectMember, Task, TaskAssignee
from tests.conftest import Api, assert_error
from tests.projects.conftest import World, add_member, new_project, new_task

USER_MINI = {"id", "username", "first_name", "last_name", "full_name"}


def test_create_renders_the_documented_shape(anonymous: Api) -> None:
    ada = anonymous.as_new_user("ada", first_name="Ada", last_name="Lovelace")
    project = new_project(ada, name="Engine", description="<p>Plans</p><script>x()</script>",
                          status="active", priority="high", start_date="2026-01-01",
                          end_date="2026-03-31", budget="1234.5")
    assert set(project) == {"id", "name", "description", "status", "priority", "owner",
                            "members", "start_date", "end_date", "budget", "progress",
                            "task_count", "created_at", "updated_at"}
    assert project["owner"] == {"id": ada.user["id"], "username": "ada", "first_name": "Ada",
                                "last_name": "Lovelace", "full_name": "Ada Lovelace"}
    assert project["members"] == [{**project["owner"], "role": "owner"}]
    assert project["description"] == "<p>Plans</p>"
    assert (project["budget"], project["progress"], project["task_count"]) == ("1234.50", 0, 0)
    assert (project["start_date"], project["end_date"]) == ("2026-01-01", "2026-03-31")
    assert project["created_at"].endswith("Z")
    assert ada.get(f"/api/projects/{project['id']}/").json == project


def test_put_replaces_and_patch_changes_only_what_is_sent(world: World) -> None:
    path = f"/api/projects/{world.project['id']}/"
    patched = world.owner.patch(path, {"status": "active", "budget": 10})
    assert patched.status_code == 200, patched.text
    assert (patched.json["status"], patched.json["budget"]) == ("active", "10.00")
    assert patched.json["description"] == "<p>Main</p>"
    put = world.owner.put(path, {"name": "Replaced"})
    assert put.status_code == 200, put.text
    assert (put.json["name"], put.json["status"], put.json["budget"],
            put.json["description"]) == ("Replaced", "planning", None, "")
    assert put.json["updated_at"] >= patched.json["updated_at"]


def test_patch_checks_dates_against_stored_values(world: World) -> None:
    path = f"/api/projects/{world.project['id']}/"
    assert world.owner.patch(path, {"start_date": "2026-05-01"}).status_code == 200
    assert_error(world.owner.patch(path, {"end_date": "2026-04-30"}), 400, "validation_error",
                 "end_date")
    assert world.owner.patch(path, {"end_date": "2026-05-01"}).status_code == 200


def test_delete_cascades_and_keeps_no_orphans(world: World) -> None:
    assert world.owner.delete(f"/api/projects/{world.project['id']}/").status_code == 204
    with world.kernel.connection():
        assert Project.select().count() == 0
        assert Task.select().count() == 0
        assert ProjectMember.select().count() == 0
        assert TaskAssignee.select().count() == 0
    assert_error(world.owner.get(f"/api/projects/{world.project['id']}/"), 404, "not_found")


def test_members_by_id_and_username(world: World) -> None:
    path = f"/api/projects/{world.project['id']}"
    newcomer = Api(world.kernel).as_new_user("nora")
    added = world.owner.post(f"{path}/add_member/", {"username": "NORA"})
    assert added.status_code == 200, added.text
    assert added.json["user"]["username"] == "nora" and added.json["role"] == "member"
    assert "nora" in {member["username"] for member in added.json["members"]}
    assert newcomer.get(f"{path}/").status_code == 200
    assert_error(world.owner.post(f"{path}/add_member/", {"user_id": newcomer.user["id"]}), 409,
                 "already_member")
    assert_error(world.owner.post(f"{path}/add_member/", {"user_id": world.owner.user["id"]}),
                 409, "already_member")
    assert_error(world.owner.post(f"{path}/add_member/", {"user_id": 99999}), 400,
                 "validation_error", "user_id")
    assert_error(world.owner.post(f"{path}/add_member/", {}), 400, "validation_error",
                 "user_id")
    assert_error(world.owner.post(f"{path}/add_member/", {"user_id": 1, "username": "x"}), 400,
                 "validation_error", "user_id")
    removed = world.owner.post(f"{path}/remove_member/", {"user_id": newcomer.user["id"]})
    assert removed.status_code == 200, removed.text
    assert "nora" not in {member["username"] for member in removed.json["members"]}
    assert_error(newcomer.get(f"{path}/"), 404)
    assert_error(world.owner.post(f"{path}/remove_member/", {"user_id": newcomer.user["id"]}),
                 400, "validation_error", "user_id")


def test_owner_cannot_be_removed(world: World) -> None:
    path = f"/api/projects/{world.project['id']}/remove_member/"
    assert_error(world.owner.post(path, {"user_id": world.owner.user["id"]}), 400,
                 "validation_error", "user_id")
    assert world.owner.get(f"/api/projects/{world.project['id']}/").status_code == 200


def test_removing_a_member_unassigns_their_tasks(world: World) -> None:
    path = f"/api/projects/{world.project['id']}/remove_member/"
    result = world.owner.post(path, {"user_id": world.assignee.user["id"]})
    assert result.status_code == 200, result.text
    assert result.json["unassigned_tasks"] == [world.task["id"]]
    assert world.owner.get(f"/api/tasks/{world.task['id']}/").json["assignees"] == []


def test_stats(world: World) -> None:
    project_id = world.project["id"]
    new_task(world.owner, project_id, status="done")
    new_task(world.owner, project_id, status="in_progress", due_date="2020-01-01")
    new_task(world.owner, project_id, status="done", due_date="2020-01-01")
    stats = world.member.get(f"/api/projects/{project_id}/stats/").json
    assert stats == {"total_tasks": 4, "overdue_tasks": 1, "member_count": 3,
                     "by_status": {"todo": 1, "in_progress": 1, "review": 0, "done": 2},
                     "progress": world.owner.get(f"/api/projects/{project_id}/").json["progress"]}


@pytest.fixture
def catalogue(anonymous: Api) -> tuple[Api, dict[str, dict[str, Any]]]:
    owner = anonymous.as_new_user("cat")
    rows = {
        "alpha": new_project(owner, name="Alpha", status="active", priority="low",
                             end_date="2026-05-01"),
        "beta": new_project(owner, name="Beta launch", description="Rocket <em>fuel</em>",
                            status="planning", priority="urgent", end_date="2026-02-01"),
        "gamma": new_project(owner, name="Gamma 100%_done", status="active", priority="high"),
        "delta": new_project(owner, name="delta", status="on_hold", priority="medium",
                             end_date="2026-03-01"),
    }
    new_task(owner, rows["delta"]["id"], status="done")
    return owner, rows


def _names(client: Api, query: str) -> list[str]:
    result = client.get(f"/api/projects/?{query}")
    assert result.status_code == 200, result.text
    return [row["name"] for row in result.json["results"]]


PROJECT_FILTERS = [
    ("status=active", {"Alpha", "Gamma 100%_done"}),
    ("priority=urgent", {"Beta launch"}),
    ("q=ROCKET", {"Beta launch"}),
    ("q=launch", {"Beta launch"}),
    ("q=100%_", {"Gamma 100%_done"}),
    ("q=%", {"Gamma 100%_done"}),
    ("status=active&priority=high", {"Gamma 100%_done"}),
    ("status=cancelled", set()),
]


def test_project_filters(catalogue: tuple[Api, Any]) -> None:
    wrong = [query for query, expected in PROJECT_FILTERS
             if set(_names(catalogue[0], query)) != expected]
    assert not wrong


PROJECT_ORDERINGS = [
    ("name", ["Alpha", "Beta launch", "delta", "Gamma 100%_done"]),
    ("-created_at", ["delta", "Gamma 100%_done", "Beta launch", "Alpha"]),
    ("created_at", ["Alpha", "Beta launch", "Gamma 100%_done", "delta"]),
    ("priority", ["Alpha", "delta", "Gamma 100%_done", "Beta launch"]),
    ("-priority", ["Beta launch", "Gamma 100%_done", "delta", "Alpha"]),
    ("-progress", ["delta", "Gamma 100%_done", "Beta launch", "Alpha"]),
    ("end_date", ["Beta launch", "delta", "Alpha", "Gamma 100%_done"]),
    ("-end_date", ["Alpha", "delta", "Beta launch", "Gamma 100%_done"]),
]


def test_project_ordering(catalogue: tuple[Api, Any]) -> None:
    wrong = {}
    for ordering, expected in PROJECT_ORDERINGS:
        found = _names(catalogue[0], f"ordering={ordering}")
        if found != expected:
            wrong[ordering] = found
    assert not wrong


def test_updated_at_ordering(catalogue: tuple[Api, Any]) -> None:
    owner, rows = catalogue
    owner.patch(f"/api/projects/{rows['alpha']['id']}/", {"description": "touched"})
    assert _names(owner, "ordering=-updated_at")[0] == "Alpha"


def test_pagination_envelope(catalogue: tuple[Api, Any]) -> None:
    owner, _ = catalogue
    first = owner.get("/api/projects/?page_size=3&ordering=created_at").json
    assert first["count"] == 4 and len(first["results"]) == 3 and first["previous"] is None
    assert "page=2" in first["next"] and "ordering=created_at" in first["next"]
    next_url = urlsplit(first["next"])
    second = owner.get(next_url.path, query_string=next_url.query).json
    assert [row["name"] for row in second["results"]] == ["delta"]
    assert second["next"] is None and "page=1" in second["previous"]
    assert owner.get("/api/projects/?page=9").json["results"] == []
    for bad in ("page=0", "page_size=201", "page=x"):
        assert_error(owner.get(f"/api/projects/?{bad}"), 400, "validation_error")


def test_add_member_then_member_sees_project_in_list(world: World) -> None:
    other = new_project(world.owner, name="Second")
    assert world.member.get("/api/projects/").json["count"] == 1
    add_member(world.owner, other["id"], world.member)
    assert world.member.get("/api/projects/").json["count"] == 2


def test_users_directory_is_minimal(world: World) -> None:
    found = world.member.get("/api/users/?q=ann").json["results"]
    assert [row["username"] for row in found] == ["anna"]
    assert set(found[0]) == USER_MINI
    assert "email" in world.staff.get("/api/users/?q=ann").json["results"][0]
