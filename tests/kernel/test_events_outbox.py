"""The events outbox: same transaction, isolated subscribers, back-off, give-up, crash recovery."""

from __future__ import annotations

import datetime as dt

import pytest
from synergy_hookspecs import hookimpl

from synergy.errors import PluginError
from synergy.events import MAX_DISPATCH_ATTEMPTS
from synergy.models import Event, utcnow
from tests.conftest import TEST_REDIS_URL, Api
from tests.kernel.conftest import unique_queue_name
from tests.kernel.probe_plugins import Misbehaving, Subscriber


def _age_everything(kernel, seconds: int = 120) -> None:
    """Let time pass for the sweep: events become older and their back-off elapses."""
    shift = dt.timedelta(seconds=seconds)
    with kernel.connection():
        for event in Event.select():
            Event.update(occurred_at=event.occurred_at - shift,
                         next_attempt_at=event.next_attempt_at and event.next_attempt_at - shift,
                         ).where(Event.id == event.id).execute()


def _event(kernel, event_type: str) -> Event:
    with kernel.connection():
        return Event.get(Event.type == event_type)


def test_an_event_is_dispatched_after_commit_and_rolled_back_with_its_change(make_app) -> None:
    subscriber = Subscriber("watcher")
    kernel = make_app([Misbehaving(), subscriber])
    with kernel.connection(), pytest.raises(RuntimeError, match="abandon"):
        with kernel.db.atomic():
            kernel.events.record("probe.happened", payload={"step": "lost"})
            raise RuntimeError("abandon the change")
    with kernel.connection():
        assert Event.select().count() == 0
    assert subscriber.calls == 0

    with kernel.connection():
        with kernel.db.atomic():
            event = kernel.events.record("probe.happened", payload={"step": "kept"},
                                         actor=7, project=12, description="kept")
            # Not yet committed: nobody has been told.
            assert subscriber.calls == 0
    assert subscriber.received == [(event.id, "probe.happened", {"step": "kept"})]
    stored = _event(kernel, "probe.happened")
    assert (stored.actor_id, stored.project_id, stored.description) == (7, 12, "kept")
    assert stored.dispatched_at is not None and stored.pending_subscribers == []


def test_undeclared_event_types_are_refused(app) -> None:
    with app.connection(), pytest.raises(PluginError, match="not in the catalogue"):
        app.events.record("probe.undeclared")


def test_a_failing_subscriber_is_isolated_and_retried_alone_with_back_off(make_app) -> None:
    steady, flaky = Subscriber("steady"), Subscriber("flaky", failures=2)
    kernel = make_app([steady, flaky])
    result = Api(kernel).post("/api/auth/register/", {
        "username": "ada", "email": "ada@example.com", "password": "Correct-Horse-42"})
    assert result.status_code == 201  # the request does not notice the failure
    assert steady.types() == ["user.registered"] and flaky.received == []

    first = _event(kernel, "user.registered")
    assert first.dispatched_at is None and first.pending_subscribers == ["flaky"]
    assert "flaky is down" in first.last_error
    first_delay = first.next_attempt_at - utcnow()
    assert dt.timedelta(seconds=20) < first_delay <= dt.timedelta(seconds=30)

    with kernel.connection():
        assert kernel.events.sweep() == 0  # too young, and backing off
    assert flaky.calls == 1

    _age_everything(kernel)
    with kernel.connection():
        assert kernel.events.sweep() == 1
    second = _event(kernel, "user.registered")
    assert second.dispatch_attempts == 2 and second.pending_subscribers == ["flaky"]
    assert second.next_attempt_at - utcnow() > first_delay  # the back-off grows

    _age_everything(kernel)
    with kernel.connection():
        kernel.events.sweep()
    done = _event(kernel, "user.registered")
    assert done.dispatched_at is not None and done.pending_subscribers == []
    assert flaky.types() == ["user.registered"]
    assert steady.types() == ["user.registered"]  # never called twice


def test_a_subscriber_that_never_recovers_is_given_up(make_app) -> None:
    steady, broken = Subscriber("steady"), Subscriber("broken", failures=-1)
    kernel = make_app([Misbehaving(), steady, broken])
    with kernel.connection():
        kernel.events.record("probe.happened")
    for _ in range(MAX_DISPATCH_ATTEMPTS + 3):
        _age_everything(kernel, seconds=7 * 3600)
        with kernel.connection():
            kernel.events.sweep()
    assert broken.calls == MAX_DISPATCH_ATTEMPTS
    event = _event(kernel, "probe.happened")
    assert event.dispatched_at is not None  # no longer swept
    assert event.pending_subscribers == ["broken"]  # but the give-up is on record
    assert event.dispatch_attempts == MAX_DISPATCH_ATTEMPTS
    assert steady.calls == 1


def test_a_subscriber_removed_meanwhile_is_no_longer_owed(make_app) -> None:
    broken = Subscriber("broken", failures=-1)
    kernel = make_app([Misbehaving(), broken])
    with kernel.connection():
        kernel.events.record("probe.happened")
    kernel.plugins.pm.unregister(name="broken")
    _age_everything(kernel)
    with kernel.connection():
        kernel.events.sweep()
    assert _event(kernel, "probe.happened").dispatched_at is not None


def test_a_crash_between_commit_and_dispatch_loses_nothing(make_app) -> None:
    subscriber = Subscriber("watcher")
    kernel = make_app([subscriber], SYNERGY_QUEUE_IMMEDIATE=False,
                      SYNERGY_REDIS_URL=TEST_REDIS_URL, SYNERGY_QUEUE_NAME=unique_queue_name())
    huey = kernel.jobs.huey
    assert kernel.jobs.backend == ("redis" if TEST_REDIS_URL else "sqlite")
    try:
        result = Api(kernel).post("/api/auth/register/", {
            "username": "ada", "email": "ada@example.com", "password": "Correct-Horse-42"})
        assert result.status_code == 201
        queued = [huey.dequeue() for _ in range(huey.pending_count())]
        assert [task.name for task in queued] == ["kernel.dispatch_event"]
        # The queued job is dropped unrun: the worker "crashed" before running it.
        assert subscriber.calls == 0 and huey.pending_count() == 0

        with kernel.connection():
            assert kernel.events.sweep() == 0  # grace period: its own job may still come
        _age_everything(kernel)
        with kernel.connection():
            assert kernel.events.sweep() == 1
            assert kernel.events.sweep() == 0
        assert subscriber.types() == ["user.registered"]
        assert _event(kernel, "user.registered").dispatched_at is not None
    finally:
        huey.flush()


class _Reentrant(Subscriber):
    """While handling an event, a second dispatcher (a late job, a sweep) tries the same one."""

    def __init__(self) -> None:
        super().__init__("reentrant")
        self.second_dispatch: list[bool] = []

    @hookimpl
    def synergy_on_event(self, kernel, event) -> None:
        super().synergy_on_event(kernel, event)
        self.second_dispatch.append(kernel.events.dispatch(event.id))


def test_an_event_is_held_by_one_dispatcher_at_a_time(make_app) -> None:
    subscriber = _Reentrant()
    kernel = make_app([Misbehaving(), subscriber])
    with kernel.connection():
        kernel.events.record("probe.happened")
    assert subscriber.calls == 1
    assert subscriber.second_dispatch == [False]
    assert _event(kernel, "probe.happened").dispatched_at is not None
