"""Tasks: representation, changes, completion, progress, assignee rules, filters, ordering."""

from __future__ import annotations

from typing import Any

import pytest

from synergy.models import Project, User
from tests.conftest import Api, assert_error
from tests.projects.conftest import World, add_member, new_project, new_task


def _progress(world: World, project_id: int | None = None) -> int:
    project_id = project_id or world.project["id"]
    api_value = world.owner.get(f"/api/projects/{project_id}/").json["progress"]
    with world.kernel.connection():
        assert Project.get_by_id(project_id).progress == api_value
    return api_value


def test_task_shape(world: World) -> None:
    task = new_task(world.owner, world.project["id"], title="Ünïcødé ✓", due_date="2020-01-02",
                    estimated_hours=3, description="<p onclick='x'>Do <b>it</b></p>")
    assert set(task) == {"id", "project", "title", "description", "status", "priority",
                         "assignees", "due_date", "estimated_hours", "actual_hours", "impact",
                         "created_by", "created_at", "updated_at", "completed_at",
                         "comment_count", "attachment_count", "is_overdue"}
    assert task["project"] == {"id": world.project["id"], "name": "Website relaunch"}
    assert task["title"] == "Ünïcødé ✓"
    assert task["description"] == "<p>Do it</p>"
    assert (task["estimated_hours"], task["actual_hours"], task["impact"]) == ("3.00", None,
                                                                               "0.00")
    assert task["created_by"]["username"] == "olivia"
    assert task["is_overdue"] is True and task["completed_at"] is None


def test_completed_at_follows_done(world: World) -> None:
    path = f"/api/tasks/{world.task['id']}/"
    done = world.owner.patch(path, {"status": "done"}).json
    assert done["completed_at"] is not None
    assert world.owner.patch(path, {"title": "Still done"}).json["completed_at"] == \
        done["completed_at"]
    reopened = world.owner.patch(path, {"status": "review"}).json
    assert reopened["completed_at"] is None
    created_done = new_task(world.owner, world.project["id"], status="done")
    assert created_done["completed_at"] is not None


def test_progress_follows_every_change(world: World) -> None:
    """The original's check: 5 of 20 equal-impact tasks done is 25; its bug: deletion ignored."""
    project = new_project(world.owner, name="Counting")["id"]
    tasks = [new_task(world.owner, project, impact=5) for _ in range(20)]
    assert _progress(world, project) == 0
    for task in tasks[:5]:
        world.owner.patch(f"/api/tasks/{task['id']}/", {"status": "done"})
    assert _progress(world, project) == 25
    world.owner.delete(f"/api/tasks/{tasks[-1]['id']}/")
    assert _progress(world, project) == 26  # 25 / 95 of the impact
    world.owner.patch(f"/api/tasks/{tasks[0]['id']}/", {"status": "todo"})
    assert _progress(world, project) == 21  # 20 / 95
    world.owner.patch(f"/api/tasks/{tasks[1]['id']}/", {"impact": 100})
    assert _progress(world, project) == 60  # 115 / 190
    new_task(world.owner, project, impact=10, status="done")
    assert _progress(world, project) == 62  # 125 / 200


def test_progress_by_count_when_all_impacts_are_zero(world: World) -> None:
    project = new_project(world.owner, name="Unweighted")["id"]
    for status in ("done", "todo", "todo"):
        new_task(world.owner, project, status=status)
    assert _progress(world, project) == 33
    zero_done = new_task(world.owner, project, status="done")
    assert _progress(world, project) == 50
    weighted = new_task(world.owner, project, impact=1)
    assert _progress(world, project) == 0  # impact now counts; the done tasks weigh 0
    world.owner.delete(f"/api/tasks/{weighted['id']}/")
    assert _progress(world, project) == 50
    world.owner.delete(f"/api/tasks/{zero_done['id']}/")
    assert _progress(world, project) == 33


@pytest.mark.parametrize(("impacts", "expected"), [
    ([], 0),
    ([("0", False), ("0", True), ("0", False)], 33),
    ([("1", True), ("1", False), ("1", False)], 33),
    ([("10", True), ("0.5", True)], 100),
    ([("0.02", False), ("0.01", True)], 33),
    ([("0.01", False), ("99.99", True)], 99),
    ([("33.33", True), ("33.33", True), ("33.34", False)], 66),
    ([("0.1", True), ("0.2", False)], 33),
])
def test_progress_rounds_down_exactly(world: World, impacts: list[tuple[str, bool]],
                                      expected: int) -> None:
    """Floor of exact hundredths, on both backends (a float sum would floor 0.1/0.3 wrongly)."""
    project = new_project(world.owner, name="Exact")["id"]
    for impact, done in impacts:
        new_task(world.owner, project, impact=impact, status="done" if done else "todo")
    assert _progress(world, project) == expected


