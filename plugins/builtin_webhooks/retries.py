"""What happens after an attempt: done, retry later (and when), or give up.

The ladder is the Standard Webhooks one by default (5 s, 5 min, 30 min, 2 h,
5 h, 10 h, 14 h, 20 h, 24 h), each step spread by a random jitter so a
receiver coming back is not hit by every retry at the same second.
``Retry-After`` on 429 and 503 replaces the step (capped at the ladder's
longest step). 410 Gone disables the webhook at once.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import random
from dataclasses import dataclass

from synergy_webhooks.sender import AttemptResult

DONE = "done"
RETRY = "retry"
GIVE_UP = "give_up"
GONE = "gone"


@dataclass(frozen=True)
class Decision:
    action: str
    delay: float = 0.0


def parse_retry_after(value: str | None, now: dt.datetime) -> float | None:
    """Seconds from ``Retry-After`` (delta-seconds or an HTTP date), or None if unusable."""
    if not value:
        return None
    value = value.strip()
    # ASCII only: "²".isdigit() is true, yet float("²") raises.
    if value.isascii() and value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
        if when.tzinfo is not None:
            when = when.astimezone(dt.UTC).replace(tzinfo=None)
    except (TypeError, ValueError, OverflowError):
        # A receiver's header is input too: year 9999 with an offset overflows.
        return None
    return max(0.0, (when - now).total_seconds())


def decide(result: AttemptResult, attempt_number: int, ladder: tuple[float, ...],
           jitter: float, now: dt.datetime, rng: random.Random | None = None) -> Decision:
    """``attempt_number`` is the attempt just made, counting from 1."""
    if result.succeeded:
        return Decision(DONE)
    if result.status_code == 410:
        return Decision(GONE)
    if attempt_number > len(ladder):
        return Decision(GIVE_UP)
    step = ladder[attempt_number - 1]
    rng = rng or random.Random()
    delay = step * (1 + rng.uniform(-jitter, jitter)) if jitter else step
    if result.status_code in (429, 503):
        asked = parse_retry_after(result.retry_after, now)
        if asked is not None:
            delay = min(asked, max(ladder))
    return Decision(RETRY, max(0.0, delay))
