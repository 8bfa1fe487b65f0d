"""The event types messaging emits, with example payloads (so webhooks can forward chat)."""

from __future__ import annotations

from synergy import EventType

_MESSAGE = {"id": 81, "project": {"id": 12, "name": "Website relaunch"},
            "sender": {"id": 7, "username": "ada"}, "parent": None, "thread": 81,
            "content": "<p>@grace can you review the mock-ups?</p>",
            "mentions": [{"id": 9, "username": "grace"}],
            "created_at": "2026-11-28T09:30:00.000Z", "is_edited": False}

MESSAGING_EVENT_TYPES = (
    EventType("message.created",
              "A message was posted to a project; `mentions` lists the members it names.",
              {"message": _MESSAGE}),
    EventType("message.updated",
              "A message was edited by its sender; `changes` has the old and new text "
              "(and mentions when they changed).",
              {"message": {**_MESSAGE, "is_edited": True},
               "changes": {"message": {"old": "<p>draft</p>", "new": _MESSAGE["content"]}}}),
    EventType("message.deleted",
              "A message was deleted (a thread root with replies stays as a placeholder).",
              {"message": {"id": 81, "project": {"id": 12, "name": "Website relaunch"},
                           "sender": {"id": 7, "username": "ada"}, "parent": None,
                           "thread": 81}}),
)
