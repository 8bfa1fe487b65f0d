"""Shared fixtures: apps built with an explicit plugin list on real databases.

The database comes from ``SYNERGY_TEST_DATABASE_URL``: unset means a fresh
SQLite file per app; a ``postgresql://`` URL means a throw-away database
created on that server for this test session (so parallel runs never
collide) and emptied before every app. ``SYNERGY_TEST_REDIS_URL`` enables the
Redis tests and runs the queue tests on Redis.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlparse, urlunparse

import falcon.testing
import psycopg2
import pytest

from synergy import create_app
from synergy.app import Kernel
from synergy.settings import Settings

TEST_DATABASE_URL = os.environ.get("SYNERGY_TEST_DATABASE_URL", "")
TEST_REDIS_URL = os.environ.get("SYNERGY_TEST_REDIS_URL", "")
PASSWORD = "Correct-Horse-42"

requires_redis = pytest.mark.skipif(not TEST_REDIS_URL, reason="SYNERGY_TEST_REDIS_URL not set")
requires_postgres = pytest.mark.skipif(not TEST_DATABASE_URL.startswith("postgres"),
                                       reason="SYNERGY_TEST_DATABASE_URL is not PostgreSQL")


def _admin_connection(url: str) -> Any:
    parsed = urlparse(url)
    connection = psycopg2.connect(dbname=parsed.path.lstrip("/") or "postgres",
                                  user=parsed.username, password=parsed.password,
                                  host=parsed.hostname, port=parsed.port or 5432)
    connection.autocommit = True
    return connection


@pytest.fixture(scope="session")
def database_url() -> Iterator[str | None]:
    """A PostgreSQL database of this session's own, or None for per-app SQLite files."""
    if not TEST_DATABASE_URL.startswith("postgres"):
        yield None
        return
    name = f"synergy_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = _admin_connection(TEST_DATABASE_URL)
    with admin.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{name}"')
    parsed = urlparse(TEST_DATABASE_URL)
    yield urlunparse(parsed._replace(path=f"/{name}"))
    with admin.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                       "WHERE datname = %s AND pid <> pg_backend_pid()", (name,))
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
    admin.close()


def reset_postgres(url: str) -> None:
    connection = _admin_connection(url)
    with connection.cursor() as cursor:
        cursor.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
    connection.close()


@pytest.fixture
def make_settings(tmp_path: Any, database_url: str | None) -> Callable[..., Settings]:
    """Settings isolated from the process environment, on this test's data directory."""

    def build(**overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "SYNERGY_DATA_DIR": str(tmp_path / "data"),
            "SYNERGY_PASSWORD_HASHING": "fast",
            "SYNERGY_QUEUE_IMMEDIATE": True,
            "SYNERGY_STRICT_PLUGINS": True,
            # A misspelt override in a test fails it instead of testing the default.
            "SYNERGY_STRICT_SETTINGS": True,
        }
        if database_url:
            values["SYNERGY_DATABASE_URL"] = database_url
        values.update({key.upper(): value for key, value in overrides.items()})
        return Settings(values, environ={})

    return build


@pytest.fixture
def make_app(make_settings: Callable[..., Settings],
             database_url: str | None) -> Iterator[Callable[..., Kernel]]:
    """Build a migrated app with exactly the given plugins (no entry points)."""
    built: list[Kernel] = []

    def build(plugins: list[Any] | None = None, *, migrate: bool = True,
              **overrides: Any) -> Kernel:
        if database_url and not built:
            reset_postgres(database_url)
        kernel = create_app(make_settings(**overrides), plugins=plugins or [],
                            load_entrypoints=False)
        built.append(kernel)
        if migrate:
            with kernel.connection():
                kernel.migrate()
        return kernel

    yield build
    for kernel in built:
        kernel.close()


@pytest.fixture
def app(make_app: Callable[..., Kernel]) -> Kernel:
    """The bare kernel: no plugins at all."""
    return make_app()


class Api:
    """A test client that remembers a bearer token and speaks JSON."""

    def __init__(self, kernel: Kernel, token: str | None = None,
                 user: dict[str, Any] | None = None) -> None:
        self.kernel = kernel
        self.client = falcon.testing.TestClient(kernel)
        self.token = token
        self.user = user

    def request(self, method: str, path: str, json: Any = None, *,
                headers: dict[str, str] | None = None, **kwargs: Any) -> falcon.testing.Result:
        all_headers = dict(headers or {})
        if self.token and "Authorization" not in all_headers:
            all_headers["Authorization"] = f"Bearer {self.token}"
        if json is not None:
            kwargs["json"] = json
        return self.client.simulate_request(method, path, headers=all_headers, **kwargs)

    def get(self, path: str, **kwargs: Any) -> falcon.testing.Result:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, json: Any = None, **kwargs: Any) -> falcon.testing.Result:
        return self.request("POST", path, json, **kwargs)

    def put(self, path: str, json: Any = None, **kwargs: Any) -> falcon.testing.Result:
        return self.request("PUT", path, json, **kwargs)

    def patch(self, path: str, json: Any = None, **kwargs: Any) -> falcon.testing.Result:
        return self.request("PATCH", path, json, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> falcon.testing.Result:
        return self.request("DELETE", path, **kwargs)

    def as_new_user(self, username: str, *, staff: bool = False, **fields: Any) -> Api:
        """Register ``username`` (password :data:`PASSWORD`) and return a client logged in."""
        body = {"username": username, "email": f"{username}@example.com",
                "password": PASSWORD, **fields}
        result = Api(self.kernel).post("/api/auth/register/", body)
        assert result.status_code == 201, result.text
        if staff:
            from synergy.models import User

            with self.kernel.connection():
                User.update(is_staff=True).where(User.username == username).execute()
        return Api(self.kernel, result.json["access"], result.json["user"])


@pytest.fixture
def api(app: Kernel) -> Api:
    """Anonymous client of the bare kernel."""
    return Api(app)


def assert_error(result: falcon.testing.Result, status: int, code: str | None = None,
                 field: str | None = None) -> dict[str, Any]:
    """Check the one error shape every failure must have; returns the error object."""
    assert result.status_code == status, f"{result.status_code} {result.text}"
    error = result.json["error"]
    assert error["status"] == status
    assert isinstance(error["message"], str) and error["message"]
    assert isinstance(error["fields"], dict)
    if code is not None:
        assert error["code"] == code, error
    if field is not None:
        assert field in error["fields"], error
    return error


class QueryCounter:
    """Counts SQL statements run through the kernel database (``assert_query_count``).

    A ``PREPARE`` is not counted: it plans a statement once per PostgreSQL
    connection, so whether it appears depends on which pooled connection a
    request got, not on the request.
    """

    def __init__(self, kernel: Kernel) -> None:
        self.kernel = kernel
        self.count = 0
        self._original: Any = None

    def __enter__(self) -> QueryCounter:
        database = self.kernel.db
        self._original = database.execute_sql

        def counting(sql: str, params: Any = None, *args: Any, **kwargs: Any) -> Any:
            if not sql.startswith("PREPARE "):
                self.count += 1
            return self._original(sql, params, *args, **kwargs)

        database.execute_sql = counting
        return self

    def __exit__(self, *exc: Any) -> None:
        del self.kernel.db.execute_sql
