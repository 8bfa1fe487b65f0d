"""Shared hit counters for rate limits and failed-login counting.

Fixed windows that open at a bucket's first hit, so "5 per 5 minutes" means
five hits within five minutes of the first, whatever the clock says. Both
stores are atomic across processes: Redis through one Lua script (INCR and
the expiry together), the database through one upsert with ``RETURNING``
(SQLite 3.35+ and PostgreSQL), so several gunicorn workers share every limit.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Protocol

import redis
from synergy_security.models import RateCounter

from synergy import Failure, Use
from synergy.errors import ConfigurationError

# What each use of the counters does while Redis is out (README, "Outages"): every one
# fails open, since refusing logins or the whole API because a counter store is down
# would turn a Redis outage into a full outage. Database counters fail with the database.
RATE_LIMITS = Use("security.rate_limits", "redis", Failure.OPEN,
                  "the login, registration, password-reset and per-route rate limits are "
                  "not enforced")
API_BUDGET = Use("security.api_budget", "redis", Failure.OPEN,
                 "the per-user API budget is not enforced")
LOCKOUT = Use("security.lockout", "redis", Failure.OPEN,
              "failed logins are not counted towards a lockout (they are still in the "
              "security log, and existing locks still refuse)")

_HIT_SCRIPT = """
local hits = redis.call('INCRBY', KEYS[1], ARGV[2])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {hits, ttl}
"""


@dataclass(frozen=True)
class Count:
    """Hits so far in the bucket's current window, when that window ends (epoch s), and how
    many of the hits this count added."""

    hits: int
    window_ends_at: float
    added: int = 1


class CounterStore(Protocol):
    def hit(self, bucket: str, period: int, amount: int = 1) -> Count: ...

    def reset(self, bucket: str) -> None: ...


class RedisCounters:
    def __init__(self, url: str, prefix: str) -> None:
        self.client = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        self.prefix = prefix
        self.script = self.client.register_script(_HIT_SCRIPT)

    def hit(self, bucket: str, period: int, amount: int = 1) -> Count:
        hits, ttl_ms = self.script(keys=[self.prefix + bucket], args=[period * 1000, amount])
        return Count(int(hits), time.time() + int(ttl_ms) / 1000, amount)

    def reset(self, bucket: str) -> None:
        self.client.delete(self.prefix + bucket)


class DatabaseCounters:
    def __init__(self, db: Any) -> None:
        self.db = db

    def hit(self, bucket: str, period: int, amount: int = 1) -> Count:
        now = time.time()
        table = RateCounter._meta.table_name
        p = self.db.param
        sql = (
            f'INSERT INTO "{table}" ("bucket", "hits", "window_ends_at") VALUES ({p}, {p}, {p}) '
            f'ON CONFLICT ("bucket") DO UPDATE SET '
            f'"hits" = CASE WHEN "{table}"."window_ends_at" <= {p} THEN {p} '
            f'ELSE "{table}"."hits" + {p} END, '
            f'"window_ends_at" = CASE WHEN "{table}"."window_ends_at" <= {p} THEN {p} '
            f'ELSE "{table}"."window_ends_at" END '
            f'RETURNING "hits", "window_ends_at"'
        )
        with self.db.atomic():
            hits, ends = self.db.execute_sql(
                sql, (bucket, amount, now + period, now, amount, amount, now,
                      now + period)).fetchone()
        return Count(int(hits), float(ends), amount)

    def reset(self, bucket: str) -> None:
        RateCounter.delete().where(RateCounter.bucket == bucket).execute()

    def purge_expired(self) -> int:
        return RateCounter.delete().where(RateCounter.window_ends_at <= time.time()).execute()


def make_counters(kernel: Any) -> RedisCounters | DatabaseCounters:
    settings = kernel.settings
    storage = settings.security_rate_limit_storage
    if storage == "redis" or (storage == "auto" and settings.redis_url):
        if not settings.redis_url:
            raise ConfigurationError("SYNERGY_SECURITY_RATE_LIMIT_STORAGE=redis needs "
                                     "SYNERGY_REDIS_URL")
        return RedisCounters(settings.redis_url, f"synergy:{settings.queue_name}:security:")
    return DatabaseCounters(kernel.db)
