"""The /api/webhooks/ endpoints: ownership, validation, secrets, catalogue, stats."""

from __future__ import annotations

import uuid

import pytest
from openapi_spec_validator import validate

from synergy.app import Kernel
from tests.conftest import Api, assert_error
from tests.webhooks.conftest import create_webhook, make_project, task_event, user_id
from tests.webhooks.receivers import Receiver, respond


def test_create_shows_the_secret_once(api: Api, receiver: Receiver) -> None:
    ada = api.as_new_user("ada")
    created = create_webhook(ada, receiver.url, ["task.*", "project.created"], name="CI")
    assert created["secret"].startswith("whsec_") and len(created["secret"]) == 6 + 44
    uuid.UUID(created["id"])
    assert created["events"] == ["task.*", "project.created"]
    assert created["is_active"] is True and created["project"] is None
    shown = ada.get(f"/api/webhooks/{created['id']}/").json
    assert "secret" not in shown and shown["name"] == "CI"
    listing = ada.get("/api/webhooks/").json
    assert listing["count"] == 1 and "secret" not in listing["results"][0]


def test_other_users_get_404_everywhere(api: Api, receiver: Receiver) -> None:
    ada = api.as_new_user("ada")
    eve = api.as_new_user("eve")
    hook = create_webhook(ada, receiver.url)
    base = f"/api/webhooks/{hook['id']}"
    assert eve.get("/api/webhooks/").json["count"] == 0
    assert_error(eve.get(base + "/"), 404, "not_found")
    assert_error(eve.patch(base + "/", {"name": "mine"}), 404, "not_found")
    assert_error(eve.put(base + "/", {"name": "x", "url": receiver.url, "events": ["*"]}),
                 404)
    assert_error(eve.delete(base + "/"), 404)
    assert_error(eve.post(base + "/test/"), 404)
    assert_error(eve.post(base + "/rotate_secret/"), 404)
    assert_error(eve.get(base + "/deliveries/"), 404)
    assert_error(eve.post(base + "/recover/", {"since": "2026-01-01T00:00:00Z"}), 404)
    assert ada.get(base + "/").json["name"] == "hook"
    assert_error(api.get("/api/webhooks/"), 401)
    assert_error(ada.get("/api/webhooks/not-a-uuid/"), 404)


@pytest.mark.parametrize("body, field", [
    ({"name": "x", "url": "ftp://example.com/", "events": ["*"]}, "url"),
    ({"name": "x", "url": "not a url", "events": ["*"]}, "url"),
    ({"name": "x", "url": "http://", "events": ["*"]}, "url"),
    ({"name": "x" * 201, "url": "http://127.0.0.1/", "events": ["*"]}, "name"),
    ({"name": "", "url": "http://127.0.0.1/", "events": ["*"]}, "name"),
    ({"name": "x", "url": "http://127.0.0.1/", "events": "task.created"}, "events"),
    ({"name": "x", "url": "http://127.0.0.1/", "events": []}, "events"),
    ({"name": "x", "url": "http://127.0.0.1/", "events": ["task.exploded"]}, "events"),
    ({"name": "x", "url": "http://127.0.0.1/", "events": ["nothing.*"]}, "events"),
    ({"name": "x", "url": "http://127.0.0.1/", "events": [42]}, "events"),
    ({"name": "x", "url": "http://127.0.0.1/", "events": ["*"], "secret": "s"}, "secret"),
    ({"name": "x", "url": "http://127.0.0.1/", "events": ["*"], "project": 999}, "project"),
    ({"name": "x", "url": "http://127.0.0.1/", "events": ["*"], "is_active": "yes"},
     "is_active"),
    ({"url": "http://127.0.0.1/", "events": ["*"]}, "name"),
])
def test_bad_input_is_a_clear_400(api: Api, body: dict[str, object], field: str) -> None:
    ada = api.as_new_user("ada")
    assert_error(ada.post("/api/webhooks/", body), 400, field=field)


def test_malformed_json_and_huge_lists(api: Api) -> None:
    ada = api.as_new_user("ada")
    result = ada.post("/api/webhooks/", body="{nope", headers={"Content-Type":
                                                                "application/json"})
    assert_error(result, 400)
    many = [f"task.created{i}" for i in range(101)]
    assert_error(ada.post("/api/webhooks/", {"name": "x", "url": "http://127.0.0.1/",
                                             "events": many}), 400, field="events")


