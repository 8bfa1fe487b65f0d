"""The send job and the sweep: claim due deliveries, send them concurrently, record.

A delivery is *claimed* by one atomic UPDATE that sets a claim token and
pushes ``next_attempt_at`` to the end of a short lease, renewed by the
process's heartbeat while the attempts run (:mod:`synergy.leases`), so two
jobs (a retry and a sweep, say) never send the same delivery at once, and a
delivery whose worker died is due again within seconds.
HTTP runs in a thread pool without touching the database; the outcomes of a
job's attempts are then written in one transaction. Nothing is marked
``success`` without a 2xx.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
import uuid
from dataclasses import dataclass
from typing import Any

from synergy_webhooks import retries, signing, ssrf
from synergy_webhooks.bulk import insert_rows
from synergy_webhooks.config import WebhookConfig, config_of
from synergy_webhooks.disabling import disable, note_failure
from synergy_webhooks.fanout import DELIVER_JOB, enqueue_batches
from synergy_webhooks.models import (
    FAILED,
    OPEN_STATUSES,
    RETRYING,
    SUCCESS,
    Delivery,
    DeliveryAttempt,
    Webhook,
)
from synergy_webhooks.runtime import runtime_of
from synergy_webhooks.sender import AttemptResult, Transport

from synergy import __version__
from synergy.models import utcnow

log = logging.getLogger("synergy.webhooks")

USER_AGENT = f"SynergyOS-Webhook/{__version__}"


@dataclass(frozen=True)
class Work:
    delivery: Delivery
    webhook: Webhook
    secrets: tuple[str, ...]


def live_secrets(webhook: Webhook, now: dt.datetime) -> tuple[str, ...]:
    """The current secret, plus the previous one while its grace period lasts."""
    expires = webhook.previous_secret_expires_at
    if webhook.previous_secret and expires is not None and expires > now:
        return (webhook.secret, webhook.previous_secret)
    return (webhook.secret,)


def request_headers(work: Work, body: bytes, timestamp: int) -> dict[str, str]:
    delivery = work.delivery
    return {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "webhook-id": delivery.message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signing.signature_header(work.secrets, delivery.message_id,
                                                      timestamp, body),
        "X-Webhook-Signature": signing.legacy_signature(work.webhook.secret, body),
        "X-Webhook-Event": delivery.event_type,
        "X-Webhook-Delivery": str(delivery.id),
        "X-Webhook-Timestamp": str(timestamp),
        "X-Delivery-Attempt": str(delivery.attempts),
    }


def attempt(work: Work, config: WebhookConfig, transport: Transport) -> AttemptResult:
    """Vet the URL again (DNS may have changed since it was saved), sign, send once."""
    try:
        target = ssrf.vet(work.webhook.url, config.allowed_networks)
    except ssrf.UnsafeURL as exc:
        return AttemptResult(None, f"not sent: {exc}", 0, "", None)
    body = work.delivery.body.encode()
    headers = request_headers(work, body, int(time.time()))
    return transport.send(target, work.webhook.url, body, headers, config.connect_timeout,
                          config.read_timeout)


def claim(delivery_ids: list[str], until: dt.datetime) -> tuple[str, list[Delivery]]:
    """Take the due ones among ``delivery_ids`` until ``until`` (the end of the lease)."""
    token = uuid.uuid4().hex
    now = utcnow()
    (Delivery.update(claim_token=token, attempts=Delivery.attempts + 1,
                     next_attempt_at=until)
     .where(Delivery.id.in_(delivery_ids), Delivery.status.in_(OPEN_STATUSES),
            Delivery.next_attempt_at <= now)
     .execute())
    return token, list(Delivery.select().where(Delivery.claim_token == token))


def _renew(token: str, until: dt.datetime) -> None:
    """Extend the lease of what this job still holds (recording its outcome releases it)."""
    Delivery.update(next_attempt_at=until).where(Delivery.claim_token == token).execute()


def _abandon(delivery: Delivery, token: str, reason: str) -> None:
    """Close a claimed delivery without an attempt (its webhook was disabled or deleted)."""
    (Delivery.update(status=FAILED, claim_token=None, last_error=reason,
                     attempts=Delivery.attempts - 1)
     .where(Delivery.id == delivery.id, Delivery.claim_token == token).execute())


def _store_outcomes(db: Any, token: str, now: dt.datetime,
                    decided: list[tuple[Work, AttemptResult, retries.Decision]]) -> None:
    """One statement shape for every delivery of the job, run with ``executemany``.

    Large fan-outs record thousands of outcomes; compiling a Peewee query per
    row would cost more than the HTTP itself. Values go through each field's
    ``db_value`` so the statement is the same on SQLite and PostgreSQL.
    """
    param = db.param
    table = Delivery._meta.table_name
    sql = (f"UPDATE {table} SET status = {param}, claim_token = NULL, "
           f"last_attempt_at = {param}, last_status_code = {param}, last_error = {param}, "
           f"last_duration_ms = {param}, last_response = {param}, "
           f"delivered_at = COALESCE({param}, delivered_at), next_attempt_at = {param} "
           f"WHERE id = {param} AND claim_token = {param}")
    moment = Delivery.last_attempt_at.db_value(now)
    rows = []
    for work, result, decision in decided:
        status = {retries.DONE: SUCCESS, retries.RETRY: RETRYING}.get(decision.action, FAILED)
        rows.append((status, moment, result.status_code, result.error, result.duration_ms,
                     result.response_body, moment if status == SUCCESS else None,
                     Delivery.next_attempt_at.db_value(
                         now + dt.timedelta(seconds=decision.delay)),
                     Delivery.id.db_value(work.delivery.id), token))
    db.cursor().executemany(sql, rows)


def record(kernel: Any, token: str, outcomes: list[tuple[Work, AttemptResult]],
           config: WebhookConfig) -> list[tuple[Work, retries.Decision]]:
    """Write a job's attempts in one transaction: log rows, delivery states, webhook health."""
    now = utcnow()
    with kernel.db.atomic():
        # A webhook deleted while its deliveries were in flight took them along.
        still_claimed = {row.id for row in Delivery.select(Delivery.id).where(
            Delivery.claim_token == token)}
        decided = [(work, result, retries.decide(
            result, work.delivery.attempts - work.delivery.ladder_start,
            config.retry_schedule, config.retry_jitter, now))
            for work, result in outcomes if work.delivery.id in still_claimed]
        if not decided:
            return []
        insert_rows(kernel.db, DeliveryAttempt, [{
            "delivery": work.delivery.id, "number": work.delivery.attempts,
            "started_at": now - dt.timedelta(milliseconds=result.duration_ms),
            "status_code": result.status_code, "error": result.error,
            "duration_ms": result.duration_ms, "response_body": result.response_body,
            "succeeded": result.succeeded} for work, result, _ in decided])
        _store_outcomes(kernel.db, token, now, decided)
        healthy = {work.webhook.id for work, _, d in decided if d.action == retries.DONE}
        if healthy:
            (Webhook.update(failing_since=None)
             .where(Webhook.id.in_(list(healthy)), Webhook.failing_since.is_null(False))
             .execute())
        for webhook_id in {work.webhook.id for work, _, d in decided
                           if d.action == retries.GONE}:
            disable(kernel, webhook_id, "the receiver answered 410 Gone")
        for webhook_id in {work.webhook.id for work, _, d in decided
                           if d.action in (retries.RETRY, retries.GIVE_UP)}:
            note_failure(kernel, webhook_id, now, config)
    return [(work, decision) for work, _, decision in decided]