def test_assignee_may_change_only_status_and_actual_hours(world: World) -> None:
    path = f"/api/tasks/{world.task['id']}/"
    changed = world.assignee.patch(path, {"status": "in_progress", "actual_hours": 1.25})
    assert changed.status_code == 200, changed.text
    assert changed.json["actual_hours"] == "1.25"
    assert_error(world.assignee.patch(path, {"status": "done", "priority": "high"}), 403,
                 "permission_denied")
    same_title = world.assignee.patch(path, {"title": world.task["title"], "status": "review"})
    assert same_title.status_code == 200, same_title.text
    assert world.owner.get(path).json["status"] == "review"


def test_assignees_must_be_members(world: World) -> None:
    project_id = world.project["id"]
    bad = world.owner.post("/api/tasks/", {"project": project_id, "title": "x",
                                            "assignees": [world.outsider.user["id"], 999999]})
    error = assert_error(bad, 404, "not_found", "assignees")
    assert str(world.outsider.user["id"]) in error["fields"]["assignees"][0]
    path = f"/api/tasks/{world.task['id']}/"
    assert_error(world.owner.patch(path, {"assignees": [world.outsider.user["id"]]}), 404,
                 "not_found", "assignees")
    both = world.owner.patch(path, {"assignees": [world.member.user["id"],
                                                  world.assignee.user["id"]]})
    assert both.status_code == 200, both.text
    assert [user["username"] for user in both.json["assignees"]] == ["mike", "anna"]
    assert world.owner.patch(path, {"assignees": []}).json["assignees"] == []
    feed = world.owner.get(f"/api/projects/{world.project['id']}/activities/").json["results"]
    assert feed[0]["description"] == "olivia changed task “A task”: assignees from mike, anna " \
        "to nobody."
    assert feed[0]["payload"]["changes"]["assignees"] == {
        "old": [world.member.user["id"], world.assignee.user["id"]], "new": []}


def test_task_project_cannot_change(world: World) -> None:
    other = new_project(world.owner, name="Elsewhere")
    assert_error(world.owner.patch(f"/api/tasks/{world.task['id']}/",
                                   {"project": other["id"]}), 400, "validation_error", "project")


@pytest.fixture
def board(world: World) -> dict[str, Any]:
    project_id = world.project["id"]
    other = new_project(world.owner, name="Other")
    add_member(world.owner, other["id"], world.assignee)
    anna = world.assignee.user["id"]
    mike = world.member.user["id"]
    return {
        "setup": world.task,  # "A task", todo, medium, anna
        "late": new_task(world.owner, project_id, title="Late report", status="in_progress",
                         priority="urgent", due_date="2020-01-01", impact=50,
                         assignees=[mike]),
        "done": new_task(world.owner, project_id, title="Finished thing", status="done",
                         priority="low", due_date="2020-06-01", impact=20),
        "future": new_task(world.owner, project_id, title="Future plan", status="review",
                           priority="high", due_date="2099-01-01",
                           description="<p>needle in text</p>", assignees=[anna, mike]),
        "elsewhere": new_task(world.owner, other["id"], title="Other project task",
                              assignees=[anna]),
    }


def _titles(client: Api, query: str) -> list[str]:
    result = client.get(f"/api/tasks/?{query}")
    assert result.status_code == 200, result.text
    return [row["title"] for row in result.json["results"]]


FILTERS = [
    ("project={project}", {"A task", "Late report", "Finished thing", "Future plan"}),
    ("status=todo", {"A task", "Other project task"}),
    ("status=todo,review", {"A task", "Future plan", "Other project task"}),
    ("priority=urgent,high", {"Late report", "Future plan"}),
    ("assignee=me", {"A task", "Future plan", "Other project task"}),
    ("assignee={mike}", {"Late report", "Future plan"}),
    ("due_before=2020-06-01", {"Late report"}),
    ("due_after=2020-06-01", {"Future plan"}),
    ("due_after=2019-12-31&due_before=2020-06-02", {"Late report", "Finished thing"}),
    ("overdue=true", {"Late report"}),
    ("overdue=false", {"A task", "Finished thing", "Future plan", "Other project task"}),
    ("q=NEEDLE", {"Future plan"}),
    ("q=report", {"Late report"}),
    ("project={project}&status=todo&assignee=me", {"A task"}),
]


def test_task_filters(world: World, board: dict[str, Any]) -> None:
    """One board, every filter (a table rather than parametrisation: one app, not fourteen)."""
    wrong = []
    for query, expected in FILTERS:
        query = query.format(project=world.project["id"], mike=world.member.user["id"])
        found = set(_titles(world.assignee, query))
        if found != expected:
            wrong.append(f"{query}: {sorted(found)} != {sorted(expected)}")
    assert not wrong, "\n".join(wrong)


