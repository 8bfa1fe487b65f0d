"""``/api/``, the URL the README sends a newcomer to, answers with where to go next."""

from __future__ import annotations

from pathlib import Path

from synergy import __version__
from tests.conftest import Api


def test_the_api_root_is_a_public_index_whose_links_work(api: Api) -> None:
    for path in ("/api/", "/api"):
        index = api.get(path)
        assert index.status_code == 200, index.text
        assert index.json["name"] == "SynergyOS" and index.json["version"] == __version__
    links = api.get("/api/").json["links"]
    assert set(links) >= {"openapi", "docs", "health"}
    for name, link in links.items():
        answer = api.request("POST" if name == "login" else "GET", link, json={})
        assert answer.status_code in (200, 400, 401), (name, link, answer.status_code)
    assert api.get(links["openapi"]).json["openapi"].startswith("3.")
    assert api.get(links["health"]).json["status"] == "ok"


def test_the_docs_link_serves_the_readme_of_this_installation(api: Api) -> None:
    docs = api.get("/api/docs/")
    assert docs.status_code == 200
    assert docs.headers["content-type"].startswith("text/markdown")
    assert docs.text.startswith("# SynergyOS")


def test_the_index_and_docs_are_in_the_openapi_document(api: Api) -> None:
    paths = api.get("/api/openapi.json").json["paths"]
    assert paths["/api/"]["get"]["security"] == []
    assert "/api/docs/" in paths


def test_the_index_answers_while_the_database_is_gone(make_app, tmp_path: Path) -> None:
    database = tmp_path / "vanishing.db"
    kernel = make_app(SYNERGY_DATABASE_URL=f"sqlite:///{database}")
    for leftover in tmp_path.glob("vanishing.db*"):
        leftover.unlink()
    database.mkdir()  # the path can no longer be opened as a database
    kernel.db.close_all()
    api = Api(kernel)
    assert api.get("/api/auth/health/").status_code == 503
    assert api.get("/api/").status_code == 200
    assert api.get("/api/docs/").status_code == 200
