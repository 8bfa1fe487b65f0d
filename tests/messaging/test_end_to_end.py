"""The whole path through the real projects API: changes → events → notifications → SMTP."""

from __future__ import annotations

import datetime as dt
import os
import uuid

from tests.conftest import Api, requires_redis
from tests.messaging.conftest import PLUGINS, Mailbox, add_project, body_of


def titles(client: Api) -> list[str]:
    return [note["title"] for note in client.get("/api/notifications/").json["results"]]


def test_projects_api_drives_notifications(kernel, mailbox: Mailbox) -> None:
    api = Api(kernel)
    ada, grace, alan = api.as_new_user("ada"), api.as_new_user("grace"), api.as_new_user("alan")
    created = ada.post("/api/projects/", {"name": "Launch"})
    assert created.status_code == 201, created.text
    project = created.json["id"]
    for member in ("grace", "alan"):
        assert ada.post(f"/api/projects/{project}/add_member/",
                        {"username": member}).status_code in (200, 201)
    assert titles(grace) == ['You were added to the project "Launch"']
    task = ada.post("/api/tasks/", {"project": project, "title": "Ship",
                                    "assignees": [grace.user["id"]],
                                    "due_date": dt.date.today().isoformat()})
    assert task.status_code == 201, task.text
    task_id = task.json["id"]
    assert titles(grace)[0] == 'You were assigned to "Ship"'
    assert ada.patch(f"/api/tasks/{task_id}/", {"priority": "urgent",
                                                "assignees": [grace.user["id"],
                                                              alan.user["id"]]}).status_code == 200
    assert titles(alan)[0] == 'You were assigned to "Ship"'
    assert titles(grace)[0] == '"Ship" was updated'
    comment = ada.post(f"/api/tasks/{task_id}/add_comment/", {"content": "@alan please help"})
    assert comment.status_code == 201, comment.text
    assert titles(alan)[0] == 'ada mentioned you on "Ship"'
    assert grace.patch(f"/api/tasks/{task_id}/", {"status": "done"}).status_code == 200
    assert titles(alan)[0] == '"Ship" was completed'
    assert ada.patch(f"/api/projects/{project}/", {"status": "on_hold"}).status_code == 200
    assert titles(grace)[0] == 'Project "Launch" is now on_hold'
    subjects = [mail["Subject"] for mail in mailbox.to("alan@example.com")]
    assert subjects == ['[SynergyOS] You were added to the project "Launch"',
                        '[SynergyOS] You were assigned to "Ship"',
                        '[SynergyOS] ada mentioned you on "Ship"']
    assert "@alan please help" in body_of(mailbox.to("alan@example.com")[-1])


@requires_redis
def test_notifications_travel_through_a_redis_queue(make_app, mailbox: Mailbox) -> None:
    """Not immediate: the event and the e-mail are real jobs on Redis, run by a consumer."""
    kernel = make_app(plugins=PLUGINS, SYNERGY_SMTP_URL=mailbox.url,
                      SYNERGY_QUEUE_IMMEDIATE=False,
                      SYNERGY_REDIS_URL=os.environ["SYNERGY_TEST_REDIS_URL"],
                      SYNERGY_QUEUE_NAME=f"messaging-{uuid.uuid4().hex[:10]}")
    huey = kernel.jobs.huey
    try:
        api = Api(kernel)
        ada, grace = api.as_new_user("ada"), api.as_new_user("grace")
        project = add_project(kernel, ada, grace)
        posted = ada.post("/api/messages/", {"project": project, "message": "@grace hi"})
        assert posted.status_code == 201
        assert titles(grace) == [], "nothing happens before a worker runs the queue"
        executed = 0
        while (job := huey.dequeue()) is not None:
            with kernel.connection():
                huey.execute(job)
            executed += 1
        assert executed >= 2
        assert titles(grace) == ['ada mentioned you in "Website"']
        assert [m["Subject"] for m in mailbox.to("grace@example.com")] == [
            '[SynergyOS] ada mentioned you in "Website"']
    finally:
        huey.storage.flush_all()
