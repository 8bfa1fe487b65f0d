"""Domain events become notifications (and e-mails) for the right people, exactly once."""

from __future__ import annotations

from synergy_notifications.models import Notification

from tests.messaging.conftest import Mailbox, Team, body_of, emit, redeliver


def task_payload(team: Team, *assignees, title: str = "Design home page") -> dict:
    return {"task": {"id": 310, "title": title, "status": "todo", "priority": "medium",
                     "project": {"id": team.project_id, "name": "Website"},
                     "assignees": [{"id": a.user["id"], "username": a.user["username"]}
                                   for a in assignees], "due_date": None}}


def notes(team: Team, client) -> list[dict]:
    result = client.get("/api/notifications/?page_size=200")
    assert result.status_code == 200, result.text
    return result.json["results"]


def test_assignment_notifies_assignees_but_not_the_actor_and_mails_them(
        team: Team, mailbox: Mailbox) -> None:
    emit(team.kernel, "task.created", task_payload(team, team.owner, team.member),
         actor=team.owner.user["id"], project=team.project_id)
    [note] = notes(team, team.member)
    assert note["type"] == "task_assigned" and note["read"] is False
    assert note["title"] == 'You were assigned to "Design home page"'
    assert note["action_url"] == "/tasks/310"
    assert note["metadata"]["project"] == {"id": team.project_id, "name": "Website"}
    assert notes(team, team.owner) == [] and notes(team, team.second) == []
    [mail] = mailbox.to("grace@example.com")
    assert mail["Subject"] == '[SynergyOS] You were assigned to "Design home page"'
    assert "/tasks/310" in body_of(mail)
    assert mailbox.to("ada@example.com") == []


def test_an_event_delivered_twice_notifies_and_mails_once(team: Team, mailbox: Mailbox) -> None:
    event_id = emit(team.kernel, "task.created", task_payload(team, team.member),
                    actor=team.owner.user["id"], project=team.project_id)
    redeliver(team.kernel, event_id)
    redeliver(team.kernel, event_id)
    with team.kernel.connection():
        assert Notification.select().count() == 1
    assert len(mailbox.to("grace@example.com")) == 1


def test_update_tells_new_assignees_and_existing_ones_differently(team: Team) -> None:
    payload = task_payload(team, team.member, team.second)
    payload["changes"] = {"assignees": {"old": [team.member.user["id"]],
                                        "new": [team.member.user["id"], team.second.user["id"]]},
                          "priority": {"old": "medium", "new": "high"}}
    emit(team.kernel, "task.updated", payload, actor=team.owner.user["id"],
         project=team.project_id)
    [alan] = notes(team, team.second)
    assert alan["type"] == "task_assigned"
    [grace] = notes(team, team.member)
    assert grace["type"] == "task_updated"
    assert grace["message"] == "Changed priority: medium → high."


def test_completion_is_told_once_not_as_an_update_too(team: Team) -> None:
    payload = task_payload(team, team.member, team.second)
    emit(team.kernel, "task.updated",
         {**payload, "changes": {"status": {"old": "review", "new": "done"}}},
         actor=team.second.user["id"], project=team.project_id)
    emit(team.kernel, "task.completed", payload, actor=team.second.user["id"],
         project=team.project_id)
    assert [n["type"] for n in notes(team, team.member)] == ["task_completed"]
    assert notes(team, team.second) == []


def test_member_added_and_project_status_changes(team: Team, mailbox: Mailbox) -> None:
    emit(team.kernel, "member.added",
         {"project": {"id": team.project_id, "name": "Website"},
          "user": {"id": team.second.user["id"], "username": "alan"}, "role": "member"},
         actor=team.owner.user["id"], project=team.project_id)
    [added] = notes(team, team.second)
    assert added["type"] == "member_added" and added["action_url"] == f"/projects/{team.project_id}"
    assert len(mailbox.to("alan@example.com")) == 1
    project = {"id": team.project_id, "name": "Website", "status": "on_hold"}
    emit(team.kernel, "project.updated",
         {"project": project, "changes": {"description": {"old": "", "new": "x"}}},
         actor=team.owner.user["id"], project=team.project_id)
    emit(team.kernel, "project.updated",
         {"project": project, "changes": {"status": {"old": "active", "new": "on_hold"}}},
         actor=team.owner.user["id"], project=team.project_id)
    for member in (team.member, team.second):
        assert [n["title"] for n in notes(team, member)
                if n["type"] == "project_status_changed"] == ['Project "Website" is now on_hold']
    assert notes(team, team.owner) == [] and notes(team, team.outsider) == []


def test_comment_mentions_notify_members_only(team: Team, mailbox: Mailbox) -> None:
    emit(team.kernel, "comment.created",
         {"comment": {"id": 55, "task": {"id": 310, "title": "Design home page"},
                      "author": {"id": team.owner.user["id"], "username": "ada"},
                      "content": "<p>@grace @eve @ada have a look</p>"}},
         actor=team.owner.user["id"], project=team.project_id)
    [mention] = notes(team, team.member)
    assert mention["type"] == "mention"
    assert mention["title"] == 'ada mentioned you on "Design home page"'
    assert notes(team, team.outsider) == [] and notes(team, team.owner) == []
    assert len(mailbox.to("grace@example.com")) == 1 and mailbox.to("eve@example.com") == []


def test_message_mentions_notify_through_the_event(team: Team, mailbox: Mailbox) -> None:
    created = team.owner.post("/api/messages/", {"project": team.project_id,
                                                 "message": "@grace @eve standup?"})
    assert created.status_code == 201
    [mention] = notes(team, team.member)
    assert mention["type"] == "mention" and mention["message"] == "@grace @eve standup?"
    assert mention["action_url"] == (f"/projects/{team.project_id}/messages"
                                     f"?thread={created.json['id']}")
    assert notes(team, team.outsider) == []
    [mail] = mailbox.to("grace@example.com")
    assert "standup?" in body_of(mail)
    team.owner.patch(f"/api/messages/{created.json['id']}/",
                     {"message": "@grace @alan standup?"})
    assert [n["type"] for n in notes(team, team.second)] == ["mention"]
    assert len(notes(team, team.member)) == 1


def test_preferences_decide_in_app_and_email(team: Team, mailbox: Mailbox) -> None:
    changed = team.member.patch("/api/notifications/preferences/",
                                {"email": {"task_assigned": False}})
    assert changed.status_code == 200, changed.text
    team.second.patch("/api/notifications/preferences/", {"in_app": {"task_assigned": False}})
    emit(team.kernel, "task.created", task_payload(team, team.member, team.second),
         actor=team.owner.user["id"], project=team.project_id)
    assert [n["type"] for n in notes(team, team.member)] == ["task_assigned"]
    assert notes(team, team.second) == []
    assert mailbox.messages == []


def test_inactive_users_are_not_notified(team: Team) -> None:
    from synergy.models import User

    with team.kernel.connection():
        User.update(is_active=False).where(User.id == team.member.user["id"]).execute()
        emit(team.kernel, "task.created", task_payload(team, team.member),
             actor=team.owner.user["id"], project=team.project_id)
        assert Notification.select().count() == 0
