"""OpenAPI 3.1 from the same declarations that validate requests."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from synergy.routing import public_path
from synergy.schema import List, Nested, Schema

if TYPE_CHECKING:
    from synergy.app import Kernel

_PARAM = re.compile(r"\{([^}:]+)(?::[^}]*)?\}")

ERROR_SCHEMA = {
    "type": "object",
    "required": ["error"],
    "properties": {"error": {
        "type": "object",
        "required": ["status", "code", "message", "fields"],
        "properties": {
            "status": {"type": "integer"},
            "code": {"type": "string"},
            "message": {"type": "string"},
            "fields": {"type": "object",
                       "additionalProperties": {"type": "array", "items": {"type": "string"}}},
            "request_id": {"type": ["string", "null"]},
        },
    }},
}

_STATUS_TEXT = {400: "Invalid input", 401: "Not authenticated", 403: "Forbidden",
                404: "Not found", 409: "Conflict", 413: "Payload too large",
                415: "Unsupported media type", 429: "Too many requests",
                503: "Service unavailable"}


class _Components:
    """Schema components named after their classes, unique even when two plugins reuse a name.

    A second, different class with an already used name gets its module as a
    prefix (``acme_timesheets.schemas.EntryIn``) instead of replacing the first.
    """

    def __init__(self) -> None:
        self.schemas: dict[str, Any] = {"Error": ERROR_SCHEMA}
        self._names: dict[type[Schema], str] = {}

    def ref(self, schema: type[Schema]) -> dict[str, str]:
        name = self._names.get(schema)
        if name is None:
            name = schema.__name__
            if name in self.schemas:
                name = f"{schema.__module__}.{schema.__name__}"
            self._names[schema] = name
            document = schema.json_schema()
            self.schemas[name] = document
            for field_name, field in schema.fields.items():
                is_list = isinstance(field, List)
                inner = field.item if is_list else field
                if isinstance(inner, Nested):
                    target = document["properties"][field_name]
                    (target["items"] if is_list else target).update(self.ref(inner.schema))
        return {"$ref": f"#/components/schemas/{name}"}


def _page(item: dict[str, Any]) -> dict[str, Any]:
    return {"type": "object", "required": ["count", "next", "previous", "results"],
            "properties": {"count": {"type": "integer"},
                           "next": {"type": ["string", "null"]},
                           "previous": {"type": ["string", "null"]},
                           "results": {"type": "array", "items": item}}}


def build_openapi(kernel: Kernel) -> dict[str, Any]:
    """The OpenAPI 3.1 document of every route the app serves, kernel and plugins."""
    components = _Components()
    paths: dict[str, Any] = {}
    for route in kernel.routes.routes:
        path = public_path(_PARAM.sub(lambda m: "{" + m.group(1) + "}", route.path))
        params = [{"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
                  for name in _PARAM.findall(route.path)]
        item: dict[str, Any] = {}
        for method, spec in route.methods.items():
            operation: dict[str, Any] = {
                "summary": spec.summary,
                "operationId": f"{route.plugin}_{method.lower()}_"
                               + re.sub(r"\W+", "_", route.path.strip("/")),
                "tags": list(spec.tags) or [route.plugin],
                "x-plugin": route.plugin,
            }
            if spec.description:
                operation["description"] = spec.description
            if spec.public:
                operation["security"] = []
            parameters = list(params)
            if spec.query is not None:
                for name, field in spec.query.fields.items():
                    parameters.append({"name": name, "in": "query", "required": False,
                                       "schema": field.json_schema()})
            if spec.many:
                parameters += [
                    {"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1}},
                    {"name": "page_size", "in": "query",
                     "schema": {"type": "integer", "minimum": 1, "maximum": 200}}]
            if parameters:
                operation["parameters"] = parameters
            if spec.body is not None:
                operation["requestBody"] = {"required": method != "PATCH", "content": {
                    "application/json": {"schema": components.ref(spec.body)}}}
            elif spec.multipart:
                operation["requestBody"] = {"required": True, "content": {
                    "multipart/form-data": {"schema": {"type": "object"}}}}
            success: dict[str, Any] = {"description": "Success"}
            if spec.response is not None:
                schema = components.ref(spec.response)
                success["content"] = {"application/json": {
                    "schema": _page(schema) if spec.many else schema}}
            responses: dict[str, Any] = {str(spec.status): success}
            for status in sorted(set(spec.errors) | ({400} if spec.body or spec.query else set())
                                 | (set() if spec.public else {401})):
                responses[str(status)] = {
                    "description": _STATUS_TEXT.get(status, "Error"),
                    "content": {"application/json": {
                        "schema": {"$ref": "#/components/schemas/Error"}}}}
            operation["responses"] = responses
            item[method.lower()] = operation
        paths[path] = item
    return {
        "openapi": "3.1.0",
        "info": {"title": "SynergyOS API", "version": kernel.version,
                 "description": "Kernel and plugin routes of this installation."},
        "servers": [{"url": kernel.settings.public_url}],
        "paths": paths,
        "components": {
            "schemas": components.schemas,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer",
                                           "bearerFormat": "JWT"}},
        },
        "security": [{"bearer": []}],
    }
