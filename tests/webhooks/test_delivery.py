"""Sending: real receivers on loopback, every outcome the issue lists."""

from __future__ import annotations

import hashlib
import hmac
import json

import pytest
from standardwebhooks import Webhook as StandardWebhook
from synergy_webhooks.models import DeliveryAttempt

from synergy import __version__
from synergy.app import Kernel
from tests.conftest import Api, assert_error
from tests.webhooks.conftest import (
    create_webhook,
    deliveries,
    make_project,
    run_sweep,
    task_event,
    user_id,
    webhook_row,
)
from tests.webhooks.receivers import Receiver, hang_up, huge, respond


def test_delivery_is_signed_as_standard_webhooks_and_legacy(kernel: Kernel, api: Api,
                                                            receiver: Receiver) -> None:
    ada = api.as_new_user("ada")
    hook = create_webhook(ada, receiver.url, ["task.*"])
    project = make_project(kernel, user_id(ada))
    event_id = task_event(kernel, project)

    [request] = receiver.wait_for(1)
    payload = StandardWebhook(hook["secret"]).verify(request.body, request.headers)
    assert payload["type"] == "task.created"
    assert payload["data"]["task"]["project"]["id"] == project
    assert payload["timestamp"].endswith("Z")
    expected = hmac.new(hook["secret"].encode(), request.body, hashlib.sha256).hexdigest()
    assert request.headers["X-Webhook-Signature"] == f"sha256={expected}"
    assert request.headers["X-Webhook-Event"] == "task.created"
    assert request.headers["X-Delivery-Attempt"] == "1"
    assert request.headers["User-Agent"] == f"SynergyOS-Webhook/{__version__}"
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["Host"] == receiver.url.split("/")[2]

    [delivery] = deliveries(kernel, hook["id"])
    assert delivery.status == "success" and delivery.event_id == event_id
    assert request.headers["X-Webhook-Delivery"] == str(delivery.id)
    assert request.headers["webhook-id"] == delivery.message_id
    assert request.body.decode() == delivery.body
    assert delivery.last_status_code == 200 and delivery.last_response == "ok"
    assert delivery.last_duration_ms is not None and delivery.last_duration_ms >= 0


def test_a_tampered_body_fails_verification(kernel: Kernel, api: Api,
                                            receiver: Receiver) -> None:
    ada = api.as_new_user("ada")
    hook = create_webhook(ada, receiver.url)
    task_event(kernel, make_project(kernel, user_id(ada)))
    [request] = receiver.wait_for(2)[1:]
    tampered = request.body.replace(b"Write docs", b"Write DOCS")
    with pytest.raises(Exception, match="signature"):
        StandardWebhook(hook["secret"]).verify(tampered, request.headers)


def test_500_then_success_retries_with_the_same_message(kernel: Kernel, api: Api,
                                                        receiver: Receiver) -> None:
    ada = api.as_new_user("ada")
    hook = create_webhook(ada, receiver.url, ["task.created"])
    receiver.script = [respond(500, b"boom")]
    task_event(kernel, make_project(kernel, user_id(ada)))

    [delivery] = deliveries(kernel, hook["id"])
    assert delivery.status == "retrying" and delivery.last_status_code == 500
    assert delivery.last_response == "boom" and delivery.last_error == "HTTP 500"
    run_sweep(kernel, after=0.1)

    first, second = receiver.wait_for(2)
    assert first.headers["webhook-id"] == second.headers["webhook-id"]
    assert first.body == second.body
    assert (first.headers["X-Delivery-Attempt"], second.headers["X-Delivery-Attempt"]) == \
        ("1", "2")
    StandardWebhook(hook["secret"]).verify(second.body, second.headers)
    [delivery] = deliveries(kernel, hook["id"])
    assert delivery.status == "success" and delivery.attempts == 2
    with kernel.connection():
        log = list(DeliveryAttempt.select().where(DeliveryAttempt.delivery == delivery.id)
                   .order_by(DeliveryAttempt.number))
    assert [(a.number, a.status_code, a.succeeded) for a in log] == [(1, 500, False),
                                                                     (2, 200, True)]
    assert webhook_row(kernel, hook["id"]).failing_since is None


def test_gives_up_after_the_ladder(kernel: Kernel, api: Api, receiver: Receiver) -> None:
    ada = api.as_new_user("ada")
    hook = create_webhook(ada, receiver.url, ["task.created"])
    receiver.default = respond(502)
    task_event(kernel, make_project(kernel, user_id(ada)))
    for _ in range(4):
        run_sweep(kernel, after=0.08)
    assert len(receiver.wait_for(4)) == 4
    [delivery] = deliveries(kernel, hook["id"])
    assert delivery.status == "failed" and delivery.attempts == 4
    run_sweep(kernel, after=0.08)
    assert len(receiver.requests) == 4
    webhook = webhook_row(kernel, hook["id"])
    assert webhook.is_active and webhook.failing_since is not None


