"""``POST /api/tasks/bulk_update/``: all or nothing, same rules, progress and events kept."""

from __future__ import annotations

from collections.abc import Callable

from synergy.app import Kernel
from synergy.models import Event, Task
from tests.conftest import Api, QueryCounter, assert_error
from tests.projects.conftest import World, new_project, new_task

PATH = "/api/tasks/bulk_update/"


def test_bulk_status_change_recomputes_progress_of_each_project(world: World) -> None:
    second = new_project(world.owner, name="Second")
    ids = [new_task(world.owner, world.project["id"], impact=10)["id"] for _ in range(3)]
    ids += [new_task(world.owner, second["id"], impact=10)["id"] for _ in range(2)]
    result = world.owner.post(PATH, {"task_ids": ids[:2] + ids[3:4],
                                     "updates": {"status": "done", "priority": "high"}})
    assert result.status_code == 200, result.text
    assert result.json["updated_count"] == 3
    assert {task["status"] for task in result.json["tasks"]} == {"done"}
    assert all(task["completed_at"] for task in result.json["tasks"])
    assert world.owner.get(f"/api/projects/{world.project['id']}/").json["progress"] == 50
    assert world.owner.get(f"/api/projects/{second['id']}/").json["progress"] == 50
    with world.kernel.connection():
        assert Event.select().where(Event.type == "task.completed").count() == 3
        updated = Event.select().where(Event.type == "task.updated").order_by(Event.id.desc())
        assert updated.first().payload["changes"] == {
            "status": {"old": "todo", "new": "done"}, "priority": {"old": "medium",
                                                                   "new": "high"}}
    again = world.owner.post(PATH, {"task_ids": ids[:2], "updates": {"status": "done"}})
    assert again.json["updated_count"] == 0


def test_bulk_is_all_or_nothing(world: World) -> None:
    foreign = new_project(world.outsider, name="Foreign")
    foreign_task = new_task(world.outsider, foreign["id"])
    other = new_task(world.owner, world.project["id"])
    with world.kernel.connection():
        before = list(Task.select().order_by(Task.id).dicts())
    hidden = world.owner.post(PATH, {"task_ids": [other["id"], foreign_task["id"]],
                                     "updates": {"status": "done"}})
    error = assert_error(hidden, 404, "not_found", "task_ids")
    assert str(foreign_task["id"]) in error["message"]
    missing = world.owner.post(PATH, {"task_ids": [other["id"], 999_999],
                                      "updates": {"status": "done"}})
    assert_error(missing, 404, "not_found", "task_ids")
    mixed = world.assignee.post(PATH, {"task_ids": [world.task["id"], other["id"]],
                                       "updates": {"status": "done"}})
    assert_error(mixed, 403, "permission_denied")
    for body, field in (({"task_ids": [], "updates": {"status": "done"}}, "task_ids"),
                        ({"task_ids": [other["id"]], "updates": {}}, "updates"),
                        ({"task_ids": [other["id"]], "updates": {"title": "x"}}, "updates"),
                        ({"task_ids": [other["id"]], "updates": {"status": "x"}}, "updates"),
                        ({"task_ids": ["1"], "updates": {"status": "done"}}, "task_ids"),
                        ({"task_ids": list(range(1, 300)), "updates": {"status": "done"}},
                         "task_ids"),
                        ({"updates": {"status": "done"}}, "task_ids")):
        assert_error(world.owner.post(PATH, body), 400, "validation_error", field)
    with world.kernel.connection():
        assert list(Task.select().order_by(Task.id).dicts()) == before


def test_assignee_bulk_changes_status_of_own_tasks(world: World) -> None:
    second = new_task(world.owner, world.project["id"], assignees=[world.assignee.user["id"]])
    result = world.assignee.post(PATH, {"task_ids": [world.task["id"], second["id"]],
                                        "updates": {"status": "review", "actual_hours": 2}})
    assert result.status_code == 200, result.text
    assert [task["status"] for task in result.json["tasks"]] == ["review", "review"]
    assert_error(world.assignee.post(PATH, {"task_ids": [second["id"]],
                                            "updates": {"priority": "low"}}), 403)


def test_bulk_reads_are_batched(make_app: Callable[..., Kernel]) -> None:
    """Reads do not grow with the number of tasks: only the UPDATEs and event rows do.

    The queue is not immediate here, so event dispatch (a job) is not counted.
    """
    kernel = make_app(synergy_queue_immediate=False)
    owner = Api(kernel).as_new_user("olivia")
    project = new_project(owner)
    ids = [new_task(owner, project["id"])["id"] for _ in range(22)]
    costs = {}
    for chosen in (ids[:2], ids[2:]):
        with QueryCounter(kernel) as counter:
            result = owner.post(PATH, {"task_ids": chosen, "updates": {"status": "review"}})
        assert result.status_code == 200, result.text
        costs[len(chosen)] = counter.count
    assert costs[20] - costs[2] == 18 * 2, costs  # one UPDATE and one event row per task
