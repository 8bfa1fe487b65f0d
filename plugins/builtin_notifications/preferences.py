"""Per-user notification preferences: in-app and e-mail switches per type, digest frequency."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from synergy_notifications.kinds import KINDS
from synergy_notifications.models import NotificationPreference

from synergy.models import User, utcnow

DEFAULT_IN_APP = {kind.name: kind.in_app for kind in KINDS}
DEFAULT_EMAIL = {kind.name: kind.email for kind in KINDS}


@dataclass(frozen=True)
class Preferences:
    in_app: dict[str, bool]
    email: dict[str, bool]
    digest: str

    def as_dict(self) -> dict[str, Any]:
        return {"in_app": dict(self.in_app), "email": dict(self.email), "digest": self.digest}


def effective(row: NotificationPreference | None) -> Preferences:
    """Defaults overlaid with what the user chose (types added later start at their default)."""
    if row is None:
        return Preferences(dict(DEFAULT_IN_APP), dict(DEFAULT_EMAIL), "never")
    return Preferences({**DEFAULT_IN_APP, **row.in_app}, {**DEFAULT_EMAIL, **row.email},
                       row.digest)


def preferences_for(user_ids: Iterable[int]) -> dict[int, Preferences]:
    """Preferences of many users in one query; users without a row get the defaults."""
    ids = set(user_ids)
    rows = {row.user_id: row for row in
            NotificationPreference.select().where(NotificationPreference.user.in_(ids))}
    return {user_id: effective(rows.get(user_id)) for user_id in ids}


def get_preferences(user: User) -> Preferences:
    return preferences_for([user.id])[user.id]


def update_preferences(kernel: Any, user: User, changes: dict[str, Any], *,
                       replace: bool) -> Preferences:
    """Apply validated ``changes``; ``replace`` (PUT) resets unnamed types to their defaults."""
    with kernel.db.atomic():
        row = NotificationPreference.get_or_none(NotificationPreference.user == user.id)
        if row is None:
            row = NotificationPreference(user=user.id)
        for channel in ("in_app", "email"):
            if channel in changes:
                base = {} if replace else dict(getattr(row, channel) or {})
                setattr(row, channel, {**base, **changes[channel]})
        if "digest" in changes:
            row.digest = changes["digest"]
        row.updated_at = utcnow()
        row.save()
    return effective(row)
