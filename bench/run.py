"""Benchmark SynergyOS endpoints against a bare Falcon + Peewee + JWT floor, side by side.

    .venv/bin/python bench/run.py                 # SQLite and PostgreSQL, sync and gthread
    .venv/bin/python bench/run.py --quick         # shorter runs, SQLite only

Seeds 100 users, 1,000 projects and 10,000 tasks, then for each backend and gunicorn worker class
starts the real app (all installed plugins) and the reference app with 2 workers, and drives
each endpoint with wrk at 16 connections. The embedded default runs on SQLite alone; the
PostgreSQL runs add Redis (queue and rate-limit counters), as a production deployment does.
Prints requests/s, p50 and p99 latency, and the ratio
to the reference measured in the same run. Needs `wrk` (installed with apt when run as root).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg2

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.seed import seed  # noqa: E402
from synergy import create_app  # noqa: E402
from synergy.database import open_database  # noqa: E402
from synergy.models import User  # noqa: E402
from synergy.serve import WORKER_CLASSES  # noqa: E402
from synergy.settings import Settings  # noqa: E402

PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/test"
PG_BENCH = "postgresql://postgres@127.0.0.1:5432/synergy_bench"


@dataclass
class Endpoint:
    name: str
    method: str
    app_path: str
    ref_path: str
    body: str | None = None


@dataclass
class Measure:
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() == 0:
        subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=True,
                       stdout=subprocess.DEVNULL)
        found = shutil.which("wrk")
    if not found:
        sys.exit("wrk is required: apt-get install wrk")
    return found


def prepare_postgres() -> None:
    admin = psycopg2.connect(PG_ADMIN)
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute("DROP DATABASE IF EXISTS synergy_bench WITH (FORCE)")
        cursor.execute("CREATE DATABASE synergy_bench")
    admin.close()


def environment(data_dir: Path, database_url: str, redis_url: str,
                disabled: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update({
        "SYNERGY_DATA_DIR": str(data_dir),
        "SYNERGY_DATABASE_URL": database_url,
        "SYNERGY_REDIS_URL": redis_url,
        "SYNERGY_QUEUE_NAME": f"synergy-bench-{os.getpid()}",
        "SYNERGY_QUEUE_IMMEDIATE": "false",
        "SYNERGY_LOG_LEVEL": "WARNING",
        "SYNERGY_DISABLED_PLUGINS": disabled,
        "PYTHONPATH": str(ROOT),
    })
    env.update(BENCH_SETTINGS)
    return env


# Limits meant for humans would throttle a load generator: raise them for the benchmark run.
BENCH_SETTINGS = {"SYNERGY_SECURITY_API_RATE": "1000000000/1m"}


def setup_data(env: dict[str, str]) -> tuple[str, dict[str, int]]:
    settings = Settings(environ=env)
    kernel = create_app(settings)
    with kernel.connection():
        kernel.migrate()
        ids = seed(kernel)
        from synergy.auth.service import Client

        pair = kernel.auth.start_session(User.get_by_id(ids["user_id"]), Client("127.0.0.1"))
    kernel.close()
    return pair.access, ids


def settle(env: dict[str, str]) -> None:
    """Start each measurement from the same state: on SQLite, fold the WAL that the
    previous run's writes left (the reference's 15,000 inserts) into the database, so
    that neither app pays for the other's checkpoint."""
    url = env["SYNERGY_DATABASE_URL"]
    if url.startswith("sqlite"):
        database = open_database(url)
        database.execute_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        database.close()


@contextlib.contextmanager
def gunicorn(app: str, env: dict[str, str], worker_class: str) -> Iterator[str]:
    port = free_port()
    # The worker classes `synergy serve` runs under these names (gthread: whole requests
    # received in the event loop, see synergy/serve_worker.py).
    command = [sys.executable, "-m", "gunicorn", app, "--bind", f"127.0.0.1:{port}",
               "--workers", "2", "--worker-class", WORKER_CLASSES[worker_class],
               "--log-level", "warning"]
    if worker_class == "gthread":
        command += ["--threads", "4"]
    process = subprocess.Popen(command, env=env, cwd=ROOT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(base + "/", timeout=1)
            except urllib.error.HTTPError:
                break
            except OSError:
                time.sleep(0.2)
                continue
            break
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)


def _script(endpoint: Endpoint, token: str, show_failures: bool) -> str:
    body = endpoint.body or ""
    lines = [f'wrk.method = "{endpoint.method}"',
             f'wrk.headers["Authorization"] = "Bearer {token}"',
             'wrk.headers["Content-Type"] = "application/json"']
    if body:
        lines.append(f"wrk.body = [[{body}]]")
    if show_failures:
        # Reading every response costs wrk time, so only the diagnostic pass does it.
        lines += ["local shown = 0",
                  "response = function(status, headers, body)",
                  "  if status >= 300 and shown < 3 then",
                  "    shown = shown + 1",
                  "    io.write('non-2xx ' .. status .. ': ' .. string.sub(body, 1, 300) .. '\\n')",
                  "  end",
                  "end"]
    script = tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False)
    script.write("\n".join(lines) + "\n")
    script.close()
    return script.name


