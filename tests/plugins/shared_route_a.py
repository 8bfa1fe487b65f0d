"""Serves ``/api/shared/{item_id}``."""

from typing import Any

from synergy_hookspecs import hookimpl

from synergy import Route
from tests.plugins._resources import Hello


@hookimpl
def synergy_routes() -> list[Any]:
    return [Route("/api/shared/{item_id}", Hello())]
