"""Every list runs a constant number of SQL queries, whatever the page size (1, 50, 200).

Rows are seeded straight into the database (fast) with every relation a page
renders filled in: several members per project, assignees, comments and
attachments per task, actors on events.
"""

from __future__ import annotations

import pytest

from synergy.models import (
    Attachment,
    Comment,
    Event,
    Project,
    ProjectMember,
    Task,
    TaskAssignee,
    User,
)
from tests.conftest import Api, QueryCounter
from tests.projects.conftest import World

ROWS = 200
PAGE_SIZES = (1, 50, 200)


@pytest.fixture
def seeded(world: World) -> World:
    owner_id = world.owner.user["id"]
    member_ids = [world.member.user["id"], world.assignee.user["id"]]
    with world.kernel.connection(), world.kernel.db.atomic():
        Project.insert_many([{"name": f"Seeded {n}", "owner": owner_id}
                             for n in range(ROWS)]).execute()
        seeded_ids = [row.id for row in Project.select(Project.id)
                      .where(Project.name.startswith("Seeded "))]
        ProjectMember.insert_many(
            [{"project": pid, "user": owner_id, "role": "owner"} for pid in seeded_ids]
            + [{"project": pid, "user": uid, "role": "member"} for pid in seeded_ids
               for uid in member_ids]).execute()
        project_id = world.project["id"]
        Task.insert_many([{"project": project_id, "title": f"Task {n}", "created_by": owner_id,
                           "impact": n % 7} for n in range(ROWS)]).execute()
        task_ids = [row.id for row in Task.select(Task.id).where(Task.project == project_id)]
        TaskAssignee.insert_many([{"task": tid, "user": uid} for tid in task_ids
                                  for uid in member_ids if (tid, uid) != (
                                      world.task["id"], world.assignee.user["id"])]).execute()
        Comment.insert_many([{"task": tid, "author": member_ids[n % 2], "content": f"c{n}"}
                             for tid in task_ids[:5] for n in range(3)]).execute()
        Comment.insert_many([{"task": world.task["id"], "author": member_ids[n % 2],
                              "content": f"more {n}"} for n in range(ROWS)]).execute()
        Attachment.insert_many([{"task": world.task["id"], "uploaded_by": member_ids[n % 2],
                                 "original_name": f"f{n}.txt", "storage_name": f"{n:032x}",
                                 "content_type": "text/plain", "file_type": "document",
                                 "size": 1} for n in range(ROWS)]).execute()
        Event.insert_many([{"type": "task.updated", "project_id": project_id,
                            "actor_id": member_ids[n % 2] if n % 3 else owner_id,
                            "payload": {}, "description": f"event {n}",
                            "dispatched_at": Event.occurred_at.default()}
                           for n in range(ROWS)]).execute()
        User.update(first_name="Seeded").execute()
    return world


LISTS = {
    "projects": "/api/projects/",
    "projects filtered": "/api/projects/?q=seeded&ordering=-priority",
    "tasks": "/api/tasks/",
    "tasks filtered": "/api/tasks/?project={project}&status=todo,done&assignee=me&ordering=title",
    "comments": "/api/tasks/{task}/comments/",
    "attachments": "/api/tasks/{task}/attachments/",
    "activities": "/api/projects/{project}/activities/",
}


def _count(client: Api, seeded: World, path: str, size: int) -> tuple[int, int]:
    path = path.format(project=seeded.project["id"], task=seeded.task["id"])
    separator = "&" if "?" in path else "?"
    with QueryCounter(seeded.kernel) as counter:
        result = client.get(f"{path}{separator}page_size={size}")
    assert result.status_code == 200, result.text
    return counter.count, len(result.json["results"])


@pytest.mark.parametrize("name", list(LISTS))
def test_constant_queries_per_list(seeded: World, name: str) -> None:
    counts = {}
    for size in PAGE_SIZES:
        queries, rows = _count(seeded.member, seeded, LISTS[name], size)
        assert rows == size, (name, size, rows)
        counts[size] = queries
    assert len(set(counts.values())) == 1, f"{name}: queries by page size {counts}"


def test_query_budget_per_list(seeded: World) -> None:
    """The documented figures: authentication (1), loading the parent object with its
    permission check (2: object, caller's role), then the list's own queries: count, page
    (carrying its counts as correlated subqueries) and one batch query for members/assignees."""
    expected = {"projects": 1 + 3, "tasks": 1 + 3, "comments": 1 + 2 + 2,
                "attachments": 1 + 2 + 2, "activities": 1 + 2 + 3}
    measured = {name: _count(seeded.member, seeded, LISTS[name], 50)[0] for name in expected}
    assert measured == expected
