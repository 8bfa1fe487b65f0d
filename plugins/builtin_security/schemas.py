"""Request and response shapes of the security endpoints."""

from __future__ import annotations

import datetime as dt
import ipaddress
import re
from typing import Any

from synergy_security.models import EVENT_TYPES

from synergy.schema import (
    Boolean,
    Date,
    DateTime,
    Dict,
    FieldError,
    Id,
    Integer,
    List,
    Schema,
    String,
)


class IPAddress(String):
    def convert(self, value: Any) -> str:
        text = super().convert(value)
        try:
            return str(ipaddress.ip_address(text))
        except ValueError:
            raise FieldError("Expected an IPv4 or IPv6 address.") from None


class Moment(DateTime):
    """A date (``YYYY-MM-DD``, the whole day) or an ISO 8601 date-time (naive UTC),
    both within the schema layer's date bounds."""

    def convert(self, value: Any) -> dt.date | dt.datetime:
        if isinstance(value, str) and re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value.strip()):
            return Date(minimum=self.minimum, maximum=self.maximum).convert(value)
        return super().convert(value)

    def schema_extra(self) -> dict[str, Any]:
        return {"description": "YYYY-MM-DD or an ISO 8601 date-time"}


class UserRef(String):
    """A user id (ASCII digits, bounded like :class:`Id`) or else a username."""

    def convert(self, value: Any) -> int | str:
        text = super().convert(value)
        if text.isascii() and text.isdigit():
            return Id().convert(int(text))
        return text


class SecurityEventQuery(Schema):
    event_type = List(String(choices=EVENT_TYPES), required=False,
                      description="Comma list of event types.")
    ip = IPAddress(required=False, max_length=45)
    user = UserRef(required=False, max_length=150,
                  description="User id or username (staff; others only see their own).")
    date_from = Moment(required=False, description="From this date or date-time (inclusive).")
    date_to = Moment(required=False,
                     description="Until this date (the whole day) or date-time (inclusive).")


class SecurityEventOut(Schema):
    id = Integer(read_only=True)
    event_type = String(read_only=True, choices=EVENT_TYPES)
    user = Dict(read_only=True, nullable=True)
    username = String(read_only=True)
    ip_address = String(read_only=True, nullable=True)
    user_agent = String(read_only=True)
    description = String(read_only=True)
    metadata = Dict(read_only=True)
    created_at = DateTime(read_only=True)


class SummaryQuery(Schema):
    date_from = Moment(required=False, description="First day (default: 29 days ago).")
    date_to = Moment(required=False, description="Last day (default: today).")


class SummaryOut(Schema):
    date_from = String(read_only=True)
    date_to = String(read_only=True)
    totals = Dict(read_only=True, description="Events per type in the range.")
    by_day = List(Dict(), read_only=True, description="[{date, counts: {type: n}}] per day.")
    top_failed_login_ips = List(Dict(), read_only=True)
    locked_accounts = List(Dict(), read_only=True)


class SessionOut(Schema):
    id = String(read_only=True)
    created_at = DateTime(read_only=True)
    last_used_at = DateTime(read_only=True, description="Last token refresh.")
    expires_at = DateTime(read_only=True)
    ip_address = String(read_only=True, nullable=True)
    user_agent = String(read_only=True)
    current = Boolean(read_only=True, description="The session of the access token used.")


class UnlockOut(Schema):
    user = Dict(read_only=True)
    was_locked = Boolean(read_only=True)
