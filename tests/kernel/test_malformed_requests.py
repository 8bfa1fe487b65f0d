"""Table-driven bad input over every kernel endpoint: always 4xx in the error shape, no writes.

For each endpoint a valid request is the starting point; every case breaks it
in one way (syntax, type, size, encoding, method, credentials). The database
is compared before and after, so a failure that half-wrote is caught too.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest

from tests.conftest import PASSWORD, Api
from tests.kernel.conftest import row_counts

NEW_PASSWORD = "Brand-New-Secret-77"
MAX_JSON_KB = 16


@dataclass(frozen=True)
class Case:
    label: str
    body: bytes | None = None
    content_type: str = "application/json"
    query: str = ""
    method: str | None = None
    token: str | None = "valid"


@dataclass(frozen=True)
class EndpointUnderTest:
    method: str
    path: str
    valid: dict[str, Any] | None  # None: the endpoint takes no body
    needs_user: bool


ENDPOINTS = [
    EndpointUnderTest("POST", "/api/auth/register/", {
        "username": "newbie", "email": "newbie@example.com", "password": PASSWORD,
        "first_name": "New", "last_name": "Bie"}, False),
    EndpointUnderTest("POST", "/api/auth/login/", {"username": "ada", "password": PASSWORD},
                      False),
    EndpointUnderTest("POST", "/api/auth/token/refresh/", {"refresh": "{refresh}"}, False),
    EndpointUnderTest("POST", "/api/auth/logout/", {"refresh": "{refresh}"}, True),
    EndpointUnderTest("GET", "/api/auth/user/", None, True),
    EndpointUnderTest("PUT", "/api/auth/user/update/", {
        "username": "ada2", "email": "ada2@example.com", "first_name": "Ada",
        "last_name": "L", "bio": "b", "location": "l", "phone": "+44 1", "company": "c"}, True),
    EndpointUnderTest("PATCH", "/api/auth/user/update/", {"bio": "hello", "phone": "123"},
                      True),
    EndpointUnderTest("POST", "/api/auth/change-password/", {
        "old_password": PASSWORD, "new_password": NEW_PASSWORD}, True),
    EndpointUnderTest("POST", "/api/auth/password-reset/", {"email": "ada@example.com"},
                      False),
    EndpointUnderTest("POST", "/api/auth/password-reset-confirm/", {
        "uid": 1, "token": "t" * 43, "new_password": NEW_PASSWORD}, False),
    EndpointUnderTest("GET", "/api/auth/health/", None, False),
    EndpointUnderTest("GET", "/api/plugins/", None, True),
    EndpointUnderTest("GET", "/api/users/", None, True),
    EndpointUnderTest("GET", "/api/openapi.json", None, False),
]


def _json(value: Any) -> bytes:
    return json.dumps(value).encode()


def _wrong_values(value: Any) -> list[tuple[str, Any]]:
    nested: Any = "deep"
    for _ in range(300):
        nested = [nested]
    wrong = [("object", {"$ne": None}), ("list", [value]), ("nested lists", nested),
             ("boolean", True)]
    if isinstance(value, str):
        wrong += [("number", 12345), ("NUL byte", value[:3] + "\u0000" + value[3:]),
                  ("5000 characters", "x" * 5000)]
    else:
        wrong += [("string", "12"), ("float", 1.5), ("negative", -1), ("huge", 2 ** 63)]
    return wrong


def body_cases(valid: dict[str, Any]) -> list[Case]:
    text = json.dumps(valid)
    cases = [
        Case("truncated JSON", text[:-2].encode()),
        Case("trailing garbage", text.encode() + b" }"),
        Case("single quotes", text.replace('"', "'").encode()),
        Case("JSON array", _json([valid])),
        Case("JSON string", b'"hello"'),
        Case("JSON number", b"42"),
        Case("invalid UTF-8", b'{"x": "\xc3\x28"}'),
        Case("lone surrogate", text.replace('"', '"\\udc00', 1).encode()
             if text.startswith('{"') else b'"\\ud800"'),
        Case("deeply nested", b'{"a": ' + b"[" * 5000 + b"]" * 5000 + b"}"),
        Case("unknown field", _json({**valid, "is_staff": True})),
        Case("text/plain", text.encode(), content_type="text/plain"),
        Case("form encoded", b"a=b", content_type="application/x-www-form-urlencoded"),
        Case("oversized", _json({**valid, "padding": "x" * (MAX_JSON_KB * 1024)})),
    ]
    for field, value in valid.items():
        for label, wrong in _wrong_values(value):
            cases.append(Case(f"{field} as {label}", _json({**valid, field: wrong})))
        cases.append(Case(f"{field} null", _json({**valid, field: None})))
        if isinstance(value, str) and value != "{refresh}":
            escaped = _json({**valid, field: "x"}).replace(b'"x"', b'"\\ud83d"')
            cases.append(Case(f"{field} lone high surrogate", escaped))
    return cases


def cases_for(endpoint: EndpointUnderTest) -> list[Case]:
    cases = [Case("DELETE", method="DELETE")]
    if endpoint.method == "GET":
        cases.append(Case("POST", method="POST", body=b"{}"))
    if endpoint.needs_user:
        cases += [Case("no token", token=None), Case("garbage token", token="garbage")]
    if endpoint.valid is not None:
        cases += body_cases(endpoint.valid)
    if endpoint.path == "/api/users/":
        cases += [Case("unknown filter", query="is_staff=true"),
                  Case("page zero", query="page=0"), Case("page text", query="page=two"),
                  Case("page size too big", query="page_size=100000"),
                  Case("page beyond any offset", query="page=" + "9" * 30),
                  Case("page size negative", query="page_size=-5"),
                  Case("q too long", query="q=" + "x" * 500),
                  Case("q with NUL", query="q=a%00b")]
    return cases


def _send(api: Api, endpoint: EndpointUnderTest, case: Case, tokens: dict[str, str]) -> Any:
    headers = {}
    if case.token == "valid" and endpoint.needs_user:
        headers["Authorization"] = f"Bearer {tokens['access']}"
    elif case.token == "garbage":
        headers["Authorization"] = "Bearer garbage.token.here"
    body = case.body
    if body is not None:
        body = body.replace(b"{refresh}", tokens["refresh"].encode())
        headers["Content-Type"] = case.content_type
    return api.client.simulate_request(case.method or endpoint.method, endpoint.path,
                                       body=body, headers=headers,
                                       query_string=case.query or None)


def _shape_problem(result: Any) -> str | None:
    if not 400 <= result.status_code < 500:
        return f"status {result.status_code}"
    try:
        error = result.json["error"]
    except (ValueError, KeyError, TypeError):
        return f"no error object: {result.text[:120]}"
    if error.get("status") != result.status_code or not error.get("message") \
            or not isinstance(error.get("fields"), dict) or not error.get("code") \
            or not error.get("request_id"):
        return f"bad error shape: {error}"
    return None


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda e: f"{e.method} {e.path}")
def test_malformed_requests_get_a_4xx_error_and_write_nothing(
        make_app, endpoint: EndpointUnderTest) -> None:
    api = Api(make_app(SYNERGY_MAX_JSON_KB=MAX_JSON_KB))
    ada = api.as_new_user("ada")
    login = api.post("/api/auth/login/", {"username": "ada", "password": PASSWORD}).json
    tokens = {"access": ada.token, "refresh": login["refresh"]}
    before = row_counts(api.kernel)

    problems = []
    cases = cases_for(endpoint)
    for case in cases:
        result = _send(api, endpoint, case, tokens)
        problem = _shape_problem(result)
        if problem:
            problems.append(f"{case.label}: {problem}")
    assert not problems, "\n".join(problems)
    assert row_counts(api.kernel) == before
    # The valid request still works afterwards: nothing above broke the session.
    if endpoint.method == "GET":
        assert _send(api, endpoint, Case("valid"), tokens).status_code == 200
