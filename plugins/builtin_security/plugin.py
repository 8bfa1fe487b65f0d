"""Hook implementations of the bundled security plugin (entry point ``security``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Generator
from typing import Any

from huey import crontab
from synergy_security import __version__  # noqa: F401  (reported as the plugin's version)
from synergy_security.audit import AuditMiddleware, note_denial
from synergy_security.cli import SECURITY_COMMAND
from synergy_security.config import SETTINGS
from synergy_security.counters import DatabaseCounters
from synergy_security.headers import SecurityHeadersMiddleware
from synergy_security.models import SECURITY_MODELS, SecurityEvent
from synergy_security.ratelimit import RateLimitMiddleware
from synergy_security.resources import STAFF_ACTIONS, security_routes
from synergy_security.security_log import record_kernel_event
from synergy_security.services import services

from synergy import Job, Migration, hookimpl
from synergy.models import utcnow

PLUGIN_NAME = "security"
SYNERGY_KERNEL = ">=0.1,<1"


@hookimpl
def synergy_settings() -> list[Any]:
    return list(SETTINGS)


@hookimpl
def synergy_models() -> list[Any]:
    return list(SECURITY_MODELS)


def _initial(context: Any) -> None:
    context.create_tables(*SECURITY_MODELS)


@hookimpl
def synergy_migrations() -> list[Migration]:
    return [Migration("0001_initial", _initial)]


@hookimpl
def synergy_routes(kernel: Any) -> list[Any]:
    return security_routes(kernel)


@hookimpl
def synergy_middleware(kernel: Any) -> list[Any]:
    return [SecurityHeadersMiddleware(kernel), AuditMiddleware(kernel),
            RateLimitMiddleware(kernel)]


@hookimpl
def synergy_password_checked(kernel: Any, user: Any, succeeded: bool, client: Any) -> None:
    """Feed the lockout: a wrong password (login or a sensitive change) counts as a failure,
    a right one clears the count."""
    lockout = services(kernel).lockout
    if succeeded:
        lockout.clear_failures(user.id)
    else:
        lockout.record_failure(user, client.ip, client.user_agent)


@hookimpl
def synergy_on_event(event: Any) -> None:
    record_kernel_event(event)


@hookimpl(wrapper=True)
def synergy_permission(kernel: Any, user: Any, action: str, obj: Any,
                       request: Any) -> Generator[None, Any, Any]:
    """Wraps the whole decision: it sees the final answer of every rule.

    Refuses ``auth.login`` while the account is locked; lets staff use the
    security endpoints unless another rule answered; and notes refusals on the
    request so the audit middleware can log a hidden (404) denial.
    """
    answer = yield
    if action == "auth.login":
        if answer and user is not None and services(kernel).lockout.is_locked(user):
            return False
        return answer
    if answer is None and action in STAFF_ACTIONS:
        answer = bool(user is not None and user.is_active and user.is_staff)
    if not answer and request is not None:
        note_denial(request, action)
    return answer


def _purge(kernel: Any) -> None:
    cutoff = utcnow() - dt.timedelta(days=kernel.settings.security_retention_days)
    SecurityEvent.delete().where(SecurityEvent.created_at < cutoff).execute()
    counters = services(kernel).counters
    if isinstance(counters, DatabaseCounters):
        counters.purge_expired()


@hookimpl
def synergy_jobs() -> list[Job]:
    return [Job("purge", _purge, schedule=crontab(hour="3", minute="17"),
                description="Delete security events older than SYNERGY_SECURITY_RETENTION_DAYS "
                            "and expired rate-limit counters.")]


@hookimpl
def synergy_cli() -> list[Any]:
    return [SECURITY_COMMAND]
