"""JSON representations of webhooks and deliveries."""

from __future__ import annotations

from typing import Any

from synergy_webhooks.models import OPEN_STATUSES, Delivery, DeliveryAttempt, Webhook

from synergy.http import iso


def render_webhook(webhook: Webhook, *, secret: bool = False) -> dict[str, Any]:
    """The secret is included only when just created or rotated (``secret=True``)."""
    data = {
        "id": str(webhook.id), "name": webhook.name, "url": webhook.url,
        "events": webhook.events, "project": webhook.project_id,
        "is_active": webhook.is_active,
        "previous_secret_expires_at": iso(webhook.previous_secret_expires_at),
        "failing_since": iso(webhook.failing_since), "disabled_at": iso(webhook.disabled_at),
        "disabled_reason": webhook.disabled_reason, "created_at": iso(webhook.created_at),
        "updated_at": iso(webhook.updated_at),
    }
    if secret:
        data["secret"] = webhook.secret
    return data


def _render_attempt(attempt: DeliveryAttempt) -> dict[str, Any]:
    return {"number": attempt.number, "started_at": iso(attempt.started_at),
            "status_code": attempt.status_code, "error": attempt.error,
            "duration_ms": attempt.duration_ms, "response_body": attempt.response_body}


def render_deliveries(deliveries: list[Delivery]) -> list[dict[str, Any]]:
    """A page of deliveries with their attempt logs, in one extra query."""
    logs: dict[Any, list[dict[str, Any]]] = {delivery.id: [] for delivery in deliveries}
    if deliveries:
        attempts = (DeliveryAttempt.select()
                    .where(DeliveryAttempt.delivery.in_(list(logs)))
                    .order_by(DeliveryAttempt.number, DeliveryAttempt.id))
        for attempt in attempts:
            logs[attempt.delivery_id].append(_render_attempt(attempt))
    return [{
        "id": str(d.id), "webhook": str(d.webhook_id), "event_id": d.event_id,
        "event_type": d.event_type, "message_id": d.message_id, "status": d.status,
        "attempts": d.attempts,
        "next_attempt_at": iso(d.next_attempt_at) if d.status in OPEN_STATUSES else None,
        "created_at": iso(d.created_at), "delivered_at": iso(d.delivered_at),
        "last_status_code": d.last_status_code, "last_error": d.last_error,
        "last_duration_ms": d.last_duration_ms, "last_response": d.last_response,
        "attempt_log": logs[d.id],
    } for d in deliveries]
