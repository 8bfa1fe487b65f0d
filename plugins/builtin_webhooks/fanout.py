"""The ``synergy_on_event`` subscriber: which webhooks get an event, as delivery rows.

Who receives what:

* A project event goes to the active webhooks of users who could see the
  project when the event happened (owner or member), unscoped or scoped to
  that project. Membership "at the time" is today's membership with every
  later ``member.added``/``member.removed`` of the project undone, so a user
  added afterwards never receives older events and a removed member still
  receives the events from before (including their own ``member.removed``).
  For a deleted project the membership is rebuilt from its event history.
* An event without a project (``auth.*``, ``user.*``, ``webhook.disabled``)
  concerns one account: the user in its payload, else its actor. It goes only
  to that user's own unscoped webhooks, so nobody ever receives another
  user's logins or password changes. ``auth.login_failed`` for an unknown
  username concerns nobody and is delivered to nobody.
* ``webhook.test`` is addressed to one webhook and delivered by the test
  endpoint itself, never fanned out.

Rows are inserted with insert-or-ignore on the unique (webhook, event) key, so
an event dispatched twice still yields exactly one delivery per webhook.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

import orjson
from synergy_webhooks.bulk import insert_rows
from synergy_webhooks.catalogue import TEST_EVENT
from synergy_webhooks.config import config_of
from synergy_webhooks.models import PENDING, Delivery, Webhook

from synergy.http import iso
from synergy.models import Event, Project, ProjectMember, User, utcnow

DELIVER_JOB = "webhooks.deliver"  # the "deliver" job as the kernel registers it
MEMBER_EVENTS = ("member.added", "member.removed")


def matches(patterns: Iterable[str], event_type: str) -> bool:
    """``*`` matches all, ``task.*`` every type starting with ``task.``, else exact."""
    for pattern in patterns:
        if pattern in ("*", event_type):
            return True
        if pattern.endswith(".*") and event_type.startswith(pattern[:-1]):
            return True
    return False


def _user_id(payload: Any) -> int | None:
    user = payload.get("user") if isinstance(payload, dict) else None
    user_id = user.get("id") if isinstance(user, dict) else None
    return user_id if isinstance(user_id, int) else None


def _owner_id(payload: Any) -> int | None:
    project = payload.get("project") if isinstance(payload, dict) else None
    owner = project.get("owner") if isinstance(project, dict) else None
    owner_id = owner.get("id") if isinstance(owner, dict) else None
    return owner_id if isinstance(owner_id, int) else None


def _members_from_history(event: Event) -> set[int]:
    members: set[int] = set()
    history = (Event.select(Event.type, Event.payload)
               .where(Event.project_id == event.project_id, Event.id <= event.id,
                      Event.type.in_(MEMBER_EVENTS + ("project.created",)))
               .order_by(Event.id))
    for past in history:
        user_id = _owner_id(past.payload) if past.type == "project.created" \
            else _user_id(past.payload)
        if user_id is None:
            continue
        if past.type == "member.removed":
            members.discard(user_id)
        else:
            members.add(user_id)
    return members


def project_audience(event: Event) -> set[int]:
    """Ids of the users who could see the event's project when it happened."""
    project = Project.get_or_none(Project.id == event.project_id)
    if project is None:
        members = _members_from_history(event)
    else:
        members = {row.user_id for row in ProjectMember.select(ProjectMember.user)
                   .where(ProjectMember.project == project.id)}
        members.add(project.owner_id)
    later = (Event.select(Event.type, Event.payload)
             .where(Event.project_id == event.project_id, Event.id > event.id,
                    Event.type.in_(MEMBER_EVENTS))
             .order_by(Event.id.desc()))
    for change in later:
        user_id = _user_id(change.payload)
        if user_id is None:
            continue
        if change.type == "member.added":
            members.discard(user_id)
        else:
            members.add(user_id)
    owner_id = _owner_id(event.payload)
    if owner_id is not None:
        members.add(owner_id)
    if event.type == "member.removed" and _user_id(event.payload) is not None:
        members.add(_user_id(event.payload))
    return members


def candidate_webhooks(event: Event) -> list[Webhook]:
    query = (Webhook.select(Webhook.id, Webhook.events)
             .join(User, on=(Webhook.owner == User.id))
             .where(Webhook.is_active == True, User.is_active == True))  # noqa: E712
    if event.project_id is not None:
        audience = project_audience(event)
        if not audience:
            return []
        query = query.where(Webhook.owner.in_(list(audience)),
                            Webhook.project_id.is_null()
                            | (Webhook.project_id == event.project_id))
    else:
        subject = _user_id(event.payload) or event.actor_id
        if subject is None:
            return []
        query = query.where(Webhook.owner == subject, Webhook.project_id.is_null())
    return [hook for hook in query if matches(hook.events, event.type)]


def message_body(event: Event) -> str:
    return orjson.dumps({"type": event.type, "timestamp": iso(event.occurred_at),
                         "data": event.payload}, default=str).decode()


def new_delivery_row(webhook_id: Any, event: Event, body: str) -> dict[str, Any]:
    now = utcnow()
    return {"id": uuid.uuid4(), "webhook": webhook_id, "event_id": event.id,
            "event_type": event.type, "message_id": f"msg_{uuid.uuid4().hex}", "body": body,
            "status": PENDING, "next_attempt_at": now, "created_at": now}


def enqueue_batches(kernel: Any, delivery_ids: list[str]) -> None:
    """Defer the send jobs to after the commit, split so each job stays bounded."""
    size = config_of(kernel).batch_size
    for start in range(0, len(delivery_ids), size):
        kernel.jobs.enqueue_after_commit(DELIVER_JOB, delivery_ids[start:start + size])


def fan_out(kernel: Any, event: Event) -> int:
    """Create the event's deliveries (idempotently) and queue them; returns how many are new."""
    if event.type == TEST_EVENT:
        return 0
    hooks = candidate_webhooks(event)
    if not hooks:
        return 0
    body = message_body(event)
    rows = [new_delivery_row(hook.id, event, body) for hook in hooks]
    insert_rows(kernel.db, Delivery, rows, ignore_conflicts=True)
    fresh = (Delivery.select(Delivery.id)
             .where(Delivery.event_id == event.id, Delivery.status == PENDING,
                    Delivery.attempts == 0, Delivery.claim_token.is_null(),
                    Delivery.webhook.in_([hook.id for hook in hooks]))
             .order_by(Delivery.created_at))
    ids = [str(row.id) for row in fresh]
    enqueue_batches(kernel, ids)
    return len(ids)
