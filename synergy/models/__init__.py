"""Kernel models. Plugins import them from here and subclass :class:`BaseModel`."""

from synergy.models.base import BaseModel, JSONField, utcnow
from synergy.models.events import Event
from synergy.models.mail import OutgoingMail
from synergy.models.projects import (
    MEMBER_ROLES,
    PRIORITIES,
    PROJECT_STATUSES,
    TASK_STATUSES,
    Attachment,
    Comment,
    Project,
    ProjectMember,
    Task,
    TaskAssignee,
)
from synergy.models.users import (
    ROLES,
    AuthSession,
    EmailChangeRequest,
    PasswordResetToken,
    User,
)

KERNEL_MODELS = (
    User,
    AuthSession,
    PasswordResetToken,
    Project,
    ProjectMember,
    Task,
    TaskAssignee,
    Comment,
    Attachment,
    Event,
    OutgoingMail,
    EmailChangeRequest,
)

__all__ = [
    "KERNEL_MODELS",
    "MEMBER_ROLES",
    "PRIORITIES",
    "PROJECT_STATUSES",
    "ROLES",
    "TASK_STATUSES",
    "Attachment",
    "AuthSession",
    "BaseModel",
    "Comment",
    "EmailChangeRequest",
    "Event",
    "JSONField",
    "OutgoingMail",
    "PasswordResetToken",
    "Project",
    "ProjectMember",
    "Task",
    "TaskAssignee",
    "User",
    "utcnow",
]
