"""Rate-limit middleware: per-route policies keyed by client IP or target account, and a
per-user budget for every authenticated request (counted by :mod:`synergy_security.api_budget`).

Route policies are checked in ``process_resource`` (after routing, so unknown
paths cost nothing; matched by the route template Falcon resolved, never by the
path string), and so is the per-user budget, since the kernel's
authentication middleware sets ``req.context.user`` there. The client IP is the
kernel's ``req.context.client_ip``, which believes ``X-Forwarded-For`` only
from ``SYNERGY_TRUSTED_PROXIES``. Only the first refused request of a window
writes a ``rate_limit`` event, so a flood cannot flood the log too.
"""

from __future__ import annotations

import functools
import hashlib
import math
import time
from dataclasses import dataclass
from typing import Any

import falcon
from synergy_security.config import Rate
from synergy_security.counters import API_BUDGET, RATE_LIMITS
from synergy_security.login_target import login_target
from synergy_security.security_log import record_security_event
from synergy_security.services import services

from synergy import Use
from synergy.errors import RateLimited


@dataclass(frozen=True)
class Decision:
    policy: str
    per: str
    rate: Rate
    hits: int
    reset_seconds: int
    added: int = 1

    @property
    def allowed(self) -> bool:
        return self.hits <= self.rate.limit

    @property
    def first_refusal(self) -> bool:
        """This count crossed the limit (it may have added several hits at once)."""
        return self.hits - self.added <= self.rate.limit < self.hits

    @property
    def remaining(self) -> int:
        return max(0, self.rate.limit - self.hits)

    def headers(self) -> dict[str, str]:
        return {"RateLimit-Limit": str(self.rate.limit),
                "RateLimit-Remaining": str(self.remaining),
                "RateLimit-Reset": str(self.reset_seconds)}


def _account_key(req: falcon.Request) -> str | None:
    name, user = login_target(req)
    if user is not None:
        return f"user:{user.id}"
    if not name:
        return None
    return "name:" + hashlib.sha256(name.encode()).hexdigest()[:32]


class RateLimitMiddleware:
    def __init__(self, kernel: Any) -> None:
        self.kernel = kernel
        self.enabled = kernel.settings.security_rate_limits
        # Built while the app is built, so a bad rate setting stops start-up.
        services(kernel)

    def process_resource(self, req: falcon.Request, resp: falcon.Response, resource: Any,
                         params: dict[str, Any]) -> None:
        if not self.enabled or getattr(req.context, "database_error", None) is not None:
            return
        state = services(self.kernel)
        # The route Falcon resolved, so every spelling of its path meets its policies.
        template = req.uri_template
        checks: list[tuple[str, str, str | None, Rate]] = [
            (policy.name, policy.per,
             _account_key(req) if policy.per == "account" else req.context.client_ip,
             policy.rate)
            for policy in state.policies
            if policy.method == req.method and policy.template == template]
        if req.context.user is not None and state.api_rate is not None:
            checks.append(("api", "user", str(req.context.user.id), state.api_rate))
        decisions = []
        for name, per, key, rate in checks:
            if key is None:
                continue
            count_hit = (state.counters.hit if name != "api"
                         else functools.partial(state.api_budget.hit, limit=rate.limit))
            decision = self._hit(RATE_LIMITS if name != "api" else API_BUDGET, count_hit,
                                 name, per, key, rate)
            if decision is None:
                continue
            decisions.append(decision)
            if not decision.allowed:
                self._refuse(req, decision)
        if decisions:
            req.context.security_rate_headers = min(
                decisions, key=lambda d: d.remaining).headers()

    def process_response(self, req: falcon.Request, resp: falcon.Response, resource: Any,
                         req_succeeded: bool) -> None:
        headers = getattr(req.context, "security_rate_headers", None)
        if headers and resp.status_code != 429:
            for name, value in headers.items():
                resp.set_header(name, value)

    def _hit(self, use: Use, count_hit: Any, name: str, per: str, key: str,
             rate: Rate) -> Decision | None:
        """Count one hit; None when the counter store is out (the policy fails open)."""
        count = self.kernel.backing_services.call(use, count_hit, f"rate:{name}:{per}:{key}",
                                                  rate.period)
        if count is None:
            return None
        reset = max(1, math.ceil(count.window_ends_at - time.time()))
        return Decision(name, per, rate, count.hits, reset, count.added)

    def _refuse(self, req: falcon.Request, decision: Decision) -> None:
        if decision.first_refusal:
            name, target = login_target(req) if decision.per == "account" else ("", None)
            user = req.context.user or target
            record_security_event(
                "rate_limit", user=user, username=name,
                ip=req.context.client_ip, user_agent=req.user_agent or "",
                description=f"Rate limit '{decision.policy}' exceeded on {req.method} "
                            f"{req.path}",
                metadata={"policy": decision.policy, "per": decision.per,
                          "limit": decision.rate.limit, "period_seconds": decision.rate.period,
                          "method": req.method, "path": req.path})
        raise RateLimited(
            f"Too many requests ({decision.rate.limit} per {decision.rate.period} seconds "
            f"per {decision.per}); retry in {decision.reset_seconds} seconds.",
            headers={"Retry-After": str(decision.reset_seconds), **decision.headers()})
