"""Which account a login request aims at, read once per request from the JSON body."""

from __future__ import annotations

from typing import Any

import falcon

from synergy.errors import SynergyError
from synergy.http import read_json
from synergy.models import User

_CACHE = "security_login_target"


def login_target(req: falcon.Request) -> tuple[str, User | None]:
    """The typed login name (lower-cased, '' when absent) and the account it names, if any.

    Uses the kernel's cached body reader, so the login responder still sees the body.
    """
    cached: Any = getattr(req.context, _CACHE, None)
    if cached is None:
        try:
            body = read_json(req)
        except SynergyError:
            body = None
        name = body.get("username") if isinstance(body, dict) else None
        key = name.strip().lower()[:254] if isinstance(name, str) else ""
        user = (User.get_or_none((User.username_key == key) | (User.email == key))
                if key else None)
        cached = (key, user)
        setattr(req.context, _CACHE, cached)
    return cached
