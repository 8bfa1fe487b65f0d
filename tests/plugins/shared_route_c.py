"""Nests under ``/api/shared/`` with a different field name: Falcon cannot route both."""

from typing import Any

from synergy_hookspecs import hookimpl

from synergy import Route
from tests.plugins._resources import Hello


@hookimpl
def synergy_routes() -> list[Any]:
    return [Route("/api/shared/{owner}/children", Hello())]
