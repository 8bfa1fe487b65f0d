"""``@username`` mentions in comment text, kept only for members of the project.

Messages arrive with their mentions already resolved by the messaging plugin;
comments carry raw text, so the same rule (registration's username shape,
e-mail addresses ignored, members only) is applied here.
"""

from __future__ import annotations

import re

import bleach

from synergy.models import ProjectMember, User

_MENTION = re.compile(r"(?<![\w.@/])@([A-Za-z0-9][A-Za-z0-9_.-]{2,29})")


def mentioned_members(project_id: int, html: str) -> list[int]:
    text = bleach.clean(html, tags=set(), strip=True)
    names = {name.rstrip(".").lower() for name in _MENTION.findall(text)}
    if not names:
        return []
    return members_among(project_id, User.username_key.in_(names))


def members_among(project_id: int, condition: object) -> list[int]:
    """Ids of the project's members matching ``condition`` (a Peewee expression on User)."""
    return [user_id for (user_id,) in
            User.select(User.id).join(ProjectMember, on=(ProjectMember.user == User.id))
            .where(ProjectMember.project == project_id, condition).order_by(User.id).tuples()]
