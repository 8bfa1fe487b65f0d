"""Its second migration creates a table, writes to a kernel table, then fails."""

from typing import Any

import peewee
from synergy_hookspecs import hookimpl

from synergy import Migration
from synergy.models import BaseModel


class FirstTable(BaseModel):
    name = peewee.CharField(max_length=20)

    class Meta:
        table_name = "failing_migration_first"


class SecondTable(BaseModel):
    name = peewee.CharField(max_length=20)

    class Meta:
        table_name = "failing_migration_second"


def _first(context: Any) -> None:
    context.create_tables(FirstTable)


def _second(context: Any) -> None:
    context.create_tables(SecondTable)
    FirstTable.create(name="half-done")
    raise RuntimeError("disk full, pretend")


@hookimpl
def synergy_models() -> list[Any]:
    return [FirstTable, SecondTable]


@hookimpl
def synergy_migrations() -> list[Migration]:
    return [Migration("0001_first", _first), Migration("0002_second", _second)]
