"""Short leases on outbox rows, kept alive by a heartbeat while their work runs.

A worker that takes an event, a mail or a webhook delivery pushes its
``next_attempt_at`` a few seconds ahead (:data:`LEASE`) so nobody else takes
it meanwhile. A long lease made a lost job (a SIGKILLed worker, a database
connection killed mid-dispatch) wait minutes before the sweep noticed it; a
short one would expire under slow work that is still running. So the lease is
short and renewed: :meth:`LeaseKeeper.holding` registers a renewal while the
work runs, and one heartbeat thread per process calls every registered
renewal each :data:`RENEW_EVERY` seconds on its own connection. A process that
dies stops renewing, and the sweep finds its rows due within seconds.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import itertools
import logging
import threading
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from synergy.models import utcnow

if TYPE_CHECKING:
    from synergy.app import Kernel

log = logging.getLogger("synergy.leases")

# Three missed heartbeats before a holder is presumed dead; kept short so a lost
# job goes out again within seconds (the sweep runs every couple of seconds).
LEASE = dt.timedelta(seconds=10)
RENEW_EVERY = 3.0
# How often the worker's ticker runs the sweeps that pick up expired leases.
SWEEP_EVERY = 2.0

Renewal = Callable[[dt.datetime], Any]


class _Held:
    """One lease being renewed; its lock keeps a renewal and the end of the work apart."""

    def __init__(self, renew: Renewal) -> None:
        self.renew = renew
        self.lock = threading.Lock()
        self.active = True


class LeaseKeeper:
    """Renews the leases this process holds, from one heartbeat thread.

    The thread starts with the first lease held and ends when none is left.
    Each renewal runs under its lease's own lock, so once :meth:`holding` has
    returned no renewal of that lease is running or will run: the work can
    write its outcome without a heartbeat overwriting it afterwards, and a
    slow renewal of one lease never holds up the others' work.
    """

    def __init__(self, kernel: Kernel, lease: dt.timedelta = LEASE,
                 every: float = RENEW_EVERY) -> None:
        self.kernel = kernel
        self.lease = lease
        self.every = every
        self._held: dict[int, _Held] = {}
        self._keys = itertools.count()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def until(self) -> dt.datetime:
        """The end of a lease taken or renewed now."""
        return utcnow() + self.lease

    @contextlib.contextmanager
    def holding(self, renew: Renewal) -> Iterator[None]:
        """Renew a lease while the block runs: ``renew(until)`` pushes its end to ``until``.

        ``renew`` must only touch rows this holder still owns (a claim token,
        a state that the work's outcome changes), as it runs on another thread.
        """
        held = _Held(renew)
        with self._lock:
            key = next(self._keys)
            self._held[key] = held
            if self._thread is None:
                self._thread = threading.Thread(target=self._beat, name="lease-heartbeat",
                                                daemon=True)
                self._thread.start()
        try:
            yield
        finally:
            with held.lock:
                held.active = False
            with self._lock:
                del self._held[key]

    def _beat(self) -> None:
        stop = threading.Event()
        while not stop.wait(self.every):
            with self._lock:
                if not self._held:
                    self._thread = None
                    return
                held = list(self._held.values())
            self._renew_all(held)

    def _renew_all(self, held: list[_Held]) -> None:
        db = self.kernel.db
        try:
            db.connect(reuse_if_open=True)
            for lease in held:
                with lease.lock:
                    if not lease.active:
                        continue
                    try:
                        # A transaction: on SQLite it queues on the write lock like
                        # every other writer instead of starving in the busy handler.
                        with db.atomic():
                            lease.renew(self.until())
                    except Exception:
                        log.exception("could not renew a lease; it may be taken over when "
                                      "it ends")
        except Exception:
            log.exception("lease heartbeat could not reach the database")
        finally:
            if not db.is_closed():
                db.close()
