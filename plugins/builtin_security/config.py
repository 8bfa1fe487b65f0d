"""The plugin's settings and the rate-limit policies built from them.

A rate is written ``<count>/<period>`` with the period in seconds, minutes,
hours or days (``5/5m``, ``100/1m``, ``3/1h``); ``off`` disables a policy.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from synergy import Setting
from synergy.errors import ConfigurationError

_RATE = re.compile(r"\s*(\d+)\s*/\s*(\d*)\s*([smhd])\s*")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_ROUTE_RATE = re.compile(r"\s*([A-Z]+)\s+(/api/\S*)\s*=\s*(.+)")

LOGIN_TEMPLATE = "/api/auth/login"
DEFAULT_CSP = "default-src 'none'; frame-ancestors 'none'"

SETTINGS = (
    Setting("SYNERGY_SECURITY_RATE_LIMITS", type="bool", default=True,
            help="Enforce the rate-limit policies below."),
    Setting("SYNERGY_SECURITY_RATE_LIMIT_STORAGE", default="auto",
            choices=("auto", "redis", "database"),
            help="Where counters live: auto = Redis when SYNERGY_REDIS_URL is set, else the "
                 "database. Either way every app process shares them."),
    Setting("SYNERGY_SECURITY_LOGIN_RATE", default="5/5m",
            help="Login attempts per client IP. Rates are count/period with s, m, h or d "
                 "(5/5m, 3/1h), or 'off'."),
    Setting("SYNERGY_SECURITY_LOGIN_ACCOUNT_RATE", default="5/5m",
            help="Login attempts per target account, whatever the IP."),
    Setting("SYNERGY_SECURITY_REGISTER_RATE", default="5/1h",
            help="Registrations per client IP."),
    Setting("SYNERGY_SECURITY_PASSWORD_RESET_RATE", default="3/1h",
            help="Password-reset e-mails requested per client IP."),
    Setting("SYNERGY_SECURITY_RESET_CONFIRM_RATE", default="5/1h",
            help="Password-reset confirmations per client IP."),
    Setting("SYNERGY_SECURITY_API_RATE", default="100/1m",
            help="Authenticated API requests per user."),
    Setting("SYNERGY_SECURITY_ROUTE_RATES", type="list", default=[],
            help="Extra per-IP policies, comma list of 'METHOD /api/route=count/period', "
                 "e.g. 'POST /api/projects=30/1m'. The route is a template "
                 "(/api/projects/{id}/tasks); an unknown one stops start-up."),
    Setting("SYNERGY_SECURITY_LOCKOUT_THRESHOLD", type="int", default=10, minimum=0,
            help="Failed logins for one account within the window that lock it (0: never)."),
    Setting("SYNERGY_SECURITY_LOCKOUT_WINDOW_MINUTES", type="int", default=15, minimum=1,
            help="Window in which failed logins are counted towards a lockout."),
    Setting("SYNERGY_SECURITY_LOCKOUT_MINUTES", type="int", default=15, minimum=1,
            help="How long a locked account refuses every login, even a correct one."),
    Setting("SYNERGY_SECURITY_RETENTION_DAYS", type="int", default=365, minimum=1,
            help="Security events older than this are deleted by a daily job."),
    Setting("SYNERGY_SECURITY_CONTENT_SECURITY_POLICY", default=DEFAULT_CSP,
            help="Content-Security-Policy header sent with every response that does not "
                 "set a stricter one of its own (attachment downloads do)."),
    Setting("SYNERGY_SECURITY_HSTS_SECONDS", type="int", default=31536000, minimum=0,
            help="Strict-Transport-Security max-age in production mode (0: no header)."),
)


@dataclass(frozen=True)
class Rate:
    limit: int
    period: int

    def describe(self) -> str:
        return f"{self.limit} per {self.period} s"


@dataclass(frozen=True)
class RoutePolicy:
    """A limit on one method of one route; ``per`` is ``ip`` or ``account`` (the login name).

    ``template`` is the route's template as installed (``req.uri_template`` once
    Falcon has routed a request), never a path: every spelling of a path that
    reaches the responder meets the policy.
    """

    name: str
    method: str
    template: str
    per: str
    rate: Rate


def parse_rate(name: str, text: str) -> Rate | None:
    if text.strip().lower() in ("off", "none", ""):
        return None
    match = _RATE.fullmatch(text)
    if not match or int(match.group(1)) < 1:
        raise ConfigurationError(f"{name}={text!r}: write a rate as count/period, e.g. 5/5m, "
                                 "100/1m, 3/1h, or 'off'")
    count, multiple, unit = match.groups()
    return Rate(int(count), int(multiple or 1) * _UNIT_SECONDS[unit])


def _route_template(routes: Any, source: str, method: str, path: str) -> str:
    """The installed template of ``path`` (any field names), refusing unknown routes."""
    route = routes.find(path)
    if route is None:
        raise ConfigurationError(f"{source}: no route {path}; name an existing route template "
                                 "as listed by 'synergy plugins', e.g. /api/projects or "
                                 "/api/projects/{id}/tasks")
    if method not in route.methods:
        raise ConfigurationError(f"{source}: {route.path} has no {method} responder (it has "
                                 f"{', '.join(sorted(route.methods))})")
    return route.path


def route_policies(settings: Any, routes: Any) -> list[RoutePolicy]:
    """The built-in per-route policies followed by ``SYNERGY_SECURITY_ROUTE_RATES``.

    ``routes`` is the kernel's route table: each policy is bound to the template of
    an installed route, so a mistyped path stops start-up instead of limiting nothing.
    """
    builtin = (
        ("login", "POST", LOGIN_TEMPLATE, "ip", "SYNERGY_SECURITY_LOGIN_RATE"),
        ("login_account", "POST", LOGIN_TEMPLATE, "account",
         "SYNERGY_SECURITY_LOGIN_ACCOUNT_RATE"),
        ("register", "POST", "/api/auth/register", "ip", "SYNERGY_SECURITY_REGISTER_RATE"),
        ("password_reset", "POST", "/api/auth/password-reset", "ip",
         "SYNERGY_SECURITY_PASSWORD_RESET_RATE"),
        ("password_reset_confirm", "POST", "/api/auth/password-reset-confirm", "ip",
         "SYNERGY_SECURITY_RESET_CONFIRM_RATE"),
    )
    policies = []
    for name, method, path, per, setting in builtin:
        rate = parse_rate(setting, settings[setting])
        if rate is not None:
            template = _route_template(routes, setting, method, path)
            policies.append(RoutePolicy(name, method, template, per, rate))
    for entry in settings.security_route_rates:
        match = _ROUTE_RATE.fullmatch(entry)
        if not match:
            raise ConfigurationError(f"SYNERGY_SECURITY_ROUTE_RATES entry {entry!r}: write "
                                     "'METHOD /api/path=count/period'")
        method, path, text = match.groups()
        rate = parse_rate("SYNERGY_SECURITY_ROUTE_RATES", text)
        if rate is not None:
            template = _route_template(routes, f"SYNERGY_SECURITY_ROUTE_RATES entry {entry!r}",
                                       method, path)
            policies.append(RoutePolicy(f"route:{method} {template}", method, template, "ip",
                                        rate))
    return policies


def api_rate(settings: Any) -> Rate | None:
    return parse_rate("SYNERGY_SECURITY_API_RATE", settings.security_api_rate)
