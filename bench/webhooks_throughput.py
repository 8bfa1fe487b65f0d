"""Webhook fan-out benchmark: commit-to-last-2xx latency and sustained deliveries per second.

    .venv/bin/python bench/webhooks_throughput.py                       # SQLite database file
    .venv/bin/python bench/webhooks_throughput.py --database postgres   # PostgreSQL

Needs Redis (``--redis``, default redis://127.0.0.1:6379/15). Starts a real ``synergy worker``
subprocess with its default settings on a private queue, and loopback receivers in this process.

1. The original report's case: 100 webhooks on one project, a receiver that sleeps 124 ms per
   request, one event; time from the event's commit to the last 2xx (target < 0.5 s; the
   original: 12.4 s sequential, 2.1 s with 8 Celery workers).
2. Throughput: 100 webhooks x 100 events = 10,000 deliveries to a fast receiver (target >= 500/s).
"""

from __future__ import annotations

import argparse
import importlib.metadata
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import psycopg2

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from synergy_webhooks.models import SUCCESS, Delivery, Webhook  # noqa: E402
from synergy_webhooks.signing import new_secret  # noqa: E402

from synergy import create_app  # noqa: E402
from synergy.models import Project, ProjectMember, User  # noqa: E402
from synergy.settings import Settings  # noqa: E402

PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/test"
PG_NAME = "synergy_bench_webhooks"


class Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 1024


class Receiver:
    """Answers 200 after ``delay`` seconds and notes when each answer was sent."""

    def __init__(self, delay: float) -> None:
        self.answered: list[float] = []
        lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as real receivers do

            def do_POST(self) -> None:  # noqa: N802
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if delay:
                    time.sleep(delay)
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")
                with lock:
                    receiver.answered.append(time.monotonic())

            def log_message(self, format: str, *args: Any) -> None:
                return

        self.server = Server(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def wait_for(self, count: int, timeout: float) -> float:
        deadline = time.monotonic() + timeout
        while len(self.answered) < count:
            if time.monotonic() > deadline:
                raise SystemExit(f"only {len(self.answered)}/{count} answers after {timeout}s")
            time.sleep(0.005)
        return max(self.answered)


def wait_recorded(kernel: Any, expected: int, timeout: float) -> int:
    """Answers are timed at the receiver; the success rows are committed just after."""
    deadline = time.monotonic() + timeout
    while True:
        with kernel.connection():
            succeeded = Delivery.select().where(Delivery.status == SUCCESS).count()
        if succeeded >= expected or time.monotonic() > deadline:
            return succeeded
        time.sleep(0.05)


def database_url(kind: str, data_dir: Path) -> str:
    if kind == "sqlite":
        return f"sqlite:///{data_dir / 'bench.db'}"
    admin = psycopg2.connect(PG_ADMIN)
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{PG_NAME}"')
        cursor.execute(f'CREATE DATABASE "{PG_NAME}"')
    admin.close()
    return PG_ADMIN.rsplit("/", 1)[0] + f"/{PG_NAME}"


def setup_project(owner: User, name: str, url: str, hooks: int) -> int:
    project = Project.create(name=name, owner=owner)
    ProjectMember.create(project=project, user=owner, role="owner")
    Webhook.insert_many([{"id": uuid.uuid4(), "owner": owner.id, "name": f"{name}-{i}",
                          "url": url, "events": ["task.*"], "project_id": project.id,
                          "secret": new_secret()} for i in range(hooks)]).execute()
    return int(project.id)


def record_events(kernel: Any, project: int, count: int) -> float:
    """Record ``count`` task events in one transaction; returns the commit time."""
    with kernel.connection():
        with kernel.db.atomic():
            for number in range(count):
                kernel.events.record("task.created", project=project, payload={"task": {
                    "id": number, "title": f"task {number}",
                    "project": {"id": project, "name": "bench"}, "assignees": []}})
        committed = time.monotonic()
    return committed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/15")
    parser.add_argument("--events", type=int, default=100, help="events in the throughput run")
    args = parser.parse_args()

    data_dir = Path(tempfile.mkdtemp(prefix="synergy-bench-webhooks-"))
    env_settings = {
        "SYNERGY_DATA_DIR": str(data_dir),
        "SYNERGY_DATABASE_URL": database_url(args.database, data_dir),
        "SYNERGY_REDIS_URL": args.redis,
        "SYNERGY_QUEUE_NAME": f"bench-webhooks-{uuid.uuid4().hex[:8]}",
        "SYNERGY_WEBHOOKS_ALLOWED_NETWORKS": "127.0.0.0/8",
        "SYNERGY_LOG_LEVEL": os.environ.get("BENCH_LOG_LEVEL", "WARNING"),
    }
    others = [ep.name for ep in importlib.metadata.entry_points(group="synergy.plugins")
              if ep.name != "webhooks"]
    env_settings["SYNERGY_DISABLED_PLUGINS"] = ",".join(others)
    kernel = create_app(Settings(env_settings, environ={}))
    with kernel.connection():
        kernel.migrate()
    slow, fast = Receiver(0.124), Receiver(0.0)
    with kernel.connection():
        owner = User.create(username="bench", username_key="bench", email="bench@example.com",
                            password="-")
        warm = setup_project(owner, "warm-up", fast.url, 1)
        latency_project = setup_project(owner, "latency", slow.url, 100)
        throughput_project = setup_project(owner, "throughput", fast.url, 100)

    env = {key: value for key, value in os.environ.items() if not key.startswith("SYNERGY_")}
    env.update(env_settings)
    log = open(data_dir / "worker.log", "wb")  # noqa: SIM115 (closed below)
    worker = subprocess.Popen([sys.executable, "-m", "synergy", "worker"], env=env,
                              stdout=log, stderr=subprocess.STDOUT)
    try:
        record_events(kernel, warm, 1)
        fast.wait_for(1, 60)

        committed = record_events(kernel, latency_project, 1)
        latency = slow.wait_for(100, 60) - committed

        before = len(fast.answered)
        total = 100 * args.events
        started = record_events(kernel, throughput_project, args.events)
        fast.wait_for(before + total, 600)
        elapsed = max(fast.answered) - started
        succeeded = wait_recorded(kernel, 1 + 100 + total, 120)
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(30)
        log.close()
        kernel.jobs.huey.storage.flush_all()
        kernel.close()

    print(f"\nwebhooks benchmark — database {args.database}, queue Redis, worker defaults "
          f"(2 job threads, SYNERGY_WEBHOOKS_CONCURRENCY={kernel.settings.webhooks_concurrency})")
    print(f"| {'scenario':<52} | {'result':>16} | {'target':>10} |")
    print(f"|{'-' * 54}|{'-' * 18}|{'-' * 12}|")
    print(f"| {'100 webhooks, 124 ms receiver: commit -> last 2xx':<52} | "
          f"{latency:>14.3f} s | {'< 0.5 s':>10} |")
    print(f"| {f'{total:,} deliveries, fast receiver: throughput':<52} | "
          f"{total / elapsed:>12,.0f} / s | {'>= 500 / s':>10} |")
    print(f"| {f'{total:,} deliveries: commit -> last 2xx':<52} | {elapsed:>14.2f} s | "
          f"{'':>10} |")
    print(f"| {'deliveries recorded as success':<52} | {succeeded:>16,} | "
          f"{1 + 100 + total:>10,} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
