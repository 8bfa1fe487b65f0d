"""The job queue: backend choice, the periodic claim, and a real ``synergy worker`` process."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from huey import RedisHuey, SqliteHuey, crontab

from synergy import Job, create_app, hookimpl
from synergy.errors import PluginError
from synergy.models import Event
from synergy.settings import Settings
from tests.conftest import TEST_REDIS_URL, requires_redis, reset_postgres
from tests.kernel.conftest import unique_queue_name

REPO = Path(__file__).resolve().parents[2]


def test_the_queue_is_sqlite_in_the_data_dir_by_default(make_app, tmp_path: Path) -> None:
    kernel = make_app(SYNERGY_QUEUE_IMMEDIATE=False, SYNERGY_REDIS_URL="")
    assert isinstance(kernel.jobs.huey, SqliteHuey)
    assert kernel.jobs.backend == "sqlite"
    assert Path(kernel.jobs.huey.storage.filename) == tmp_path / "data" / "queue.db"
    assert kernel.backing_services.report()["queue"] == "ok"


@requires_redis
def test_the_queue_is_redis_when_a_redis_url_is_set(make_app) -> None:
    kernel = make_app(SYNERGY_QUEUE_IMMEDIATE=False, SYNERGY_REDIS_URL=TEST_REDIS_URL,
                      SYNERGY_QUEUE_NAME=unique_queue_name())
    assert isinstance(kernel.jobs.huey, RedisHuey)
    assert kernel.jobs.backend == "redis"
    assert kernel.backing_services.report()["queue"] == "ok"


def test_jobs_are_named_by_plugin_and_unknown_names_refused(app) -> None:
    assert {"kernel.dispatch_event", "kernel.sweep_events", "kernel.send_mail",
            "kernel.sweep_mail"} <= set(app.jobs.registered)
    with pytest.raises(PluginError, match="no job named 'kernel.nope'"):
        app.enqueue("kernel.nope")
    with pytest.raises(PluginError):
        app.jobs.enqueue_after_commit("nope.nope")


def test_a_periodic_job_runs_once_per_minute_across_consumers(make_app) -> None:
    """Two apps on the same queue storage stand for two worker processes."""
    shared = {"SYNERGY_QUEUE_IMMEDIATE": False, "SYNERGY_REDIS_URL": TEST_REDIS_URL,
              "SYNERGY_QUEUE_NAME": unique_queue_name()}
    first, second = make_app(**shared).jobs, make_app(migrate=False, **shared).jobs
    try:
        minute = dt.datetime(2026, 11, 28, 18, 30, 5, tzinfo=dt.UTC)
        assert first.claim_periodic_slot("kernel.sweep_events", minute)
        assert not second.claim_periodic_slot("kernel.sweep_events", minute)
        assert not first.claim_periodic_slot("kernel.sweep_events",
                                             minute + dt.timedelta(seconds=40))
        # Another job has a slot of its own in the same minute.
        assert second.claim_periodic_slot("kernel.sweep_mail", minute)
        next_minute = minute + dt.timedelta(minutes=1)
        assert second.claim_periodic_slot("kernel.sweep_events", next_minute)
        assert not first.claim_periodic_slot("kernel.sweep_events", next_minute)
    finally:
        first.huey.flush()


class CountsPeriodicRuns:
    PLUGIN_NAME = "ticker"

    def __init__(self) -> None:
        self.runs = 0

    @hookimpl
    def synergy_jobs(self) -> list[Job]:
        return [Job("tick", self._tick, schedule=crontab(minute="*"))]

    def _tick(self, kernel: object) -> None:
        self.runs += 1


def test_an_explicitly_enqueued_periodic_job_always_runs(make_app, tmp_path: Path) -> None:
    """A sweep enqueued by code (after a crash, say) must not lose to the minute claim."""
    plugin = CountsPeriodicRuns()
    kernel = make_app([plugin], SYNERGY_QUEUE_IMMEDIATE=False, SYNERGY_REDIS_URL="",
                      SYNERGY_QUEUE_NAME=unique_queue_name())
    huey = kernel.jobs.huey
    assert kernel.jobs.claim_periodic_slot("ticker.tick")  # the scheduler already ran it
    kernel.enqueue("ticker.tick")
    kernel.enqueue("ticker.tick")
    while (task := huey.dequeue()) is not None:
        huey.execute(task)
    assert plugin.runs == 2


def test_immediate_mode_always_claims(app) -> None:
    now = dt.datetime.now(dt.UTC)
    assert app.jobs.claim_periodic_slot("kernel.sweep_events", now)
    assert app.jobs.claim_periodic_slot("kernel.sweep_events", now)


def _install_probe_entry_point(site: Path) -> None:
    """A dist-info on PYTHONPATH: the worker finds the probe plugin as it would any plugin."""
    dist_info = site / "synergy_kernel_probe-1.0.dist-info"
    dist_info.mkdir(parents=True)
    (dist_info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: synergy-kernel-probe\nVersion: 1.0\n")
    (dist_info / "entry_points.txt").write_text(
        "[synergy.plugins]\nkernel_probe = tests.kernel.worker_plugin\n")


def _wait_for(predicate, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["sqlite", pytest.param("redis", marks=requires_redis)])
def test_a_real_worker_process_runs_plugin_jobs(backend: str, tmp_path: Path,
                                                database_url: str | None,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    site = tmp_path / "site"
    _install_probe_entry_point(site)
    data = tmp_path / "data"
    environ = {
        "SYNERGY_DATA_DIR": str(data),
        "SYNERGY_DATABASE_URL": database_url or f"sqlite:///{data / 'synergy.db'}",
        "SYNERGY_REDIS_URL": TEST_REDIS_URL if backend == "redis" else "",
        "SYNERGY_QUEUE_NAME": unique_queue_name(),
        "SYNERGY_PASSWORD_HASHING": "fast",
        "SYNERGY_KERNEL_PROBE_GREETING": "from the environment",
    }
    if database_url:
        reset_postgres(database_url)
    monkeypatch.syspath_prepend(str(site))
    kernel = create_app(Settings(environ=environ))
    assert "kernel_probe" in kernel.plugins.names(), kernel.plugins.errors
    with kernel.connection():
        kernel.migrate()
    token = uuid.uuid4().hex
    kernel.enqueue("kernel_probe.mark", token)
    assert kernel.jobs.huey.pending_count() == 1

    child_env = {**{k: v for k, v in os.environ.items() if not k.startswith("SYNERGY_")},
                 **environ, "PYTHONPATH": os.pathsep.join([str(site), str(REPO)])}
    worker = subprocess.Popen([sys.executable, "-m", "synergy", "worker", "--concurrency", "1"],
                              env=child_env, cwd=tmp_path, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True)

    def dispatched_event() -> Event | None:
        with kernel.connection():
            return Event.get_or_none(Event.type == "probe.job_ran",
                                     Event.dispatched_at.is_null(False))

    try:
        ran = _wait_for(lambda: dispatched_event() is not None, timeout=30)
    finally:
        worker.send_signal(signal.SIGINT)
        try:
            output, _ = worker.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            worker.kill()
            output, _ = worker.communicate()
        kernel.jobs.huey.flush()
        kernel.close()
    assert ran, output
    event = dispatched_event()
    # The job ran in the worker with the worker's own settings, and the event it
    # recorded was dispatched by the worker's follow-up job.
    assert event.payload == {"token": token, "greeting": "from the environment"}
    assert kernel.jobs.backend == backend
    assert "kernel_probe.mark" in output
