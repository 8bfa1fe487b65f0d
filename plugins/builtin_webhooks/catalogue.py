"""The event types this plugin emits itself."""

from __future__ import annotations

from synergy import EventType

TEST_EVENT = "webhook.test"
DISABLED_EVENT = "webhook.disabled"

_WEBHOOK = {"id": "5b0c7a8e-1d2f-4c3b-9a8e-7f6d5c4b3a21", "name": "CI bridge",
            "url": "https://hooks.example.com/synergy"}
_OWNER = {"id": 7, "username": "ada"}

EVENT_TYPES = [
    EventType(TEST_EVENT, "Sent to one webhook on request (POST /api/webhooks/{id}/test/).",
              {"webhook": _WEBHOOK, "user": _OWNER,
               "message": "This is a test webhook from SynergyOS"}),
    EventType(DISABLED_EVENT,
              "A webhook was disabled after failing continuously or answering 410 Gone. "
              "Delivered to the owner's other webhooks that subscribe to it.",
              {"webhook": _WEBHOOK, "user": _OWNER,
               "reason": "failing continuously since 2026-11-23T10:00:00.000Z"}),
]
