"""Kernel endpoints that are not about projects: index, docs, health, plugins, OpenAPI, users."""

from __future__ import annotations

import importlib.metadata
import logging
from typing import Any

import falcon

from synergy.contributions import Route
from synergy.errors import NotFound
from synergy.http import endpoint, paginate
from synergy.models import User
from synergy.openapi import build_openapi
from synergy.projects.representation import user_mini
from synergy.projects.schemas import UserMini
from synergy.schema import Dict, List, Schema, String
from synergy.system.introspection import describe_plugins
from synergy.worker_heartbeat import worker_status

log = logging.getLogger("synergy.health")


DISTRIBUTION = "synergyos"


class IndexOut(Schema):
    name = String(read_only=True)
    version = String(read_only=True)
    links = Dict(read_only=True, description="Where to go next: relative URLs by purpose.")


class Index:
    """``/api/``: the URL a newcomer opens first, so it says where everything else is."""

    serves_without_database = True  # it reads nothing from it

    def __init__(self, kernel: Any) -> None:
        self.kernel = kernel

    @endpoint("Where to start: this API's name, version and the links that matter",
              response=IndexOut, public=True, tags=("system",))
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.media = {"name": "SynergyOS", "version": self.kernel.version, "links": {
            "openapi": "/api/openapi.json", "docs": "/api/docs/",
            "health": "/api/auth/health/", "login": "/api/auth/login/",
            "plugins": "/api/plugins/"}}


class Docs:
    """The README this installation was built from, so the docs match the running version."""

    serves_without_database = True

    @endpoint("This installation's README (Markdown): set-up, configuration, API overview",
              public=True, tags=("system",), errors=(404,))
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        try:
            readme = importlib.metadata.metadata(DISTRIBUTION).get_payload()
        except importlib.metadata.PackageNotFoundError:
            readme = None
        if not readme:
            raise NotFound(f"the {DISTRIBUTION} distribution is not installed with its README; "
                           "see /api/openapi.json")
        resp.content_type = "text/markdown; charset=utf-8"
        resp.text = readme


class HealthOut(Schema):
    status = String(read_only=True, choices=("ok", "degraded"))
    version = String(read_only=True)
    services = Dict(read_only=True)
    worker = Dict(read_only=True, description="The job workers' latest heartbeat (pid, age); "
                                              "absent when jobs run inline.")


class Health:
    # Must answer when the database is down: saying so is its whole point.
    serves_without_database = True

    def __init__(self, kernel: Any) -> None:
        self.kernel = kernel

    @endpoint("Liveness and dependency check (503 when a dependency is down)",
              response=HealthOut, public=True, tags=("system",), errors=(503,))
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        services = {"database": self._check(self._database),
                    **self.kernel.backing_services.report()}
        worker = self._worker(services["queue"])
        if worker is not None:
            services["worker"] = worker["status"]
        healthy = all(state == "ok" for state in services.values())
        resp.status = 200 if healthy else 503
        resp.set_header("Cache-Control", "no-store")
        resp.media = {"status": "ok" if healthy else "degraded",
                      "version": self.kernel.version, "services": services}
        if worker is not None:
            resp.media["worker"] = worker

    @staticmethod
    def _check(probe: Any) -> str:
        try:
            probe()
            return "ok"
        except Exception as exc:
            log.warning("health check %s failed: %s", getattr(probe, "__name__", probe), exc)
            return "down"

    def _worker(self, queue: str) -> dict[str, Any] | None:
        """Alive only from a heartbeat: a started process proves nothing (see worker_heartbeat)."""
        huey = self.kernel.jobs.huey
        if huey.immediate:
            return None
        if queue != "ok":
            return {"status": "down", "message": "the queue storage is down"}
        try:
            worker = worker_status(huey)
        except Exception as exc:
            log.warning("health check worker heartbeat failed: %s", exc)
            return {"status": "down", "message": "the worker heartbeat cannot be read"}
        if worker["status"] != "ok":
            log.warning("health check worker: %s", worker["message"])
        return worker

    def _database(self) -> None:
        self.kernel.db.execute_sql("SELECT 1").fetchone()


class PluginOut(Schema):
    kernel_version = String(read_only=True)
    plugins = List(Dict(), read_only=True)
    errors = List(Dict(), read_only=True)


class Plugins:
    def __init__(self, kernel: Any) -> None:
        self.kernel = kernel

    @endpoint("Installed plugins: versions, hooks, routes, models, migrations, jobs, errors",
              response=PluginOut, tags=("system",), errors=(401,))
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.media = describe_plugins(self.kernel)


class OpenAPI:
    def __init__(self, kernel: Any) -> None:
        self.kernel = kernel
        self._document: dict[str, Any] | None = None

    @endpoint("This API's OpenAPI 3.1 description", public=True, tags=("system",))
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        if self._document is None:
            self._document = build_openapi(self.kernel)
        resp.media = self._document


class UserQuery(Schema):
    q = String(required=False, max_length=100,
               description="Matches username and names (staff: also e-mail addresses).")


class UserBrief(UserMini):
    email = String(read_only=True, description="Only shown to staff.")


class Users:
    """A directory to pick members from: minimal fields, e-mail only for staff.

    Only staff search by e-mail: an exact-address match for anyone else would
    tell them whether an address is registered (an account-enumeration oracle).
    """

    def __init__(self, kernel: Any) -> None:
        self.kernel = kernel

    @endpoint("Search users to add as members", query=UserQuery, response=UserBrief,
              many=True, tags=("users",), errors=(400, 401))
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        staff = req.context.user.is_staff
        query = User.select().where(User.is_active == True)  # noqa: E712
        text = req.context.query.get("q")
        if text:
            # contains() escapes LIKE wildcards: "%" or "_" in the search are literal.
            needle = text.lower()
            condition = (User.username_key.contains(needle) | User.first_name.contains(needle)
                         | User.last_name.contains(needle))
            if staff:
                condition |= User.email.contains(needle)
            query = query.where(condition)
        query = query.order_by(User.username_key)

        def render(users: list[User]) -> list[dict[str, Any]]:
            if not staff:
                return [user_mini(user) for user in users]
            return [{**user_mini(user), "email": user.email} for user in users]

        resp.media = paginate(req, query, render)


def system_routes(kernel: Any) -> list[Route]:
    return [
        Route("/api", Index(kernel)),
        Route("/api/docs", Docs()),
        Route("/api/auth/health", Health(kernel)),
        Route("/api/plugins", Plugins(kernel)),
        Route("/api/openapi.json", OpenAPI(kernel)),
        Route("/api/users", Users(kernel)),
    ]
