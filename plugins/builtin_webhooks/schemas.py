"""Request and response shapes of ``/api/webhooks/``."""

from __future__ import annotations

from synergy_webhooks.models import DELIVERY_STATUSES

from synergy.schema import (
    UUID,
    Boolean,
    DateTime,
    Dict,
    Id,
    Integer,
    List,
    Nested,
    Schema,
    String,
)

EVENT_PATTERN = r"\*|[a-z0-9_]+(\.[a-z0-9_]+)*(\.\*)?"


class WebhookBody(Schema):
    """Create (POST) or replace (PUT) a webhook; PATCH accepts any subset."""

    name = String(min_length=1, max_length=200)
    url = String(min_length=1, max_length=2000,
                 description="http(s) URL of a public address (see SYNERGY_WEBHOOKS_ALLOWED_"
                             "NETWORKS for private ones).")
    events = List(String(min_length=1, max_length=100, pattern=EVENT_PATTERN),
                  min_items=1, max_items=100, unique=True,
                  description="Event types from GET /api/webhooks/events/, '*' for all, or "
                              "a prefix such as 'task.*'.")
    project = Id(required=False, nullable=True, default=None,
                      description="Only this project's events (you must be able to see it).")
    is_active = Boolean(default=True)


class RotateBody(Schema):
    grace_hours = Integer(
        minimum=0, maximum=24 * 7, required=False,
        description="How long the previous secret keeps signing (default "
                    "SYNERGY_WEBHOOKS_SECRET_GRACE_HOURS).")


class RecoverBody(Schema):
    since = DateTime(description="Resend every failed delivery created at or after this time.")


class DeliveryQuery(Schema):
    status = String(required=False, choices=DELIVERY_STATUSES)
    event_type = String(required=False, max_length=100, pattern=EVENT_PATTERN,
                        description="Exact type, or a prefix such as 'task.*'.")


class WebhookOut(Schema):
    id = UUID(read_only=True)
    name = String()
    url = String()
    events = List(String())
    project = Integer(nullable=True)
    is_active = Boolean()
    secret = String(required=False, description="Only in the create and rotate responses.")
    previous_secret_expires_at = DateTime(nullable=True)
    failing_since = DateTime(nullable=True)
    disabled_at = DateTime(nullable=True)
    disabled_reason = String()
    created_at = DateTime()
    updated_at = DateTime()


class AttemptOut(Schema):
    number = Integer()
    started_at = DateTime()
    status_code = Integer(nullable=True)
    error = String()
    duration_ms = Integer()
    response_body = String(description="First 4 KiB of the receiver's answer.")


class DeliveryOut(Schema):
    id = UUID()
    webhook = UUID()
    event_id = Integer()
    event_type = String()
    message_id = String(description="The webhook-id header: the same on every retry.")
    status = String(choices=DELIVERY_STATUSES)
    attempts = Integer()
    next_attempt_at = DateTime(nullable=True)
    created_at = DateTime()
    delivered_at = DateTime(nullable=True)
    last_status_code = Integer(nullable=True)
    last_error = String()
    last_duration_ms = Integer(nullable=True)
    last_response = String()
    attempt_log = List(Nested(AttemptOut))


class EventTypeOut(Schema):
    type = String()
    description = String()
    plugin = String()
    example = Dict(description="An example of the delivered body's data.")


class CatalogueOut(Schema):
    results = List(Nested(EventTypeOut))
    patterns = List(String(), description="How the events list of a webhook may name types.")


class CountOut(Schema):
    count = Integer()


class StatsOut(Schema):
    overall = Dict()
    webhooks = List(Dict())