def test_410_disables_the_webhook_at_once(kernel: Kernel, api: Api,
                                          receiver: Receiver) -> None:
    ada = api.as_new_user("ada")
    hook = create_webhook(ada, receiver.url, ["task.created"])
    receiver.script = [respond(410, b"gone")]
    project = make_project(kernel, user_id(ada))
    task_event(kernel, project)
    [delivery] = deliveries(kernel, hook["id"])
    assert delivery.status == "failed" and delivery.last_status_code == 410
    webhook = webhook_row(kernel, hook["id"])
    assert not webhook.is_active and "410" in webhook.disabled_reason
    task_event(kernel, project, "another")
    run_sweep(kernel, after=0.08)
    assert len(receiver.requests) == 1
    assert ada.get(f"/api/webhooks/{hook['id']}/").json["is_active"] is False


@pytest.mark.parametrize("behaviour, error", [
    (respond(200, delay=2.0), "timeout"),
    (respond(302, headers={"Location": "http://169.254.169.254/latest"}), "redirects"),
    (hang_up(), "connection"),
])
def test_failures_are_recorded_and_retried(kernel: Kernel, api: Api, receiver: Receiver,
                                           behaviour: object, error: str) -> None:
    ada = api.as_new_user("ada")
    hook = create_webhook(ada, receiver.url, ["task.created"])
    receiver.script = [behaviour]  # type: ignore[list-item]
    task_event(kernel, make_project(kernel, user_id(ada)))
    [delivery] = deliveries(kernel, hook["id"])
    assert delivery.status == "retrying"
    assert error in delivery.last_error
    assert len(receiver.requests) == 1
    run_sweep(kernel, after=0.1)
    [delivery] = deliveries(kernel, hook["id"])
    assert delivery.status == "success" and delivery.attempts == 2


def test_redirect_is_never_followed(kernel: Kernel, api: Api, receiver: Receiver) -> None:
    ada = api.as_new_user("ada")
    other = Receiver()
    try:
        create_webhook(ada, receiver.url, ["task.created"])
        receiver.script = [respond(307, headers={"Location": other.url})]
        task_event(kernel, make_project(kernel, user_id(ada)))
        assert len(receiver.requests) == 1
        assert other.requests == []
    finally:
        other.close()


def test_slow_receiver_within_the_timeout_succeeds(kernel: Kernel, api: Api,
                                                   receiver: Receiver) -> None:
    ada = api.as_new_user("ada")
    hook = create_webhook(ada, receiver.url, ["task.created"])
    receiver.script = [respond(200, b"finally", delay=0.3)]
    task_event(kernel, make_project(kernel, user_id(ada)))
    [delivery] = deliveries(kernel, hook["id"])
    assert delivery.status == "success" and delivery.last_response == "finally"
    assert delivery.last_duration_ms >= 300


def test_huge_response_is_cut_and_stored_truncated(kernel: Kernel, api: Api,
                                                   receiver: Receiver) -> None:
    ada = api.as_new_user("ada")
    hook = create_webhook(ada, receiver.url, ["task.created"])
    receiver.script = [huge(50 * 1024 * 1024)]
    task_event(kernel, make_project(kernel, user_id(ada)))
    [delivery] = deliveries(kernel, hook["id"])
    assert delivery.status == "success"
    assert delivery.last_response == "x" * 4096
    assert delivery.last_duration_ms < 5000


def test_429_retry_after_is_honoured(make_hooks_app: object, receiver: Receiver) -> None:
    kernel = make_hooks_app(SYNERGY_WEBHOOKS_RETRY_SCHEDULE="0.05,3600")  # type: ignore[operator]
    ada = Api(kernel).as_new_user("ada")
    hook = create_webhook(ada, receiver.url, ["task.created"])
    receiver.script = [respond(429, headers={"Retry-After": "3"})]
    task_event(kernel, make_project(kernel, user_id(ada)))
    [delivery] = deliveries(kernel, hook["id"])
    wait = (delivery.next_attempt_at - delivery.last_attempt_at).total_seconds()
    assert 2.9 <= wait <= 3.1
    run_sweep(kernel, after=0.1)
    assert len(receiver.requests) == 1


def test_deliveries_endpoint_shows_attempts(kernel: Kernel, api: Api,
                                            receiver: Receiver) -> None:
    ada = api.as_new_user("ada")
    hook = create_webhook(ada, receiver.url, ["task.*"])
    receiver.script = [respond(500, b"x" * 10000)]
    project = make_project(kernel, user_id(ada))
    task_event(kernel, project)
    task_event(kernel, project, type="task.completed")
    listing = ada.get(f"/api/webhooks/{hook['id']}/deliveries/")
    assert listing.status_code == 200, listing.text
    assert listing.json["count"] == 2
    retrying = ada.get(f"/api/webhooks/{hook['id']}/deliveries/?status=retrying").json
    assert [d["event_type"] for d in retrying["results"]] == ["task.created"]
    [attempt] = retrying["results"][0]["attempt_log"]
    assert attempt["status_code"] == 500 and len(attempt["response_body"]) == 4096
    completed = ada.get(f"/api/webhooks/{hook['id']}/deliveries/?event_type=task.completed")
    assert [d["status"] for d in completed.json["results"]] == ["success"]
    assert json.loads(receiver.requests[1].body)["type"] == "task.completed"
    assert_error(ada.get(f"/api/webhooks/{hook['id']}/deliveries/?state=failed"), 400,
                 field="state")
    assert_error(ada.get(f"/api/webhooks/{hook['id']}/deliveries/?status=lost"), 400,
                 field="status")

