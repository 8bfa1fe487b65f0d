from tests.conftest import PASSWORD, Api, assert_error


def test_register_login_and_me(api: Api) -> None:
    ada = api.as_new_user("ada")
    me = ada.get("/api/auth/user/")
    assert me.status_code == 200, me.text
    assert me.json["username"] == "ada"
    login = api.post("/api/auth/login/", {"username": "ADA@example.com", "password": PASSWORD})
    assert login.status_code == 200, login.text
    assert set(login.json) == {"access", "refresh", "user"}


def test_unknown_route_has_error_shape(api: Api) -> None:
    assert_error(api.get("/api/nope/"), 404, "not_found")


def test_health(api: Api) -> None:
    result = api.get("/api/auth/health/")
    assert result.status_code == 200
    assert result.json["services"] == {"database": "ok", "queue": "ok"}
