"""Turning a webhook off: after 410 Gone, or after failing continuously for too long.

The owner learns it twice: a ``webhook.disabled`` event (delivered to their
other webhooks that subscribe to it) and an e-mail through the mail outbox,
both in the same transaction as the change. Open deliveries of the webhook
are closed as failed; ``recover`` resends them once it is active again.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from synergy_webhooks.catalogue import DISABLED_EVENT
from synergy_webhooks.config import WebhookConfig
from synergy_webhooks.models import FAILED, OPEN_STATUSES, Delivery, Webhook

from synergy.http import iso
from synergy.models import User, utcnow


def disable(kernel: Any, webhook_id: Any, reason: str) -> bool:
    """Disable once (concurrent callers: only the first notifies); True if this call did."""
    now = utcnow()
    changed = (Webhook.update(is_active=False, disabled_at=now, disabled_reason=reason,
                              updated_at=now)
               .where(Webhook.id == webhook_id, Webhook.is_active == True)  # noqa: E712
               .execute())
    if not changed:
        return False
    (Delivery.update(status=FAILED, last_error=f"not sent: the webhook was disabled ({reason})")
     .where(Delivery.webhook == webhook_id, Delivery.status.in_(OPEN_STATUSES),
            Delivery.claim_token.is_null())
     .execute())
    webhook = Webhook.get_by_id(webhook_id)
    owner = User.get_by_id(webhook.owner_id)
    summary = {"id": str(webhook.id), "name": webhook.name, "url": webhook.url}
    kernel.events.record(DISABLED_EVENT, payload={
        "webhook": summary, "user": {"id": owner.id, "username": owner.username},
        "reason": reason}, description=f"Webhook {webhook.name} was disabled: {reason}")
    kernel.mail.send(
        to=owner.email, subject=f"[SynergyOS] Webhook \u201c{webhook.name}\u201d was disabled",
        text=(f"Hello {owner.username},\n\nyour webhook \u201c{webhook.name}\u201d "
              f"({webhook.url}) was disabled: {reason}.\n\nFix the receiver, set the webhook "
              f"active again, then use \u201crecover\u201d to resend what failed.\n\n"
              f"{kernel.settings.public_url}\n"))
    return True


def note_failure(kernel: Any, webhook_id: Any, now: dt.datetime, config: WebhookConfig) -> None:
    """Start (or extend) the webhook's run of failures; disable it when the run is too long."""
    (Webhook.update(failing_since=now)
     .where(Webhook.id == webhook_id, Webhook.failing_since.is_null()).execute())
    webhook = Webhook.get_by_id(webhook_id)
    limit = dt.timedelta(days=config.disable_after_days)
    if webhook.is_active and webhook.failing_since and now - webhook.failing_since >= limit \
            and config.disable_after_days > 0:
        disable(kernel, webhook_id, f"failing continuously since {iso(webhook.failing_since)}")
