"""Rate limits: the original's figures, per IP and per account, with honest client IPs."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest

from synergy.app import Kernel
from synergy.errors import ConfigurationError
from tests.conftest import PASSWORD, TEST_REDIS_URL, Api, assert_error, requires_redis
from tests.security.conftest import login, security_events

PROXY = "10.0.0.2"


def _statuses(results: list[Any]) -> list[int]:
    return [result.status_code for result in results]


def test_sixth_login_from_one_ip_within_five_minutes_is_429(secure_app: Kernel,
                                                            sapi: Api) -> None:
    sapi.as_new_user("ada")
    attempts = [login(sapi, f"user{n}", "wrong-password", ip="203.0.113.9") for n in range(6)]
    assert _statuses(attempts) == [401] * 5 + [429]
    error = assert_error(attempts[-1], 429, "rate_limited")
    assert "5 per 300 seconds" in error["message"]
    headers = attempts[-1].headers
    assert 295 <= int(headers["Retry-After"]) <= 300
    assert headers["RateLimit-Limit"] == "5" and headers["RateLimit-Remaining"] == "0"
    assert int(headers["RateLimit-Reset"]) == int(headers["Retry-After"])
    assert attempts[0].headers["RateLimit-Remaining"] == "4"
    # Even the right password is refused now, and another IP is not affected.
    assert login(sapi, "ada", PASSWORD, ip="203.0.113.9").status_code == 429
    assert login(sapi, "ada", PASSWORD, ip="203.0.113.10").status_code == 200
    [event] = security_events(secure_app, "rate_limit")
    assert event.ip_address == "203.0.113.9"
    assert event.metadata == {"policy": "login", "per": "ip", "limit": 5,
                              "period_seconds": 300, "method": "POST",
                              "path": "/api/auth/login"}


def test_sixth_login_for_one_account_from_many_ips_is_429(
        make_secure_app: Callable[..., Kernel]) -> None:
    kernel = make_secure_app(SYNERGY_TRUSTED_PROXIES=PROXY)
    api = Api(kernel)
    api.as_new_user("ada")
    attempts = [login(api, "ada" if n % 2 else "ADA@example.com", "wrong-password", ip=PROXY,
                      headers={"X-Forwarded-For": f"198.51.100.{n + 1}"}) for n in range(6)]
    assert _statuses(attempts) == [401] * 5 + [429]
    [event] = security_events(kernel, "rate_limit")
    assert event.metadata["policy"] == "login_account"
    assert event.username == "ada" and event.user_id is not None
    assert event.ip_address == "198.51.100.6"


def test_spoofed_forwarded_for_from_untrusted_peer_changes_nothing(
        make_secure_app: Callable[..., Kernel]) -> None:
    kernel = make_secure_app(SYNERGY_TRUSTED_PROXIES=PROXY)
    api = Api(kernel)
    attempts = [login(api, f"user{n}", "wrong-password", ip="192.0.2.50",
                      headers={"X-Forwarded-For": f"198.51.100.{n + 1}"}) for n in range(6)]
    assert _statuses(attempts) == [401] * 5 + [429]
    assert {event.ip_address for event in security_events(kernel)} == {"192.0.2.50"}


def test_register_reset_and_confirm_limits(sapi: Api) -> None:
    registrations = [sapi.post("/api/auth/register/", {
        "username": f"person{n}", "email": f"person{n}@example.com", "password": PASSWORD})
        for n in range(6)]
    assert _statuses(registrations) == [201] * 5 + [429]
    resets = [sapi.post("/api/auth/password-reset/", {"email": "person1@example.com"})
              for _ in range(4)]
    assert _statuses(resets) == [200] * 3 + [429]
    confirms = [sapi.post("/api/auth/password-reset-confirm/", {
        "uid": 1, "token": "not-a-real-token", "new_password": "Whatever-Pass-9"})
        for _ in range(6)]
    assert _statuses(confirms) == [400] * 5 + [429]


def test_hundred_and_first_api_request_in_a_minute_is_429(secure_app: Kernel,
                                                          sapi: Api) -> None:
    ada = sapi.as_new_user("ada")
    statuses = _statuses([ada.get("/api/auth/user/") for _ in range(101)])
    assert statuses == [200] * 100 + [429]
    # The budget is per user: another account is unaffected.
    grace = sapi.as_new_user("grace")
    assert grace.get("/api/auth/user/").status_code == 200
    [event] = security_events(secure_app, "rate_limit")
    assert event.metadata["policy"] == "api" and event.username == "ada"


def test_route_rates_setting_adds_a_policy(make_secure_app: Callable[..., Kernel]) -> None:
    kernel = make_secure_app(SYNERGY_SECURITY_ROUTE_RATES="GET /api/auth/health/=2/1m",
                             SYNERGY_SECURITY_LOGIN_RATE="off")
    api = Api(kernel)
    assert _statuses([api.get("/api/auth/health/") for _ in range(3)]) == [200, 200, 429]
    assert _statuses([login(api, "x", "y") for _ in range(5)]) == [401] * 5


@pytest.mark.parametrize("name, value", [
    ("SYNERGY_SECURITY_LOGIN_RATE", "five a minute"),
    ("SYNERGY_SECURITY_API_RATE", "0/1m"),
    ("SYNERGY_SECURITY_ROUTE_RATES", "/api/projects=3/1m"),
])
def test_bad_rate_settings_refuse_to_start(make_secure_app: Callable[..., Kernel], name: str,
                                          value: str) -> None:
    with pytest.raises(ConfigurationError, match=name):
        make_secure_app(**{name: value})


def test_disabled_rate_limits(make_secure_app: Callable[..., Kernel]) -> None:
    api = Api(make_secure_app(SYNERGY_SECURITY_RATE_LIMITS=False))
    assert _statuses([login(api, "x", "y") for _ in range(7)]) == [401] * 7


@requires_redis
def test_login_limit_on_redis(make_secure_app: Callable[..., Kernel]) -> None:
    kernel = make_secure_app(SYNERGY_REDIS_URL=TEST_REDIS_URL,
                             SYNERGY_QUEUE_NAME=f"sec-{uuid.uuid4().hex[:8]}")
    from synergy_security.counters import RedisCounters
    from synergy_security.services import services

    assert isinstance(services(kernel).counters, RedisCounters)
    api = Api(kernel)
    attempts = [login(api, f"user{n}", "wrong-password", ip="203.0.113.9") for n in range(6)]
    assert _statuses(attempts) == [401] * 5 + [429]
    assert 295 <= int(attempts[-1].headers["Retry-After"]) <= 300


def test_unreachable_redis_fails_open(make_secure_app: Callable[..., Kernel]) -> None:
    kernel = make_secure_app(SYNERGY_REDIS_URL="redis://127.0.0.1:1/0",
                             SYNERGY_SECURITY_LOGIN_RATE="1/1m")
    api = Api(kernel)
    assert _statuses([login(api, "x", "y") for _ in range(3)]) == [401] * 3
