"""Both plugins declare themselves through the public hooks: routes, events, jobs, settings."""

from __future__ import annotations

from tests.conftest import Api


def test_openapi_and_introspection_describe_both_plugins(kernel) -> None:
    client = Api(kernel).as_new_user("ada")
    document = Api(kernel).get("/api/openapi.json")
    assert document.status_code == 200, document.text
    paths = document.json["paths"]
    for path in ("/api/messages/", "/api/messages/{message_id}/", "/api/messages/unread/",
                 "/api/notifications/", "/api/notifications/preferences/",
                 "/api/notifications/{notification_id}/read/"):
        assert path in paths, sorted(paths)
    plugins = {p["name"]: p for p in client.get("/api/plugins/").json["plugins"]}
    assert {"messaging", "notifications"} <= set(plugins)
    catalogue = kernel.events.catalogue
    for name in ("message.created", "message.updated", "message.deleted"):
        assert catalogue[name][0] == "messaging" and catalogue[name][1].example
    assert kernel.settings.notifications_retention_days == 90
    assert kernel.settings.notifications_deadline_hours == 24
