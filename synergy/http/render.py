"""Rendering helpers shared by every representation."""

from __future__ import annotations

import datetime as dt
import decimal
from typing import Any

import orjson


def iso(value: dt.datetime | None) -> str | None:
    """Naive-UTC datetime to ISO 8601 with ``Z``."""
    if value is None:
        return None
    if isinstance(value, str):
        return value
    return value.replace(tzinfo=None).isoformat(timespec="milliseconds") + "Z"


def iso_date(value: dt.date | None) -> str | None:
    if value is None:
        return None
    return value if isinstance(value, str) else value.isoformat()


def decimal_str(value: Any) -> str | None:
    if value is None:
        return None
    return str(decimal.Decimal(value).quantize(decimal.Decimal("0.01")))


def _default(value: Any) -> Any:
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, dt.datetime):
        return iso(value)
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def dumps(value: Any) -> bytes:
    return orjson.dumps(value, default=_default, option=orjson.OPT_NON_STR_KEYS)
