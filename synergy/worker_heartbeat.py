"""Job-worker heartbeats: the only evidence ``/api/auth/health/`` accepts that jobs run.

A started process proves nothing: a worker that crashed on import, or hangs, left the health
check saying the queue was fine. Each ``synergy worker`` therefore writes a heartbeat — its
pid, host and the time — into the queue storage (Redis or the SQLite queue, whichever the
jobs use, so it is visible to every web process) every :data:`INTERVAL` seconds while its
consumer runs. The health check reads the latest one and reports the worker down when there
is none or it is older than :data:`STALE_AFTER` seconds. With several workers, the latest
beat wins: one live worker is enough for jobs to run.
"""

from __future__ import annotations

import json
import os
import socket
import threading
import time
from typing import Any

from huey.constants import EmptyData

from synergy.backing_services import Failure, Use

KEY = "synergy:worker-heartbeat"
#: Seconds between two heartbeats of a worker.
INTERVAL = 5.0
#: A heartbeat older than this means no worker runs (a few missed beats, never one slow write).
STALE_AFTER = 30.0


def beat(huey: Any) -> None:
    """Record that this process is a live worker, now."""
    huey.storage.put_data(KEY, json.dumps({
        "pid": os.getpid(), "host": socket.gethostname(), "at": time.time()}).encode())


def last_beat(huey: Any) -> dict[str, Any] | None:
    """The latest heartbeat written by any worker, or None when there has been none."""
    value = huey.storage.peek_data(KEY)
    if value is EmptyData:
        return None
    return json.loads(bytes(value))


def worker_status(huey: Any, now: float | None = None) -> dict[str, Any]:
    """``{"status": "ok"|"down", "message", "pid", "seconds_since_heartbeat"}``.

    The health check is public: the worker's host name stays in the stored beat, for operators.
    """
    latest = last_beat(huey)
    if latest is None:
        return {"status": "down", "message": "no worker heartbeat yet: start `synergy worker`",
                "pid": None, "seconds_since_heartbeat": None}
    age = max(0.0, (now or time.time()) - latest["at"])
    if age > STALE_AFTER:
        status, message = "down", f"no worker heartbeat for {age:.0f} s"
    else:
        status, message = "ok", f"last heartbeat {age:.0f} s ago"
    return {"status": status, "message": message, "pid": latest["pid"],
            "seconds_since_heartbeat": round(age, 1)}


HEARTBEAT = Use("worker.heartbeat", "queue", Failure.OPEN,
                "workers skip their heartbeat, and the health check reports no worker once "
                "the last beat is older than 30 s")


class Heartbeat:
    """A daemon thread that beats every :data:`INTERVAL` seconds until stopped.

    Each write goes through the kernel's backing services, so a queue outage is
    logged there once (and its end once), and the next beat simply tries again.
    """

    def __init__(self, kernel: Any) -> None:
        self.kernel = kernel
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._run, name="worker-heartbeat", daemon=True)

    def start(self) -> None:
        self._beat()
        self.thread.start()

    def stop(self) -> None:
        self.stopped.set()

    def _run(self) -> None:
        while not self.stopped.wait(INTERVAL):
            self._beat()

    def _beat(self) -> None:
        self.kernel.backing_services.call(HEARTBEAT, beat, self.kernel.jobs.huey)
