"""Redis and the job-queue storage: the one place that decides what their outages do.

A web request may touch two services besides the database: Redis (rate-limit
and lockout counters, and the job queue when ``SYNERGY_REDIS_URL`` is set)
and the queue storage (Redis, or ``queue.db`` in the data directory). Neither
holds the only copy of anything a request writes, so an outage of either must
never become a 500. Every call to them goes through :meth:`BackingServices.call`
with a :class:`Use` that says what that call does when the service is out:

- *fail open*: the call is skipped, it returns ``None``, and the request goes
  on (a rate limit not enforced, a job left to the outbox sweeps);
- *fail closed*: the request is refused with ``503 <service>_unavailable`` and
  ``Retry-After``, because going on would lose work nobody else records.

The README's "Outages" section lists every use and its decision. The job
queue's Huey classes (:class:`GuardedRedisQueue`, :class:`GuardedSqliteQueue`)
send the worker's own storage calls through the same place.

Logging is per outage, not per request: one error when a service stops
answering (naming the use that noticed and what it does meanwhile), one
warning when it answers again (how long it was out, and how many calls of
each use fell back). Each process notices on its own, so N gunicorn workers
log N lines. While a service is out, calls are not even attempted for
:data:`RETRY_SECONDS` after the last failure, so a Redis that drops packets
(each attempt waiting out its socket timeout) does not slow every request
down; ``GET /api/auth/health/`` always asks, and reports the state.
"""

from __future__ import annotations

import datetime
import enum
import logging
import sqlite3
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import huey
import peewee
import redis

from synergy.errors import ServiceUnavailable
from synergy.sqlite_queue import SqliteQueue

log = logging.getLogger("synergy.outages")

T = TypeVar("T")

# How long a service that failed is left alone before the next call tries it again,
# and the Retry-After a fail-closed refusal sends.
RETRY_SECONDS = 5
# Socket timeouts of every Redis client: a stalled Redis costs a request seconds, not minutes.
REDIS_TIMEOUTS = {"socket_timeout": 5, "socket_connect_timeout": 2}


class Failure(enum.Enum):
    OPEN = "open"
    CLOSED = "closed"


@dataclass(frozen=True)
class Use:
    """One kind of call to a backing service, and what it does while that service is out.

    ``service`` is ``"redis"`` (the server at ``SYNERGY_REDIS_URL``) or ``"queue"``
    (the job-queue storage, whichever it is). ``meanwhile`` completes the sentence
    "while <service> is out, ..." in the outage log.
    """

    name: str
    service: str
    failure: Failure
    meanwhile: str


# The kernel's own uses; plugins declare theirs next to the code that calls.
ENQUEUE = Use("jobs.enqueue", "queue", Failure.CLOSED,
              "jobs enqueued directly are refused with 503 (nothing else records them)")
ENQUEUE_AFTER_COMMIT = Use("jobs.enqueue_after_commit", "queue", Failure.OPEN,
                           "jobs following a commit are not queued; the outbox sweeps "
                           "queue them again")
ENQUEUE_IN = Use("jobs.enqueue_in", "queue", Failure.OPEN,
                 "delayed retries are not queued; the sweeps find the due rows")
PERIODIC_CLAIM = Use("jobs.periodic_claim", "queue", Failure.OPEN,
                     "periodic jobs run without their once-per-minute claim")
DEQUEUE = Use("jobs.dequeue", "queue", Failure.OPEN,
              "workers find no jobs and poll again every second")
READ_SCHEDULE = Use("jobs.read_schedule", "queue", Failure.OPEN,
                    "scheduled jobs (retries) wait until it is back")
WORKER_ENQUEUE = Use("jobs.worker_enqueue", "queue", Failure.OPEN,
                     "workers skip their own enqueues: periodic jobs run at their next "
                     "minute, and the sweeps find due deliveries and mail")
# Names the health check in the outage log, whichever service it probed.
HEALTH = Use("health", "", Failure.OPEN, "GET /api/auth/health/ reports it down")


