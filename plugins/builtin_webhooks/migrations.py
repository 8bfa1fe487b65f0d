"""Schema steps of the webhooks plugin (never edit a shipped step; add one)."""

from __future__ import annotations

from typing import Any

from synergy_webhooks.models import MODELS

from synergy import Migration


def _initial(context: Any) -> None:
    context.create_tables(*MODELS)


MIGRATIONS = [Migration("0001_initial", _initial)]
