"""Limits and lockout hold across two real gunicorn worker processes, on the database and
on Redis.

``synergy serve --workers 2`` runs as a subprocess with the plugin loaded from its
entry point, behind a "proxy" (127.0.0.1 is trusted, ``X-Forwarded-For`` names the
client). Twelve concurrent failed logins from one client IP must give exactly five
401s: per-process counters would let up to ten through. Twelve concurrent failures
against one account from twelve IPs must lock it exactly once. Each worker's
voluntary context switches (``/proc/<pid>/status``) show that both workers really
answered requests: an idle sync worker sleeps in ``select()`` for 30 seconds.
"""

from __future__ import annotations

import importlib.metadata
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.conftest import PASSWORD, TEST_REDIS_URL, requires_redis, reset_postgres

ATTEMPTS = 12


@dataclass
class Server:
    base: str
    workers: list[int]
    env: dict[str, str]

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "synergy", *args], env=self.env,
                              capture_output=True, text=True, timeout=60)

    def post(self, path: str, body: dict[str, Any], client_ip: str,
             token: str | None = None) -> requests.Response:
        headers = {"X-Forwarded-For": client_ip, "Connection": "close"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        return requests.post(self.base + path, json=body, headers=headers, timeout=20)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.append(int(entry.name))
    return found


def _wakeups(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("voluntary_ctxt_switches:"):
            return int(line.split()[1])
    raise AssertionError(f"no context switch count for {pid}")


@pytest.fixture
def serve(tmp_path: Path, database_url: str | None) -> Iterator[Any]:
    started: list[subprocess.Popen[bytes]] = []

    def start(**settings: str) -> Server:
        if database_url:
            reset_postgres(database_url)
        others = [ep.name for ep in importlib.metadata.entry_points(group="synergy.plugins")
                  if ep.name != "security"]
        port = _free_port()
        env = {**{k: v for k, v in os.environ.items() if not k.startswith("SYNERGY_")},
               "SYNERGY_DATA_DIR": str(tmp_path / "data"),
               "SYNERGY_DATABASE_URL": database_url or f"sqlite:///{tmp_path / 'serve.db'}",
               "SYNERGY_PASSWORD_HASHING": "fast", "SYNERGY_QUEUE_IMMEDIATE": "true",
               "SYNERGY_STRICT_PLUGINS": "true", "SYNERGY_LOG_LEVEL": "WARNING",
               "SYNERGY_TRUSTED_PROXIES": "127.0.0.1",
               "SYNERGY_SECURITY_LOGIN_ACCOUNT_RATE": "off",
               "SYNERGY_DISABLED_PLUGINS": ",".join(others), **settings}
        with open(tmp_path / "serve.log", "wb") as log:
            process = subprocess.Popen(
                [sys.executable, "-m", "synergy", "serve", "--workers", "2", "--no-worker",
                 "--port", str(port)], env=env, stdout=subprocess.DEVNULL, stderr=log)
        started.append(process)
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            assert process.poll() is None, (tmp_path / "serve.log").read_text()
            try:
                if requests.get(f"{base}/api/auth/health/", timeout=1).status_code == 200:
                    break
            except requests.ConnectionError:
                time.sleep(0.2)
        workers = _children(process.pid)
        while len(workers) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
            workers = _children(process.pid)
        assert len(workers) == 2, workers
        return Server(base, workers, env)

    yield start
    for process in started:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


def _concurrently(server: Server, attempt: Any) -> list[int]:
    before = {pid: _wakeups(pid) for pid in server.workers}
    with ThreadPoolExecutor(max_workers=ATTEMPTS) as pool:
        statuses = list(pool.map(attempt, range(ATTEMPTS)))
    served = {pid: _wakeups(pid) - before[pid] for pid in server.workers}
    assert all(count >= 2 for count in served.values()), served
    return statuses


def _check_shared_limits(server: Server) -> None:
    statuses = _concurrently(server, lambda n: server.post(
        "/api/auth/login/", {"username": f"nobody{n}", "password": "wrong-password"},
        "203.0.113.77").status_code)
    assert sorted(statuses) == [401] * 5 + [429] * (ATTEMPTS - 5)

    created = server.cli("createuser", "--username", "root", "--email", "root@example.com",
                         "--password", PASSWORD, "--staff", "--no-input")
    assert created.returncode == 0, created.stderr
    registered = server.post("/api/auth/register/", {
        "username": "ada", "email": "ada@example.com", "password": PASSWORD}, "192.0.2.1")
    assert registered.status_code == 201, registered.text

    statuses = _concurrently(server, lambda n: server.post(
        "/api/auth/login/", {"username": "ada", "password": f"guess-{n}"},
        f"198.51.100.{n + 1}").status_code)
    assert statuses == [401] * ATTEMPTS
    assert server.post("/api/auth/login/", {"username": "ada", "password": PASSWORD},
                       "192.0.2.2").status_code == 401
    staff = server.post("/api/auth/login/", {"username": "root", "password": PASSWORD},
                        "192.0.2.3")
    assert staff.status_code == 200, staff.text
    locked = requests.get(server.base + "/api/auth/security-events/?event_type=account_locked",
                          headers={"Authorization": f"Bearer {staff.json()['access']}"},
                          timeout=10).json()
    assert locked["count"] == 1 and locked["results"][0]["username"] == "ada"

    unlocked = server.cli("security", "unlock", "ada")
    assert unlocked.returncode == 0 and "ada unlocked" in unlocked.stdout, unlocked.stderr
    assert server.post("/api/auth/login/", {"username": "ada", "password": PASSWORD},
                       "192.0.2.2").status_code == 200


@pytest.mark.slow
def test_limits_shared_by_two_workers_on_the_database(serve: Any) -> None:
    _check_shared_limits(serve(SYNERGY_SECURITY_RATE_LIMIT_STORAGE="database"))


@pytest.mark.slow
@requires_redis
def test_limits_shared_by_two_workers_on_redis(serve: Any) -> None:
    _check_shared_limits(serve(SYNERGY_SECURITY_RATE_LIMIT_STORAGE="redis",
                               SYNERGY_REDIS_URL=TEST_REDIS_URL,
                               SYNERGY_QUEUE_NAME=f"sec-{uuid.uuid4().hex[:8]}"))
