"""Broken request framing through a real gunicorn: every body read error is a 4xx, never a 500.

Raw sockets send what ``http.client`` never would: bad chunk sizes, missing
chunk terminators, bodies cut short (half-closed connections) and bodies
shorter than their Content-Length, to a JSON endpoint and to the multipart
upload. Each answer must be a 400 in the error shape, and the server must
keep serving afterwards.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import falcon.testing
import pytest

from tests.kernel.conftest import raw_exchange, running_server, server_call, server_scene


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    data = tmp_path_factory.mktemp("framing") / "data"
    with running_server(data, SYNERGY_MAX_JSON_KB="4", SYNERGY_MAX_UPLOAD_MB="1") as port:
        yield {"port": port, **server_scene(port, "Framing", "Upload here")}


def _head(path: str, token: str, content_type: str, framing: str) -> bytes:
    return (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n"
            f"Content-Type: {content_type}\r\n{framing}\r\n\r\n").encode()


CHUNKED = "Transfer-Encoding: chunked"
# label, framing header, parts, half-close after sending
CASES: list[tuple[str, str, list[bytes], bool]] = [
    ("invalid chunk size", CHUNKED, [b"zz\r\n{}\r\n0\r\n\r\n"], False),
    ("negative chunk size", CHUNKED, [b"-2\r\n{}\r\n0\r\n\r\n"], False),
    ("chunk size with junk", CHUNKED, [b"2 x y\r\n{}\r\n0\r\n\r\n"], False),
    ("missing chunk terminator", CHUNKED, [b"2\r\n{}XX0\r\n\r\n"], False),
    ("chunk cut short", CHUNKED, [b"40\r\n{\"name\": "], True),
    ("no last chunk", CHUNKED, [b"2\r\n{}\r\n"], True),
    ("endless chunk size", CHUNKED, [b"f" * 40 + b"\r\n{}"], True),
    ("shorter than Content-Length", "Content-Length: 100", [b'{"name": "x"'], True),
]


@pytest.mark.slow
@pytest.mark.parametrize(("label", "framing", "parts", "close_write"), CASES,
                         ids=[case[0] for case in CASES])
@pytest.mark.parametrize("target", ["json", "multipart"])
def test_broken_framing_is_a_400(served: dict[str, Any], target: str, label: str,
                                 framing: str, parts: list[bytes], close_write: bool) -> None:
    if target == "json":
        head = _head("/api/projects/", served["token"], "application/json", framing)
    else:
        head = _head(f"/api/tasks/{served['task']}/upload_attachment/", served["token"],
                     "multipart/form-data; boundary=b", framing)
    response = raw_exchange(served["port"], head, parts, close_write=close_write)
    assert response.status == 400, response.body
    error = response.body["error"]
    assert error["status"] == 400 and error["message"] and isinstance(error["fields"], dict)
    assert error["request_id"] == response.headers["X-Request-ID"]
    if framing == CHUNKED:
        assert error["code"] == "malformed_body", error


@pytest.mark.slow
def test_the_server_keeps_serving_and_nothing_was_written(served: dict[str, Any]) -> None:
    for _, framing, parts, close_write in CASES:
        raw_exchange(served["port"], _head("/api/projects/", served["token"],
                                           "application/json", framing),
                     parts, close_write=close_write)
    status, projects = server_call(served["port"], "GET", "/api/projects/",
                                   token=served["token"])
    assert status == 200
    assert [project["name"] for project in json.loads(projects)["results"]] == ["Framing"]
    status, attachments = server_call(served["port"], "GET",
                                      f"/api/tasks/{served['task']}/attachments/",
                                      token=served["token"])
    assert (status, json.loads(attachments)["count"]) == (200, 0)


class _FailingInput:
    """A server input stream that fails the way a socket or a server's parser does."""

    def __init__(self, error: Exception) -> None:
        self.error = error

    def read(self, *args: Any) -> bytes:
        raise self.error

    readline = read


@pytest.mark.parametrize(("error", "status", "code"), [
    (TimeoutError("timed out"), 408, "request_timeout"),
    (ConnectionResetError(104, "Connection reset by peer"), 400, "malformed_body"),
    (ValueError("Invalid chunk size"), 400, "malformed_body"),
    (OSError(), 400, "malformed_body"),
])
def test_any_read_error_of_the_input_stream_is_a_4xx(make_app: Any, error: Exception,
                                                     status: int, code: str) -> None:
    """Whatever a WSGI server's stream raises, not only gunicorn's parse errors."""
    kernel = make_app()
    environ = falcon.testing.create_environ(
        "/api/auth/login/", method="POST", headers={"Content-Type": "application/json"})
    environ["CONTENT_LENGTH"] = "40"
    environ["wsgi.input"] = _FailingInput(error)
    statuses: list[str] = []
    body = b"".join(kernel(environ, lambda line, headers, exc_info=None: statuses.append(line)))
    assert statuses[0].startswith(str(status)), body
    assert json.loads(body)["error"]["code"] == code
