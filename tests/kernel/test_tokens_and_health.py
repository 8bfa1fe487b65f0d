"""JWT validation (RFC 8725 rules) and the health endpoint against real dependencies."""

from __future__ import annotations

import base64
import datetime as dt
import json
from pathlib import Path
from typing import Any

import jwt
import pytest

from synergy.auth.tokens import new_token_id
from synergy.models import AuthSession
from synergy.worker_heartbeat import beat
from tests.conftest import TEST_REDIS_URL, Api, assert_error, requires_redis
from tests.kernel.conftest import free_port


def _claims(api: Api, **changes: Any) -> dict[str, Any]:
    """Claims of a genuine access token of a live session, with ``changes`` applied."""
    genuine = jwt.decode(api.token, options={"verify_signature": False})
    return {**genuine, **changes}


def _unsigned(claims: dict[str, Any]) -> str:
    def part(data: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(claims)}."


def forged_tokens(ada: Api) -> dict[str, str]:
    secret = ada.kernel.auth.tokens.secret
    now = int(dt.datetime.now(dt.UTC).timestamp())
    claims = _claims(ada)
    return {
        "alg none": _unsigned(claims),
        "HS512": jwt.encode(claims, secret, algorithm="HS512"),
        "HS384": jwt.encode(claims, secret, algorithm="HS384"),
        "wrong secret": jwt.encode(claims, "x" * 48, algorithm="HS256"),
        "wrong audience": jwt.encode({**claims, "aud": "someone-else"}, secret, "HS256"),
        "wrong issuer": jwt.encode({**claims, "iss": "evil"}, secret, "HS256"),
        "refresh as access": jwt.encode({**claims, "typ": "refresh"}, secret, "HS256"),
        "no jti": jwt.encode({k: v for k, v in claims.items() if k != "jti"}, secret,
                             "HS256"),
        "unknown session": jwt.encode({**claims, "sid": new_token_id()}, secret, "HS256"),
        "other user": jwt.encode({**claims, "sub": "999"}, secret, "HS256"),
        "non-numeric subject": jwt.encode({**claims, "sub": "ada"}, secret, "HS256"),
        "truncated": ada.token[:-10],
        "garbage": "not.a.jwt",
        "expired": jwt.encode({**claims, "iat": now - 7200, "nbf": now - 7200,
                               "exp": now - 3600}, secret, "HS256"),
    }


def test_a_genuine_access_token_works(api: Api) -> None:
    ada = api.as_new_user("ada")
    assert ada.get("/api/auth/user/").status_code == 200
    header = jwt.get_unverified_header(ada.token)
    assert header["alg"] == "HS256"
    claims = _claims(ada)
    assert {"exp", "iat", "jti", "sub", "sid", "typ", "aud"} <= set(claims)
    assert claims["typ"] == "access" and claims["aud"] == "synergy"
    assert claims["exp"] - claims["iat"] == 60 * 60


def test_forged_or_wrong_access_tokens_get_401(api: Api) -> None:
    ada = api.as_new_user("ada")
    forged = forged_tokens(ada)
    answers = {kind: Api(api.kernel, token).get("/api/auth/user/")
               for kind, token in forged.items()}
    wrong = {kind: result.status_code for kind, result in answers.items()
             if result.status_code != 401}
    assert not wrong, wrong
    for result in answers.values():
        assert_error(result, 401)
    assert answers["expired"].json["error"]["code"] == "token_expired"
    assert len(forged) == 14


def test_an_access_token_is_not_a_refresh_token(api: Api) -> None:
    ada = api.as_new_user("ada")
    assert_error(api.post("/api/auth/token/refresh/", {"refresh": ada.token}), 401,
                 "token_invalid")


def test_token_lifetimes_follow_the_settings(make_app) -> None:
    ada = Api(make_app(SYNERGY_ACCESS_TOKEN_MINUTES=5,
                       SYNERGY_REFRESH_TOKEN_MINUTES=90)).as_new_user("ada")
    claims = _claims(ada)
    assert claims["exp"] - claims["iat"] == 5 * 60
    login = Api(ada.kernel).post("/api/auth/login/", {"username": "ada",
                                                      "password": "Correct-Horse-42"})
    refresh = jwt.decode(login.json["refresh"], options={"verify_signature": False})
    assert refresh["exp"] - refresh["iat"] == 90 * 60
    assert login.cookies["synergy_refresh_token"].max_age == 90 * 60