def _run_wrk(binary: str, url: str, script: str, duration: int, connections: int) -> str:
    try:
        return subprocess.run(
            [binary, "-t2", f"-c{connections}", f"-d{duration}s", "--latency", "-s", script,
             url], capture_output=True, text=True, check=True).stdout
    finally:
        os.unlink(script)


def wrk(binary: str, url: str, endpoint: Endpoint, token: str, duration: int,
        connections: int) -> Measure:
    output = _run_wrk(binary, url, _script(endpoint, token, False), duration, connections)
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    p50 = _latency(re.search(r"50%\s+([\d.]+\w+)", output).group(1))
    p99 = _latency(re.search(r"99%\s+([\d.]+\w+)", output).group(1))
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    if non2xx:
        # A second, one-second pass that reads responses says what the failures were.
        sample = _run_wrk(binary, url, _script(endpoint, token, True), 1, connections)
        for line in sample.splitlines():
            if line.startswith("non-2xx "):
                print(f"  {endpoint.name} {url}: {line}", file=sys.stderr)
    return Measure(rps, p50, p99, int(non2xx.group(1)) if non2xx else 0)


def _latency(text: str) -> float:
    value, unit = re.match(r"([\d.]+)(\w+)", text).groups()
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def endpoints(ids: dict[str, int]) -> list[Endpoint]:
    project, task = ids["project_id"], ids["task_id"]
    return [
        Endpoint("project list", "GET", "/api/projects/?page_size=20", "/ref/projects"),
        Endpoint("project detail", "GET", f"/api/projects/{project}/",
                 f"/ref/projects/{project}"),
        Endpoint("task list (project)", "GET", f"/api/tasks/?project={project}&page_size=20",
                 f"/ref/tasks?project={project}"),
        Endpoint("task detail", "GET", f"/api/tasks/{task}/", f"/ref/tasks/{task}"),
        Endpoint("task create", "POST", "/api/tasks/", "/ref/tasks",
                 body=f'{{"project": {project}, "title": "Load test task"}}'),
        Endpoint("task status update", "PATCH", f"/api/tasks/{task}/", f"/ref/tasks/{task}",
                 body='{"status": "in_progress"}'),
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--worker-classes", default="sync,gthread")
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/15",
                        help="Redis for the postgres runs (queue and rate-limit counters), "
                             "as in production; empty to keep them in the database")
    parser.add_argument("--disable-plugins", default="",
                        help="comma list of plugins to switch off (e.g. to see their cost)")
    parser.add_argument("--quick", action="store_true", help="3 s runs on SQLite, sync only")
    args = parser.parse_args()
    if args.quick:
        args.backends, args.worker_classes, args.duration = "sqlite", "sync", 3
    binary = ensure_wrk()
    rows = []
    for backend in args.backends.split(","):
        with tempfile.TemporaryDirectory(prefix="synergy-bench-") as tmp:
            data_dir = Path(tmp)
            if backend == "postgres":
                prepare_postgres()
                url, redis_url = PG_BENCH, args.redis
            else:
                url, redis_url = f"sqlite:///{data_dir / 'bench.db'}", ""
            env = environment(data_dir, url, redis_url, args.disable_plugins)
            token, ids = setup_data(env)
            for worker_class in args.worker_classes.split(","):
                with gunicorn("synergy.app:create_app()", env, worker_class) as app_url, \
                        gunicorn("bench.reference_app:application", env,
                                 worker_class) as ref_url:
                    for endpoint in endpoints(ids):
                        settle(env)
                        ref = wrk(binary, ref_url + endpoint.ref_path, endpoint, token,
                                  args.duration, args.connections)
                        settle(env)
                        app = wrk(binary, app_url + endpoint.app_path, endpoint, token,
                                  args.duration, args.connections)
                        rows.append((backend, worker_class, endpoint, app, ref))
                        print(f"{backend:<8} {worker_class:<7} {endpoint.name:<20} "
                              f"{app.rps:8.0f} rps vs ref {ref.rps:8.0f}", file=sys.stderr)
    print_table(rows)
    return 0


def print_table(rows: list[tuple[str, str, Endpoint, Measure, Measure]]) -> None:
    print("| backend | workers | endpoint | req/s | p50 ms | p99 ms | non-2xx | reference req/s "
          "| reference p99 ms | ratio |")
    print("|---|---|---|---:|---:|---:|---:|---:|---:|---:|")
    for backend, worker_class, endpoint, app, ref in rows:
        print(f"| {backend} | {worker_class} | {endpoint.method} {endpoint.name} | "
              f"{app.rps:.0f} | {app.p50_ms:.1f} | {app.p99_ms:.1f} | {app.errors} | "
              f"{ref.rps:.0f} | {ref.p99_ms:.1f} | {app.rps / ref.rps:.0%} |")


if __name__ == "__main__":
    sys.exit(main())
