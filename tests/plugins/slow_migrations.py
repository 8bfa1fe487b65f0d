"""Slow, non-idempotent steps: running one twice fails, so overlapping migrators show."""

import time
from typing import Any

import peewee
from synergy_hookspecs import hookimpl

from synergy import Migration
from synergy.models import BaseModel


class Counter(BaseModel):
    step = peewee.CharField(max_length=20, unique=True)

    class Meta:
        table_name = "slow_migrations_counter"


def _create(context: Any) -> None:
    time.sleep(0.2)
    context.create_tables(Counter)


def _step(name: str) -> Any:
    def apply(context: Any) -> None:
        time.sleep(0.2)
        Counter.create(step=name)

    return apply


@hookimpl
def synergy_models() -> list[Any]:
    return [Counter]


@hookimpl
def synergy_migrations() -> list[Migration]:
    return [Migration("0001_create", _create), Migration("0002_one", _step("one")),
            Migration("0003_two", _step("two"))]
