"""Requires a kernel from the far future."""

from typing import Any

from synergy_hookspecs import hookimpl

SYNERGY_KERNEL = ">=99.0"


@hookimpl
def synergy_models() -> list[Any]:
    return []
