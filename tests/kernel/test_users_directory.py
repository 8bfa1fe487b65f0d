"""The user directory members are picked from: search, minimal fields, e-mail for staff only."""

from __future__ import annotations

from synergy.models import User
from tests.conftest import Api, assert_error


def _names(result) -> list[str]:
    assert result.status_code == 200, result.text
    return [row["username"] for row in result.json["results"]]


def test_search_by_username_or_name_without_exposing_email(api: Api) -> None:
    ada = api.as_new_user("ada", first_name="Ada", last_name="Lovelace")
    api.as_new_user("grace", first_name="Grace", last_name="Hopper")
    api.as_new_user("alan", first_name="Alan", last_name="Turing")
    assert _names(ada.get("/api/users/")) == ["ada", "alan", "grace"]
    assert _names(ada.get("/api/users/", params={"q": "HOP"})) == ["grace"]
    assert _names(ada.get("/api/users/", params={"q": "al"})) == ["alan"]
    row = ada.get("/api/users/", params={"q": "grace"}).json["results"][0]
    assert set(row) == {"id", "username", "first_name", "last_name", "full_name"}
    # Non-staff never search by e-mail: not even an exact address says it is registered.
    assert _names(ada.get("/api/users/", params={"q": "grace@example.com"})) == []
    assert _names(ada.get("/api/users/", params={"q": "@example"})) == []


def test_staff_see_and_search_emails(api: Api) -> None:
    boss = api.as_new_user("boss", staff=True)
    api.as_new_user("grace")
    rows = boss.get("/api/users/", params={"q": "@example"}).json["results"]
    assert {row["username"]: row["email"] for row in rows} == {
        "boss": "boss@example.com", "grace": "grace@example.com"}


def test_inactive_users_are_hidden_and_pages_work(api: Api) -> None:
    ada = api.as_new_user("ada")
    for index in range(4):
        api.as_new_user(f"user{index}")
    with api.kernel.connection():
        User.update(is_active=False).where(User.username == "user0").execute()
    page = ada.get("/api/users/", params={"page_size": "2", "page": "2"})
    assert page.status_code == 200
    assert page.json["count"] == 4
    assert [row["username"] for row in page.json["results"]] == ["user2", "user3"]
    assert "page=1" in page.json["previous"] and page.json["next"] is None
    assert_error(api.get("/api/users/"), 401)


def test_like_wildcards_in_the_search_are_literal(api: Api) -> None:
    ada = api.as_new_user("ada")
    api.as_new_user("per_cent", first_name="100%")
    for text, expected in (("%", ["per_cent"]), ("_", ["per_cent"]), ("a\\", []),
                           ("\\", []), ("'; --", [])):
        assert _names(ada.get("/api/users/", params={"q": text})) == expected, text
