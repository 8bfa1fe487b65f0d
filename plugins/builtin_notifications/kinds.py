"""The notification types and their default preferences."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Kind:
    name: str
    description: str
    in_app: bool
    email: bool


KINDS: tuple[Kind, ...] = (
    Kind("task_assigned", "A task was assigned to you.", True, True),
    Kind("task_updated", "A task you are assigned to changed.", True, False),
    Kind("task_completed", "A task you are assigned to was completed.", True, False),
    Kind("mention", "You were @mentioned in a message or a comment.", True, True),
    Kind("member_added", "You were added to a project.", True, True),
    Kind("project_status_changed", "A project you belong to changed status.", True, False),
    Kind("deadline_approaching", "A task you are assigned to is due within 24 hours.",
         True, True),
    Kind("task_overdue", "A task you are assigned to is past its due date.", True, True),
)
KIND_NAMES: tuple[str, ...] = tuple(kind.name for kind in KINDS)
DIGEST_FREQUENCIES = ("never", "daily", "weekly")
