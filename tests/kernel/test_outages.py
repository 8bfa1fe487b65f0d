"""Redis and the queue storage going away: no 500, correct answers, one log line per outage.

Every path a request can take to Redis or the queue storage runs against a
real outage: a Redis URL whose port nothing listens on, a real
``redis-server`` killed mid-run and started again, and a SQLite queue file
that cannot be opened. Each use answers as the README's "Outages" section
says: rate limits, the API budget, lockout counting and deferred jobs fail
open; a job enqueued directly (nothing else records it) fails closed with
503 and Retry-After.
"""

from __future__ import annotations

import fcntl
import logging
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import falcon
import pytest
import synergy_security.plugin as security_plugin

from synergy import Job, Route, hookimpl
from synergy.app import Kernel
from synergy.http import endpoint
from synergy.models import AuthSession, Event, OutgoingMail
from synergy.worker_heartbeat import beat
from tests.conftest import PASSWORD, Api, assert_error
from tests.kernel.conftest import RedisServer, free_port, unique_queue_name
from tests.projects.conftest import multipart

OUTAGE_LOG = "synergy.outages"


class DirectEnqueue:
    """A plugin whose route queues a job directly: nothing but the queue records that job."""

    PLUGIN_NAME = "direct"

    class Resource:
        def __init__(self, kernel: Any) -> None:
            self.kernel = kernel

        @endpoint("Queue a job directly", public=True, status=202)
        def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
            self.kernel.enqueue("direct.noop", 1)
            resp.media = {"queued": True}

    @hookimpl
    def synergy_jobs(self) -> list[Job]:
        return [Job("noop", lambda kernel, value: None)]

    @hookimpl
    def synergy_routes(self, kernel: Any) -> list[Route]:
        return [Route("/api/direct-enqueue", self.Resource(kernel))]


@pytest.fixture
def outage_log(caplog: pytest.LogCaptureFixture) -> Callable[[int], list[str]]:
    """The outage logger's messages at ``level`` or above."""
    caplog.set_level(logging.INFO, logger=OUTAGE_LOG)

    def messages(level: int) -> list[str]:
        return [record.getMessage() for record in caplog.records
                if record.name == OUTAGE_LOG and record.levelno == level]

    return messages


