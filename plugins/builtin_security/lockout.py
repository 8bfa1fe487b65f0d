"""Account lockout: too many failed logins for one account lock it, whatever the IP.

Failures are counted synchronously in the shared counters (Redis or the
database) as the login response leaves, so the threshold holds at once and
across processes. The request whose failure reaches the threshold — exactly
one, the counter being atomic — writes the lock and the ``account_locked``
event. While Redis is out, counting fails open (the ``LOCKOUT`` use): logins
are answered as usual, the outage is logged once, and existing locks hold.
While locked, the plugin's permission rule refuses ``auth.login``, so a
correct password gets the same 401 as a wrong one. A lock that has run out is
removed (``account_unlocked``) the next time the account tries to log in.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from synergy_security.counters import LOCKOUT, CounterStore
from synergy_security.models import AccountLock
from synergy_security.security_log import record_security_event

from synergy.http import iso
from synergy.models import User, utcnow


class Lockout:
    def __init__(self, settings: Any, counters: CounterStore, backing_services: Any) -> None:
        self.backing_services = backing_services
        self.threshold = settings.security_lockout_threshold
        self.window = settings.security_lockout_window_minutes * 60
        self.duration = dt.timedelta(minutes=settings.security_lockout_minutes)
        self.counters = counters

    @staticmethod
    def _bucket(user_id: int) -> str:
        return f"failures:user:{user_id}"

    def record_failure(self, user: User, ip: str | None, user_agent: str) -> bool:
        """Count a failed login; True when this failure locked the account."""
        if self.threshold < 1:
            return False
        count = self.backing_services.call(LOCKOUT, self.counters.hit, self._bucket(user.id),
                                           self.window)
        if count is None or count.hits != self.threshold:
            return False
        now = utcnow()
        until = now + self.duration
        AccountLock.insert(user_id=user.id, locked_at=now, locked_until=until,
                           failures=count.hits).on_conflict(
            conflict_target=[AccountLock.user_id],
            update={AccountLock.locked_at: now, AccountLock.locked_until: until,
                    AccountLock.failures: count.hits}).execute()
        record_security_event(
            "account_locked", user=user, ip=ip, user_agent=user_agent,
            description=f"{user.username} locked after {count.hits} failed logins",
            metadata={"failures": count.hits, "window_minutes": self.window // 60,
                      "locked_until": iso(until)})
        return True

    def clear_failures(self, user_id: int) -> None:
        self.backing_services.call(LOCKOUT, self.counters.reset, self._bucket(user_id))

    def is_locked(self, user: User) -> bool:
        lock = AccountLock.get_or_none(AccountLock.user_id == user.id)
        if lock is None:
            return False
        if lock.locked_until > utcnow():
            return True
        self._remove(user, lock, reason="expired", actor=None)
        return False

    def unlock(self, user: User, *, actor: User | None, ip: str | None = None,
               user_agent: str = "", via: str = "api") -> bool:
        """Lift a lock now (staff action); True when the account was locked."""
        self.clear_failures(user.id)
        lock = AccountLock.get_or_none(AccountLock.user_id == user.id)
        if lock is None:
            return False
        was_active = lock.locked_until > utcnow()
        self._remove(user, lock, reason=f"unlocked via {via}", actor=actor, ip=ip,
                     user_agent=user_agent)
        return was_active

    def _remove(self, user: User, lock: AccountLock, *, reason: str, actor: User | None,
                ip: str | None = None, user_agent: str = "") -> None:
        removed = AccountLock.delete().where(AccountLock.id == lock.id).execute()
        if not removed:
            return
        metadata: dict[str, Any] = {"reason": reason, "locked_at": iso(lock.locked_at),
                                    "locked_until": iso(lock.locked_until)}
        if actor is not None:
            metadata["by"] = {"id": actor.id, "username": actor.username}
        record_security_event("account_unlocked", user=user, ip=ip, user_agent=user_agent,
                              description=f"{user.username} unlocked ({reason})",
                              metadata=metadata)

    @staticmethod
    def locked_accounts() -> list[tuple[AccountLock, User]]:
        rows = (AccountLock.select(AccountLock, User)
                .join(User, on=(AccountLock.user_id == User.id), attr="user")
                .where(AccountLock.locked_until > utcnow())
                .order_by(AccountLock.locked_until))
        return [(row, row.user) for row in rows]
