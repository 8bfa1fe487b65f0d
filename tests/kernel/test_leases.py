"""Lost work is noticed within seconds: renewed short leases and the worker's ticker."""

from __future__ import annotations

import datetime as dt
import queue
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from synergy_hookspecs import hookimpl

from synergy import EventType, Job
from synergy.app import Kernel
from synergy.leases import LEASE, LeaseKeeper
from synergy.models import Event, OutgoingMail, utcnow
from synergy.ticker import Ticker
from tests.conftest import TEST_REDIS_URL, _admin_connection, requires_postgres, requires_redis
from tests.kernel.conftest import unique_queue_name
from tests.kernel.probe_plugins import Misbehaving, Subscriber


def _lease_end(event_id: int) -> dt.datetime:
    return Event.get_by_id(event_id).next_attempt_at


def test_a_held_lease_is_renewed_until_the_work_ends(app: Kernel) -> None:
    keeper = LeaseKeeper(app, lease=dt.timedelta(seconds=1), every=0.1)
    with app.connection():
        event = Event.create(type="probe", next_attempt_at=keeper.until())
        first_end = _lease_end(event.id)

        def renew(until: dt.datetime) -> None:
            Event.update(next_attempt_at=until).where(Event.id == event.id).execute()

        with keeper.holding(renew):
            time.sleep(1.5)  # longer than the lease itself
            renewed_end = _lease_end(event.id)
            assert renewed_end > first_end + dt.timedelta(seconds=1)
            assert renewed_end > utcnow()  # still held while the work runs
        ended = _lease_end(event.id)
        time.sleep(0.5)
        assert _lease_end(event.id) == ended  # no heartbeat once the work is over


def test_an_event_whose_dispatcher_died_is_swept_at_once(make_app: Callable[..., Kernel]
                                                         ) -> None:
    """A young event whose lease ran out is not left to the grace meant for fresh events."""
    subscriber = Subscriber("watcher")
    kernel = make_app([Misbehaving(), subscriber])
    with kernel.connection():
        event = Event.create(type="probe.happened")
        assert kernel.events._take(event.id)  # a dispatcher took it, then died
        assert kernel.events.sweep() == 0  # its lease still runs
        Event.update(next_attempt_at=utcnow() - dt.timedelta(seconds=1)).execute()
        assert kernel.events.sweep() == 1
    assert subscriber.types() == ["probe.happened"]


def test_a_mail_whose_sender_died_is_swept_at_once(app: Kernel) -> None:
    with app.connection():
        mail = OutgoingMail.create(to="ada@example.com", subject="hi", text="hello")
        assert app.mail._take(mail.id)
        assert app.mail.sweep() == 0
        OutgoingMail.update(next_attempt_at=utcnow() - dt.timedelta(seconds=1)).execute()
        assert app.mail.sweep() == 1
        assert OutgoingMail.get_by_id(mail.id).sent_at is not None


class Ticks:
    PLUGIN_NAME = "ticks"

    def __init__(self, interval: float) -> None:
        self.interval = interval
        self.runs: list[float] = []

    @hookimpl
    def synergy_jobs(self) -> list[Job]:
        return [Job("tick", self._tick, interval=self.interval)]

    def _tick(self, kernel: Any) -> None:
        self.runs.append(time.monotonic())


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("redis", marks=requires_redis)])
def test_an_interval_job_runs_once_per_interval_across_workers(
        make_app: Callable[..., Kernel], backend: str) -> None:
    """Two apps on one queue storage stand for two worker processes, each with its ticker."""
    shared = {"SYNERGY_QUEUE_IMMEDIATE": False, "SYNERGY_QUEUE_NAME": unique_queue_name(),
              "SYNERGY_REDIS_URL": TEST_REDIS_URL if backend == "redis" else ""}
    one, two = Ticks(0.25), Ticks(0.25)
    first = make_app([one], **shared)
    second = make_app([two], migrate=False, **shared)
    try:
        assert Ticker(first.jobs).run_slot("ticks.tick", 7)
        assert not Ticker(second.jobs).run_slot("ticks.tick", 7)
        assert Ticker(second.jobs).run_slot("ticks.tick", 8)
        one.runs.clear()
        two.runs.clear()

        tickers = [Ticker(first.jobs).start(), Ticker(second.jobs).start()]
        time.sleep(2.1)
        for ticker in tickers:
            ticker.stop()
        runs = len(one.runs) + len(two.runs)
        # At most one run per 0.25 s slot (9 slots, 10 with a partial one), not twice that;
        # at least most slots ran although the machine may be busy.
        assert 4 <= runs <= 10, (one.runs, two.runs)
    finally:
        first.jobs.huey.flush()


