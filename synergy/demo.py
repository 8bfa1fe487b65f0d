"""Demo data for ``synergy serve --demo``: a few users and a project to click through."""

from __future__ import annotations

import logging
from typing import Any

from synergy.models import User

log = logging.getLogger("synergy.demo")

DEMO_PASSWORD = "synergy-demo-2026"
DEMO_USERS = (("ada", "Ada", "Lovelace"), ("grace", "Grace", "Hopper"),
              ("linus", "Linus", "Torvalds"))


def load_demo_data(kernel: Any) -> None:
    """Idempotent: users that already exist are left alone."""
    created = 0
    for username, first, last in DEMO_USERS:
        if User.select().where(User.username_key == username).exists():
            continue
        kernel.auth.create_user(username=username, email=f"{username}@example.com",
                                password=DEMO_PASSWORD, first_name=first, last_name=last,
                                check_rules=False, is_staff=username == "ada")
        created += 1
    log.info("demo data: %s user(s) created; log in as ada / %s", created, DEMO_PASSWORD)
