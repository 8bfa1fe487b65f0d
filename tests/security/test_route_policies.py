"""Policies hold for every spelling of a path (issue #10, row 1).

``POST //api/auth/login/`` used to reach the login responder while the rate
limiter and the lockout compared the raw path, so neither counted it. Now a
non-canonical path is refused before routing (400 ``non_canonical_path``) and
policies are attached to the route Falcon resolved. The table below sends every
spelling variant to every rate-limited route, through the TestClient and through
a real ``synergy serve`` (gunicorn) with raw paths, and checks that each variant
is either refused before any responder or meets the route's policy.
"""

from __future__ import annotations

import http.client
import itertools
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import falcon.testing
import pytest

from synergy.app import Kernel
from synergy.errors import ConfigurationError
from synergy.models import User
from tests.conftest import PASSWORD, Api, assert_error
from tests.kernel.conftest import running_server
from tests.security.conftest import login

PROXY = "127.0.0.1"
LIMIT = 2
ACCOUNT_LIMIT = 3
LOCKOUT_THRESHOLD = 2
POLICY_SETTINGS = {
    "SYNERGY_TRUSTED_PROXIES": PROXY,
    "SYNERGY_SECURITY_LOGIN_RATE": f"{LIMIT}/1h",
    "SYNERGY_SECURITY_LOGIN_ACCOUNT_RATE": f"{ACCOUNT_LIMIT}/1h",
    "SYNERGY_SECURITY_REGISTER_RATE": f"{LIMIT}/1h",
    "SYNERGY_SECURITY_PASSWORD_RESET_RATE": f"{LIMIT}/1h",
    "SYNERGY_SECURITY_RESET_CONFIRM_RATE": f"{LIMIT}/1h",
    "SYNERGY_SECURITY_ROUTE_RATES": f"PATCH /api/projects/{{id}}={LIMIT}/1h",
    "SYNERGY_SECURITY_LOCKOUT_THRESHOLD": str(LOCKOUT_THRESHOLD),
}

REACHES, REFUSED, UNROUTED = "reaches the responder", "refused before routing", "no route"


def spellings(path: str) -> list[tuple[str, str, str]]:
    """(variant name, raw path, expected outcome) for a canonical ``/api/...`` path."""
    rest = path.removeprefix("/api/")
    return [
        ("trailing slash", f"{path}/", REACHES),
        ("no trailing slash", path, REACHES),
        ("double leading slash", f"/{path}/", REFUSED),
        ("double leading slash, no trailing", f"/{path}", REFUSED),
        ("double trailing slash", f"{path}//", REFUSED),
        ("doubled separators", path.replace("/", "//") + "/", REFUSED),
        ("dot segment", f"/api/./{rest}/", REFUSED),
        ("dot-dot segment", f"/api/x/../{rest}/", REFUSED),
        ("encoded dot-dot", f"/api/x/%2e%2e/{rest}/", REFUSED),
        ("encoded slash %2F", f"/api%2F{rest}/", REFUSED),
        ("encoded slash %2f", f"/api%2f{rest}/", REFUSED),
        ("backslash", f"/api\\{rest}/", REFUSED),
        ("encoded backslash", f"/api%5C{rest}/", REFUSED),
        ("mixed case", path.upper() + "/", UNROUTED),
    ]


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: Any

    @property
    def code(self) -> str | None:
        return (self.body or {}).get("error", {}).get("code") if isinstance(
            self.body, dict) else None


Send = Callable[..., Answer]


def client_sender(kernel: Kernel) -> Send:
    client = falcon.testing.TestClient(kernel)

    def send(method: str, path: str, body: Any = None, *, ip: str,
             token: str | None = None) -> Answer:
        headers = {"X-Forwarded-For": ip}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        result = client.simulate_request(method, path, json=body, headers=headers,
                                         remote_addr=PROXY)
        return Answer(result.status_code, {k.lower(): v for k, v in result.headers.items()},
                      result.json if result.content else None)

    return send


