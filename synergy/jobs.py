"""The job queue: Huey on SQLite by default, on Redis when configured.

Jobs are declared as :class:`synergy.Job` and registered under
``"<plugin>.<name>"``. Work that must follow a database change is queued with
:meth:`JobQueue.enqueue_after_commit` and handed to Huey only once the change
is committed (after the response, or when the calling job returns), so a
worker never looks for a row that is not there yet, and never at all for a
row whose transaction or savepoint rolled back.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import redis
from huey import Huey, RedisHuey
from huey.api import TaskWrapper

from synergy.backing_services import (
    ENQUEUE,
    ENQUEUE_AFTER_COMMIT,
    ENQUEUE_IN,
    PERIODIC_CLAIM,
    REDIS_TIMEOUTS,
    GuardedRedisQueue,
    GuardedSqliteQueue,
)
from synergy.contributions import Job
from synergy.errors import PluginError
from synergy.leases import LeaseKeeper

if TYPE_CHECKING:
    from synergy.app import Kernel

log = logging.getLogger("synergy.jobs")

# Marks a periodic job enqueued by code (a sweep after a crash, a CLI command) rather
# than by Huey's scheduler, so the once-per-minute claim does not swallow it.
_EXPLICIT = "synergy_explicit_run"


def make_huey(kernel: Kernel) -> Huey:
    settings = kernel.settings
    name = settings.queue_name
    if settings.queue_immediate:
        return Huey(name, immediate=True, results=False)
    queue: GuardedRedisQueue | GuardedSqliteQueue
    if settings.redis_url:
        pool = redis.ConnectionPool.from_url(settings.redis_url, **REDIS_TIMEOUTS)
        queue = GuardedRedisQueue(name, connection_pool=pool, results=False)
    else:
        path = Path(settings.data_path) / "queue.db"
        path.parent.mkdir(parents=True, exist_ok=True)
        queue = GuardedSqliteQueue(name, filename=str(path), results=False)
    queue.kernel = kernel
    return queue


class JobQueue:
    """Owns the app's Huey instance and the registry of named jobs."""

    def __init__(self, kernel: Kernel) -> None:
        self.kernel = kernel
        self.huey = make_huey(kernel)
        self.registered: dict[str, tuple[str, Job, TaskWrapper]] = {}
        self.leases = LeaseKeeper(kernel)
        self._local = threading.local()

    @property
    def backend(self) -> str:
        if self.huey.immediate:
            return "immediate"
        return "redis" if isinstance(self.huey, RedisHuey) else "sqlite"

    def register(self, plugin: str, job: Job) -> str:
        full_name = f"{plugin}.{job.name}"
        if full_name in self.registered:
            raise PluginError(f"job {full_name} is registered twice")
        if job.interval is not None and (job.schedule is not None or job.interval <= 0):
            raise PluginError(f"job {full_name}: interval must be a positive number of "
                              "seconds, and not combined with schedule")
        runner = self._runner(full_name, job)
        if job.schedule is not None:
            wrapper = self.huey.periodic_task(job.schedule, name=full_name,
                                              retries=job.retries,
                                              retry_delay=job.retry_delay)(runner)
        else:
            wrapper = self.huey.task(name=full_name, retries=job.retries,
                                     retry_delay=job.retry_delay)(runner)
        self.registered[full_name] = (plugin, job, wrapper)
        return full_name

    def _runner(self, full_name: str, job: Job) -> Callable[..., Any]:
        kernel = self.kernel
        periodic = job.schedule is not None

        def run(*args: Any, **kwargs: Any) -> Any:
            # Only the scheduler's runs are deduplicated; an explicit enqueue always runs.
            explicit = kwargs.pop(_EXPLICIT, False)
            if periodic and not explicit and not self.claim_periodic_slot(full_name):
                log.info("periodic job %s already ran this minute elsewhere; skipped", full_name)
                return None
            opened = kernel.db.is_closed()
            if opened:
                kernel.db.connect()
            try:
                return job.func(kernel, *args, **kwargs)
            finally:
                # Also after a failure: what the job committed before raising is
                # real, and leftovers must not leak into the thread's next job.
                self.flush_after_commit()
                if opened and not kernel.db.is_closed():
                    kernel.db.close()

        run.__name__ = full_name.replace(".", "_")
        return run

    def claim_periodic_slot(self, full_name: str, now: dt.datetime | None = None) -> bool:
        """First worker to run a periodic job in a given minute wins; others skip.

        Huey's scheduler enqueues periodic jobs in every consumer started with
        periodic tasks enabled; the claim in the shared storage keeps the job
        itself single.
        """
        now = now or dt.datetime.now(dt.UTC)
        previous = now - dt.timedelta(minutes=1)
        return self.claim_slot(f"synergy:periodic:{full_name}", f"{now:%Y%m%d%H%M}",
                               f"{previous:%Y%m%d%H%M}")

    def claim_slot(self, prefix: str, slot: str, previous: str) -> bool:
        """True for the first caller of ``prefix`` and ``slot`` across every worker.

        The previous slot's claim is removed to keep storage small.
        """
        if self.huey.immediate:
            return True
        claimed = self.kernel.backing_services.call(PERIODIC_CLAIM, self._claim, prefix, slot,
                                                    previous)
        # Unclaimable (queue storage out): run anyway; periodic jobs and sweeps are idempotent.
        return claimed is None or claimed

    def _claim(self, prefix: str, slot: str, previous: str) -> bool:
        claimed = self.huey.storage.put_if_empty(f"{prefix}:{slot}", b"1")
        if claimed:
            self.huey.storage.pop_data(f"{prefix}:{previous}")
        return bool(claimed)

    def enqueue(self, name: str, *args: Any, **kwargs: Any) -> Any:
        """Hand a job to the queue now (use :meth:`enqueue_after_commit` inside a transaction).

        Nothing else records such a job, so while the queue storage is out this
        refuses (``ServiceUnavailable``, a 503) rather than losing it.
        """
        return self.kernel.backing_services.call(ENQUEUE, self._hand_over, name, args, kwargs)

    def _hand_over(self, name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        try:
            _, _, wrapper = self.registered[name]
        except KeyError:
            raise PluginError(f"no job named {name!r}; registered: "
                              f"{', '.join(sorted(self.registered))}") from None
        if self.registered[name][1].schedule is not None:
            kwargs[_EXPLICIT] = True
        return wrapper(*args, **kwargs)

    def enqueue_in(self, delay: float, name: str, *args: Any) -> None:
        """Hand a job to the queue to run ``delay`` seconds from now (retry back-off).

        Call it after the change it follows has committed. In immediate mode the
        job waits in memory and never runs, so whatever is scheduled this way
        must also be found by a periodic sweep, as a job lost in a crash would be.
        """
        if name not in self.registered:
            raise PluginError(f"no job named {name!r}")
        self.kernel.backing_services.call(ENQUEUE_IN, self.registered[name][2].schedule,
                                          args=args, delay=max(0.0, delay))

    def enqueue_after_commit(self, name: str, *args: Any, **kwargs: Any) -> None:
        """Queue a job once the current transaction has really committed.

        Inside a transaction the job follows its fate: the outermost commit keeps
        it, a rollback drops it, and so does the rollback of a savepoint it was
        deferred in (a released savepoint hands it on to the enclosing one).
        Kept jobs, and jobs deferred in autocommit, are handed to the queue when
        the request, the connection block or the calling job ends.
        """
        if name not in self.registered:
            raise PluginError(f"no job named {name!r}")
        self.kernel.db.after_commit(lambda: self._hold(name, args, kwargs))

    def _hold(self, name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        pending = getattr(self._local, "pending", None)
        if pending is None:
            pending = self._local.pending = []
        pending.append((name, args, kwargs))

    def flush_after_commit(self) -> None:
        """Enqueue what was deferred.

        A queue outage fails open (the outbox rows are committed and their
        sweeps queue the work again), logged once per outage by the backing
        services. Any other failure is a bug, logged here, and must not stop
        the jobs after it.
        """
        pending = getattr(self._local, "pending", None)
        if not pending:
            return
        self._local.pending = []
        for name, args, kwargs in pending:
            try:
                self.kernel.backing_services.call(ENQUEUE_AFTER_COMMIT, self._hand_over,
                                                  name, args, kwargs)
            except Exception:
                log.exception("could not enqueue %s%r; the periodic sweep will retry it",
                              name, args)

    def discard_pending(self) -> None:
        self._local.pending = []

    def describe(self) -> list[dict[str, Any]]:
        return [
            {"name": name, "plugin": plugin,
             "periodic": job.schedule is not None or job.interval is not None,
             "retries": job.retries, "description": job.description}
            for name, (plugin, job, _) in sorted(self.registered.items())
        ]

