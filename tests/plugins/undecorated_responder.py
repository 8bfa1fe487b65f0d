"""Serves a responder without ``@endpoint``: no auth, no validation, no docs — refused."""

from typing import Any

from synergy_hookspecs import hookimpl

from synergy import Route
from tests.plugins._resources import Undecorated


@hookimpl
def synergy_routes() -> list[Any]:
    return [Route("/api/undecorated", Undecorated())]
