"""Implements ``synergy_route`` (missing the final s): must be reported, not ignored."""

from typing import Any

from synergy_hookspecs import hookimpl


@hookimpl
def synergy_route(kernel: Any) -> list[Any]:
    return []
