"""Periodic notification jobs. Each takes ``now`` so tests can drive it with a chosen clock.

A task's deadline is the END of its due date (UTC): it is "approaching" once
that moment is within ``SYNERGY_NOTIFICATIONS_DEADLINE_HOURS`` (24 by default)
and overdue from the next day on. Both notifications are keyed on the task and
its due date, so each assignee hears once per task — again only if the due
date moves.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from typing import Any

import peewee
from synergy_notifications.fanout import Draft, deliver, link
from synergy_notifications.models import Notification, NotificationPreference

from synergy.models import Project, Task, TaskAssignee, User, utcnow

CLOSED_PROJECT_STATUSES = ("completed", "cancelled")
DIGEST_PERIODS = {"daily": dt.timedelta(days=1), "weekly": dt.timedelta(days=7)}
# A digest job that fires a little early (scheduler jitter) must not skip a whole period.
DIGEST_SLACK = dt.timedelta(hours=1)


def _open_assignments(condition: peewee.Expression) -> peewee.ModelSelect:
    return (TaskAssignee.select(TaskAssignee.user, Task.id, Task.title, Task.due_date,
                                Project.id, Project.name)
            .join(Task).join(Project)
            .where(condition, Task.status != "done",
                   Project.status.not_in(CLOSED_PROJECT_STATUSES))
            .order_by(Task.id, TaskAssignee.user).tuples())


def _deadline(due: dt.date) -> dt.datetime:
    return dt.datetime.combine(due + dt.timedelta(days=1), dt.time())


def notify_deadlines(kernel: Any, now: dt.datetime | None = None) -> int:
    """Tasks whose deadline falls within the window: one notice per task and assignee."""
    now = now or utcnow()
    window = dt.timedelta(hours=kernel.settings.notifications_deadline_hours)
    first, last = now.date(), (now + window).date() - dt.timedelta(days=1)
    if last < first:
        return 0
    drafts = []
    for user_id, task_id, title, due, project_id, project_name in _open_assignments(
            Task.due_date.between(first, last)):
        hours = math.ceil((_deadline(due) - now).total_seconds() / 3600)
        drafts.append(Draft(user_id, "deadline_approaching", f"task:{task_id}:due:{due}",
                            f"\"{title}\" is due in {hours} h", f"Due date: {due}.",
                            f"/tasks/{task_id}",
                            {"task": {"id": task_id, "title": title, "due_date": str(due)},
                             "project": {"id": project_id, "name": project_name}}))
    return deliver(kernel, drafts)


def notify_overdue(kernel: Any, now: dt.datetime | None = None) -> int:
    """Unfinished tasks past their due date: one notice per task and assignee."""
    now = now or utcnow()
    drafts = [Draft(user_id, "task_overdue", f"task:{task_id}:overdue:{due}",
                    f"\"{title}\" is overdue", f"It was due on {due}.", f"/tasks/{task_id}",
                    {"task": {"id": task_id, "title": title, "due_date": str(due)},
                     "project": {"id": project_id, "name": project_name}})
              for user_id, task_id, title, due, project_id, project_name
              in _open_assignments(Task.due_date < now.date())]
    return deliver(kernel, drafts)


def send_digests(kernel: Any, frequency: str, now: dt.datetime | None = None) -> int:
    """Mail each user on ``frequency`` their unread notifications since their last digest.

    Returns the number of digests sent. Users with nothing unread get no mail but
    their period still ends, so the next digest covers only new notifications.
    """
    now = now or utcnow()
    period = DIGEST_PERIODS[frequency]
    due = list(NotificationPreference.select(NotificationPreference, User).join(User)
               .where(NotificationPreference.digest == frequency,
                      User.is_active == True,  # noqa: E712
                      NotificationPreference.last_digest_at.is_null()
                      | (NotificationPreference.last_digest_at <= now - period + DIGEST_SLACK)))
    if not due:
        return 0
    unread: dict[int, list[Notification]] = defaultdict(list)
    for notification in (Notification.select()
                         .where(Notification.recipient.in_([row.user_id for row in due]),
                                Notification.read == False,  # noqa: E712
                                Notification.created_at > now - period,
                                Notification.created_at <= now)
                         .order_by(Notification.id)):
        unread[notification.recipient_id].append(notification)
    sent = 0
    with kernel.db.atomic():
        for row in due:
            since = max(row.last_digest_at or now - period, now - period)
            items = [item for item in unread[row.user_id] if item.created_at > since]
            if items and row.user.email:
                kernel.mail.send(to=row.user.email, **digest_mail(kernel, row.user, frequency,
                                                                 items))
                sent += 1
        NotificationPreference.update(last_digest_at=now).where(
            NotificationPreference.id.in_([row.id for row in due])).execute()
    return sent


def digest_mail(kernel: Any, user: User, frequency: str,
                items: list[Notification]) -> dict[str, str]:
    count = len(items)
    noun = "notification" if count == 1 else "notifications"
    lines = [f"Hello {user.username},", "",
             f"You have {count} unread {noun} from the last "
             f"{'day' if frequency == 'daily' else 'week'}:", ""]
    for item in items:
        lines.append(f"- {item.title}")
        if item.action_url:
            lines.append(f"  {link(kernel, item.action_url)}")
    lines += ["", f"All notifications: {link(kernel, '/notifications')}",
              f"Change the digest: {link(kernel, '/settings/notifications')}"]
    return {"subject": f"[SynergyOS] Your {frequency} digest: {count} unread {noun}",
            "text": "\n".join(lines)}


def purge_read(kernel: Any, now: dt.datetime | None = None) -> int:
    """Delete read notifications older than the retention period; unread ones are kept."""
    now = now or utcnow()
    cutoff = now - dt.timedelta(days=kernel.settings.notifications_retention_days)
    return (Notification.delete()
            .where(Notification.read == True, Notification.created_at < cutoff)  # noqa: E712
            .execute())
