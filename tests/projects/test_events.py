"""Events for every change (payloads as catalogued) and the activity feed built from them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from synergy_hookspecs import hookimpl

from synergy.app import Kernel
from synergy.event_catalogue import KERNEL_EVENT_TYPES
from synergy.models import Event
from tests.conftest import Api, assert_error
from tests.projects.conftest import add_member, new_project, new_task, upload

CATALOGUE = {event_type.name: event_type for event_type in KERNEL_EVENT_TYPES}


class Recorder:
    """A subscriber plugin: proves events reach plugins after commit, with their payloads."""

    PLUGIN_NAME = "recorder"

    def __init__(self) -> None:
        self.seen: list[tuple[str, int | None, dict[str, Any]]] = []

    @hookimpl
    def synergy_on_event(self, kernel: Any, event: Any) -> None:
        self.seen.append((event.type, event.project_id, event.payload))


def _example_keys(event_type: str) -> set[str]:
    return set(CATALOGUE[event_type].example)


def test_every_change_records_a_catalogued_event(make_app: Callable[..., Kernel]) -> None:
    recorder = Recorder()
    kernel = make_app(plugins=[recorder], synergy_max_upload_mb=1)
    anonymous = Api(kernel)
    owner, member = anonymous.as_new_user("olivia"), anonymous.as_new_user("mike")
    project = new_project(owner)
    pid = project["id"]
    owner.patch(f"/api/projects/{pid}/", {"status": "active"})
    add_member(owner, pid, member)
    task = new_task(owner, pid, assignees=[member.user["id"]])
    member.patch(f"/api/tasks/{task['id']}/", {"status": "done"})
    comment = member.post(f"/api/tasks/{task['id']}/add_comment/", {"content": "Done!"}).json
    member.patch(f"/api/comments/{comment['id']}/", {"content": "Done."})
    attachment = upload(member, task["id"]).json
    member.delete(f"/api/attachments/{attachment['id']}/")
    owner.delete(f"/api/comments/{comment['id']}/")
    owner.delete(f"/api/tasks/{task['id']}/")
    owner.post(f"/api/projects/{pid}/remove_member/", {"user_id": member.user["id"]})
    owner.delete(f"/api/projects/{pid}/")

    expected = ["project.created", "project.updated", "member.added", "task.created",
                "task.updated", "task.completed", "comment.created", "comment.updated",
                "attachment.created", "attachment.deleted", "comment.deleted", "task.deleted",
                "member.removed", "project.deleted"]
    with kernel.connection():
        events = list(Event.select().where(Event.type.not_in(
            ["user.registered", "auth.login_succeeded"])).order_by(Event.id))
    assert [event.type for event in events] == expected
    actors = {"olivia": owner.user["id"], "mike": member.user["id"]}
    for event in events:
        assert event.project_id == pid, event.type
        assert event.actor_id in actors.values(), event.type
        assert event.description and event.description.endswith("."), event.type
        assert _example_keys(event.type) <= set(event.payload) | {"changes"}, event.type
    by_type = {event.type: event for event in events}
    assert by_type["project.updated"].payload["changes"] == {
        "status": {"old": "planning", "new": "active"}}
    assert by_type["project.updated"].payload["project"]["status"] == "active"
    assert by_type["task.updated"].payload["changes"] == {"status": {"old": "todo",
                                                                      "new": "done"}}
    assert by_type["task.updated"].actor_id == member.user["id"]
    assert by_type["task.updated"].payload["task"]["assignees"][0]["username"] == "mike"
    assert by_type["task.created"].payload["task"]["project"] == {"id": pid,
                                                                  "name": project["name"]}
    assert by_type["comment.created"].payload["comment"]["author"]["username"] == "mike"
    assert by_type["member.added"].payload["user"]["username"] == "mike"
    assert by_type["member.removed"].payload["unassigned_tasks"] == []
    assert by_type["task.updated"].description == \
        "mike changed task “A task”: status from todo to done."
    assert [seen[0] for seen in recorder.seen if seen[0] in expected] == expected


def test_activity_feed(anonymous: Api) -> None:
    owner = anonymous.as_new_user("olivia")
    project = new_project(owner)
    other = new_project(owner, name="Other")
    task = new_task(owner, project["id"], title="Write intro")
    owner.patch(f"/api/tasks/{task['id']}/", {"priority": "high", "due_date": "2026-12-24"})
    new_task(owner, other["id"], title="Elsewhere")
    feed = owner.get(f"/api/projects/{project['id']}/activities/?page_size=2").json
    assert feed["count"] == 3 and feed["next"] is not None
    first = feed["results"][0]
    assert set(first) == {"id", "type", "description", "actor", "payload", "occurred_at"}
    assert first["type"] == "task.updated"
    assert first["description"] == ("olivia changed task “Write intro”: priority from medium "
                                    "to high; due date from nothing to 2026-12-24.")
    assert first["actor"]["username"] == "olivia"
    assert [row["description"] for row in feed["results"]][1] == \
        "olivia created task “Write intro”."
    last = owner.get(f"/api/projects/{project['id']}/activities/?page=2&page_size=2").json
    assert [row["type"] for row in last["results"]] == ["project.created"]
    typed = owner.get(f"/api/projects/{project['id']}/activities/?type=task.created").json
    assert [row["type"] for row in typed["results"]] == ["task.created"]
    assert_error(owner.get(f"/api/projects/{project['id']}/activities/?kind=x"), 400,
                 "validation_error", "kind")


def test_no_change_no_event(anonymous: Api) -> None:
    owner = anonymous.as_new_user("olivia")
    project = new_project(owner, status="active")
    task = new_task(owner, project["id"], impact=5)
    with anonymous.kernel.connection():
        before = Event.select().count()
    owner.patch(f"/api/projects/{project['id']}/", {"status": "active"})
    owner.patch(f"/api/tasks/{task['id']}/", {"impact": "5.00", "assignees": []})
    with anonymous.kernel.connection():
        assert Event.select().count() == before
