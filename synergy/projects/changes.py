"""Old/new values of changed fields, in the JSON form events and the activity feed use."""

from __future__ import annotations

import datetime as dt
import decimal
from typing import Any

from synergy.http import iso, iso_date
from synergy.http.render import decimal_str


def plain(value: Any) -> Any:
    """The API rendering of a stored value (dates ISO, decimals as strings)."""
    if isinstance(value, dt.datetime):
        return iso(value)
    if isinstance(value, dt.date):
        return iso_date(value)
    if isinstance(value, (decimal.Decimal, float)):
        return decimal_str(value)
    return value


def collect_changes(current: dict[str, Any], wanted: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """``{field: {"old", "new"}}`` for every field of ``wanted`` whose value differs."""
    changes: dict[str, dict[str, Any]] = {}
    for field, new in wanted.items():
        old, new = plain(current.get(field)), plain(new)
        if old != new:
            changes[field] = {"old": old, "new": new}
    return changes
