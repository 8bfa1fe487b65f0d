"""Bulk inserts as one statement run with ``executemany``.

A fan-out writes hundreds of delivery rows and a send job as many attempt
rows; Peewee's ``insert_many`` compiles every value into one large statement,
which costs more CPU than the HTTP requests themselves. Here the statement
is written once and values pass through each field's ``db_value``, so it
works the same on SQLite and PostgreSQL (both accept ``ON CONFLICT DO
NOTHING``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import peewee


def insert_rows(db: peewee.Database, model: type[peewee.Model], rows: Sequence[dict[str, Any]],
                *, ignore_conflicts: bool = False) -> None:
    """Insert ``rows`` (dicts keyed by field name); missing fields get the model's defaults."""
    if not rows:
        return
    given = set(rows[0])
    fields = [field for field in model._meta.sorted_fields
              if field.name in given or field.default is not None]
    columns = ", ".join(field.column_name for field in fields)
    marks = ", ".join([db.param] * len(fields))
    sql = f"INSERT INTO {model._meta.table_name} ({columns}) VALUES ({marks})"
    if ignore_conflicts:
        sql += " ON CONFLICT DO NOTHING"
    values = [tuple(field.db_value(row[field.name] if field.name in row else _default(field))
                    for field in fields) for row in rows]
    db.cursor().executemany(sql, values)


def _default(field: peewee.Field) -> Any:
    return field.default() if callable(field.default) else field.default
