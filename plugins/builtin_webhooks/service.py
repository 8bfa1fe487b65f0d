"""The rules behind the webhook endpoints, free of HTTP (domain errors only).

Every function receives the acting user and only ever touches that user's
webhooks: :func:`owned` answers 404 for anybody else's, so ids never leak.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from synergy_webhooks import signing, ssrf
from synergy_webhooks.catalogue import TEST_EVENT
from synergy_webhooks.config import config_of
from synergy_webhooks.fanout import DELIVER_JOB, enqueue_batches, message_body, new_delivery_row
from synergy_webhooks.models import FAILED, PENDING, Delivery, Webhook

from synergy.errors import Conflict, NotFound, ValidationError
from synergy.models import Project, ProjectMember, User, utcnow


def owned(user: User, webhook_id: uuid.UUID) -> Webhook:
    webhook = Webhook.get_or_none(Webhook.id == webhook_id, Webhook.owner == user.id)
    if webhook is None:
        raise NotFound("No webhook with this id.")
    return webhook


def _check_events(kernel: Any, events: list[str]) -> None:
    catalogue = kernel.events.catalogue
    unknown = [name for name in events if not (
        name == "*" or name in catalogue
        or (name.endswith(".*") and any(known.startswith(name[:-1]) for known in catalogue)))]
    if unknown:
        message = (f"Unknown event type(s): {', '.join(unknown)}. "
                   "See GET /api/webhooks/events/ for the catalogue.")
        raise ValidationError(message, fields={"events": [message]})


def _check_url(kernel: Any, url: str) -> None:
    try:
        ssrf.vet(url, config_of(kernel).allowed_networks)
    except ssrf.UnsafeURL as exc:
        raise ValidationError(f"url: {exc}", fields={"url": [str(exc)]},
                              code="unsafe_url") from None


def _check_project(user: User, project_id: int | None) -> None:
    """Scoping to a project needs membership: that is what deliveries are filtered by."""
    if project_id is None:
        return
    project = Project.get_or_none(Project.id == project_id)
    member = project is not None and (project.owner_id == user.id or ProjectMember.select().where(
        ProjectMember.project == project_id, ProjectMember.user == user.id).exists())
    if not member:
        message = "No project with this id among the projects you belong to."
        raise ValidationError(f"project: {message}", fields={"project": [message]})


def _check(kernel: Any, user: User, data: dict[str, Any]) -> None:
    if "events" in data:
        _check_events(kernel, data["events"])
    if "url" in data:
        _check_url(kernel, data["url"])
    if "project" in data:
        _check_project(user, data["project"])


def create(kernel: Any, user: User, data: dict[str, Any]) -> Webhook:
    _check(kernel, user, data)
    return Webhook.create(owner=user.id, name=data["name"], url=data["url"],
                          events=data["events"], project_id=data["project"],
                          is_active=data["is_active"], secret=signing.new_secret())


def update(kernel: Any, user: User, webhook: Webhook, data: dict[str, Any]) -> Webhook:
    _check(kernel, user, data)
    for field in ("name", "url", "events", "is_active"):
        if field in data:
            setattr(webhook, field, data[field])
    if "project" in data:
        webhook.project_id = data["project"]
    if data.get("is_active") and webhook.disabled_at is not None:
        webhook.disabled_at = None
        webhook.disabled_reason = ""
        webhook.failing_since = None
    webhook.updated_at = utcnow()
    webhook.save()
    return webhook


def rotate_secret(kernel: Any, webhook: Webhook, grace_hours: float | None) -> Webhook:
    """New secret now; the old one keeps signing (alongside) for the grace period."""
    hours = config_of(kernel).secret_grace_hours if grace_hours is None else grace_hours
    now = utcnow()
    webhook.previous_secret = webhook.secret
    webhook.previous_secret_expires_at = now + dt.timedelta(hours=hours)
    webhook.secret = signing.new_secret()
    webhook.updated_at = now
    webhook.save()
    return webhook


def _require_active(webhook: Webhook) -> None:
    if not webhook.is_active:
        raise Conflict("The webhook is disabled; set is_active to true first.",
                       code="webhook_disabled")


def send_test(kernel: Any, user: User, webhook: Webhook) -> Delivery:
    """Record a ``webhook.test`` event and its one delivery; sent right after commit."""
    _require_active(webhook)
    event = kernel.events.record(TEST_EVENT, actor=user, payload={
        "webhook": {"id": str(webhook.id), "name": webhook.name, "url": webhook.url},
        "user": {"id": user.id, "username": user.username},
        "message": "This is a test webhook from SynergyOS"},
        description=f"Test of webhook {webhook.name}")
    row = new_delivery_row(webhook.id, event, message_body(event))
    Delivery.insert(row).execute()
    kernel.jobs.enqueue_after_commit(DELIVER_JOB, [str(row["id"])])
    return Delivery.get_by_id(row["id"])


def delivery_of(webhook: Webhook, delivery_id: uuid.UUID) -> Delivery:
    delivery = Delivery.get_or_none(Delivery.id == delivery_id, Delivery.webhook == webhook.id)
    if delivery is None:
        raise NotFound("No delivery with this id for this webhook.")
    return delivery


def redeliver(kernel: Any, webhook: Webhook, delivery_id: uuid.UUID) -> Delivery:
    """Send the same message again now (same webhook-id, same body, new attempt number)."""
    _require_active(webhook)
    delivery = delivery_of(webhook, delivery_id)
    if delivery.claim_token is not None and delivery.next_attempt_at > utcnow():
        raise Conflict("This delivery is being sent right now.", code="delivery_in_flight")
    (Delivery.update(status=PENDING, next_attempt_at=utcnow(), claim_token=None,
                     ladder_start=Delivery.attempts)
     .where(Delivery.id == delivery.id).execute())
    kernel.jobs.enqueue_after_commit(DELIVER_JOB, [str(delivery.id)])
    return Delivery.get_by_id(delivery.id)


def recover(kernel: Any, webhook: Webhook, since: dt.datetime) -> int:
    """Resend every failed delivery of the webhook created at or after ``since``."""
    _require_active(webhook)
    failed = (Delivery.select(Delivery.id)
              .where(Delivery.webhook == webhook.id, Delivery.status == FAILED,
                     Delivery.created_at >= since)
              .order_by(Delivery.created_at))
    ids = [str(row.id) for row in failed]
    if ids:
        (Delivery.update(status=PENDING, next_attempt_at=utcnow(), claim_token=None,
                         ladder_start=Delivery.attempts)
         .where(Delivery.id.in_(ids), Delivery.status == FAILED).execute())
        enqueue_batches(kernel, ids)
    return len(ids)


def catalogue(kernel: Any) -> list[dict[str, Any]]:
    return [{"type": name, "description": event_type.description, "plugin": plugin,
             "example": event_type.example}
            for name, (plugin, event_type) in sorted(kernel.events.catalogue.items())]
