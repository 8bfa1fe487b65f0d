"""Platform fixtures: installed entry points made real, and the ``synergy`` CLI run in-process."""

from __future__ import annotations

import importlib.metadata
import io
import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse, urlunparse

import pytest

from synergy.cli import main
from synergy.plugin_manager import ENTRY_POINT_GROUP
from tests.conftest import _admin_connection, reset_postgres

FAKE_DISTRIBUTION = "synergy-platform-test-plugins"


def installed_plugin_names() -> set[str]:
    return {ep.name for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP)}


@pytest.fixture
def install_entry_points(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[..., str]:
    """Install ``{name: "module"}`` as a real distribution's entry points on ``sys.path``.

    Returns the comma list of every *other* installed plugin, to pass as
    ``SYNERGY_DISABLED_PLUGINS`` so the test sees only its own plugins.
    """

    def install(plugins: dict[str, str], distribution: str = FAKE_DISTRIBUTION) -> str:
        others = installed_plugin_names()
        site = tmp_path / f"site-{distribution}"
        info = site / f"{distribution.replace('-', '_')}-1.2.3.dist-info"
        info.mkdir(parents=True)
        (info / "METADATA").write_text(
            f"Metadata-Version: 2.1\nName: {distribution}\nVersion: 1.2.3\n")
        lines = [f"{name} = {module}" for name, module in plugins.items()]
        (info / "entry_points.txt").write_text(f"[{ENTRY_POINT_GROUP}]\n" + "\n".join(lines)
                                               + "\n")
        monkeypatch.syspath_prepend(str(site))
        return ",".join(sorted(others - set(plugins)))

    return install


@pytest.fixture
def spare_database_url(tmp_path: Path, database_url: str | None) -> Iterator[str]:
    """A second, empty database on this run's backend (a SQLite file, or a PostgreSQL database)."""
    if database_url is None:
        yield f"sqlite:///{tmp_path / 'spare.db'}"
        return
    name = f"{urlparse(database_url).path.lstrip('/')}_spare_{uuid.uuid4().hex[:6]}"
    admin = _admin_connection(database_url)
    with admin.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{name}"')
    yield urlunparse(urlparse(database_url)._replace(path=f"/{name}"))
    with admin.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                       "WHERE datname = %s AND pid <> pg_backend_pid()", (name,))
        cursor.execute(f'DROP DATABASE "{name}"')
    admin.close()


@dataclass
class CliResult:
    code: int
    out: str
    err: str


@pytest.fixture
def cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
            database_url: str | None) -> Iterator[Callable[..., None]]:
    """Point the process environment at a fresh data directory (and database)."""
    for name in [name for name in os.environ
                 if name.startswith("SYNERGY_") and not name.startswith("SYNERGY_TEST_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("SYNERGY_DATA_DIR", str(tmp_path / "cli-data"))
    monkeypatch.setenv("SYNERGY_PASSWORD_HASHING", "fast")
    monkeypatch.setenv("SYNERGY_QUEUE_IMMEDIATE", "true")
    monkeypatch.setenv("SYNERGY_DISABLED_PLUGINS", ",".join(sorted(installed_plugin_names())))
    if database_url:
        reset_postgres(database_url)
        monkeypatch.setenv("SYNERGY_DATABASE_URL", database_url)

    def set_env(**values: str) -> None:
        for key, value in values.items():
            monkeypatch.setenv(key, value)

    yield set_env


@pytest.fixture
def run_cli(cli_env: Callable[..., None]) -> Callable[..., CliResult]:
    """Run ``synergy <args>`` in this process, capturing its output."""

    def run(*args: str) -> CliResult:
        out, err = io.StringIO(), io.StringIO()
        with redirect_stdout(out), redirect_stderr(err):
            try:
                code = main(list(args))
            except SystemExit as exc:
                code = int(exc.code or 0)
        return CliResult(code, out.getvalue(), err.getvalue())

    return run


# A fresh virtual environment with the built wheels, shared by the slow tests -----------------

REPOSITORY = Path(__file__).resolve().parents[2]
EXAMPLE = Path("examples") / "synergy-timesheets"
_NOT_SOURCE = shutil.ignore_patterns(".git", ".venv*", "build", "dist", "*.egg-info",
                                     "__pycache__", ".pytest_cache", ".ruff_cache",
                                     "synergy-data", "node_modules")


@dataclass
class FreshEnvironment:
    """A venv holding only the two wheels and their dependencies from the package index."""

    root: Path
    wheel: Path
    example_wheel: Path

    @property
    def bin(self) -> Path:
        return self.root / "venv" / "bin"

    def env(self, **values: str) -> dict[str, str]:
        """A clean environment: no SYNERGY_* or PYTHONPATH leaking in from this process."""
        env = {key: value for key, value in os.environ.items()
               if not key.startswith("SYNERGY_") and key not in ("PYTHONPATH", "VIRTUAL_ENV")}
        env["PATH"] = f"{self.bin}:{env.get('PATH', '')}"
        env.update(values)
        return env

    def run(self, *args: str, env: dict[str, str] | None = None,
            check: bool = True) -> subprocess.CompletedProcess[str]:
        """Run a command of the venv from a directory outside the repository."""
        workdir = self.root / "elsewhere"
        workdir.mkdir(exist_ok=True)
        result = subprocess.run([str(self.bin / args[0]), *args[1:]], cwd=workdir,
                                env=env or self.env(), capture_output=True, text=True,
                                timeout=300)
        if check:
            assert result.returncode == 0, f"{args}: {result.stdout}\n{result.stderr}"
        return result


def _build_wheel(source: Path, into: Path) -> Path:
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(into),
                    str(source)], check=True, capture_output=True, timeout=300)
    return into


@pytest.fixture(scope="session")
def fresh_environment(tmp_path_factory: pytest.TempPathFactory) -> FreshEnvironment:
    """Build both wheels from a copy of the tree and install them into a brand-new venv."""
    root = tmp_path_factory.mktemp("fresh")
    source = root / "source"
    shutil.copytree(REPOSITORY, source, ignore=_NOT_SOURCE)
    kernel_dir = _build_wheel(source, root / "kernel-wheel")
    example_dir = _build_wheel(source / EXAMPLE, root / "example-wheel")
    [wheel] = kernel_dir.glob("synergyos-*.whl")
    [example_wheel] = example_dir.glob("synergy_timesheets-*.whl")
    subprocess.run([sys.executable, "-m", "venv", str(root / "venv")], check=True, timeout=120)
    installed = subprocess.run(
        [str(root / "venv" / "bin" / "pip"), "install", "-q", str(wheel), str(example_wheel)],
        capture_output=True, text=True, timeout=600)
    assert installed.returncode == 0, installed.stderr
    return FreshEnvironment(root, wheel, example_wheel)