class BackingService:
    """One service's outage state: up, or down since when, and what fell back meanwhile."""

    def __init__(self, name: str, errors: tuple[type[BaseException], ...],
                 ping: Callable[[], Any]) -> None:
        self.name = name
        self.errors = errors
        self.ping = ping
        self._lock = threading.Lock()
        self._down_since: float | None = None
        self._retry_at = 0.0
        self._fell_back: Counter[str] = Counter()
        self._local = threading.local()

    @property
    def state(self) -> str:
        return "ok" if self._down_since is None else "down"

    def call(self, use: Use, func: Callable[..., T], *args: Any, **kwargs: Any) -> T | None:
        """``func(*args, **kwargs)``, or the outage behaviour of ``use`` when the service is out.

        The outermost use decides: a call made inside another call to the same
        service (Huey's ``enqueue`` inside :meth:`JobQueue.enqueue`) runs as is
        and its failure reaches the outer one.
        """
        if getattr(self._local, "inside", False):
            return func(*args, **kwargs)
        if self._down_since is not None and time.monotonic() < self._retry_at:
            return self._fall_back(use, None)
        self._local.inside = True
        try:
            result = func(*args, **kwargs)
        except self.errors as exc:
            self._failed(use, exc)
            return self._fall_back(use, exc)
        finally:
            self._local.inside = False
        if self._down_since is not None:
            self._recovered()
        return result

    def probe(self) -> str:
        """Ask the service now, whatever the retry pause says: ``"ok"`` or ``"down"``."""
        try:
            self.ping()
        except Exception as exc:  # a health check must answer, whatever the failure
            self._failed(HEALTH, exc)
            return "down"
        if self._down_since is not None:
            self._recovered()
        return "ok"

    def _fall_back(self, use: Use, exc: BaseException | None) -> None:
        with self._lock:
            self._fell_back[use.name] += 1
        if use.failure is Failure.CLOSED:
            raise ServiceUnavailable(
                f"The {use.service} service is unavailable; retry in {RETRY_SECONDS} seconds.",
                code=f"{use.service}_unavailable",
                headers={"Retry-After": str(RETRY_SECONDS)}) from exc
        return None

    def _failed(self, use: Use, exc: BaseException) -> None:
        now = time.monotonic()
        with self._lock:
            self._retry_at = now + RETRY_SECONDS
            if self._down_since is not None:
                return
            self._down_since = now
            self._fell_back.clear()
        log.error("%s is unavailable (%s: %s), noticed by %s; while it is out, %s, and "
                  "every other use falls back as the README's 'Outages' section says",
                  self.name, type(exc).__name__, exc, use.name, use.meanwhile)

    def _recovered(self) -> None:
        with self._lock:
            if self._down_since is None:
                return
            lasted = time.monotonic() - self._down_since
            fell_back = ", ".join(f"{count} x {name}"
                                  for name, count in sorted(self._fell_back.items()))
            self._down_since = None
            self._fell_back.clear()
        log.warning("%s is available again after %.1f s; calls that fell back meanwhile: %s",
                    self.name, lasted, fell_back or "none")


class BackingServices:
    """Redis and the queue storage of one app, each with its outage state."""

    def __init__(self, redis_url: str, queue: huey.Huey) -> None:
        self.by_name: dict[str, BackingService] = {}
        if redis_url:
            # Short timeouts: a health check must answer before its caller gives up.
            client = redis.Redis.from_url(redis_url, socket_timeout=2, socket_connect_timeout=2)
            self.by_name["redis"] = BackingService("redis", (redis.RedisError,), client.ping)
        if queue.immediate:
            return
        if isinstance(queue, huey.RedisHuey):
            # One server, one outage: the queue shares the Redis state and log lines.
            self.by_name["queue"] = self.by_name["redis"]
        else:
            # A missing, unreadable or locked queue.db; WriteLockTimeout is a peewee error.
            self.by_name["queue"] = BackingService(
                "queue", (sqlite3.Error, peewee.OperationalError, OSError),
                queue.storage.queue_size)

    def call(self, use: Use, func: Callable[..., T], *args: Any, **kwargs: Any) -> T | None:
        """Run one call of ``use``; a service that is not configured is simply called."""
        service = self.by_name.get(use.service)
        if service is None:
            return func(*args, **kwargs)
        return service.call(use, func, *args, **kwargs)

    def ping(self, name: str) -> None:
        """Ask one service now and raise its own error when it does not answer.

        For commands that are useless without it (``synergy worker``): they stop
        with one clear line instead of starting to fall back.
        """
        service = self.by_name.get(name)
        if service is not None:
            service.ping()

    def report(self) -> dict[str, str]:
        """``{"queue": "ok"|"down", "redis": ...}``, asking each service now (health check)."""
        states = {"queue": "ok"}
        probed: dict[int, str] = {}
        for name, service in self.by_name.items():
            if id(service) not in probed:
                probed[id(service)] = service.probe()
            states[name] = probed[id(service)]
        return states


class _GuardedStorage:
    """Huey mixin: the worker's own calls to the queue storage go through the backing services.

    Huey's consumer logs a traceback for every failed poll (about one a second
    per thread, and every periodic job each minute) and, on Redis, polls again
    at once when a read returns nothing. Through the backing services an
    outage is logged once, and a worker that cannot read waits a second
    between attempts. Enqueues made through ``JobQueue`` keep their own use:
    the outermost one decides.
    """

    kernel: Any  # the app whose ``backing_services`` decide

    def dequeue(self) -> Any:
        task = self.kernel.backing_services.call(DEQUEUE, self._read_task)
        if task is None:
            time.sleep(1)
            return None
        return None if task is _NO_TASK else task

    def _read_task(self) -> Any:
        task = super().dequeue()
        return _NO_TASK if task is None else task

    def read_schedule(self, timestamp: datetime.datetime | None = None) -> list[Any]:
        tasks = self.kernel.backing_services.call(READ_SCHEDULE, super().read_schedule,
                                                  timestamp)
        return tasks or []

    def enqueue(self, task: Any) -> Any:
        return self.kernel.backing_services.call(WORKER_ENQUEUE, super().enqueue, task)

    def add_schedule(self, task: Any) -> None:
        self.kernel.backing_services.call(WORKER_ENQUEUE, super().add_schedule, task)


_NO_TASK = object()


class GuardedRedisQueue(_GuardedStorage, huey.RedisHuey):
    pass


class GuardedSqliteQueue(_GuardedStorage, SqliteQueue):
    pass
