"""The route table: who serves which path, refusing collisions Falcon would hide."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import falcon

from synergy.contributions import Route
from synergy.errors import PluginError
from synergy.http.converters import IdConverter
from synergy.http.endpoint import EndpointSpec, endpoint_spec

HTTP_METHODS = ("get", "post", "put", "patch", "delete", "head", "options")
_FIELD = re.compile(r"\{[^}]*\}")


@dataclass
class InstalledRoute:
    plugin: str
    path: str
    resource: Any
    suffix: str | None
    methods: dict[str, EndpointSpec]


def normalise(path: str) -> str:
    return path.rstrip("/") or "/"


def public_path(path: str) -> str:
    """The path as clients should write it: a trailing slash, except after a file name."""
    last = path.rsplit("/", 1)[-1]
    return path if "." in last and "{" not in last else path + "/"


def _conflicts(first: str, second: str) -> bool:
    """Whether Falcon would refuse both templates: same prefix, different field at one level."""
    for a, b in zip(first.split("/"), second.split("/"), strict=False):
        if a == b:
            continue
        return bool(_FIELD.fullmatch(a) and _FIELD.fullmatch(b))
    return False


class RouteTable:
    def __init__(self) -> None:
        self.routes: list[InstalledRoute] = []
        self._by_shape: dict[str, InstalledRoute] = {}

    def add(self, plugin: str, route: Route) -> None:
        path = normalise(route.path)
        if path != "/api" and not path.startswith("/api/"):
            raise PluginError(f"plugin {plugin}: route {route.path} must start with /api/")
        shape = _FIELD.sub("{}", path)
        existing = self._by_shape.get(shape)
        if existing is not None:
            raise PluginError(f"route collision: {plugin} wants {path}, already served by "
                              f"{existing.plugin} ({existing.path})")
        methods = self._responders(plugin, path, route)
        installed = InstalledRoute(plugin, path, route.resource, route.suffix, methods)
        self._by_shape[shape] = installed
        self.routes.append(installed)

    @staticmethod
    def _responders(plugin: str, path: str, route: Route) -> dict[str, EndpointSpec]:
        methods: dict[str, EndpointSpec] = {}
        suffix = f"_{route.suffix}" if route.suffix else ""
        for method in HTTP_METHODS:
            responder = getattr(route.resource, f"on_{method}{suffix}", None)
            if responder is None:
                continue
            spec = endpoint_spec(responder)
            if spec is None:
                raise PluginError(
                    f"plugin {plugin}: {type(route.resource).__name__}.on_{method}{suffix} "
                    f"for {path} is not decorated with @synergy.http.endpoint")
            methods[method.upper()] = spec
        if not methods:
            raise PluginError(f"plugin {plugin}: {path} has no on_<method> responders")
        return methods

    def install(self, app: falcon.App) -> None:
        """Add every route to Falcon, naming both owners when Falcon refuses a template.

        Templates may use ``{name:id}`` for row ids (see :class:`IdConverter`).
        """
        app.router_options.converters["id"] = IdConverter
        for index, route in enumerate(self.routes):
            try:
                if route.suffix:
                    app.add_route(route.path, route.resource, suffix=route.suffix)
                else:
                    app.add_route(route.path, route.resource)
            except ValueError as exc:
                others = [f"{other.plugin} ({other.path})" for other in self.routes[:index]
                          if _conflicts(other.path, route.path)]
                clash = f" conflicts with {', '.join(others)}:" if others else ""
                raise PluginError(f"route collision: {route.plugin} wants {route.path},"
                                  f"{clash} {exc}") from None

    def find(self, path: str) -> InstalledRoute | None:
        """The installed route a template names, whatever its field names and converters.

        ``/api/projects/{id}`` finds ``/api/projects/{project_id:int}``; plugins use it
        to attach policies to a route (``req.uri_template`` is its ``path``) at start-up.
        """
        return self._by_shape.get(_FIELD.sub("{}", normalise(path)))

    def for_plugin(self, plugin: str) -> list[InstalledRoute]:
        return [route for route in self.routes if route.plugin == plugin]
