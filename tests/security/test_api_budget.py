"""The per-user API budget: reported in batches far from the limit, exact at it.

The stores are real (the app's database, Redis when configured); several
processes are played by several budgets over one store, which is all a process
adds: its own unreported hits.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator

import pytest
from synergy_security.api_budget import SHARE, ApiBudget
from synergy_security.counters import DatabaseCounters, RedisCounters
from synergy_security.models import RateCounter

from synergy.app import Kernel
from tests.conftest import TEST_REDIS_URL, Api, requires_redis
from tests.security.conftest import security_events

LIMIT = 64


def test_one_process_is_refused_at_exactly_the_limit(
        make_secure_app: Callable[..., Kernel]) -> None:
    kernel = make_secure_app(SYNERGY_SECURITY_API_RATE=f"{LIMIT}/1m")
    ada = Api(kernel).as_new_user("ada")
    answers = [ada.get("/api/auth/user/") for _ in range(LIMIT + 2)]
    assert [answer.status_code for answer in answers] == [200] * LIMIT + [429, 429]
    assert [int(answer.headers["RateLimit-Remaining"]) for answer in answers[:LIMIT]] == \
        list(range(LIMIT - 1, -1, -1))
    [event] = security_events(kernel, "rate_limit")
    assert event.metadata["policy"] == "api" and event.metadata["limit"] == LIMIT


def test_far_from_the_limit_hits_reach_the_store_in_batches(
        make_secure_app: Callable[..., Kernel]) -> None:
    kernel = make_secure_app(SYNERGY_SECURITY_API_RATE="10000/1m")
    ada = Api(kernel).as_new_user("ada")
    for _ in range(40):
        assert ada.get("/api/auth/user/").status_code == 200
    with kernel.connection():
        stored = RateCounter.get(RateCounter.bucket == f"rate:api:user:{ada.user['id']}").hits
    # First hit reported alone, then batches of up to 1/16 of the ~10,000 remaining.
    assert stored == 1


@pytest.fixture(params=["database", pytest.param("redis", marks=requires_redis)])
def store(request: pytest.FixtureRequest,
          make_secure_app: Callable[..., Kernel]) -> Iterator[DatabaseCounters | RedisCounters]:
    kernel = make_secure_app()
    if request.param == "redis":
        counters = RedisCounters(TEST_REDIS_URL, f"budget-test-{uuid.uuid4().hex[:8]}:")
        yield counters
        for key in counters.client.scan_iter(counters.prefix + "*"):
            counters.client.delete(key)
        return
    with kernel.connection():
        yield DatabaseCounters(kernel.db)


def _admitted(budgets: list[ApiBudget], bucket: str, rounds: int) -> int:
    """Requests admitted when the processes take turns, as a load balancer spreads them."""
    admitted = 0
    for _ in range(rounds):
        for budget in budgets:
            admitted += budget.hit(bucket, 60, LIMIT).hits <= LIMIT
    return admitted


def test_several_processes_overshoot_by_at_most_their_share(
        store: DatabaseCounters | RedisCounters) -> None:
    processes = 4
    admitted = _admitted([ApiBudget(store) for _ in range(processes)], "rate:api:user:1", 60)
    assert LIMIT <= admitted <= LIMIT + processes * LIMIT // SHARE
    # Every hit was finally reported: the store knows the window is spent.
    assert store.hit("rate:api:user:1", 60).hits > LIMIT


def test_an_exhausted_window_stays_refused_in_every_process(
        store: DatabaseCounters | RedisCounters) -> None:
    first, second = ApiBudget(store), ApiBudget(store)
    assert _admitted([first], "rate:api:user:2", LIMIT) == LIMIT
    assert _admitted([second], "rate:api:user:2", 5) == 0
    assert _admitted([first], "rate:api:user:2", 5) == 0
