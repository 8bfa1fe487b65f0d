"""The retry decision: ladder, jitter, Retry-After, 410 and giving up."""

from __future__ import annotations

import datetime as dt
import email.utils
import random

from synergy_webhooks.config import STANDARD_LADDER
from synergy_webhooks.retries import DONE, GIVE_UP, GONE, RETRY, decide, parse_retry_after
from synergy_webhooks.sender import AttemptResult

NOW = dt.datetime(2026, 11, 28, 12, 0, 0)
LADDER = tuple(float(step) for step in STANDARD_LADDER)


def result(status: int | None, retry_after: str | None = None) -> AttemptResult:
    return AttemptResult(status, "" if status == 200 else "failed", 12, "", retry_after)


def test_standard_ladder_with_jitter_then_give_up() -> None:
    rng = random.Random(7)
    delays = [decide(result(500), number, LADDER, 0.2, NOW, rng).delay
              for number in range(1, len(LADDER) + 1)]
    for delay, step in zip(delays, LADDER, strict=True):
        assert step * 0.8 <= delay <= step * 1.2
    assert delays != list(LADDER)
    assert decide(result(500), len(LADDER) + 1, LADDER, 0.2, NOW).action == GIVE_UP
    assert decide(result(None), 1, LADDER, 0, NOW).delay == 5.0


def test_success_and_gone() -> None:
    assert decide(result(200), 3, LADDER, 0.2, NOW).action == DONE
    assert decide(result(204), 1, LADDER, 0.2, NOW).action == DONE
    assert decide(result(410), 1, LADDER, 0.2, NOW).action == GONE
    assert decide(result(301), 1, LADDER, 0, NOW).action == RETRY


def test_retry_after_seconds_and_dates() -> None:
    assert decide(result(503, "120"), 1, LADDER, 0.2, NOW).delay == 120.0
    date = email.utils.format_datetime(NOW.replace(tzinfo=dt.UTC) + dt.timedelta(minutes=10),
                                       usegmt=True)
    assert decide(result(429, date), 1, LADDER, 0.2, NOW).delay == 600.0
    assert decide(result(429, "999999999"), 1, LADDER, 0, NOW).delay == max(LADDER)
    assert decide(result(500, "120"), 1, LADDER, 0, NOW).delay == 5.0
    assert parse_retry_after("soon", NOW) is None
    assert parse_retry_after(None, NOW) is None


def test_retry_after_edge_values_are_unusable_not_errors() -> None:
    """A receiver's header is input like any other: unicode digits or far dates must not raise."""
    for value in ["²", "١٢", "Fri, 31 Dec 9999 23:59:59 -0100"]:
        assert parse_retry_after(value, NOW) is None, value
    assert parse_retry_after("9" * 400, NOW) == float("9" * 400)