def server_sender(port: int) -> Send:
    def send(method: str, path: str, body: Any = None, *, ip: str,
             token: str | None = None) -> Answer:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        headers = {"X-Forwarded-For": ip, "Content-Type": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        payload = json.dumps(body).encode() if body is not None else None
        # http.client sends the path as written: no normalisation, no re-encoding.
        connection.request(method, path, body=payload, headers=headers)
        response = connection.getresponse()
        raw = response.read()
        answer = Answer(response.status, {k.lower(): v for k, v in response.getheaders()},
                        json.loads(raw) if raw else None)
        connection.close()
        return answer

    return send


_ips = (f"198.51.{n // 250}.{n % 250 + 1}" for n in itertools.count())
_names = (f"p{n}" for n in itertools.count())


def _route_table() -> list[tuple[str, str, str, Callable[[], Any], int]]:
    """(policy, method, canonical path, body factory, limit) for every rate-limited route."""
    return [
        ("login (per IP)", "POST", "/api/auth/login",
         lambda: {"username": next(_names), "password": "wrong-password"}, LIMIT),
        ("register", "POST", "/api/auth/register",
         lambda: (lambda n: {"username": n, "email": f"{n}@example.com",
                             "password": PASSWORD})(next(_names)), LIMIT),
        ("password reset", "POST", "/api/auth/password-reset",
         lambda: {"email": "nobody@example.com"}, LIMIT),
        ("password reset confirm", "POST", "/api/auth/password-reset-confirm",
         lambda: {"uid": 1, "token": "not-a-real-token", "new_password": "Whatever-Pass-9"},
         LIMIT),
        ("configured route template", "PATCH", "/api/projects/7", lambda: {"name": "x"},
         LIMIT),
    ]


def check_every_spelling(send: Send) -> int:
    """Send the whole table; returns how many requests were checked."""
    checked = 0
    for policy, method, path, body, limit in _route_table():
        for variant, raw, outcome in spellings(path):
            ip = next(_ips)
            answers = [send(method, raw, body(), ip=ip) for _ in range(limit + 1)]
            where = f"{policy}: {variant} {method} {raw}"
            statuses = [answer.status for answer in answers]
            if outcome == REACHES:
                assert 429 not in statuses[:limit], (where, statuses)
                assert all(a.headers.get("ratelimit-limit") == str(limit)
                           for a in answers[:limit]), where
                assert statuses[limit] == 429, (where, statuses)
                assert answers[limit].code == "rate_limited", where
            elif outcome == REFUSED:
                assert statuses == [400] * (limit + 1), (where, statuses)
                assert {a.code for a in answers} == {"non_canonical_path"}, where
            else:
                assert statuses == [404] * (limit + 1), (where, statuses)
            checked += len(answers)
    checked += _check_account_policy(send)
    checked += _check_lockout_feed(send)
    checked += _check_no_store(send)
    return checked


def _check_account_policy(send: Send) -> int:
    """The per-account login limit: one name, a new IP for every attempt."""
    checked = 0
    for variant, raw, outcome in spellings("/api/auth/login"):
        name = next(_names)
        answers = [send("POST", raw, {"username": name, "password": "wrong"}, ip=next(_ips))
                   for _ in range(ACCOUNT_LIMIT + 1)]
        statuses = [answer.status for answer in answers]
        expected = {REACHES: [401] * ACCOUNT_LIMIT + [429], REFUSED: [400] * (ACCOUNT_LIMIT + 1),
                    UNROUTED: [404] * (ACCOUNT_LIMIT + 1)}[outcome]
        assert statuses == expected, (variant, raw, statuses)
        checked += len(answers)
    return checked


def _check_lockout_feed(send: Send) -> int:
    """Wrong passwords sent with any spelling that reaches login count towards the lockout."""
    checked = 0
    for variant, raw, outcome in spellings("/api/auth/login"):
        name = next(_names)
        registered = send("POST", "/api/auth/register/", {
            "username": name, "email": f"{name}@example.com", "password": PASSWORD},
            ip=next(_ips))
        assert registered.status == 201, registered.body
        for _ in range(LOCKOUT_THRESHOLD):
            send("POST", raw, {"username": name, "password": "wrong-password"}, ip=next(_ips))
        right = send("POST", "/api/auth/login/", {"username": name, "password": PASSWORD},
                     ip=next(_ips))
        # Locked: the right password gets the same 401 as a wrong one.
        assert right.status == (401 if outcome == REACHES else 200), (variant, raw, right.body)
        checked += LOCKOUT_THRESHOLD + 2
    return checked


def _check_no_store(send: Send) -> int:
    name = next(_names)
    registered = send("POST", "/api/auth/register/", {
        "username": name, "email": f"{name}@example.com", "password": PASSWORD}, ip=next(_ips))
    token = registered.body["access"]
    checked = 0
    for variant, raw, outcome in spellings("/api/auth/user"):
        for bearer in (token, None):
            answer = send("GET", raw, ip=next(_ips), token=bearer)
            assert answer.headers.get("cache-control") == "no-store", (variant, raw, answer)
            if outcome == REACHES:
                assert answer.status == (200 if bearer else 401), (variant, raw, answer)
            checked += 1
    return checked


def test_every_spelling_meets_the_route_policies_test_client(
        make_secure_app: Callable[..., Kernel]) -> None:
    kernel = make_secure_app(**POLICY_SETTINGS)
    assert check_every_spelling(client_sender(kernel)) > 300


@pytest.fixture(scope="module")
def policy_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    """``synergy serve`` (gunicorn, the installed plugins) with small limits."""
    data = tmp_path_factory.mktemp("policies") / "data"
    with running_server(data, workers=2, SYNERGY_SECURITY_RATE_LIMITS="true",
                        **POLICY_SETTINGS) as port:
        yield port


@pytest.mark.slow
def test_every_spelling_meets_the_route_policies_real_server(policy_server: int) -> None:
    assert check_every_spelling(server_sender(policy_server)) > 300


@pytest.mark.slow
def test_refusal_names_the_canonical_path_real_server(policy_server: int) -> None:
    answer = server_sender(policy_server)("POST", "//api/auth/login/",
                                          {"username": "x", "password": "y"}, ip=next(_ips))
    assert answer.status == 400
    error = answer.body["error"]
    assert error["code"] == "non_canonical_path"
    assert "'/api/auth/login/'" in error["message"] and "path" in error["fields"]
    assert error["request_id"] == answer.headers["x-request-id"]


def test_route_rates_match_templates_not_paths(make_secure_app: Callable[..., Kernel]) -> None:
    """One policy per route template: /api/projects/1/ and /api/projects/2 share it."""
    kernel = make_secure_app(SYNERGY_SECURITY_ROUTE_RATES="GET /api/projects/{pk}/=3/1m")
    ada = Api(kernel).as_new_user("ada")
    statuses = [ada.get(path).status_code for path in (
        "/api/projects/1/", "/api/projects/2", "/api/projects/3/", "/api/projects/4/")]
    assert statuses == [404, 404, 404, 429]
    # Another route of the same family is not affected.
    assert ada.get("/api/projects/").status_code == 200


@pytest.mark.parametrize("entry, problem", [
    ("POST /api/logins=3/1m", "no route /api/logins"),
    ("POST /api/projects/{id}/nothing=3/1m", "no route"),
    ("DELETE /api/auth/login=3/1m", "has no DELETE responder"),
])
def test_route_rates_naming_no_route_refuse_to_start(make_secure_app: Callable[..., Kernel],
                                                     entry: str, problem: str) -> None:
    with pytest.raises(ConfigurationError, match="SYNERGY_SECURITY_ROUTE_RATES") as caught:
        make_secure_app(SYNERGY_SECURITY_ROUTE_RATES=entry)
    assert problem in str(caught.value)


def test_login_outcomes_are_found_by_route_not_path(make_secure_app: Callable[..., Kernel]
                                                    ) -> None:
    """The lockout counts failures of the login route, with or without the slash."""
    kernel = make_secure_app(SYNERGY_SECURITY_LOCKOUT_THRESHOLD="2",
                             SYNERGY_SECURITY_LOGIN_RATE="off")
    api = Api(kernel)
    api.as_new_user("ada")
    assert login(api, "ada", "wrong").status_code == 401
    assert api.post("/api/auth/login", {"username": "ada", "password": "wrong"}
                    ).status_code == 401
    assert_error(login(api, "ada", PASSWORD), 401, "invalid_credentials")
    with kernel.connection():
        assert User.get(User.username == "ada").last_login is None
