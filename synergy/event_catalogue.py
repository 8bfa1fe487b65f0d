"""The kernel's event types: what subscribers and webhooks can receive."""

from __future__ import annotations

from synergy.contributions import EventType

_CLIENT = {"ip": "203.0.113.7", "user_agent": "Mozilla/5.0"}
_USER = {"id": 7, "username": "ada"}
_PROJECT = {"id": 12, "name": "Website relaunch", "status": "active", "priority": "high",
            "owner": {"id": 7, "username": "ada"}, "progress": 40}
_TASK = {"id": 310, "project": {"id": 12, "name": "Website relaunch"}, "title": "Design home page",
         "status": "in_progress", "priority": "medium", "assignees": [{"id": 9,
                                                                       "username": "grace"}],
         "due_date": "2026-12-01", "impact": "20.00"}

KERNEL_EVENT_TYPES: tuple[EventType, ...] = (
    EventType("user.registered", "A new account was created through registration.",
              {"user": _USER, "email": "ada@example.com", **_CLIENT}),
    EventType("auth.login_succeeded", "A user logged in.",
              {"user": _USER, "username": "ada", "session_id": "9f…", **_CLIENT}),
    EventType("auth.login_failed", "A login attempt was refused (the typed username is kept).",
              {"user": None, "username": "ada", "reason": "bad_password", **_CLIENT}),
    EventType("auth.logout", "A session was ended by its user.",
              {"user": _USER, "session_id": "9f…", **_CLIENT}),
    EventType("auth.password_changed", "A user changed their password; other sessions ended.",
              {"user": _USER, "sessions_revoked": 2, **_CLIENT}),
    EventType("auth.password_reset_requested", "Someone asked for a password-reset e-mail.",
              {"user": _USER, "email": "ada@example.com", "account_found": True, **_CLIENT}),
    EventType("auth.password_reset", "A password was reset with a token; all sessions ended.",
              {"user": _USER, "sessions_revoked": 1, **_CLIENT}),
    EventType("auth.email_change_requested",
              "A user asked to change their e-mail (password checked; a link went to the new "
              "address).", {"user": _USER, **_CLIENT}),
    EventType("auth.email_changed", "A user confirmed a new e-mail address from its mailbox.",
              {"user": _USER, **_CLIENT}),
    EventType("auth.token_reuse_detected",
              "A rotated refresh token was presented again; its session was revoked.",
              {"user": _USER, "session_id": "9f…", **_CLIENT}),
    EventType("project.created", "A project was created.", {"project": _PROJECT}),
    EventType("project.updated", "A project changed; `changes` lists old and new values.",
              {"project": _PROJECT, "changes": {"status": {"old": "planning",
                                                           "new": "active"}}}),
    EventType("project.deleted", "A project was deleted.", {"project": _PROJECT}),
    EventType("member.added", "A user was added to a project.",
              {"project": {"id": 12, "name": "Website relaunch"}, "user": _USER,
               "role": "member"}),
    EventType("member.removed",
              "A user was removed from a project (and unassigned from its tasks).",
              {"project": {"id": 12, "name": "Website relaunch"}, "user": _USER,
               "unassigned_tasks": [310]}),
    EventType("task.created", "A task was created.", {"task": _TASK}),
    EventType("task.updated", "A task changed; `changes` lists old and new values.",
              {"task": _TASK, "changes": {"status": {"old": "todo", "new": "in_progress"}}}),
    EventType("task.completed", "A task entered the done status.", {"task": _TASK}),
    EventType("task.deleted", "A task was deleted.", {"task": _TASK}),
    EventType("comment.created", "A comment was added to a task.",
              {"comment": {"id": 55, "task": {"id": 310, "title": "Design home page"},
                           "author": _USER, "content": "<p>Looks good</p>"}}),
    EventType("attachment.created", "A file was attached to a task.",
              {"attachment": {"id": 4, "task": {"id": 310, "title": "Design home page"},
                              "original_name": "mock.png", "file_type": "image",
                              "content_type": "image/png", "size": 48213,
                              "is_proof_of_completion": False}}),
    EventType("comment.updated", "A comment was edited by its author.",
              {"comment": {"id": 55, "task": {"id": 310, "title": "Design home page"},
                           "author": _USER, "content": "<p>Looks great</p>"}}),
    EventType("comment.deleted", "A comment was deleted.",
              {"comment": {"id": 55, "task": {"id": 310, "title": "Design home page"},
                           "author": _USER, "content": "<p>Looks good</p>"}}),
    EventType("attachment.deleted", "A file was removed from a task (and from storage).",
              {"attachment": {"id": 4, "task": {"id": 310, "title": "Design home page"},
                              "original_name": "mock.png"}}),
)
