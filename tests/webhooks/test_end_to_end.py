"""Through the real project and task API: what members and outsiders receive."""

from __future__ import annotations

import json

from standardwebhooks import Webhook as StandardWebhook

from synergy.app import Kernel
from tests.conftest import Api
from tests.webhooks.conftest import create_webhook
from tests.webhooks.receivers import Receiver


def test_project_activity_reaches_members_only(kernel: Kernel, api: Api,
                                               receiver: Receiver) -> None:
    ada, bob, eve = (api.as_new_user(name) for name in ("ada", "bob", "eve"))
    outsider = Receiver()
    try:
        bob_hook = create_webhook(bob, receiver.url, ["task.*", "comment.created",
                                                      "project.deleted", "member.added"])
        create_webhook(eve, outsider.url, ["*"])
        project = ada.post("/api/projects/", {"name": "Apollo"}).json["id"]
        assert ada.post(f"/api/projects/{project}/add_member/",
                        {"username": "bob"}).status_code == 200
        task = ada.post("/api/tasks/", {"project": project, "title": "Ship it",
                                        "assignees": [bob.user["id"]]}).json["id"]
        assert bob.patch(f"/api/tasks/{task}/", {"status": "done"}).status_code == 200
        assert ada.post(f"/api/tasks/{task}/add_comment/",
                        {"content": "<p>Thanks</p>"}).status_code == 201
        assert ada.delete(f"/api/projects/{project}/").status_code == 204

        received = [StandardWebhook(bob_hook["secret"]).verify(r.body, r.headers)
                    for r in receiver.requests]
        assert [body["type"] for body in received] == [
            "member.added", "task.created", "task.updated", "task.completed",
            "comment.created", "project.deleted"]
        assert received[1]["data"]["task"]["title"] == "Ship it"
        assert received[2]["data"]["changes"]["status"]["new"] == "done"
        assert received[5]["data"]["project"]["id"] == project
        assert outsider.requests == []
        eve.post("/api/auth/logout/", {})
        assert [json.loads(r.body)["type"] for r in outsider.requests] == ["auth.logout"]
    finally:
        outsider.close()
