"""Posting, threads, mentions, editing, deleting, permissions and bad input for messages."""

from __future__ import annotations

import pytest
from synergy_messaging.models import Message

from synergy.models import ProjectMember, User
from tests.conftest import Api, assert_error
from tests.messaging.conftest import Team, add_project, events_of


def post(client, project_id, text, parent=None):
    body = {"project": project_id, "message": text}
    if parent is not None:
        body["parent"] = parent
    return client.post("/api/messages/", body)


def test_member_posts_and_everyone_in_the_project_reads(team: Team) -> None:
    created = post(team.member, team.project_id, "<p>Hello <strong>team</strong></p>")
    assert created.status_code == 201, created.text
    body = created.json
    assert body["message"] == "<p>Hello <strong>team</strong></p>"
    assert body["sender"] == {"id": team.member.user["id"], "username": "grace"}
    assert body["project"] == {"id": team.project_id, "name": "Website"}
    assert (body["parent"], body["thread"], body["replies_count"]) == (None, body["id"], 0)
    assert body["is_read"] is True and body["is_edited"] is False and body["mentions"] == []
    for reader in (team.owner, team.second):
        listed = reader.get(f"/api/messages/?project={team.project_id}")
        assert listed.status_code == 200
        assert [row["id"] for row in listed.json["results"]] == [body["id"]]
        assert listed.json["results"][0]["is_read"] is False


def test_outsider_gets_404_everywhere(team: Team) -> None:
    message_id = post(team.member, team.project_id, "secret plans").json["id"]
    eve = team.outsider
    assert_error(post(eve, team.project_id, "let me in"), 404, "not_found", "project")
    assert_error(eve.get(f"/api/messages/?project={team.project_id}"), 404)
    assert_error(eve.get(f"/api/messages/?thread={message_id}"), 404)
    for path in (f"/api/messages/{message_id}/", f"/api/messages/{message_id}/replies/"):
        assert_error(eve.get(path), 404, "not_found")
    assert_error(eve.patch(f"/api/messages/{message_id}/", {"message": "x"}), 404)
    assert_error(eve.delete(f"/api/messages/{message_id}/"), 404)
    assert_error(eve.post(f"/api/messages/{message_id}/read/"), 404)
    assert eve.get("/api/messages/").json["count"] == 0
    assert eve.get("/api/messages/unread/").json["count"] == 0
    assert_error(post(eve, team.project_id + 1000, "nowhere"), 404, "not_found", "project")
    assert team.owner.get(f"/api/messages/?project={team.project_id}").json["count"] == 1


def test_a_removed_member_loses_access(team: Team) -> None:
    message_id = post(team.second, team.project_id, "mine").json["id"]
    with team.kernel.connection():
        ProjectMember.delete().where(ProjectMember.user == team.second.user["id"]).execute()
    assert_error(team.second.get(f"/api/messages/{message_id}/"), 404)
    assert_error(team.second.patch(f"/api/messages/{message_id}/", {"message": "x"}), 404)
    assert_error(post(team.second, team.project_id, "still here?"), 404, None, "project")
    assert team.second.get("/api/messages/").json["count"] == 0


def test_deleting_an_account_keeps_the_thread(team: Team) -> None:
    root = post(team.second, team.project_id, "root").json["id"]
    post(team.member, team.project_id, "reply", parent=root)
    with team.kernel.connection():
        User.delete().where(User.id == team.second.user["id"]).execute()
    kept = team.owner.get(f"/api/messages/{root}/").json
    assert kept["sender"] is None and kept["message"] == "root"
    assert kept["replies_count"] == 1


def test_anonymous_is_401(team: Team) -> None:
    assert_error(Api(team.kernel).get("/api/messages/"), 401)


