"""Domain events through the outbox.

:meth:`EventBus.record` writes the event in the caller's transaction; the
dispatch job runs after commit and calls every ``synergy_on_event``
implementation on its own, remembering which plugins still owe a successful
handling. The sweep, run every few seconds by the worker, re-dispatches
whatever a crash or a failing subscriber left behind, with back-off, so
delivery is at-least-once. A dispatcher holds its event with a short lease
renewed while it works (:mod:`synergy.leases`): one that died lets the event go
within seconds.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import TYPE_CHECKING, Any

from synergy.contributions import EventType
from synergy.errors import PluginError
from synergy.models import Event, utcnow
from synergy.plugin_manager import call_impl

if TYPE_CHECKING:
    from synergy.app import Kernel
    from synergy.models import Project, User

log = logging.getLogger("synergy.events")

DISPATCH_JOB = "kernel.dispatch_event"
MAX_DISPATCH_ATTEMPTS = 12
# An event never taken and younger than this is left to its own dispatch job.
SWEEP_GRACE = dt.timedelta(seconds=30)


def _backoff(attempts: int) -> dt.timedelta:
    return dt.timedelta(seconds=min(30 * 2 ** (attempts - 1), 6 * 3600))


class EventBus:
    def __init__(self, kernel: Kernel) -> None:
        self.kernel = kernel
        self.catalogue: dict[str, tuple[str, EventType]] = {}

    def declare(self, plugin: str, event_type: EventType) -> None:
        existing = self.catalogue.get(event_type.name)
        if existing is not None and existing[0] != plugin:
            raise PluginError(f"event type {event_type.name} is declared by both "
                              f"{existing[0]} and {plugin}")
        self.catalogue[event_type.name] = (plugin, event_type)

    def record(
        self,
        type: str,
        *,
        payload: dict[str, Any] | None = None,
        actor: User | int | None = None,
        project: Project | int | None = None,
        description: str = "",
    ) -> Event:
        """Write an event in the current transaction; it is dispatched after commit."""
        if type not in self.catalogue:
            raise PluginError(f"event type {type!r} is not in the catalogue; declare it with "
                              "the synergy_event_types hook")
        event = Event.create(
            type=type,
            payload=payload or {},
            actor_id=getattr(actor, "id", actor),
            project_id=getattr(project, "id", project),
            description=description,
        )
        self.kernel.jobs.enqueue_after_commit(DISPATCH_JOB, event.id)
        return event

    def subscribers(self) -> dict[str, Any]:
        return {impl.plugin_name: impl
                for impl in self.kernel.plugins.pm.hook.synergy_on_event.get_hookimpls()}

    def dispatch(self, event_id: int) -> bool:
        """Deliver one event to the subscribers that have not handled it. True when done.

        False also when another dispatcher holds the event right now (a late
        dispatch job meeting the sweep): it finishes the work, and delivering
        concurrently would only call the same subscribers twice.
        """
        db = self.kernel.db
        event = Event.get_or_none(Event.id == event_id)
        if event is None or event.dispatched_at is not None:
            return True
        if not self._take(event_id):
            return False
        subscribers = self.subscribers()
        owed = (list(subscribers) if event.pending_subscribers is None
                else [name for name in event.pending_subscribers if name in subscribers])
        failed: list[str] = []
        errors: list[str] = []
        with self.kernel.jobs.leases.holding(lambda until: self._renew(event_id, until)):
            for name in owed:
                try:
                    with db.atomic():
                        call_impl(subscribers[name], kernel=self.kernel, event=event)
                except Exception as exc:
                    log.exception("subscriber %s failed on event %s (%s)", name, event.id,
                                  event.type)
                    failed.append(name)
                    errors.append(f"{name}: {type(exc).__name__}: {exc}"[:500])
        attempts = event.dispatch_attempts + 1
        now = utcnow()
        done = not failed
        if failed and attempts >= MAX_DISPATCH_ATTEMPTS:
            log.error("giving up on event %s for %s after %s attempts", event.id, failed,
                      attempts)
            done = True
        Event.update(
            dispatch_attempts=attempts,
            pending_subscribers=failed,
            dispatched_at=now if done else None,
            next_attempt_at=None if done else now + _backoff(attempts),
            last_error="\n".join(errors),
        ).where(Event.id == event.id).execute()
        return not failed

    def _take(self, event_id: int) -> bool:
        """Lease the event to this dispatcher if it is due and nobody else holds it."""
        now = utcnow()
        return bool(Event.update(next_attempt_at=self.kernel.jobs.leases.until())
                    .where(Event.id == event_id, Event.dispatched_at.is_null(),
                           Event.next_attempt_at.is_null() | (Event.next_attempt_at <= now))
                    .execute())

    @staticmethod
    def _renew(event_id: int, until: dt.datetime) -> None:
        Event.update(next_attempt_at=until).where(Event.id == event_id,
                                                  Event.dispatched_at.is_null()).execute()

    def sweep(self, limit: int = 500) -> int:
        """Re-dispatch events left undispatched (lost job, crash, failing subscriber).

        An event whose lease or back-off has run out is due at once: its holder
        stopped renewing, so it is gone. One never taken gets ``SWEEP_GRACE``
        for its own dispatch job to run first.
        """
        now = utcnow()
        due = (Event.select(Event.id)
               .where(Event.dispatched_at.is_null(),
                      (Event.next_attempt_at <= now)
                      | (Event.next_attempt_at.is_null()
                         & (Event.occurred_at <= now - SWEEP_GRACE)))
               .order_by(Event.id).limit(limit))
        ids = [row.id for row in due]
        for event_id in ids:
            self.dispatch(event_id)
        return len(ids)