def deliver(kernel: Any, delivery_ids: list[str]) -> int:
    """The ``webhooks.deliver`` job: send what is due among ``delivery_ids``."""
    config = config_of(kernel)
    token, claimed = claim(delivery_ids, kernel.jobs.leases.until())
    if not claimed:
        return 0
    hooks = {hook.id: hook for hook in
             Webhook.select().where(Webhook.id.in_({d.webhook_id for d in claimed}))}
    now = utcnow()
    work: list[Work] = []
    for delivery in claimed:
        hook = hooks.get(delivery.webhook_id)
        if hook is None or not hook.is_active:
            _abandon(delivery, token, "not sent: the webhook is disabled")
            continue
        work.append(Work(delivery, hook, live_secrets(hook, now)))
    if not work:
        return 0
    runtime = runtime_of(kernel)
    with kernel.jobs.leases.holding(lambda until: _renew(token, until)):
        results = list(runtime.pool.map(lambda item: attempt(item, config, runtime.transport),
                                        work))
    for item, decision in record(kernel, token, list(zip(work, results, strict=True)), config):
        if decision.action == retries.RETRY:
            try:
                kernel.jobs.enqueue_in(decision.delay, DELIVER_JOB, [str(item.delivery.id)])
            except Exception:
                log.exception("could not schedule the retry of delivery %s; the sweep will",
                              item.delivery.id)
    return len(work)


def sweep(kernel: Any, limit: int = 5000) -> int:
    """The ``webhooks.sweep`` job (every few seconds): re-enqueue due deliveries nobody sends.

    Catches retries whose scheduled job was lost, deliveries whose first job
    never ran (queue down at commit time) and leases left by a killed worker.
    An expired lease is due at once (its holder stopped renewing it); an
    unclaimed delivery waits the sweep grace, for its own job to run first.
    """
    config = config_of(kernel)
    now = utcnow()
    cutoff = now - dt.timedelta(seconds=config.sweep_grace_seconds)
    due = (Delivery.select(Delivery.id)
           .where(Delivery.status.in_(OPEN_STATUSES),
                  (Delivery.next_attempt_at <= cutoff)
                  | (Delivery.claim_token.is_null(False) & (Delivery.next_attempt_at <= now)))
           .order_by(Delivery.next_attempt_at).limit(limit))
    ids = [str(row.id) for row in due]
    enqueue_batches(kernel, ids)
    return len(ids)
