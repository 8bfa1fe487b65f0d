"""Base model, shared field types and time helpers for kernel and plugin models."""

from __future__ import annotations

import datetime as dt
from typing import Any

import orjson
import peewee

from synergy.database import database_proxy


def utcnow() -> dt.datetime:
    """Naive UTC now: stored identically on SQLite and PostgreSQL."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


class JSONField(peewee.TextField):
    """JSON stored as text, so the same schema works on SQLite and PostgreSQL."""

    def db_value(self, value: Any) -> str | None:
        if value is None:
            return None
        return orjson.dumps(value, default=str).decode()

    def python_value(self, value: Any) -> Any:
        if value is None or not isinstance(value, (str, bytes)):
            return value
        return orjson.loads(value)


class BaseModel(peewee.Model):
    """Subclass this for plugin models: it binds them to the kernel's database."""

    class Meta:
        database = database_proxy
        legacy_table_names = False
