"""Secret rotation, the test endpoint, redelivery, recovery and automatic disabling."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from standardwebhooks import Webhook as StandardWebhook
from standardwebhooks.webhooks import WebhookVerificationError
from synergy_webhooks.models import Delivery, Webhook

from synergy.app import Kernel
from synergy.models import OutgoingMail
from tests.conftest import Api, assert_error
from tests.webhooks.conftest import (
    age_failures,
    create_webhook,
    deliveries,
    events_of,
    make_project,
    run_sweep,
    task_event,
    user_id,
    webhook_row,
)
from tests.webhooks.receivers import Receiver, respond


def test_rotation_signs_with_both_secrets_during_the_grace_period(
        kernel: Kernel, api: Api, receiver: Receiver) -> None:
    ada = api.as_new_user("ada")
    hook = create_webhook(ada, receiver.url, ["task.created"])
    rotated = ada.post(f"/api/webhooks/{hook['id']}/rotate_secret/", {"grace_hours": 1})
    assert rotated.status_code == 200, rotated.text
    new_secret = rotated.json["secret"]
    assert new_secret != hook["secret"] and rotated.json["previous_secret_expires_at"]
    project = make_project(kernel, user_id(ada))
    task_event(kernel, project)
    [request] = receiver.requests
    assert len(request.headers["webhook-signature"].split(" ")) == 2
    StandardWebhook(hook["secret"]).verify(request.body, request.headers)
    StandardWebhook(new_secret).verify(request.body, request.headers)

    with kernel.connection():
        Webhook.update(previous_secret_expires_at=dt.datetime(2000, 1, 1)).where(
            Webhook.id == hook["id"]).execute()
    task_event(kernel, project, "after the grace period")
    last = receiver.requests[-1]
    assert len(last.headers["webhook-signature"].split(" ")) == 1
    StandardWebhook(new_secret).verify(last.body, last.headers)
    with pytest.raises(WebhookVerificationError):
        StandardWebhook(hook["secret"]).verify(last.body, last.headers)


def test_rotation_rejects_bad_input(api: Api, receiver: Receiver) -> None:
    ada = api.as_new_user("ada")
    hook = create_webhook(ada, receiver.url)
    url = f"/api/webhooks/{hook['id']}/rotate_secret/"
    assert_error(ada.post(url, {"grace_hours": -1}), 400, field="grace_hours")
    assert_error(ada.post(url, {"grace": 1}), 400, field="grace")


def test_test_endpoint_sends_to_that_webhook_only(kernel: Kernel, api: Api,
                                                 receiver: Receiver) -> None:
    ada = api.as_new_user("ada")
    hook = create_webhook(ada, receiver.url, ["webhook.test"])
    other = create_webhook(ada, receiver.url, ["*"])
    result = ada.post(f"/api/webhooks/{hook['id']}/test/")
    assert result.status_code == 202, result.text
    [request] = receiver.wait_for(1)
    body = StandardWebhook(hook["secret"]).verify(request.body, request.headers)
    assert body["type"] == "webhook.test" and body["data"]["webhook"]["id"] == hook["id"]
    shown = ada.get(f"/api/webhooks/{hook['id']}/deliveries/{result.json['id']}/").json
    assert shown["status"] == "success" and shown["attempt_log"][0]["status_code"] == 200
    assert deliveries(kernel, other["id"]) == []
    assert_error(ada.post(f"/api/webhooks/{hook['id']}/test/", {"x": 1}), 400, field="x")


def test_redeliver_resends_the_same_message(kernel: Kernel, api: Api,
                                            receiver: Receiver) -> None:
    ada = api.as_new_user("ada")
    hook = create_webhook(ada, receiver.url, ["task.created"])
    task_event(kernel, make_project(kernel, user_id(ada)))
    [delivery] = deliveries(kernel, hook["id"])
    url = f"/api/webhooks/{hook['id']}/deliveries/{delivery.id}/redeliver/"
    assert ada.post(url).status_code == 202
    first, again = receiver.wait_for(2)
    assert first.headers["webhook-id"] == again.headers["webhook-id"]
    assert again.headers["X-Delivery-Attempt"] == "2" and first.body == again.body
    StandardWebhook(hook["secret"]).verify(again.body, again.headers)
    eve = api.as_new_user("eve")
    assert_error(eve.post(url), 404)
    with kernel.connection():
        Delivery.update(claim_token="busy", next_attempt_at=dt.datetime(2999, 1, 1)).where(
            Delivery.id == delivery.id).execute()
    assert_error(ada.post(url), 409, "delivery_in_flight")
    other = create_webhook(ada, receiver.url, ["task.created"])
    assert_error(ada.post(f"/api/webhooks/{other['id']}/deliveries/{delivery.id}/redeliver/"),
                 404)


def test_recover_resends_failures_since_a_time(kernel: Kernel, api: Api,
                                               receiver: Receiver) -> None:
    ada = api.as_new_user("ada")
    hook = create_webhook(ada, receiver.url, ["task.created"])
    receiver.default = respond(500)
    project = make_project(kernel, user_id(ada))
    for title in ("one", "two"):
        task_event(kernel, project, title)
    for _ in range(3):
        run_sweep(kernel, after=0.08)
    assert {d.status for d in deliveries(kernel, hook["id"])} == {"failed"}
    assert len(receiver.requests) == 8

    receiver.default = respond(200)
    url = f"/api/webhooks/{hook['id']}/recover/"
    assert ada.post(url, {"since": "2999-01-01T00:00:00Z"}).json["count"] == 0
    assert_error(ada.post(url, {"since": "yesterday"}), 400, field="since")
    assert_error(ada.post(url, {}), 400, field="since")
    receiver.script = [respond(500)]
    result = ada.post(url, {"since": "2000-01-01T00:00:00Z"})
    assert result.status_code == 202 and result.json["count"] == 2
    # A resend that fails starts the retry ladder again instead of giving up at once.
    assert sorted(d.status for d in deliveries(kernel, hook["id"])) == ["retrying", "success"]
    run_sweep(kernel, after=0.08)
    assert {d.status for d in deliveries(kernel, hook["id"])} == {"success"}
    titles = sorted(json.loads(r.body)["data"]["task"]["title"] for r in receiver.requests[8:])
    assert titles == ["one", "one", "two"] or titles == ["one", "two", "two"]


def test_continuous_failure_disables_and_tells_the_owner(kernel: Kernel, api: Api,
                                                         receiver: Receiver) -> None:
    ada = api.as_new_user("ada")
    hook = create_webhook(ada, receiver.url, ["task.created"])
    watcher = Receiver()
    try:
        watcher_hook = create_webhook(ada, watcher.url, ["webhook.disabled"])
        receiver.default = respond(503)
        project = make_project(kernel, user_id(ada))
        task_event(kernel, project)
        assert webhook_row(kernel, hook["id"]).is_active
        age_failures(kernel, hook["id"], days=5.1)
        run_sweep(kernel, after=0.08)

        webhook = webhook_row(kernel, hook["id"])
        assert not webhook.is_active and "failing continuously" in webhook.disabled_reason
        assert {d.status for d in deliveries(kernel, hook["id"])} == {"failed"}
        [event] = events_of(kernel, "webhook.disabled")
        assert event.payload["webhook"]["id"] == hook["id"]
        [notice] = watcher.wait_for(1)
        verified = StandardWebhook(watcher_hook["secret"]).verify(notice.body, notice.headers)
        assert verified["type"] == "webhook.disabled"
        with kernel.connection():
            [mail] = list(OutgoingMail.select().where(OutgoingMail.to == "ada@example.com"))
        assert "disabled" in mail.subject and receiver.url in mail.text
        assert_error(ada.post(f"/api/webhooks/{hook['id']}/test/"), 409, "webhook_disabled")

        receiver.default = respond(200)
        reactivated = ada.patch(f"/api/webhooks/{hook['id']}/", {"is_active": True}).json
        assert reactivated["disabled_reason"] == "" and reactivated["failing_since"] is None
        recovered = ada.post(f"/api/webhooks/{hook['id']}/recover/",
                             {"since": "2000-01-01T00:00:00Z"})
        assert recovered.json["count"] == 1
        assert {d.status for d in deliveries(kernel, hook["id"])} == {"success"}
    finally:
        watcher.close()


def test_deleting_a_webhook_while_it_is_being_sent(kernel: Kernel, api: Api,
                                                   receiver: Receiver) -> None:
    ada = api.as_new_user("ada")
    doomed = create_webhook(ada, receiver.url, ["task.created"])
    kept = create_webhook(ada, receiver.url, ["task.created"])

    def delete_then_answer(handler: object) -> None:
        with kernel.connection():
            Webhook.delete().where(Webhook.id == doomed["id"]).execute()
        respond(200)(handler)  # type: ignore[arg-type]

    receiver.default = delete_then_answer
    task_event(kernel, make_project(kernel, user_id(ada)))
    assert len(receiver.wait_for(2)) == 2
    assert deliveries(kernel, doomed["id"]) == []
    [delivery] = deliveries(kernel, kept["id"])
    assert delivery.status == "success" and delivery.claim_token is None