def test_an_interval_job_cannot_also_have_a_schedule(make_app: Callable[..., Kernel]) -> None:
    from huey import crontab

    from synergy.errors import PluginError

    class Both:
        PLUGIN_NAME = "both"

        @hookimpl
        def synergy_jobs(self) -> list[Job]:
            return [Job("x", lambda kernel: None, schedule=crontab(), interval=5)]

    with pytest.raises(PluginError, match="interval"):
        make_app([Both()])


class _StuckOnItsConnection:
    """The first handling of an event blocks until the test killed its database session."""

    PLUGIN_NAME = "stuck"

    def __init__(self) -> None:
        self.session: queue.Queue[int] = queue.Queue()
        self.killed = threading.Event()
        self.handled: list[int] = []

    @hookimpl
    def synergy_event_types(self) -> list[EventType]:
        return [EventType("probe.stuck", "Test-only event.")]

    @hookimpl
    def synergy_on_event(self, kernel: Any, event: Any) -> None:
        if not self.killed.is_set():
            self.session.put(kernel.db.execute_sql("SELECT pg_backend_pid()").fetchone()[0])
            self.killed.wait(30)
            kernel.db.execute_sql("SELECT 1")  # the session is gone: this fails
        self.handled.append(event.id)


@requires_postgres
def test_an_event_whose_connection_was_killed_goes_out_within_seconds(
        make_app: Callable[..., Kernel], database_url: str) -> None:
    stuck = _StuckOnItsConnection()
    kernel = make_app([stuck], SYNERGY_QUEUE_IMMEDIATE=False, SYNERGY_REDIS_URL="",
                      SYNERGY_QUEUE_NAME=unique_queue_name())
    with kernel.connection():
        event = kernel.events.record("probe.stuck")
    kernel.jobs.huey.flush()  # the worker below takes the job itself
    dispatch = kernel.jobs.registered["kernel.dispatch_event"][2]
    failures: list[BaseException] = []

    def worker_thread() -> None:
        try:
            dispatch.call_local(event.id)
        except BaseException as exc:  # noqa: BLE001 (reported to the test)
            failures.append(exc)

    dispatcher = threading.Thread(target=worker_thread)
    dispatcher.start()
    pid = stuck.session.get(timeout=30)
    admin = _admin_connection(database_url)
    with admin.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", (pid,))
    admin.close()
    killed_at = time.monotonic()
    stuck.killed.set()
    dispatcher.join(30)
    assert failures, "the dispatch should have failed with its connection"

    ticker = Ticker(kernel.jobs).start()
    try:
        deadline = killed_at + LEASE.total_seconds() + 10
        while not stuck.handled and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        ticker.stop()
        kernel.jobs.huey.flush()
    assert stuck.handled == [event.id]
    took = time.monotonic() - killed_at
    assert took < LEASE.total_seconds() + 5, took
    with kernel.connection():
        assert Event.get_by_id(event.id).dispatched_at is not None


def test_a_mail_sent_longer_than_its_lease_is_not_taken_over(make_app, smtp_server) -> None:
    """The heartbeat keeps a slow SMTP conversation's lease alive; the sweep leaves it be."""
    server = smtp_server()
    server.handler.hold = threading.Event()
    kernel = make_app(SYNERGY_SMTP_URL=server.url, SYNERGY_QUEUE_IMMEDIATE=False,
                      SYNERGY_REDIS_URL="", SYNERGY_QUEUE_NAME=unique_queue_name())
    kernel.jobs.leases = LeaseKeeper(kernel, lease=dt.timedelta(seconds=0.6), every=0.1)
    with kernel.connection():
        mail = kernel.mail.send(to="ada@example.com", subject="Slow", text="Once")
        OutgoingMail.update(created_at=utcnow() - dt.timedelta(minutes=5)).execute()

    def send_job() -> None:
        with kernel.connection():
            kernel.mail.deliver(mail.id)

    sender = threading.Thread(target=send_job)
    sender.start()
    try:
        assert server.handler.receiving.wait(10)
        for _ in range(10):  # 2 s of sweeps, more than three leases long
            with kernel.connection():
                assert kernel.mail.sweep() == 0
            time.sleep(0.2)
    finally:
        server.handler.hold.set()
        sender.join(20)
        kernel.jobs.huey.flush()
    assert len(server.handler.messages) == 1 and server.handler.attempts == 1
    with kernel.connection():
        assert OutgoingMail.get_by_id(mail.id).sent_at is not None
