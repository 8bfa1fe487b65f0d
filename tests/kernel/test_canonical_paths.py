"""The kernel refuses non-canonical paths before routing, in the one error shape."""

from __future__ import annotations

import pytest

from synergy.http.paths import path_problem
from tests.conftest import Api, assert_error

REFUSED = [
    "//api/auth/user/", "/api//auth/user/", "/api/auth/user//", "/api/./auth/user/",
    "/api/x/../auth/user/", "/api/auth/user/.", "/api/x/%2e%2E/auth/user/", "/api%2Fauth/user/",
    "/api%2fauth/user/", "/api%5Cauth/user/", "/api\\auth/user/", "/api/auth/user%00/",
    "/api/auth/us%0aer/",
]


@pytest.mark.parametrize("path", REFUSED)
def test_non_canonical_paths_answer_400_before_routing(api: Api, path: str) -> None:
    ada = api.as_new_user("ada")
    result = ada.get(path)
    error = assert_error(result, 400, "non_canonical_path", field="path")
    assert "'/api/" in error["message"]
    assert error["request_id"] == result.headers["X-Request-ID"]


@pytest.mark.parametrize("path", ["/api/auth/user/", "/api/auth/user", "/api/users/?q=a/b",
                                  "/api/users/?q=..//x"])
def test_canonical_paths_are_served(api: Api, path: str) -> None:
    ada = api.as_new_user("ada")
    assert ada.get(path).status_code == 200


def test_the_check_reads_the_raw_and_the_decoded_path() -> None:
    assert path_problem("/api/auth/login/", "/api/auth/login/") is None
    assert path_problem("/", "/") is None
    # A server that decoded %2F leaves a canonical-looking PATH_INFO behind.
    assert "encodes" in path_problem("/api%2Fauth/login/", "/api/auth/login/")
    # A server that normalised less than we do: the decoded path is checked too.
    assert "empty segment" in path_problem("/api/auth/login/", "//api/auth/login/")
