"""``synergy security unlock USER`` and ``synergy security locked``."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from synergy_security.lockout import Lockout
from synergy_security.services import services

from synergy import Command
from synergy.http import iso
from synergy.models import User


def _configure(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="security_action", metavar="action", required=True)
    unlock = actions.add_parser("unlock", help="lift the lockout of an account now")
    unlock.add_argument("user", help="username or e-mail")
    actions.add_parser("locked", help="list the accounts locked right now")


def _run(kernel: Any, args: argparse.Namespace) -> int:
    if args.security_action == "locked":
        for lock, user in Lockout.locked_accounts():
            print(f"{user.username:<30} locked until {iso(lock.locked_until)} "
                  f"after {lock.failures} failures")
        return 0
    key = args.user.strip().lower()
    user = User.get_or_none((User.username_key == key) | (User.email == key))
    if user is None:
        print(f"error: no user {args.user!r}", file=sys.stderr)
        return 1
    was_locked = services(kernel).lockout.unlock(user, actor=None, via="cli")
    print(f"{user.username} unlocked" if was_locked else f"{user.username} was not locked; "
          "failure count reset")
    return 0


SECURITY_COMMAND = Command("security", "security tools: unlock an account, list lockouts",
                           run=_run, configure=_configure)
