"""Delivery statistics of one user's webhooks: three grouped queries, whatever the volume."""

from __future__ import annotations

from typing import Any

import peewee
from synergy_webhooks.models import (
    DELIVERY_STATUSES,
    FAILED,
    SUCCESS,
    Delivery,
    DeliveryAttempt,
    Webhook,
)

from synergy.models import User


def _figures(counts: dict[str, int], attempts: int, answered: int,
             latency_total: float) -> dict[str, Any]:
    finished = counts[SUCCESS] + counts[FAILED]
    return {
        "deliveries": sum(counts.values()),
        **counts,
        "success_rate": round(counts[SUCCESS] / finished, 4) if finished else None,
        "attempts": attempts,
        "average_latency_ms": round(latency_total / answered, 1) if answered else None,
    }


def webhook_stats(user: User) -> dict[str, Any]:
    """Totals per webhook and overall.

    ``success_rate`` is successful over finished (success + failed) deliveries;
    ``average_latency_ms`` is the mean duration of the attempts the receiver
    answered (timeouts and refused connections would only measure our limits).
    """
    hooks = list(Webhook.select(Webhook.id, Webhook.name, Webhook.is_active)
                 .where(Webhook.owner == user.id).order_by(Webhook.created_at))
    ids = [hook.id for hook in hooks]
    counts = {hook.id: dict.fromkeys(DELIVERY_STATUSES, 0) for hook in hooks}
    attempt_figures: dict[Any, tuple[int, int, float]] = {}
    if ids:
        grouped = (Delivery.select(Delivery.webhook, Delivery.status,
                                   peewee.fn.COUNT(Delivery.id).alias("n"))
                   .where(Delivery.webhook.in_(ids))
                   .group_by(Delivery.webhook, Delivery.status).tuples())
        for webhook_id, status, number in grouped:
            counts[webhook_id][status] = number
        answered = peewee.Case(None, [(DeliveryAttempt.status_code.is_null(False), 1)], 0)
        latency = peewee.Case(None, [(DeliveryAttempt.status_code.is_null(False),
                                      DeliveryAttempt.duration_ms)], 0)
        rows = (DeliveryAttempt.select(Delivery.webhook,
                                       peewee.fn.COUNT(DeliveryAttempt.id),
                                       peewee.fn.SUM(answered), peewee.fn.SUM(latency))
                .join(Delivery).where(Delivery.webhook.in_(ids))
                .group_by(Delivery.webhook).tuples())
        for webhook_id, attempts, answered_count, latency_total in rows:
            attempt_figures[webhook_id] = (attempts, int(answered_count or 0),
                                           float(latency_total or 0))
    per_webhook = []
    overall_counts = dict.fromkeys(DELIVERY_STATUSES, 0)
    overall_attempts = [0, 0, 0.0]
    for hook in hooks:
        attempts, answered_count, latency_total = attempt_figures.get(hook.id, (0, 0, 0.0))
        per_webhook.append({"id": str(hook.id), "name": hook.name, "is_active": hook.is_active,
                            **_figures(counts[hook.id], attempts, answered_count,
                                       latency_total)})
        for status, number in counts[hook.id].items():
            overall_counts[status] += number
        overall_attempts[0] += attempts
        overall_attempts[1] += answered_count
        overall_attempts[2] += latency_total
    overall = {"webhooks": len(hooks),
               **_figures(overall_counts, int(overall_attempts[0]), int(overall_attempts[1]),
                          overall_attempts[2])}
    return {"overall": overall, "webhooks": per_webhook}
