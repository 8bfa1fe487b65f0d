"""A real ``synergy worker`` is SIGKILLed mid-delivery; the delivery completes within seconds.

On the SQLite queue and on Redis: while the attempt runs the worker's heartbeat
keeps the delivery's short lease alive, and once the worker is gone its
restarted successor's ticker finds the expired lease and sends the delivery
again, with no sweep enqueued by hand and the default sweep grace.
"""

from __future__ import annotations

import importlib.metadata
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from synergy_webhooks.models import Delivery, DeliveryAttempt

from synergy.app import Kernel
from synergy.leases import LEASE
from synergy.models import utcnow
from tests.conftest import TEST_REDIS_URL, Api, requires_redis
from tests.webhooks.conftest import create_webhook, make_project, task_event, user_id
from tests.webhooks.receivers import Receiver, block_until, respond

pytestmark = pytest.mark.slow

# A receiver slower than the lease: only the heartbeat keeps the attempt from being taken over.
SHARED = {
    "SYNERGY_WEBHOOKS_ALLOWED_NETWORKS": "127.0.0.0/8",
    "SYNERGY_WEBHOOKS_CONNECT_TIMEOUT": "0.5",
    "SYNERGY_WEBHOOKS_READ_TIMEOUT": "60",
    "SYNERGY_WEBHOOKS_RETRY_JITTER": "0",
    "SYNERGY_PASSWORD_HASHING": "fast",
}
# What the issue asks: the in-flight delivery arrives within 15 s of the worker's restart.
BACK_WITHIN = 15.0


class Workers:
    """Starts real worker processes sharing the test app's database and Redis queue."""

    def __init__(self, kernel: Kernel, log_dir: Path) -> None:
        others = [ep.name for ep in importlib.metadata.entry_points(group="synergy.plugins")
                  if ep.name != "webhooks"]
        settings = kernel.settings
        self.env = {key: value for key, value in os.environ.items()
                    if not key.startswith("SYNERGY_")}
        self.env.update(SHARED)
        self.env.update({
            "SYNERGY_DATA_DIR": str(settings.data_path),
            "SYNERGY_DATABASE_URL": settings.effective_database_url,
            "SYNERGY_REDIS_URL": settings.redis_url or "",
            "SYNERGY_QUEUE_NAME": settings.queue_name,
            # The webhooks plugin comes from its entry point; the other areas stay out.
            "SYNERGY_DISABLED_PLUGINS": ",".join(others),
        })
        self.log_dir = log_dir
        self.processes: list[subprocess.Popen[bytes]] = []

    def start(self) -> subprocess.Popen[bytes]:
        with open(self.log_dir / f"worker-{len(self.processes)}.log", "wb") as log:
            process = subprocess.Popen([sys.executable, "-m", "synergy", "worker",
                                        "--concurrency", "2"], env=self.env, stdout=log,
                                       stderr=subprocess.STDOUT)
        self.processes.append(process)
        return process

    def stop_all(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(10)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()

    def logs(self) -> str:
        return "\n".join(path.read_text() for path in sorted(self.log_dir.glob("worker-*.log")))


@pytest.fixture(params=["sqlite", pytest.param("redis", marks=requires_redis)])
def queued_kernel(request: pytest.FixtureRequest, make_app: Callable[..., Kernel]
                  ) -> Iterator[Kernel]:
    import synergy_webhooks.plugin as webhooks_plugin

    kernel = make_app(plugins=[webhooks_plugin], SYNERGY_QUEUE_IMMEDIATE=False,
                      SYNERGY_REDIS_URL=TEST_REDIS_URL if request.param == "redis" else "",
                      SYNERGY_QUEUE_NAME=f"webhooks-crash-{uuid.uuid4().hex[:8]}", **SHARED)
    yield kernel
    kernel.jobs.huey.storage.flush_all()


def wait_until(check: Callable[[], Any], timeout: float, what: str, logs: Callable[[], str]
               ) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}\n{logs()}")


def test_delivery_survives_a_killed_worker(queued_kernel: Kernel, receiver: Receiver,
                                          tmp_path: Path) -> None:
    kernel = queued_kernel
    ada = Api(kernel).as_new_user("ada")
    hook = create_webhook(ada, receiver.url, ["task.created"])
    release = threading.Event()
    receiver.script = [block_until(release, respond(200))]
    workers = Workers(kernel, tmp_path)
    try:
        first = workers.start()
        task_event(kernel, make_project(kernel, user_id(ada)))
        wait_until(lambda: receiver.requests, 60, "the first request", workers.logs)
        with kernel.connection():
            [delivery] = list(Delivery.select().where(Delivery.webhook == hook["id"]))

        # The attempt outlasts its lease: the heartbeat renews it, nobody takes it over.
        time.sleep(LEASE.total_seconds() + 2)
        with kernel.connection():
            held = Delivery.get_by_id(delivery.id)
        assert held.claim_token is not None and held.next_attempt_at > utcnow()
        assert len(receiver.requests) == 1

        first.send_signal(signal.SIGKILL)
        first.wait(10)
        release.set()
        with kernel.connection():
            delivery = Delivery.get_by_id(delivery.id)
        assert delivery.status == "pending" and delivery.claim_token is not None
        assert delivery.attempts == 1

        restarted = time.monotonic()
        workers.start()

        def sent() -> bool:
            with kernel.connection():
                return Delivery.get_by_id(delivery.id).status == "success"

        wait_until(sent, 60, "the delivery to succeed", workers.logs)
        took = time.monotonic() - restarted
        print(f"delivery back {took:.1f} s after the restart")  # the figure, with -s
        assert took < BACK_WITHIN, f"back {took:.1f} s after the restart\n{workers.logs()}"
    finally:
        release.set()
        workers.stop_all()

    killed, completed = receiver.requests
    assert killed.headers["webhook-id"] == completed.headers["webhook-id"]
    assert completed.headers["X-Delivery-Attempt"] == "2"
    with kernel.connection():
        delivery = Delivery.get_by_id(delivery.id)
        log = list(DeliveryAttempt.select().where(DeliveryAttempt.delivery == delivery.id))
    assert delivery.status == "success" and delivery.last_status_code == 200
    assert [(a.number, a.status_code, a.succeeded) for a in log] == [(2, 200, True)]