def test_rotation_never_extends_a_session_beyond_its_login(make_app) -> None:
    api = Api(make_app(SYNERGY_REFRESH_TOKEN_MINUTES=90))
    api.as_new_user("ada")
    login = api.post("/api/auth/login/", {"username": "ada", "password": "Correct-Horse-42"})
    # An hour has passed since this login: 30 of its 90 minutes are left.
    session_end = dt.datetime.now(dt.UTC).replace(tzinfo=None) + dt.timedelta(minutes=30)
    with api.kernel.connection():
        AuthSession.update(expires_at=session_end).execute()
    rotated = api.post("/api/auth/token/refresh/", {"refresh": login.json["refresh"]})
    claims = jwt.decode(rotated.json["refresh"], options={"verify_signature": False})
    assert abs(claims["exp"] - session_end.replace(tzinfo=dt.UTC).timestamp()) <= 2
    assert 30 * 60 - 5 <= rotated.cookies["synergy_refresh_token"].max_age <= 30 * 60


@pytest.mark.parametrize("header", ["Basic YWRhOnB3", "Bearer", "Token abc", "Bearer  "])
def test_malformed_authorization_headers_get_401(api: Api, header: str) -> None:
    assert_error(api.get("/api/auth/user/", headers={"Authorization": header}), 401)


def test_a_stale_token_does_not_block_public_endpoints(api: Api) -> None:
    api.as_new_user("ada")
    result = api.post("/api/auth/login/", {"username": "ada", "password": "Correct-Horse-42"},
                      headers={"Authorization": "Bearer expired.or.garbage"})
    assert result.status_code == 200, result.text


def test_health_reports_database_and_queue(api: Api) -> None:
    result = api.get("/api/auth/health/")
    assert result.status_code == 200
    assert result.json["status"] == "ok"
    assert result.json["services"] == {"database": "ok", "queue": "ok"}
    assert result.headers["Cache-Control"] == "no-store"


def test_health_is_503_when_redis_is_unreachable(make_app) -> None:
    closed = f"redis://127.0.0.1:{free_port()}/0"
    result = Api(make_app(SYNERGY_REDIS_URL=closed, SYNERGY_QUEUE_IMMEDIATE=False)) \
        .get("/api/auth/health/")
    assert result.status_code == 503
    assert result.json["status"] == "degraded"
    assert result.json["services"] == {"database": "ok", "queue": "down", "redis": "down",
                                       "worker": "down"}


@requires_redis
def test_health_checks_a_live_redis(make_app) -> None:
    kernel = make_app(SYNERGY_REDIS_URL=TEST_REDIS_URL, SYNERGY_QUEUE_IMMEDIATE=False,
                      SYNERGY_QUEUE_NAME=f"health-{new_token_id()}")
    beat(kernel.jobs.huey)  # a live worker's heartbeat
    result = Api(kernel).get("/api/auth/health/")
    assert result.status_code == 200, result.text
    assert result.json["services"] == {"database": "ok", "queue": "ok", "redis": "ok",
                                       "worker": "ok"}


def test_health_is_503_and_other_endpoints_503_when_the_database_is_gone(
        make_app, tmp_path: Path) -> None:
    database = tmp_path / "vanishing.db"
    kernel = make_app(SYNERGY_DATABASE_URL=f"sqlite:///{database}")
    api = Api(kernel)
    ada = api.as_new_user("ada")
    for leftover in tmp_path.glob("vanishing.db*"):
        leftover.unlink()
    database.mkdir()  # the path can no longer be opened as a database
    # Pooled connections keep the unlinked file open; the outage shows on the next connect.
    kernel.db.close_all()

    health = api.get("/api/auth/health/", headers={"Authorization": f"Bearer {ada.token}"})
    assert health.status_code == 503, health.text
    assert health.json["services"]["database"] == "down"
    assert_error(ada.get("/api/auth/user/"), 503, "database_unavailable")
    assert_error(api.post("/api/auth/login/", {"username": "ada", "password": "x"}), 503,
                 "database_unavailable")
