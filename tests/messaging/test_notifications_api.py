"""The notifications API: own notifications only, read state, counts and preferences."""

from __future__ import annotations

import pytest
from synergy_notifications.fanout import Draft, deliver

from tests.conftest import QueryCounter, assert_error
from tests.messaging.conftest import Team


def give(team: Team, client, *kinds: str) -> None:
    with team.kernel.connection():
        deliver(team.kernel, [Draft(client.user["id"], kind, f"test:{n}", f"{kind} {n}")
                              for n, kind in enumerate(kinds)])


def test_list_filter_read_and_counts(team: Team) -> None:
    give(team, team.member, "mention", "task_assigned", "mention")
    give(team, team.second, "mention")
    listed = team.member.get("/api/notifications/").json
    assert listed["count"] == 3
    assert [n["title"] for n in listed["results"]] == ["mention 2", "task_assigned 1",
                                                       "mention 0"]
    assert team.member.get("/api/notifications/unread_count/").json == {"count": 3}
    first = listed["results"][0]["id"]
    marked = team.member.post(f"/api/notifications/{first}/read/")
    assert marked.status_code == 200 and marked.json["read"] is True
    assert marked.json["read_at"].endswith("Z")
    assert team.member.get("/api/notifications/unread_count/").json == {"count": 2}
    assert [n["id"] for n in team.member.get("/api/notifications/?read=true").json[
        "results"]] == [first]
    assert team.member.get("/api/notifications/?read=false").json["count"] == 2
    assert team.member.get("/api/notifications/?type=mention").json["count"] == 2
    assert team.member.post("/api/notifications/read_all/").json == {"count": 2}
    assert team.member.get("/api/notifications/unread_count/").json == {"count": 0}
    assert team.second.get("/api/notifications/unread_count/").json == {"count": 1}


def test_someone_elses_notification_is_404(team: Team) -> None:
    give(team, team.second, "mention")
    [note] = team.second.get("/api/notifications/").json["results"]
    assert_error(team.member.post(f"/api/notifications/{note['id']}/read/"), 404, "not_found")
    assert_error(team.member.post("/api/notifications/99999/read/"), 404, "not_found")
    assert_error(team.member.post(f"/api/notifications/{2**40}/read/"), 404, "not_found")
    assert team.member.get("/api/notifications/").json["count"] == 0
    assert team.second.get("/api/notifications/unread_count/").json == {"count": 1}


def test_bad_list_queries_are_400(team: Team) -> None:
    assert_error(team.member.get("/api/notifications/?read=maybe"), 400, None, "read")
    assert_error(team.member.get("/api/notifications/?type=party"), 400, None, "type")
    assert_error(team.member.get("/api/notifications/?unread=1"), 400, None, "unread")


def test_preferences_defaults_patch_and_put(team: Team) -> None:
    path = "/api/notifications/preferences/"
    defaults = team.member.get(path).json
    assert defaults["digest"] == "never"
    assert defaults["in_app"]["task_completed"] is True
    assert defaults["email"]["task_assigned"] is True and defaults["email"]["task_updated"] is False
    patched = team.member.patch(path, {"email": {"task_updated": True}, "digest": "weekly"}).json
    assert patched["email"]["task_updated"] is True and patched["digest"] == "weekly"
    again = team.member.patch(path, {"email": {"mention": False}}).json
    assert again["email"]["task_updated"] is True and again["email"]["mention"] is False
    replaced = team.member.put(path, {"in_app": {"task_updated": False},
                                      "email": {"mention": False}, "digest": "daily"}).json
    assert replaced["in_app"]["task_updated"] is False
    assert replaced["email"]["task_updated"] is False, "PUT resets what it does not name"
    assert replaced["email"]["mention"] is False and replaced["digest"] == "daily"
    assert team.member.get(path).json == replaced
    assert team.second.get(path).json == defaults


@pytest.mark.parametrize("method, body, field", [
    ("patch", {"digest": "hourly"}, "digest"),
    ("patch", {"digest": None}, "digest"),
    ("patch", {"email": {"task_assigned": "yes"}}, "email"),
    ("patch", {"email": {"birthday": True}}, "email"),
    ("patch", {"in_app": ["mention"]}, "in_app"),
    ("patch", {"sms": {}}, "sms"),
    ("put", {"digest": "daily"}, "in_app"),
])
def test_bad_preferences_are_400(team: Team, method: str, body: dict, field: str) -> None:
    path = "/api/notifications/preferences/"
    assert_error(getattr(team.member, method)(path, body), 400, "validation_error", field)
    assert team.member.get(path).json["digest"] == "never"


def test_list_queries_do_not_grow_with_the_page(team: Team) -> None:
    give(team, team.member, *(["mention"] * 200))
    counts = []
    for size in (1, 50, 200):
        with QueryCounter(team.kernel) as counter:
            result = team.member.get(f"/api/notifications/?page_size={size}")
        assert len(result.json["results"]) == size
        counts.append(counter.count)
    assert counts[0] == counts[1] == counts[2], counts