@pytest.fixture
def unhandled(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """Fails the test when any request went through the 500 handler."""
    yield
    crashes = [record.getMessage() for record in caplog.records
               if record.name == "synergy.http" and "unhandled" in record.getMessage()]
    assert crashes == []


def _login(api: Api, password: str) -> Any:
    return api.post("/api/auth/login/", {"username": "ada", "password": password})


def _session_count(kernel: Kernel) -> int:
    with kernel.connection():
        return AuthSession.select().count()


def _exercise(kernel: Kernel, ada: Api, project_id: int) -> dict[str, Any]:
    """Every request path that touches Redis or the queue; returns the answers by name."""
    anonymous = Api(kernel)
    sessions = _session_count(kernel)
    right = _login(anonymous, PASSWORD)
    assert right.status_code == 200, right.text
    assert _session_count(kernel) == sessions + 1
    # The session the client received is live: the token it got works.
    me = Api(kernel, right.json["access"]).get("/api/auth/user/")
    assert me.status_code == 200, me.text
    for _ in range(3):
        assert_error(_login(anonymous, "wrong-password"), 401, "invalid_credentials")
    assert _session_count(kernel) == sessions + 1
    read = ada.get(f"/api/projects/{project_id}/")
    assert read.status_code == 200, read.text
    task = ada.post("/api/tasks/", {"project": project_id, "title": "During the outage"})
    assert task.status_code == 201, task.text
    body, content_type = multipart({}, [("file", "notes.txt", b"hello world\n")])
    uploaded = ada.post(f"/api/tasks/{task.json['id']}/upload_attachment/", body=body,
                        headers={"Content-Type": content_type})
    assert uploaded.status_code == 201, uploaded.text
    reset = anonymous.post("/api/auth/password-reset/", {"email": "ada@example.com"})
    assert reset.status_code == 200, reset.text
    return {"read": read, "task": task, "direct": anonymous.post("/api/direct-enqueue/")}


def _build(make_app: Callable[..., Kernel], redis_url: str) -> tuple[Kernel, Api, int]:
    kernel = make_app([security_plugin, DirectEnqueue()], SYNERGY_REDIS_URL=redis_url,
                      SYNERGY_QUEUE_IMMEDIATE=False, SYNERGY_QUEUE_NAME=unique_queue_name())
    ada = Api(kernel).as_new_user("ada")
    project = ada.post("/api/projects/", {"name": "Outage drill"})
    assert project.status_code == 201, project.text
    return kernel, ada, project.json["id"]


def test_a_closed_redis_port_fails_open_except_direct_enqueues(
        make_app: Callable[..., Kernel], outage_log: Callable[[int], list[str]],
        unhandled: None) -> None:
    kernel, ada, project_id = _build(make_app, f"redis://127.0.0.1:{free_port()}/0")
    answers = _exercise(kernel, ada, project_id)

    error = assert_error(answers["direct"], 503, "queue_unavailable")
    assert "retry" in error["message"]
    assert answers["direct"].headers["Retry-After"] == "5"
    # Rate limits failed open: no RateLimit headers, nothing counted.
    assert "RateLimit-Limit" not in answers["read"].headers
    # What the outage skipped is in the database, for the sweeps: events and mail.
    with kernel.connection():
        assert Event.select().where(Event.type == "task.created").count() == 1
        assert OutgoingMail.select().count() == 1
    health = Api(kernel).get("/api/auth/health/")
    assert health.status_code == 503
    assert health.json["status"] == "degraded"
    assert health.json["services"] == {"database": "ok", "queue": "down", "redis": "down",
                                        "worker": "down"}
    # One line for the whole outage, however many requests met it.
    [line] = outage_log(logging.ERROR)
    assert line.startswith("redis is unavailable (ConnectionError")
    assert outage_log(logging.WARNING) == []


def test_redis_killed_mid_run_then_back(
        make_app: Callable[..., Kernel], redis_server: RedisServer,
        outage_log: Callable[[int], list[str]], unhandled: None) -> None:
    kernel, ada, project_id = _build(make_app, redis_server.url)
    health = Api(kernel)
    assert health.get("/api/auth/health/").json["services"]["redis"] == "ok"
    assert "RateLimit-Limit" in ada.get(f"/api/projects/{project_id}/").headers

    redis_server.kill()
    answers = _exercise(kernel, ada, project_id)
    assert_error(answers["direct"], 503, "queue_unavailable")
    assert "RateLimit-Limit" not in answers["read"].headers
    down = health.get("/api/auth/health/")
    assert (down.status_code, down.json["status"]) == (503, "degraded")
    assert down.json["services"]["redis"] == "down"
    [line] = outage_log(logging.ERROR)
    assert line.startswith("redis is unavailable")

    redis_server.start()
    beat(kernel.jobs.huey)  # a live worker's heartbeat: health needs one to say ok
    up = health.get("/api/auth/health/")
    assert (up.status_code, up.json["status"]) == (200, "ok"), up.text
    [back] = outage_log(logging.WARNING)
    assert back.startswith("redis is available again after")
    assert "security.rate_limits" in back and "security.lockout" in back
    # Redis is used again at once: limits counted, direct jobs queued.
    assert "RateLimit-Limit" in ada.get(f"/api/projects/{project_id}/").headers
    assert Api(kernel).post("/api/direct-enqueue/").status_code == 202
    assert len(outage_log(logging.ERROR)) == 1
    # The next outage is a new one, logged again.
    redis_server.kill()
    assert _login(Api(kernel), PASSWORD).status_code == 200
    assert len(outage_log(logging.ERROR)) == 2


def test_a_silent_redis_costs_one_timeout_not_one_per_request(
        make_app: Callable[..., Kernel], outage_log: Callable[[int], list[str]],
        unhandled: None) -> None:
    """A Redis that accepts connections and never answers, as a hung server or a
    dropped route would: after the first timeout, calls skip it for a while."""
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(64)
        kernel = make_app([security_plugin],
                          SYNERGY_REDIS_URL=f"redis://127.0.0.1:{silent.getsockname()[1]}/0")
        ada = Api(kernel).as_new_user("ada")  # meets the first timeout
        started = time.monotonic()
        for _ in range(5):
            assert ada.get("/api/auth/user/").status_code == 200
            assert _login(Api(kernel), PASSWORD).status_code == 200
        assert time.monotonic() - started < 3
    assert len(outage_log(logging.ERROR)) == 1


def test_lockout_counting_fails_open_while_redis_is_out(
        make_app: Callable[..., Kernel], outage_log: Callable[[int], list[str]],
        unhandled: None) -> None:
    kernel, _, _ = _build(make_app, f"redis://127.0.0.1:{free_port()}/0")
    anonymous = Api(kernel)
    threshold = kernel.settings.security_lockout_threshold
    for _ in range(threshold + 2):
        assert_error(_login(anonymous, "wrong-password"), 401, "invalid_credentials")
    assert _login(anonymous, PASSWORD).status_code == 200
    assert len(outage_log(logging.ERROR)) == 1


def test_a_worker_logs_a_queue_outage_once_and_keeps_polling(
        tmp_path: Path, redis_server: RedisServer) -> None:
    """Huey's consumer alone logs a traceback at every failed poll (several per second).

    (A worker that cannot reach its queue when it starts refuses to start, in one line:
    tests/platform/test_cli_prelude.py.)
    """
    env = {**os.environ, "SYNERGY_DATA_DIR": str(tmp_path / "data"),
           "SYNERGY_REDIS_URL": redis_server.url,
           "SYNERGY_PASSWORD_HASHING": "fast", "SYNERGY_QUEUE_IMMEDIATE": "false",
           "SYNERGY_QUEUE_NAME": unique_queue_name()}
    env.pop("SYNERGY_DATABASE_URL", None)
    command = str(Path(sys.executable).parent / "synergy")
    subprocess.run([command, "migrate"], env=env, cwd=tmp_path, check=True,
                   capture_output=True)
    log_path = tmp_path / "worker.log"
    with open(log_path, "w") as log_file:
        worker = subprocess.Popen([command, "worker", "--concurrency", "2"], env=env,
                                  cwd=tmp_path, stdout=log_file, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 30
    while "worker started" not in log_path.read_text() and time.monotonic() < deadline:
        time.sleep(0.1)
    redis_server.kill()
    time.sleep(4)
    worker.send_signal(signal.SIGINT)
    worker.wait(timeout=30)
    output = log_path.read_text()
    assert "worker started" in output, output
    assert output.count("redis is unavailable") == 1, output
    assert "Error reading" not in output and "Traceback" not in output, output


def _replace_queue_file(path: Path) -> Path:
    """Put a directory where ``queue.db`` was, as a wiped or unmounted data volume would."""
    away = path.with_name("queue.db.away")
    os.rename(path, away)
    path.mkdir()
    return away


def test_a_missing_sqlite_queue_file_fails_the_same_way(
        make_app: Callable[..., Kernel], outage_log: Callable[[int], list[str]],
        unhandled: None) -> None:
    kernel, ada, project_id = _build(make_app, "")
    queue = Path(kernel.jobs.huey.storage.filename)
    kernel.jobs.huey.storage.close()
    away = _replace_queue_file(queue)

    answers = _exercise(kernel, ada, project_id)
    assert_error(answers["direct"], 503, "queue_unavailable")
    health = Api(kernel).get("/api/auth/health/")
    assert health.status_code == 503
    assert health.json["services"] == {"database": "ok", "queue": "down", "worker": "down"}
    [line] = outage_log(logging.ERROR)
    assert line.startswith("queue is unavailable (OperationalError")

    queue.rmdir()
    os.rename(away, queue)
    beat(kernel.jobs.huey)  # a live worker's heartbeat: health needs one to say ok
    assert Api(kernel).get("/api/auth/health/").status_code == 200
    [back] = outage_log(logging.WARNING)
    assert "jobs.enqueue_after_commit" in back and "jobs.enqueue " not in back
    size = kernel.jobs.huey.storage.queue_size()
    assert Api(kernel).post("/api/direct-enqueue/").status_code == 202
    assert kernel.jobs.huey.storage.queue_size() == size + 1


def _wait_until_locked(path: str) -> None:
    deadline = time.monotonic() + 10
    with open(path, "ab") as handle:
        while time.monotonic() < deadline:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return
            fcntl.flock(handle, fcntl.LOCK_UN)
            time.sleep(0.01)
    raise AssertionError(f"nobody took {path}")


def test_a_locked_sqlite_queue_fails_open_after_the_lock_timeout(
        make_app: Callable[..., Kernel], outage_log: Callable[[int], list[str]],
        unhandled: None) -> None:
    kernel, ada, project_id = _build(make_app, "")
    lock_file = f"{kernel.jobs.huey.storage.filename}.write-lock"
    holder = subprocess.Popen(["flock", lock_file, "sleep", "60"])
    _wait_until_locked(lock_file)
    try:
        # The first write waits out the lock timeout, then later ones fall back at once.
        for title in ("first", "second"):
            task = ada.post("/api/tasks/", {"project": project_id, "title": title})
            assert task.status_code == 201, task.text
        assert_error(Api(kernel).post("/api/direct-enqueue/"), 503, "queue_unavailable")
    finally:
        holder.kill()
        holder.wait()
    [line] = outage_log(logging.ERROR)
    assert line.startswith("queue is unavailable (WriteLockTimeout")
