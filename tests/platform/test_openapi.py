"""``GET /api/openapi.json``: valid OpenAPI 3.1 covering every route of kernel and plugins."""

from __future__ import annotations

import re
from collections.abc import Callable

from openapi_spec_validator import validate
from openapi_spec_validator.validation.exceptions import OpenAPIValidationError

from synergy.app import Kernel
from synergy.routing import public_path
from tests.conftest import Api
from tests.plugins import every_hook, shared_route_a


def operations(document: dict) -> set[tuple[str, str]]:
    return {(path, method.upper()) for path, item in document["paths"].items()
            for method in item}


def test_document_is_valid_and_covers_every_route(make_app: Callable[..., Kernel]) -> None:
    kernel = make_app([every_hook, shared_route_a])
    result = Api(kernel).get("/api/openapi.json")
    assert result.status_code == 200, result.text
    document = result.json
    validate(document)
    assert document["openapi"] == "3.1.0"
    expected = {(public_path(re.sub(r"\{(\w+):[^}]*\}", r"{\1}", route.path)), method)
                for route in kernel.routes.routes for method in route.methods}
    assert operations(document) == expected
    ids = [op["operationId"] for item in document["paths"].values() for op in item.values()]
    assert len(ids) == len(set(ids))
    assert ("/api/every-hook/stopwatches/", "POST") in expected
    assert ("/api/openapi.json", "GET") in expected
    assert {route.plugin for route in kernel.routes.routes} == {"kernel", "every_hook",
                                                                "shared_route_a"}


def test_operations_describe_auth_body_and_parameters(make_app: Callable[..., Kernel]) -> None:
    kernel = make_app([every_hook, shared_route_a])
    document = Api(kernel).get("/api/openapi.json").json
    post = document["paths"]["/api/every-hook/stopwatches/"]["post"]
    assert post["x-plugin"] == "every_hook"
    assert set(post["responses"]) == {"201", "400", "401", "403"}
    assert "security" not in post
    shared = document["paths"]["/api/shared/{item_id}/"]["get"]
    assert shared["security"] == []
    assert shared["parameters"] == [{"name": "item_id", "in": "path", "required": True,
                                     "schema": {"type": "string"}}]
    register = document["paths"]["/api/auth/register/"]["post"]
    assert register["requestBody"]["required"] is True


def test_schemas_with_the_same_name_in_two_plugins_both_survive(
        make_app: Callable[..., Kernel]) -> None:
    kernel = make_app([every_hook])
    document = Api(kernel).get("/api/openapi.json").json
    schemas = document["components"]["schemas"]
    kernel_users = document["paths"]["/api/users/"]["get"]["responses"]["200"]["content"][
        "application/json"]["schema"]["properties"]["results"]["items"]["$ref"]
    plugin_body = document["paths"]["/api/every-hook/stopwatches/"]["post"]["requestBody"][
        "content"]["application/json"]["schema"]["$ref"]
    assert kernel_users == "#/components/schemas/UserBrief"
    assert plugin_body == "#/components/schemas/tests.plugins.every_hook.UserBrief"
    assert "username" in schemas["UserBrief"]["properties"]
    assert "label" in schemas["tests.plugins.every_hook.UserBrief"]["properties"]


def test_the_validator_rejects_a_broken_document(make_app: Callable[..., Kernel]) -> None:
    document = Api(make_app()).get("/api/openapi.json").json
    document["paths"]["/api/auth/health/{ghost}/"] = document["paths"].pop("/api/auth/health/")
    try:
        validate(document)
    except OpenAPIValidationError as exc:
        assert "ghost" in str(exc)
        return
    raise AssertionError("a path parameter without a declaration passed validation")