def test_scope_requires_membership(kernel: Kernel, api: Api, receiver: Receiver) -> None:
    ada = api.as_new_user("ada")
    eve = api.as_new_user("eve")
    project = make_project(kernel, user_id(ada))
    scoped = create_webhook(ada, receiver.url, project=project)
    assert scoped["project"] == project
    body = {"name": "x", "url": receiver.url, "events": ["*"], "project": project}
    assert_error(eve.post("/api/webhooks/", body), 400, field="project")


def test_update_put_patch_and_delete(api: Api, receiver: Receiver) -> None:
    ada = api.as_new_user("ada")
    hook = create_webhook(ada, receiver.url)
    base = f"/api/webhooks/{hook['id']}/"
    patched = ada.patch(base, {"name": "renamed", "events": ["project.*"]})
    assert patched.status_code == 200, patched.text
    assert patched.json["name"] == "renamed" and patched.json["events"] == ["project.*"]
    assert_error(ada.patch(base, {"url": "http://10.0.0.1/"}), 400, "unsafe_url", "url")
    assert_error(ada.put(base, {"name": "only name"}), 400, field="url")
    put = ada.put(base, {"name": "new", "url": receiver.url, "events": ["*"],
                         "is_active": False})
    assert put.status_code == 200 and put.json["is_active"] is False
    assert ada.delete(base).status_code == 204
    assert_error(ada.get(base), 404)


def test_events_catalogue_lists_kernel_and_plugin_types(api: Api) -> None:
    ada = api.as_new_user("ada")
    result = ada.get("/api/webhooks/events/")
    assert result.status_code == 200
    by_type = {item["type"]: item for item in result.json["results"]}
    assert {"task.created", "project.deleted", "auth.login_succeeded", "webhook.test",
            "webhook.disabled"} <= set(by_type)
    assert by_type["task.created"]["plugin"] == "kernel"
    assert by_type["webhook.test"]["plugin"] == "webhooks"
    assert all(item["description"] and isinstance(item["example"], dict)
               for item in by_type.values())


def test_openapi_documents_the_routes(api: Api) -> None:
    document = api.get("/api/openapi.json").json
    validate(document)
    paths = document["paths"]
    assert {"/api/webhooks/", "/api/webhooks/events/", "/api/webhooks/stats/",
            "/api/webhooks/{webhook_id}/", "/api/webhooks/{webhook_id}/test/",
            "/api/webhooks/{webhook_id}/rotate_secret/", "/api/webhooks/{webhook_id}/recover/",
            "/api/webhooks/{webhook_id}/deliveries/",
            "/api/webhooks/{webhook_id}/deliveries/{delivery_id}/redeliver/"} <= set(paths)


def test_stats_per_webhook_and_overall(kernel: Kernel, api: Api,
                                       receiver: Receiver) -> None:
    ada = api.as_new_user("ada")
    good = create_webhook(ada, receiver.url, ["task.created"], name="good")
    create_webhook(ada, receiver.url, ["task.completed"], name="bad")
    eve = api.as_new_user("eve")
    create_webhook(eve, receiver.url, ["*"], name="eve's")
    project = make_project(kernel, user_id(ada))
    task_event(kernel, project)
    receiver.default = respond(410)
    task_event(kernel, project, type="task.completed")
    stats = ada.get("/api/webhooks/stats/").json
    assert stats["overall"]["webhooks"] == 2
    assert stats["overall"]["deliveries"] == 2
    assert stats["overall"]["success"] == 1 and stats["overall"]["failed"] == 1
    assert stats["overall"]["success_rate"] == 0.5
    assert stats["overall"]["average_latency_ms"] is not None
    per = {item["name"]: item for item in stats["webhooks"]}
    assert per["good"]["id"] == good["id"] and per["good"]["success_rate"] == 1.0
    assert per["bad"]["success_rate"] == 0.0 and per["bad"]["is_active"] is False
    assert eve.get("/api/webhooks/stats/").json["overall"]["deliveries"] == 0
