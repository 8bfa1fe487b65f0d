"""The worker's ticker: runs ``Job(interval=...)`` jobs every few seconds.

Huey's periodic tasks are minute-granular, so a sweep scheduled with a
crontab noticed a lost job a minute late at best. Each worker started with
periodic jobs (``synergy worker``) runs one ticker thread per interval job.
At every interval boundary the threads of all workers race for a claim in the
queue storage (:meth:`synergy.jobs.JobQueue.claim_slot`); the winner runs the
job in its own thread, so a sweep never waits behind busy job threads, never
piles up in the queue, and runs once per interval with one worker or ten.
A worker that dies simply stops claiming: the others carry on.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import TYPE_CHECKING

from synergy.contributions import Job

if TYPE_CHECKING:
    from synergy.jobs import JobQueue

log = logging.getLogger("synergy.ticker")


class Ticker:
    def __init__(self, jobs: JobQueue) -> None:
        self.jobs = jobs
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def start(self) -> Ticker:
        for name, (_, job, _) in sorted(self.jobs.registered.items()):
            if job.interval is not None:
                thread = threading.Thread(target=self._loop, args=(name, job),
                                          name=f"ticker-{name}", daemon=True)
                thread.start()
                self._threads.append(thread)
        return self

    def stop(self, timeout: float = 2.0) -> None:
        """Stop ticking; a job still running is left to finish in its daemon thread."""
        self._stop.set()
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))

    def _loop(self, name: str, job: Job) -> None:
        interval = float(job.interval or 0)
        failing = False
        while True:
            slot = int(time.time() // interval)
            try:
                self.run_slot(name, slot)
                if failing:
                    log.info("interval job %s runs again", name)
                failing = False
            except Exception:
                # Logged once per outage: a database or queue that is down fails every tick.
                if not failing:
                    log.exception("interval job %s failed; retrying every %gs", name, interval)
                failing = True
            if self._stop.wait(max(0.0, (slot + 1) * interval - time.time())):
                return

    def run_slot(self, name: str, slot: int) -> bool:
        """Run ``name`` here if this worker is the first to claim ``slot``; True if it ran."""
        if not self.jobs.claim_slot(f"synergy:interval:{name}", str(slot), str(slot - 1)):
            return False
        self.jobs.registered[name][2].call_local()
        return True
