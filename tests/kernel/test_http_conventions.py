"""One error shape for every failure, request ids, access log, CORS, body limits."""

from __future__ import annotations

import io
import logging

import pytest

from synergy.errors import ConfigurationError
from synergy.models import Event
from tests.conftest import PASSWORD, Api, assert_error
from tests.kernel.probe_plugins import Misbehaving, Subscriber

JSON = {"Content-Type": "application/json"}
LOGIN = "/api/auth/login/"


@pytest.fixture
def probe_api(make_app) -> Api:
    return Api(make_app([Misbehaving()], SYNERGY_MAX_JSON_KB=4,
                        SYNERGY_CORS_ORIGINS="https://app.example.org"))


def test_an_unhandled_exception_is_a_500_with_request_id_and_no_traceback(
        probe_api: Api, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO):
        result = probe_api.get("/api/probe/boom/", headers={"X-Request-ID": "trace-me-42"})
    error = assert_error(result, 500, "internal_error")
    assert error["request_id"] == "trace-me-42"
    assert "trace-me-42" in error["message"]
    assert result.headers["X-Request-ID"] == "trace-me-42"
    assert "kaboom" not in result.text and "Traceback" not in result.text
    [record] = [r for r in caplog.records if r.name == "synergy.http"]
    assert record.exc_info is not None and "kaboom" in str(record.exc_info[1])
    assert "trace-me-42" in record.getMessage()
    [access] = [r for r in caplog.records if r.name == "synergy.access"]
    assert (access.status, access.request_id) == (500, "trace-me-42")


def test_a_database_failure_mid_request_is_a_503_to_retry(probe_api: Api) -> None:
    result = probe_api.get("/api/probe/database-lost/")
    error = assert_error(result, 503, "database_unavailable")
    assert result.headers["Retry-After"] == "5"
    assert "server closed" not in error["message"]
    assert probe_api.get("/api/auth/health/").status_code == 200


def test_a_crash_inside_a_transaction_leaves_no_event_and_reaches_no_subscriber(
        make_app) -> None:
    subscriber = Subscriber("watcher")
    api = Api(make_app([Misbehaving(), subscriber]))
    assert_error(api.post("/api/probe/half-write/", {}), 500, "internal_error")
    with api.kernel.connection():
        assert Event.select().count() == 0
    assert subscriber.calls == 0


def test_request_ids_are_generated_echoed_or_replaced(api: Api) -> None:
    generated = api.get("/api/auth/health/").headers["X-Request-ID"]
    assert len(generated) == 32
    assert api.get("/api/auth/health/").headers["X-Request-ID"] != generated
    echoed = api.get("/api/auth/health/", headers={"X-Request-ID": "lb-7f3a.9_x"})
    assert echoed.headers["X-Request-ID"] == "lb-7f3a.9_x"
    for insane in ("a" * 65, "spaces are bad", "<script>", "new\\nline"):
        replaced = api.get("/api/auth/health/", headers={"X-Request-ID": insane})
        assert replaced.headers["X-Request-ID"] not in (insane, "")
    error = assert_error(api.get("/api/nowhere/"), 404)
    assert error["request_id"]


def test_every_request_writes_one_structured_access_log_line(
        api: Api, caplog: pytest.LogCaptureFixture) -> None:
    ada = api.as_new_user("ada")
    with caplog.at_level(logging.INFO, logger="synergy.access"):
        caplog.clear()
        ada.get("/api/auth/user/", headers={"X-Request-ID": "req-1"})
        api.post(LOGIN, {"username": "ada"}, headers={"X-Request-ID": "req-2"})
    first, second = [r for r in caplog.records if r.name == "synergy.access"]
    assert (first.method, first.path, first.status, first.user_id, first.request_id) == (
        "GET", "/api/auth/user", 200, ada.user["id"], "req-1")
    assert (second.method, second.status, second.user_id, second.request_id) == (
        "POST", 400, None, "req-2")
    assert isinstance(first.duration_ms, float) and first.duration_ms >= 0
    assert "GET /api/auth/user 200" in first.getMessage()


WRONG_ROUTES = [
    ("GET", "/api/does-not-exist/", 404, "not_found"),
    ("GET", "/no-api-prefix", 404, "not_found"),
    ("DELETE", LOGIN, 405, "method_not_allowed"),
    ("PUT", "/api/auth/health/", 405, "method_not_allowed"),
    ("GET", LOGIN, 405, "method_not_allowed"),
]

MALFORMED_BODIES = [
    (b'{"username": "ada", "password": ', "application/json", 400, "malformed_json"),
    (b"\xff\xfe{}", "application/json", 400, "malformed_json"),
    (b'{"username": "ada\\ud800", "password": "x"}', "application/json", 400,
     "malformed_json"),
    (b"[" * 2000 + b"]" * 2000, "application/json", 400, "malformed_json"),
    (b"NaN", "application/json", 400, "malformed_json"),
    (b'"just a string"', "application/json", 400, "validation_error"),
    (b"null", "application/json", 400, "validation_error"),
    (b'{"username": "ada", "password": "x"}', "text/plain", 415, "unsupported_media_type"),
    (b"username=ada&password=x", "application/x-www-form-urlencoded", 415,
     "unsupported_media_type"),
    (b'{"username": "ada", "password": "x"}', "", 415, "unsupported_media_type"),
]