def test_only_the_sender_edits_and_edits_are_flagged(team: Team) -> None:
    message_id = post(team.member, team.project_id, "first draft").json["id"]
    assert_error(team.owner.patch(f"/api/messages/{message_id}/", {"message": "owner's"}), 403)
    assert_error(team.second.put(f"/api/messages/{message_id}/", {"message": "alan's"}), 403)
    edited = team.member.patch(f"/api/messages/{message_id}/", {"message": "final text"})
    assert edited.status_code == 200, edited.text
    assert edited.json["message"] == "final text"
    assert edited.json["is_edited"] is True and edited.json["edited_at"] is not None
    [event] = events_of(team.kernel, "message.updated")
    assert event.payload["changes"]["message"] == {"old": "first draft", "new": "final text"}
    assert event.actor_id == team.member.user["id"] and event.project_id == team.project_id


def test_sender_or_owner_deletes_other_members_cannot(team: Team) -> None:
    first = post(team.member, team.project_id, "one").json["id"]
    second = post(team.member, team.project_id, "two").json["id"]
    assert_error(team.second.delete(f"/api/messages/{first}/"), 403)
    assert team.member.delete(f"/api/messages/{first}/").status_code == 204
    assert team.owner.delete(f"/api/messages/{second}/").status_code == 204
    assert team.owner.get(f"/api/messages/?project={team.project_id}").json["count"] == 0
    assert_error(team.owner.get(f"/api/messages/{first}/"), 404)
    deleted = events_of(team.kernel, "message.deleted")
    assert [event.payload["message"]["id"] for event in deleted] == [first, second]
    assert deleted[1].actor_id == team.owner.user["id"]


def test_staff_who_is_not_a_member_reads_but_cannot_post(team: Team) -> None:
    boss = team.owner.as_new_user("boss", staff=True)
    post(team.member, team.project_id, "visible to staff")
    assert boss.get(f"/api/messages/?project={team.project_id}").json["count"] == 1
    assert_error(post(boss, team.project_id, "hi"), 403, "permission_denied")


def test_threads_are_one_level_deep(team: Team) -> None:
    root = post(team.owner, team.project_id, "root").json["id"]
    reply = post(team.member, team.project_id, "reply", parent=root).json
    nested = post(team.second, team.project_id, "reply to the reply", parent=reply["id"]).json
    assert reply["parent"] == root and reply["thread"] == root
    assert nested["parent"] == root and nested["thread"] == root
    top = team.owner.get(f"/api/messages/?project={team.project_id}").json
    assert [row["id"] for row in top["results"]] == [root]
    assert top["results"][0]["replies_count"] == 2
    replies = team.owner.get(f"/api/messages/{root}/replies/").json
    assert [row["id"] for row in replies["results"]] == [reply["id"], nested["id"]]
    thread = team.owner.get(f"/api/messages/?thread={nested['id']}").json
    assert [row["id"] for row in thread["results"]] == [root, reply["id"], nested["id"]]
    assert team.owner.get(f"/api/messages/{reply['id']}/replies/").json["count"] == 0


def test_deleting_a_root_with_replies_leaves_a_placeholder(team: Team) -> None:
    root = post(team.member, team.project_id, "root @alan").json["id"]
    reply = post(team.second, team.project_id, "reply", parent=root).json["id"]
    assert team.member.delete(f"/api/messages/{root}/").status_code == 204
    placeholder = team.owner.get(f"/api/messages/{root}/").json
    assert placeholder["is_deleted"] is True
    assert placeholder["message"] is None and placeholder["sender"] is None
    assert placeholder["mentions"] == [] and placeholder["replies_count"] == 1
    assert_error(team.member.patch(f"/api/messages/{root}/", {"message": "back"}), 409,
                 "message_deleted")
    assert team.second.delete(f"/api/messages/{reply}/").status_code == 204
    with team.kernel.connection():
        assert not Message.select().where(Message.id.in_([root, reply])).exists()


def test_mentions_keep_only_project_members(team: Team) -> None:
    text = ("<p>@grace and @ALAN please look; @eve is not in the project, @nobody exists "
            "and mail ada@example.com is no mention</p>")
    created = post(team.owner, team.project_id, text).json
    assert created["mentions"] == [{"id": team.second.user["id"], "username": "alan"},
                                   {"id": team.member.user["id"], "username": "grace"}]
    [event] = events_of(team.kernel, "message.created")
    assert {user["username"] for user in event.payload["message"]["mentions"]} == {
        "alan", "grace"}
    edited = team.owner.patch(f"/api/messages/{created['id']}/",
                              {"message": "only @grace now"}).json
    assert edited["mentions"] == [{"id": team.member.user["id"], "username": "grace"}]
    [update] = events_of(team.kernel, "message.updated")
    assert [user["username"] for user in update.payload["changes"]["mentions"]["new"]] == [
        "grace"]


