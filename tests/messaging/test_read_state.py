"""Read state per user, unread counts per project, and constant queries per page."""

from __future__ import annotations

import pytest
from synergy_messaging.models import Message, MessageMention, MessageRead

from tests.conftest import QueryCounter, assert_error
from tests.messaging.conftest import Team, add_project


def post(client, project_id, text, parent=None):
    body = {"project": project_id, "message": text}
    if parent is not None:
        body["parent"] = parent
    result = client.post("/api/messages/", body)
    assert result.status_code == 201, result.text
    return result.json["id"]


def test_read_state_is_per_user(team: Team) -> None:
    message_id = post(team.member, team.project_id, "status update")
    path = f"/api/messages/{message_id}/"
    assert team.member.get(path).json["is_read"] is True
    assert team.owner.get(path).json["is_read"] is False
    marked = team.owner.post(f"/api/messages/{message_id}/read/")
    assert marked.status_code == 200 and marked.json == {"id": message_id, "is_read": True}
    assert team.owner.post(f"/api/messages/{message_id}/read/").status_code == 200
    assert team.owner.get(path).json["is_read"] is True
    assert team.second.get(path).json["is_read"] is False


def test_unread_counts_per_project(team: Team) -> None:
    other = add_project(team.kernel, team.member, team.owner, name="Other")
    first = post(team.member, team.project_id, "one")
    post(team.member, team.project_id, "two", parent=first)
    post(team.member, other, "three")
    post(team.owner, team.project_id, "mine does not count for me")
    unread = team.owner.get("/api/messages/unread/").json
    assert unread["count"] == 3
    assert unread["projects"] == [{"id": team.project_id, "name": "Website", "unread": 2},
                                  {"id": other, "name": "Other", "unread": 1}]
    team.owner.post(f"/api/messages/{first}/read/")
    after = team.owner.get("/api/messages/unread/").json
    assert after["count"] == 2
    assert after["projects"][0] == {"id": team.project_id, "name": "Website", "unread": 1}
    only_other = team.owner.get(f"/api/messages/unread/?project={other}").json
    assert only_other["count"] == 1 and only_other["results"][0]["message"] == "three"
    # alan belongs to Website only: Other's message is not his to read.
    assert team.second.get("/api/messages/unread/").json["projects"] == [
        {"id": team.project_id, "name": "Website", "unread": 3}]
    assert_error(team.owner.get("/api/messages/unread/?project=x"), 400, None, "project")


def test_deleted_placeholders_are_not_unread(team: Team) -> None:
    root = post(team.member, team.project_id, "root")
    post(team.member, team.project_id, "reply", parent=root)
    team.member.delete(f"/api/messages/{root}/")
    unread = team.owner.get("/api/messages/unread/").json
    assert [row["message"] for row in unread["results"]] == ["reply"]


def _fill(team: Team, count: int) -> None:
    """``count`` top-level messages, each with a mention, a reply and a read mark."""
    member_id, owner_id = team.member.user["id"], team.owner.user["id"]
    with team.kernel.connection(), team.kernel.db.atomic():
        roots = [Message.create(project=team.project_id, sender=member_id,
                                message=f"@ada number {n}") for n in range(count)]
        Message.insert_many([{"project": team.project_id, "sender": owner_id, "parent": root.id,
                              "message": "reply"} for root in roots]).execute()
        MessageMention.insert_many([{"message": root.id, "user": owner_id}
                                    for root in roots]).execute()
        MessageRead.insert_many([{"message": root.id, "user": owner_id}
                                 for root in roots[::2]]).execute()


@pytest.mark.parametrize("path", ["/api/messages/?project={project}",
                                  "/api/messages/", "/api/messages/unread/"])
def test_queries_per_page_do_not_grow_with_the_page(team: Team, path: str) -> None:
    _fill(team, 200)
    counts = {}
    for size in (1, 50, 200):
        with QueryCounter(team.kernel) as counter:
            result = team.owner.get(path.format(project=team.project_id)
                                    + ("&" if "?" in path else "?") + f"page_size={size}")
        assert result.status_code == 200, result.text
        rows = result.json["results"]
        assert len(rows) == min(size, result.json["count"]) and result.json["count"] >= 100
        assert all(row["mentions"] for row in rows if row["parent"] is None)
        counts[size] = counter.count
    # Constant whatever the size; a page that is not full spares the count query.
    assert counts[1] == counts[50], counts
    assert counts[200] in (counts[1], counts[1] - 1), counts
    listed = team.owner.get(f"/api/messages/?project={team.project_id}&page_size=2").json
    assert [row["replies_count"] for row in listed["results"]] == [1, 1]
    assert [row["is_read"] for row in listed["results"]] == [True, False]
