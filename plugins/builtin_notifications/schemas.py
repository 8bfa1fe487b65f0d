"""Request and response shapes of ``/api/notifications/``."""

from __future__ import annotations

from synergy_notifications.kinds import DIGEST_FREQUENCIES, KIND_NAMES, KINDS

from synergy.schema import Boolean, Dict, Integer, Nested, Schema, String


class NotificationQuery(Schema):
    read = Boolean(required=False, description="true: read ones only; false: unread only.")
    type = String(required=False, choices=KIND_NAMES)


class NotificationOut(Schema):
    id = Integer(read_only=True)
    type = String(read_only=True, choices=KIND_NAMES)
    title = String(read_only=True)
    message = String(read_only=True)
    action_url = String(read_only=True)
    metadata = Dict(read_only=True)
    read = Boolean(read_only=True)
    read_at = String(read_only=True, nullable=True)
    created_at = String(read_only=True)


class CountOut(Schema):
    count = Integer(read_only=True)


def _switches(name: str, channel: str) -> type[Schema]:
    """One optional boolean per notification type; an unknown type is an error."""
    fields = {kind.name: Boolean(required=False, description=kind.description)
              for kind in KINDS}
    return type(name, (Schema,), {**fields, "__doc__": f"{channel} switch per type."})


InAppSwitches = _switches("InAppSwitches", "In-app")
EmailSwitches = _switches("EmailSwitches", "E-mail")


class PreferencesBody(Schema):
    """PUT replaces (unnamed types return to their defaults); PATCH changes what it names."""

    in_app = Nested(InAppSwitches)
    email = Nested(EmailSwitches,
                   description="An e-mail copy of the in-app notification (needs in_app on).")
    digest = String(choices=DIGEST_FREQUENCIES)