def test_created_event_carries_the_message(team: Team) -> None:
    created = post(team.member, team.project_id, "<p>ship it</p>").json
    [event] = events_of(team.kernel, "message.created")
    message = event.payload["message"]
    assert message["id"] == created["id"] and message["content"] == "<p>ship it</p>"
    assert message["project"] == {"id": team.project_id, "name": "Website"}
    assert message["sender"]["username"] == "grace"
    assert event.actor_id == team.member.user["id"] and event.project_id == team.project_id


def test_body_is_sanitised(team: Team) -> None:
    created = post(team.member, team.project_id,
                   '<p onclick="x()">hi <script>alert(1)</script><a href="javascript:x">l</a>'
                   '<a href="https://example.com" target="_blank">ok</a><img src=x></p>').json
    assert created["message"] == '<p>hi <a>l</a><a href="https://example.com">ok</a></p>'


@pytest.mark.parametrize("body, field", [
    ({"project": 1, "message": ""}, "message"),
    ({"project": 1, "message": "   "}, "message"),
    ({"project": 1, "message": "<script>only code</script>"}, "message"),
    ({"project": 1, "message": "<p> </p><br>"}, "message"),
    ({"project": 1, "message": "x" * 10_001}, "message"),
    ({"project": 1}, "message"),
    ({"message": "hi"}, "project"),
    ({"project": "one", "message": "hi"}, "project"),
    ({"project": 1, "message": 5}, "message"),
    ({"project": 1, "message": "hi", "parent": "x"}, "parent"),
    ({"project": 1, "message": "hi", "colour": "red"}, "colour"),
    ({"project": 2**31, "message": "hi"}, "project"),
    ({"project": 1, "message": "hi", "parent": 2**40}, "parent"),
])
def test_bad_message_input_is_a_400(team: Team, body: dict, field: str) -> None:
    if body.get("project") == 1:
        body = {**body, "project": team.project_id}
    assert_error(team.member.post("/api/messages/", body), 400, None, field)


def test_parent_from_another_project_is_refused(team: Team) -> None:
    other = add_project(team.kernel, team.member, name="Other")
    foreign = post(team.member, other, "elsewhere").json["id"]
    assert_error(post(team.member, team.project_id, "reply", parent=foreign), 400,
                 "validation_error", "parent")
    assert_error(post(team.member, team.project_id, "reply", parent=10**9), 400,
                 "validation_error", "parent")


def test_bad_queries_and_edits_are_400(team: Team) -> None:
    message_id = post(team.member, team.project_id, "hi").json["id"]
    assert_error(team.member.get("/api/messages/?project=abc"), 400, None, "project")
    assert_error(team.member.get("/api/messages/?projekt=1"), 400, None, "projekt")
    assert_error(team.member.get("/api/messages/?page_size=500"), 400, None, "page_size")
    assert_error(team.member.put(f"/api/messages/{message_id}/", {}), 400, None, "message")
    assert_error(team.member.patch(f"/api/messages/{message_id}/", {"message": ""}), 400,
                 None, "message")
    assert_error(team.member.get("/api/messages/?project=999999"), 404)
    assert_error(team.member.get("/api/messages/999999/"), 404)
    assert_error(team.member.get(f"/api/messages/{2**40}/"), 404)
    assert_error(team.member.get(f"/api/messages/?thread={2**40}"), 400, None, "thread")


def test_list_without_project_covers_all_my_projects(team: Team) -> None:
    other = add_project(team.kernel, team.member, name="Other")
    post(team.member, team.project_id, "in website")
    post(team.member, other, "in other")
    mine = team.member.get("/api/messages/").json
    assert {row["project"]["name"] for row in mine["results"]} == {"Website", "Other"}
    assert team.owner.get("/api/messages/").json["count"] == 1
