"""Progress stays exact when tasks of one project change at the same moment.

Real threads, each with its own connection, against the real database: on
PostgreSQL the project row lock serialises the recounts and each creation's
addition applies to the row as the previous writer left it; on SQLite the
write lock serialises both, because every write transaction starts by writing.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from synergy.models import Project
from synergy.projects.progress import recompute_progress
from tests.conftest import Api
from tests.projects.conftest import World, new_task

WRITERS = 8


def run_together(work: Callable[..., None], arguments: list[Any]) -> None:
    """One thread per argument, released at the same moment by a barrier."""
    start = threading.Barrier(len(arguments))

    def released(argument: Any) -> None:
        start.wait()
        work(argument)

    threads = [threading.Thread(target=released, args=(argument,)) for argument in arguments]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)


def test_concurrent_status_changes_keep_progress_exact(world: World) -> None:
    project_id = world.project["id"]
    tasks = [new_task(world.owner, project_id, impact=10) for _ in range(WRITERS - 1)]
    tasks.append(world.task)  # impact 10 as well
    statuses: list[int] = []

    def finish(task_id: int) -> None:
        client = Api(world.kernel, world.owner.token)
        statuses.append(client.patch(f"/api/tasks/{task_id}/", {"status": "done"}).status_code)

    run_together(finish, [task["id"] for task in tasks])
    assert statuses == [200] * WRITERS
    with world.kernel.connection():
        assert Project.get_by_id(project_id).progress == 100
    deleter = [threading.Thread(target=lambda t=task: Api(world.kernel, world.owner.token)
                                .delete(f"/api/tasks/{t['id']}/")) for task in tasks[:4]]
    reopen = [threading.Thread(target=lambda t=task: Api(world.kernel, world.owner.token)
                               .patch(f"/api/tasks/{t['id']}/", {"status": "todo"}))
              for task in tasks[4:6]]
    for thread in deleter + reopen:
        thread.start()
    for thread in deleter + reopen:
        thread.join(timeout=60)
    with world.kernel.connection():
        assert Project.get_by_id(project_id).progress == 50  # 2 done of 4 left, equal impact


def test_concurrent_task_creation_in_one_project_never_deadlocks(world: World) -> None:
    """Each insert holds a key-share lock on its project (the foreign key) before the
    progress lock; the progress lock must not conflict with it, or two inserts deadlock."""
    project_id = world.project["id"]
    statuses: list[int] = []

    def create(index: int) -> None:
        client = Api(world.kernel, world.owner.token)
        for round_ in range(5):
            statuses.append(client.post("/api/tasks/", {
                "project": project_id, "title": f"Parallel {index}.{round_}",
                "status": "done" if index % 2 else "todo", "impact": 10}).status_code)

    run_together(create, list(range(WRITERS)))
    assert statuses == [201] * WRITERS * 5
    with world.kernel.connection():
        # 20 done of 41 tasks with impact 10 (the world's own task is not done).
        assert Project.get_by_id(project_id).progress == 20 * 100 // 41


def _totals(project_id: int) -> tuple[int, int, int, int, int]:
    project = Project.get_by_id(project_id)
    return (project.task_count, project.done_count, project.impact_hundredths,
            project.done_impact_hundredths, project.progress)


def test_totals_added_by_concurrent_creations_equal_a_recount(world: World) -> None:
    """New tasks add to the project's totals instead of recounting (any other change
    recounts): concurrent additions alone must sum to what a recount finds."""
    project_id = world.project["id"]
    statuses: list[int] = []

    def work(index: int) -> None:
        client = Api(world.kernel, world.owner.token)
        for round_ in range(4):
            statuses.append(client.post("/api/tasks/", {
                "project": project_id, "title": f"Sum {index}.{round_}",
                "status": "done" if (index + round_) % 3 == 0 else "todo",
                "impact": f"{index}.{round_}5"}).status_code)

    run_together(work, list(range(WRITERS)))
    assert statuses == [201] * WRITERS * 4
    with world.kernel.connection():
        added = _totals(project_id)
        recompute_progress(project_id)
        assert added == _totals(project_id)
    assert added[0] == WRITERS * 4 + 1
