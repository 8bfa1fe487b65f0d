"""Security headers on every route, errors and unknown paths included."""

from __future__ import annotations

import re
from collections.abc import Callable

import falcon.testing

from synergy.app import Kernel
from tests.conftest import Api

_PARAM = re.compile(r"\{[^}]*\}")
EXPECTED = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
}


def _check(result: falcon.testing.Result, path: str) -> None:
    headers = result.headers
    for name, value in EXPECTED.items():
        assert headers.get(name) == value, (path, name, headers)
    assert "Strict-Transport-Security" not in headers
    if path.startswith(("/api/auth/", "/api/security/")):
        assert headers.get("Cache-Control") == "no-store", (path, headers)


def test_headers_on_every_route_and_method(secure_app: Kernel, sapi: Api) -> None:
    ada = sapi.as_new_user("ada")
    checked = 0
    for client in (sapi, ada):
        for route in secure_app.routes.routes:
            path = _PARAM.sub("1", route.path) + "/"
            for method in (*route.methods, "OPTIONS"):
                if path == "/api/auth/logout/" and client is ada:
                    continue
                _check(client.request(method, path), path)
                checked += 1
    for path in ("/api/nowhere/", "/api/auth/login/"):
        _check(sapi.request("DELETE", path), path)
    assert checked > 2 * len(secure_app.routes.routes)


def test_hsts_only_in_production(make_secure_app: Callable[..., Kernel]) -> None:
    kernel = make_secure_app(SYNERGY_ENV="production", SYNERGY_PASSWORD_HASHING="owasp",
                             SYNERGY_SECRET_KEY="k3y-" + "abcdefghijklmnopqrstuvwxyz0123456789",
                             SYNERGY_ALLOW_SQLITE_IN_PRODUCTION=True,
                             SYNERGY_SECURITY_CONTENT_SECURITY_POLICY="default-src 'self'")
    result = Api(kernel).get("/api/nowhere/")
    assert result.status_code == 404
    assert result.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    assert result.headers["Content-Security-Policy"] == "default-src 'self'"
