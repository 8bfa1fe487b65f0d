"""Reading the security log: the filtered list and the dashboard summary."""

from __future__ import annotations

import datetime as dt
from typing import Any

import peewee
from synergy_security.lockout import Lockout
from synergy_security.models import EVENT_TYPES, SecurityEvent

from synergy.errors import ValidationError
from synergy.http import iso
from synergy.models import User, utcnow

MAX_SUMMARY_DAYS = 366
TOP_IPS = 10


def _start(value: dt.date | dt.datetime) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value
    return dt.datetime.combine(value, dt.time.min)


def _end_exclusive(value: dt.date | dt.datetime) -> dt.datetime:
    """A date means the whole day; a date-time is inclusive to the microsecond."""
    if isinstance(value, dt.datetime):
        return value + dt.timedelta(microseconds=1)
    return dt.datetime.combine(value + dt.timedelta(days=1), dt.time.min)


def check_range(date_from: Any, date_to: Any) -> None:
    if date_from is not None and date_to is not None and _start(date_from) >= _end_exclusive(
            date_to):
        raise ValidationError("date_from must not be after date_to.",
                              fields={"date_from": ["Must not be after date_to."]})


def filtered_events(viewer: User, query: dict[str, Any]) -> peewee.SelectQuery:
    """Newest first; non-staff only ever see their own entries."""
    check_range(query.get("date_from"), query.get("date_to"))
    events = SecurityEvent.select().order_by(SecurityEvent.created_at.desc(),
                                             SecurityEvent.id.desc())
    if not viewer.is_staff:
        events = events.where(SecurityEvent.user_id == viewer.id)
    if query.get("event_type"):
        events = events.where(SecurityEvent.event_type.in_(query["event_type"]))
    if query.get("ip"):
        events = events.where(SecurityEvent.ip_address == query["ip"])
    who = query.get("user")
    if who:
        if isinstance(who, int):
            events = events.where(SecurityEvent.user_id == who)
        else:
            events = events.where(peewee.fn.LOWER(SecurityEvent.username) == who.lower())
    if query.get("date_from") is not None:
        events = events.where(SecurityEvent.created_at >= _start(query["date_from"]))
    if query.get("date_to") is not None:
        events = events.where(SecurityEvent.created_at < _end_exclusive(query["date_to"]))
    return events


def render_events(events: list[SecurityEvent]) -> list[dict[str, Any]]:
    """One query for the whole page's users."""
    ids = {event.user_id for event in events if event.user_id}
    users = {user.id: user for user in User.select(User.id, User.username)
             .where(User.id.in_(ids))} if ids else {}
    rows = []
    for event in events:
        user = users.get(event.user_id)
        rows.append({
            "id": event.id, "event_type": event.event_type,
            "user": {"id": user.id, "username": user.username} if user else None,
            "username": event.username, "ip_address": event.ip_address,
            "user_agent": event.user_agent, "description": event.description,
            "metadata": event.metadata, "created_at": iso(event.created_at),
        })
    return rows


def _day(value: Any) -> str:
    return value.isoformat()[:10] if isinstance(value, (dt.date, dt.datetime)) else str(value)[:10]


def summary(date_from: Any, date_to: Any) -> dict[str, Any]:
    """Counters per type and per day, top failed-login IPs, and accounts locked now."""
    today = utcnow().date()
    last = date_to.date() if isinstance(date_to, dt.datetime) else (date_to or today)
    first = (date_from.date() if isinstance(date_from, dt.datetime)
             else date_from or last - dt.timedelta(days=29))
    check_range(first, last)
    days = (last - first).days + 1
    if days > MAX_SUMMARY_DAYS:
        raise ValidationError(f"The range covers {days} days; ask for at most "
                              f"{MAX_SUMMARY_DAYS}.",
                              fields={"date_from": [f"At most {MAX_SUMMARY_DAYS} days."]})
    in_range = ((SecurityEvent.created_at >= _start(first))
                & (SecurityEvent.created_at < _end_exclusive(last)))
    day = peewee.fn.DATE(SecurityEvent.created_at)
    per_day = (SecurityEvent.select(day.alias("day"), SecurityEvent.event_type,
                                    peewee.fn.COUNT(SecurityEvent.id).alias("n"))
               .where(in_range).group_by(day, SecurityEvent.event_type).tuples())
    by_day = {(first + dt.timedelta(days=offset)).isoformat(): dict.fromkeys(EVENT_TYPES, 0)
              for offset in range(days)}
    totals = dict.fromkeys(EVENT_TYPES, 0)
    for day_value, event_type, count in per_day:
        counts = by_day.get(_day(day_value))
        if counts is not None and event_type in counts:
            counts[event_type] += count
            totals[event_type] += count
    failed = peewee.fn.COUNT(SecurityEvent.id)
    top_ips = (SecurityEvent.select(SecurityEvent.ip_address, failed.alias("n"))
               .where(in_range, SecurityEvent.event_type == "login_failed",
                      SecurityEvent.ip_address.is_null(False))
               .group_by(SecurityEvent.ip_address)
               .order_by(failed.desc(), SecurityEvent.ip_address).limit(TOP_IPS).tuples())
    return {
        "date_from": first.isoformat(), "date_to": last.isoformat(), "totals": totals,
        "by_day": [{"date": date, "counts": counts} for date, counts in by_day.items()],
        "top_failed_login_ips": [{"ip": ip, "count": count} for ip, count in top_ips],
        "locked_accounts": [
            {"user": {"id": user.id, "username": user.username},
             "locked_at": iso(lock.locked_at), "locked_until": iso(lock.locked_until),
             "failures": lock.failures}
            for lock, user in Lockout.locked_accounts()],
    }
