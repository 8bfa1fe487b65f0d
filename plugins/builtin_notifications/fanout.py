"""Turning drafts into stored notifications and e-mails, exactly once per recipient and cause.

Everything happens in the caller's transaction (the event dispatch or a job),
so a notification and its e-mail are committed together or not at all. The
insert ignores rows that already exist, and mail goes out only for rows this
call actually inserted: a redelivered event or a re-run job sends nothing twice.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from synergy_notifications.models import Notification
from synergy_notifications.preferences import preferences_for

from synergy.models import User


@dataclass(frozen=True)
class Draft:
    recipient_id: int
    kind: str
    source: str
    title: str
    message: str = ""
    action_url: str = ""
    metadata: dict[str, Any] = field(default_factory=dict)


def deliver(kernel: Any, drafts: Iterable[Draft]) -> int:
    """Store what each recipient wants in-app, mail what they want by e-mail; count created."""
    drafts = list(drafts)
    if not drafts:
        return 0
    recipient_ids = {draft.recipient_id for draft in drafts}
    users = {user.id: user for user in User.select().where(User.id.in_(recipient_ids),
                                                           User.is_active == True)}  # noqa: E712
    preferences = preferences_for(recipient_ids)
    created = 0
    with kernel.db.atomic():
        for draft in drafts:
            user = users.get(draft.recipient_id)
            wanted = preferences[draft.recipient_id]
            if user is None or not wanted.in_app.get(draft.kind, False):
                continue
            inserted = (Notification.insert(
                recipient=user.id, type=draft.kind, source=draft.source[:100],
                title=draft.title[:255], message=draft.message,
                action_url=draft.action_url[:500], metadata=draft.metadata)
                .on_conflict_ignore().as_rowcount().execute())
            if not inserted:
                continue
            created += 1
            if wanted.email.get(draft.kind, False) and user.email:
                send_mail(kernel, user, draft)
    return created


def link(kernel: Any, path: str) -> str:
    return kernel.settings.public_url.rstrip("/") + path


def send_mail(kernel: Any, user: User, draft: Draft) -> None:
    lines = [f"Hello {user.username},", "", draft.title]
    if draft.message:
        lines += ["", draft.message]
    if draft.action_url:
        lines += ["", f"Open: {link(kernel, draft.action_url)}"]
    lines += ["", "You receive this e-mail because of your notification preferences; change "
                  f"them at {link(kernel, '/settings/notifications')}."]
    kernel.mail.send(to=user.email, subject=f"[SynergyOS] {draft.title}", text="\n".join(lines))
