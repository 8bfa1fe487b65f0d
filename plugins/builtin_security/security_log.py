"""Writing the security log: from kernel events (idempotently) and directly.

Nothing secret may reach the log. Entries are built from explicit fields, and
metadata passes through :func:`scrub`, which drops any key that names a
password, token or secret, so a future kernel payload cannot leak one here.
"""

from __future__ import annotations

import re
from typing import Any

from synergy_security.models import SecurityEvent

from synergy.models import User, utcnow

# Kernel event type -> security event type.
KERNEL_EVENT_MAP = {
    "user.registered": "registration",
    "auth.login_succeeded": "login_success",
    "auth.login_failed": "login_failed",
    "auth.logout": "logout",
    "auth.password_changed": "password_change",
    "auth.password_reset_requested": "password_reset_request",
    "auth.password_reset": "password_reset",
    "auth.token_reuse_detected": "token_reuse_detected",
    "auth.email_change_requested": "email_change_request",
    "auth.email_changed": "email_change",
}

_SECRET_KEY = re.compile(r"pass|token|secret|refresh|access|authorization|cookie", re.I)
_CLIENT_KEYS = {"user", "username", "ip", "user_agent"}

_DESCRIPTIONS = {
    "registration": "Account {name} registered",
    "login_success": "Successful login for {name}",
    "login_failed": "Failed login for {name}",
    "logout": "{name} logged out",
    "password_change": "{name} changed their password",
    "password_reset_request": "Password reset requested for {name}",
    "password_reset": "Password of {name} was reset",
    "email_change_request": "{name} asked to change their e-mail",
    "email_change": "{name} confirmed a new e-mail address",
    "token_reuse_detected": "A rotated refresh token of {name} was presented again; "
                            "the session was revoked",
}


def scrub(metadata: dict[str, Any]) -> dict[str, Any]:
    """Drop keys that could hold credentials, at any depth."""
    clean: dict[str, Any] = {}
    for key, value in metadata.items():
        if _SECRET_KEY.search(str(key)):
            continue
        clean[key] = scrub(value) if isinstance(value, dict) else value
    return clean


def record_security_event(
    event_type: str,
    *,
    user: User | None = None,
    username: str = "",
    ip: str | None = None,
    user_agent: str = "",
    description: str = "",
    metadata: dict[str, Any] | None = None,
) -> SecurityEvent:
    """Write one entry now, in the caller's transaction (or autocommit)."""
    return SecurityEvent.create(
        user_id=user.id if user is not None else None,
        username=(username or (user.username if user is not None else ""))[:150],
        event_type=event_type, ip_address=(ip or None) and ip[:45],
        user_agent=(user_agent or "")[:512], description=description,
        metadata=scrub(metadata or {}), created_at=utcnow())


def record_kernel_event(event: Any) -> None:
    """Turn one committed kernel ``auth.*`` event into a log entry.

    Safe to call again for the same event (at-least-once delivery): the unique
    ``source_event_id`` makes the second insert a no-op.
    """
    event_type = KERNEL_EVENT_MAP.get(event.type)
    if event_type is None:
        return
    payload = event.payload or {}
    summary = payload.get("user") or {}
    user_id = summary.get("id") or event.actor_id
    # As typed: the login name, else the account's name, else the e-mail a reset was asked for.
    username = (payload.get("username") or summary.get("username") or payload.get("email")
                or "")
    if user_id and not username:
        account = User.get_or_none(User.id == user_id)
        username = account.username if account is not None else ""
    metadata = {key: value for key, value in payload.items() if key not in _CLIENT_KEYS}
    description = _DESCRIPTIONS[event_type].format(name=username or "an unknown account")
    SecurityEvent.insert(
        user_id=user_id, username=str(username)[:150], event_type=event_type,
        ip_address=(payload.get("ip") or None) and str(payload["ip"])[:45],
        user_agent=str(payload.get("user_agent") or "")[:512], description=description,
        metadata=scrub(metadata), created_at=event.occurred_at or utcnow(),
        source_event_id=event.id,
    ).on_conflict_ignore().execute()
