"""Names a hook correctly but forgets ``@hookimpl``: pluggy alone would skip it silently."""

from typing import Any


def synergy_routes(kernel: Any) -> list[Any]:
    return []