FIELD_ERRORS = [
    ({"username": "ada", "password": PASSWORD, "remember": True}, "remember", "Unknown"),
    ({"username": 42, "password": PASSWORD}, "username", "string"),
    ({"username": ["ada"], "password": PASSWORD}, "username", "string"),
    ({"username": None, "password": PASSWORD}, "username", "null"),
    ({"username": "ad\u0000a", "password": PASSWORD}, "username", "NUL"),
    ({"username": "ada"}, "password", "required"),
]


def test_unknown_routes_and_wrong_methods(api: Api) -> None:
    for method, path, status, code in WRONG_ROUTES:
        result = api.request(method, path)
        assert_error(result, status, code)
        if status == 405:
            assert "POST" in result.headers["Allow"] or "GET" in result.headers["Allow"]


def test_malformed_bodies(api: Api) -> None:
    for body, content_type, status, code in MALFORMED_BODIES:
        headers = {"Content-Type": content_type} if content_type else {}
        assert_error(api.post(LOGIN, body=body, headers=headers), status, code)


def test_field_errors_name_the_field(api: Api) -> None:
    for payload, field, fragment in FIELD_ERRORS:
        error = assert_error(api.post(LOGIN, payload), 400, "validation_error", field)
        assert fragment in error["fields"][field][0], (payload, error)


def test_unicode_round_trips(api: Api) -> None:
    ada = api.as_new_user("ada", first_name="Zoë 🚀", last_name="Łukasiewicz-山田")
    me = ada.get("/api/auth/user/").json
    assert me["full_name"] == "Zoë 🚀 Łukasiewicz-山田"
    raw = b'{"bio": "\\u00e9t\\u00e9 \\ud83d\\ude80"}'
    patched = ada.patch("/api/auth/user/update/", body=raw, headers=JSON)
    assert patched.status_code == 200, patched.text
    assert patched.json["bio"] == "été 🚀"


def test_oversized_bodies_are_413_with_or_without_content_length(probe_api: Api) -> None:
    big = b'{"username": "' + b"a" * 5000 + b'", "password": "x"}'
    assert_error(probe_api.post(LOGIN, body=big, headers=JSON), 413, "payload_too_large")
    chunked = {"CONTENT_LENGTH": "", "wsgi.input_terminated": True,
               "wsgi.input": io.BytesIO(big)}
    assert_error(probe_api.post(LOGIN, headers={**JSON, "Transfer-Encoding": "chunked"},
                                extras=chunked), 413, "payload_too_large")


def test_a_chunked_body_is_read_when_the_server_terminates_it(api: Api) -> None:
    api.as_new_user("ada")
    body = b'{"username": "ada", "password": "Correct-Horse-42"}'
    chunked = {"CONTENT_LENGTH": "", "wsgi.input_terminated": True,
               "wsgi.input": io.BytesIO(body)}
    result = api.post(LOGIN, headers={**JSON, "Transfer-Encoding": "chunked"}, extras=chunked)
    assert result.status_code == 200, result.text
    unterminated = {"CONTENT_LENGTH": "", "wsgi.input": io.BytesIO(body)}
    assert_error(api.post(LOGIN, headers={**JSON, "Transfer-Encoding": "chunked"},
                          extras=unterminated), 411, "length_required")


def test_cors_allows_only_listed_origins(probe_api: Api) -> None:
    allowed = "https://app.example.org"
    preflight = probe_api.request("OPTIONS", LOGIN, headers={
        "Origin": allowed, "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "Content-Type, Authorization"})
    assert preflight.status_code == 204
    assert preflight.headers["Access-Control-Allow-Origin"] == allowed
    assert "POST" in preflight.headers["Access-Control-Allow-Methods"]
    assert "Authorization" in preflight.headers["Access-Control-Allow-Headers"]
    assert preflight.headers["Access-Control-Allow-Credentials"] == "true"

    simple = probe_api.get("/api/auth/health/", headers={"Origin": allowed})
    assert simple.headers["Access-Control-Allow-Origin"] == allowed
    assert "X-Request-ID" in simple.headers["Access-Control-Expose-Headers"]
    assert "Origin" in simple.headers["Vary"]

    for origin in ("https://evil.example", "https://app.example.org.evil.example", "null"):
        refused = probe_api.request("OPTIONS", LOGIN, headers={
            "Origin": origin, "Access-Control-Request-Method": "POST"})
        assert not any(h.lower().startswith("access-control-") for h in refused.headers)
        plain = probe_api.get("/api/auth/health/", headers={"Origin": origin})
        assert "Access-Control-Allow-Origin" not in plain.headers


def test_no_cors_headers_when_no_origins_are_configured(api: Api) -> None:
    result = api.get("/api/auth/health/", headers={"Origin": "https://app.example.org"})
    assert "Access-Control-Allow-Origin" not in result.headers


@pytest.mark.parametrize("origins", ["*", "https://app.example.org,*", "app.example.org",
                                     "https://app.example.org/", "https://*.example.org"])
def test_cors_origins_must_be_exact(make_app, origins: str) -> None:
    with pytest.raises(ConfigurationError, match="SYNERGY_CORS_ORIGINS"):
        make_app(SYNERGY_CORS_ORIGINS=origins)