ORDERINGS = [
    ("title", ["A task", "Finished thing", "Future plan", "Late report", "Other project task"]),
    ("-created_at", ["Other project task", "Future plan", "Finished thing", "Late report",
                     "A task"]),
    ("priority", ["Finished thing", "A task", "Other project task", "Future plan",
                  "Late report"]),
    ("-priority", ["Late report", "Future plan", "Other project task", "A task",
                   "Finished thing"]),
    ("due_date", ["Late report", "Finished thing", "Future plan", "A task",
                  "Other project task"]),
    ("-impact", ["Late report", "Finished thing", "A task", "Other project task",
                 "Future plan"]),
    ("status", ["Finished thing", "Late report", "Future plan", "A task",
                "Other project task"]),
]


def test_task_ordering(world: World, board: dict[str, Any]) -> None:
    wrong = []
    for ordering, expected in ORDERINGS:
        found = _titles(world.owner, f"ordering={ordering}")
        if found != expected:
            wrong.append(f"{ordering}: {found} != {expected}")
    assert not wrong, "\n".join(wrong)


def test_updated_at_ordering(world: World, board: dict[str, Any]) -> None:
    world.owner.patch(f"/api/tasks/{board['done']['id']}/", {"priority": "medium"})
    assert _titles(world.owner, "ordering=-updated_at")[0] == "Finished thing"


def test_bad_task_filters(world: World) -> None:
    for query, field in (("status=later", "status"), ("priority=max", "priority"),
                         ("assignee=you", "assignee"), ("due_before=2020-13-01", "due_before"),
                         ("overdue=maybe", "overdue"), ("project=x", "project"),
                         ("project=99999999999", "project"), ("ordering=secret", "ordering"),
                         ("colour=red", "colour"), ("page_size=0", "page_size")):
        assert_error(world.owner.get(f"/api/tasks/?{query}"), 400, "validation_error", field)


def test_comments_lifecycle(world: World) -> None:
    task_path = f"/api/tasks/{world.task['id']}"
    first = world.member.post(f"{task_path}/add_comment/",
                              {"content": "<p>First <a href='javascript:x'>x</a></p>"}).json
    second = world.assignee.post(f"{task_path}/add_comment/", {"content": "Second"}).json
    assert first["content"] == "<p>First <a>x</a></p>"
    listed = world.owner.get(f"{task_path}/comments/").json
    assert [row["id"] for row in listed["results"]] == [first["id"], second["id"]]
    assert world.owner.get(f"{task_path}/").json["comment_count"] == 2
    edited = world.member.patch(f"/api/comments/{first['id']}/", {"content": "Better"}).json
    assert edited["is_edited"] is True and edited["updated_at"] >= first["updated_at"]
    assert_error(world.member.post(f"{task_path}/add_comment/", {"content": "<script>x</script>"}),
                 400, "validation_error", "content")
    assert world.owner.delete(f"/api/comments/{second['id']}/").status_code == 204
    assert world.owner.get(f"{task_path}/comments/").json["count"] == 1


def test_task_of_a_deleted_creator_renders_without_creator(world: World) -> None:
    task = new_task(world.member, world.project["id"], title="Orphaned")
    with world.kernel.connection():
        User.delete().where(User.id == world.member.user["id"]).execute()
    detail = world.owner.get(f"/api/tasks/{task['id']}/")
    assert detail.status_code == 200 and detail.json["created_by"] is None
    listed = world.owner.get("/api/tasks/?q=orphaned").json["results"]
    assert [row["created_by"] for row in listed] == [None]


def test_board_pages_count_every_task_after_creations_and_deletions(world: World) -> None:
    """A project's board (``?project=`` alone) takes its total from the project's stored
    task count: it must follow creations and deletions like a COUNT would."""
    project = new_project(world.owner, name="Board")["id"]
    created = [new_task(world.owner, project, title=f"Card {n}") for n in range(7)]
    world.owner.delete(f"/api/tasks/{created[0]['id']}/")
    outsider = world.member.get(f"/api/tasks/?project={project}&page_size=4").json
    assert outsider["count"] == 0 and outsider["results"] == []  # not a member of this one
    first = world.owner.get(f"/api/tasks/?project={project}&page_size=4").json
    assert first["count"] == 6 and len(first["results"]) == 4 and first["next"] is not None
    assert [row["title"] for row in first["results"]] == ["Card 6", "Card 5", "Card 4",
                                                           "Card 3"]
    last = world.owner.get(f"/api/tasks/?project={project}&page_size=4&page=2").json
    assert last["count"] == 6 and [row["title"] for row in last["results"]] == ["Card 2",
                                                                                "Card 1"]
    beyond = world.owner.get(f"/api/tasks/?project={project}&page_size=4&page=3").json
    assert beyond["count"] == 6 and beyond["results"] == []
