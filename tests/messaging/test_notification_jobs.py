"""Deadline, overdue, digest and retention jobs, driven with chosen clocks."""

from __future__ import annotations

import datetime as dt

from synergy_notifications.fanout import Draft, deliver
from synergy_notifications.models import Notification
from synergy_notifications.periodic import (
    notify_deadlines,
    notify_overdue,
    purge_read,
    send_digests,
)

from synergy.models import Project, Task, TaskAssignee
from tests.messaging.conftest import Mailbox, Team, body_of

DUE = dt.date(2026, 12, 1)


def make_task(team: Team, title: str, *assignees, due: dt.date | None = DUE,
              status: str = "todo", project_id: int | None = None) -> int:
    with team.kernel.connection():
        task = Task.create(project=project_id or team.project_id, title=title, status=status,
                           due_date=due)
        for client in assignees:
            TaskAssignee.create(task=task, user=client.user["id"])
    return task.id


def kinds_of(team: Team, client, kind: str) -> list[Notification]:
    with team.kernel.connection():
        return list(Notification.select().where(Notification.recipient == client.user["id"],
                                                 Notification.type == kind)
                    .order_by(Notification.id))


def run(team: Team, job, *args, **kwargs):
    with team.kernel.connection():
        result = job(team.kernel, *args, **kwargs)
    team.kernel.jobs.flush_after_commit()
    return result


def test_deadline_approaching_once_per_task_and_assignee(team: Team, mailbox: Mailbox) -> None:
    task_id = make_task(team, "Launch", team.member, team.second)
    make_task(team, "Already done", team.member, status="done")
    make_task(team, "Next week", team.member, due=DUE + dt.timedelta(days=7))
    make_task(team, "No date", team.member, due=None)
    day_before = dt.datetime(2026, 11, 30, 22, 0)
    assert run(team, notify_deadlines, now=day_before) == 0
    due_day = dt.datetime(2026, 12, 1, 6, 30)
    assert run(team, notify_deadlines, now=due_day) == 2
    [note] = kinds_of(team, team.member, "deadline_approaching")
    assert note.title == '"Launch" is due in 18 h'
    assert note.metadata["task"] == {"id": task_id, "title": "Launch", "due_date": "2026-12-01"}
    assert run(team, notify_deadlines, now=due_day + dt.timedelta(hours=1)) == 0
    assert len(kinds_of(team, team.second, "deadline_approaching")) == 1
    assert [m["Subject"] for m in mailbox.to("grace@example.com")] == [
        '[SynergyOS] "Launch" is due in 18 h']
    with team.kernel.connection():
        Task.update(due_date=DUE + dt.timedelta(days=1)).where(Task.id == task_id).execute()
    assert run(team, notify_deadlines, now=due_day + dt.timedelta(days=1)) == 2


def test_overdue_once_and_not_for_finished_work(team: Team) -> None:
    make_task(team, "Late", team.member)
    make_task(team, "Late but done", team.member, status="done")
    with team.kernel.connection():
        closed = Project.create(name="Closed", owner=team.owner.user["id"], status="cancelled")
    make_task(team, "In a cancelled project", team.member, project_id=closed.id)
    assert run(team, notify_overdue, now=dt.datetime(2026, 12, 1, 6, 15)) == 0
    assert run(team, notify_overdue, now=dt.datetime(2026, 12, 2, 6, 15)) == 1
    assert run(team, notify_overdue, now=dt.datetime(2026, 12, 3, 6, 15)) == 0
    [note] = kinds_of(team, team.member, "task_overdue")
    assert note.title == '"Late" is overdue' and note.message == "It was due on 2026-12-01."


def _note_at(team: Team, client, title: str, at: dt.datetime, read: bool = False) -> None:
    with team.kernel.connection():
        deliver(team.kernel, [Draft(client.user["id"], "mention", f"test:{title}", title,
                                    action_url="/tasks/1")])
        Notification.update(created_at=at, read=read).where(
            Notification.title == title).execute()


def test_daily_digest_lists_unread_notifications_once(team: Team, mailbox: Mailbox) -> None:
    team.member.patch("/api/notifications/preferences/",
                      {"digest": "daily", "email": {"mention": False}})
    team.second.patch("/api/notifications/preferences/",
                      {"digest": "weekly", "email": {"mention": False}})
    morning = dt.datetime(2026, 12, 2, 7, 0)
    _note_at(team, team.member, "Old news", morning - dt.timedelta(days=3))
    _note_at(team, team.member, "Read already", morning - dt.timedelta(hours=5), read=True)
    _note_at(team, team.member, "Fresh one", morning - dt.timedelta(hours=5))
    _note_at(team, team.member, "Fresh two", morning - dt.timedelta(hours=1))
    _note_at(team, team.second, "For alan", morning - dt.timedelta(hours=1))
    assert run(team, send_digests, "daily", now=morning) == 1
    [digest] = mailbox.to("grace@example.com")
    assert digest["Subject"] == "[SynergyOS] Your daily digest: 2 unread notifications"
    body = body_of(digest)
    assert "- Fresh one\n  http://localhost:8000/tasks/1\n- Fresh two" in body
    assert "Old news" not in body and "Read already" not in body
    assert run(team, send_digests, "daily", now=morning + dt.timedelta(minutes=5)) == 0
    _note_at(team, team.member, "Next day", morning + dt.timedelta(hours=3))
    assert run(team, send_digests, "daily", now=morning + dt.timedelta(days=1)) == 1
    later = body_of(mailbox.to("grace@example.com")[-1])
    assert "Next day" in later and "Fresh one" not in later
    assert mailbox.to("alan@example.com") == []
    assert run(team, send_digests, "weekly", now=morning) == 1
    weekly = mailbox.to("alan@example.com")[-1]
    assert weekly["Subject"] == "[SynergyOS] Your weekly digest: 1 unread notification"
    assert "For alan" in body_of(weekly)


def test_retention_deletes_only_old_read_notifications(team: Team) -> None:
    now = dt.datetime(2027, 3, 1, 3, 30)
    _note_at(team, team.member, "old read", now - dt.timedelta(days=91), read=True)
    _note_at(team, team.member, "old unread", now - dt.timedelta(days=200))
    _note_at(team, team.member, "recent read", now - dt.timedelta(days=89), read=True)
    assert run(team, purge_read, now=now) == 1
    with team.kernel.connection():
        assert sorted(n.title for n in Notification.select()) == ["old unread", "recent read"]


def test_jobs_are_scheduled_and_run_through_the_queue(team: Team) -> None:
    registered = team.kernel.jobs.registered
    for name in ("notify_deadlines", "notify_overdue", "daily_digest", "weekly_digest",
                 "purge_read"):
        _, job, _ = registered[f"notifications.{name}"]
        assert job.schedule is not None, name
    make_task(team, "Long overdue", team.member, due=dt.date(2020, 1, 1))
    with team.kernel.connection():
        team.kernel.enqueue("notifications.notify_overdue")
    assert [n.title for n in kinds_of(team, team.member, "task_overdue")] == [
        '"Long overdue" is overdue']
