"""Security headers on every route, errors and unknown paths included."""

from __future__ import annotations

import re
from collections.abc import Callable

import falcon.testing

from synergy.app import Kernel
from tests.conftest import Api
from tests.plugins import own_headers
from tests.plugins.own_headers import OWN_HEADERS
from tests.projects.conftest import upload

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


def test_a_header_the_responder_set_is_kept_and_the_rest_filled_in(
        make_secure_app: Callable[..., Kernel]) -> None:
    """Issue #10 row 6: the plugin only fills in what a response lacks."""
    api = Api(make_secure_app(own_headers))
    result = api.get("/api/own-headers/")
    assert result.status_code == 200
    for name, value in OWN_HEADERS.items():
        assert result.headers[name] == value, name
    assert result.headers["X-Content-Type-Options"] == "nosniff"
    assert result.headers["Referrer-Policy"] == "same-origin"
    # Also when the responder raised after choosing its headers.
    refused = api.delete("/api/own-headers/")
    assert refused.status_code == 403
    assert refused.headers["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert refused.headers["X-Frame-Options"] == "DENY"


def test_attachment_downloads_keep_their_sandbox_csp(
        make_secure_app: Callable[..., Kernel]) -> None:
    kernel = make_secure_app(SYNERGY_ALLOWED_UPLOAD_TYPES="txt,html")
    owner = Api(kernel).as_new_user("olivia")
    project = owner.post("/api/projects/", {"name": "Pages"}).json
    task = owner.post("/api/tasks/", {"project": project["id"], "title": "Publish"}).json
    for name, content in (("p.html", b"<html><script>alert(1)</script></html>"),
                          ("notes.txt", b"hello\n")):
        uploaded = upload(owner, task["id"], name, content)
        assert uploaded.status_code == 201, uploaded.text
        download = owner.get(uploaded.json["download_url"])
        assert download.status_code == 200
        assert download.headers["Content-Security-Policy"] == "default-src 'none'; sandbox"
        assert download.headers["Cache-Control"] == "private, no-store"
        assert download.headers["X-Frame-Options"] == "DENY"
        assert download.headers["Referrer-Policy"] == "same-origin"
