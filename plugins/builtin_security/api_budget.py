"""The per-user API budget, shared across processes without a round trip on most requests.

Every authenticated request spends from its user's budget
(``SYNERGY_SECURITY_API_RATE``). Asking the shared store on every request was
the largest single cost of a read request: a Redis round trip (150 µs here) or,
on SQLite, a write transaction that serialises the web workers (a project
detail answered 25% fewer requests per second with it, measured).

Far from the limit nothing needs that precision, so each process keeps the
hits it has not reported yet and reports them in one increment once they
reach 1/16 of what remained of the budget at its last report. Close to the
limit that share drops below one and every hit is reported, so a lone process
(and every test of the limit) is refused at exactly the configured request.
With P processes a window admits at most P/16 of the limit more than
configured (each may spend its share before learning that others spent theirs):
a 100-per-minute budget served by 4 workers lets through at most 125.
Other policies (login, registration, password reset) count every hit.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from synergy_security.counters import Count, CounterStore

SHARE = 16
# Beyond this many users with a live window, finished windows are forgotten.
_PRUNE_AT = 10_000


@dataclass
class _Window:
    reported: int  # the shared count after this process's last report
    ends_at: float
    unreported: int = 0
    share: int = 0  # how many hits may stay unreported


class ApiBudget:
    def __init__(self, counters: CounterStore) -> None:
        self.counters = counters
        self._windows: dict[str, _Window] = {}
        self._lock = threading.Lock()

    def hit(self, bucket: str, period: int, limit: int) -> Count:
        """Count one request; ``Count.hits`` includes this process's unreported hits."""
        now = time.time()
        with self._lock:
            window = self._windows.get(bucket)
            if window is not None and now < window.ends_at:
                if window.unreported < window.share:
                    window.unreported += 1
                    return Count(window.reported + window.unreported, window.ends_at)
                amount, window.unreported = window.unreported + 1, 0
            else:
                amount = 1
        count = self.counters.hit(bucket, period, amount)
        with self._lock:
            window = self._windows.get(bucket)
            if window is None:
                if len(self._windows) >= _PRUNE_AT:
                    self._prune(now)
                window = self._windows[bucket] = _Window(count.hits, count.window_ends_at)
            # Hits other threads kept while this report was on its way stay unreported.
            window.reported, window.ends_at = count.hits, count.window_ends_at
            window.share = max(0, limit - count.hits) // SHARE
        return count

    def _prune(self, now: float) -> None:
        for bucket in [key for key, window in self._windows.items() if window.ends_at <= now]:
            del self._windows[bucket]
