"""``synergy serve``'s job worker: installed command, supervision, heartbeat (issue #10, row 11).

The servers run on the test session's database and, when configured, on Redis for the queue.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from synergy.app import Kernel
from synergy.worker_heartbeat import STALE_AFTER, beat, worker_status
from synergy.worker_supervisor import WorkerSupervisor
from tests.conftest import TEST_REDIS_URL
from tests.kernel.conftest import Served, serve_environment, start_serve

SYNERGY = Path(sys.executable).with_name("synergy")


def _wait_for(check: Callable[[], Any], what: str, served: Served, timeout: float = 45) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.25)
    pytest.fail(f"timed out waiting for {what}:\n" + "".join(served.log))


def _healthy_worker(served: Served) -> dict[str, Any] | None:
    status, answer = served.health()
    return answer["worker"] if status == 200 else None


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, database_url: str | None) -> Iterator[Served]:
    """serve started from a folder holding a ``synergy`` package that cannot be imported."""
    root = tmp_path_factory.mktemp("clone")
    bogus = root / "synergy"
    bogus.mkdir()
    for name in ("__init__.py", "__main__.py"):
        (bogus / name).write_text("raise ImportError('the bogus synergy folder was imported')\n")
    served = start_serve(["--workers", "1"], serve_environment(root / "data", database_url), root,
                         command=[str(SYNERGY)])
    yield served
    served.stop()


@pytest.mark.slow
def test_the_worker_runs_from_the_installed_package_not_the_current_folder(
        served: Served) -> None:
    worker = _wait_for(lambda: _healthy_worker(served), "a worker heartbeat", served)
    assert worker["status"] == "ok"
    assert served.health()[1]["services"]["worker"] == "ok"
    assert "bogus" not in "".join(served.log)
    assert f"{SYNERGY} worker" in "".join(served.log)


@pytest.mark.slow
def test_a_killed_worker_is_restarted_and_health_follows_its_heartbeat(served: Served) -> None:
    first = _wait_for(lambda: _healthy_worker(served), "a worker heartbeat", served)["pid"]
    os.kill(first, signal.SIGKILL)
    restarted = _wait_for(
        lambda: (w := _healthy_worker(served)) and w["pid"] != first and w, "a new worker",
        served)
    assert restarted["status"] == "ok"
    assert restarted["seconds_since_heartbeat"] < 5
    log = "".join(served.log)
    assert f"job worker (pid {first}) exited with signal SIGKILL" in log, log
    assert f"started job worker (pid {restarted['pid']})" in log


@pytest.mark.slow
def test_without_a_worker_health_is_degraded(tmp_path: Path, database_url: str | None) -> None:
    served = start_serve(["--workers", "1", "--no-worker"],
                         serve_environment(tmp_path / "data", database_url), tmp_path)
    try:
        status, answer = served.health()
    finally:
        served.stop()
    assert status == 503
    assert answer["status"] == "degraded"
    assert answer["services"]["worker"] == "down"
    assert answer["services"]["database"] == answer["services"]["queue"] == "ok"
    assert answer["worker"]["message"].startswith("no worker heartbeat yet")


def test_a_stale_heartbeat_means_no_worker(make_app: Callable[..., Kernel]) -> None:
    huey = make_app(SYNERGY_QUEUE_IMMEDIATE=False, SYNERGY_REDIS_URL=TEST_REDIS_URL,
                    SYNERGY_QUEUE_NAME=f"stale-{uuid.uuid4().hex[:8]}").jobs.huey
    assert worker_status(huey)["status"] == "down"
    beat(huey)
    fresh = worker_status(huey)
    assert (fresh["status"], fresh["pid"]) == ("ok", os.getpid())
    later = time.time() + STALE_AFTER + 12
    stale = worker_status(huey, now=later)
    assert stale["status"] == "down"
    assert stale["message"] == f"no worker heartbeat for {STALE_AFTER + 12:.0f} s"


def test_the_supervisor_restarts_a_failing_worker_with_a_capped_back_off(
        caplog: pytest.LogCaptureFixture) -> None:
    supervisor = WorkerSupervisor([sys.executable, "-c", "raise SystemExit(3)"],
                                  first_delay=0.1, max_delay=0.4)
    with caplog.at_level(logging.INFO, logger="synergy.serve"):
        supervisor.start()
        time.sleep(2.5)
        supervisor.stop()
    exits = [r for r in caplog.records if "exited with status 3" in r.getMessage()]
    delays = [r.args[-1] for r in exits]
    assert delays[:4] == [0.1, 0.2, 0.4, 0.4], delays
    started = [r for r in caplog.records if r.getMessage().startswith("started job worker")]
    assert len(started) >= 4
    assert supervisor.process is not None and supervisor.process.poll() is not None
