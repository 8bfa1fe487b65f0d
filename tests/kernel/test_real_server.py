"""The HTTP conventions through a real gunicorn (``synergy serve``), not a simulated request."""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import PASSWORD
from tests.kernel.conftest import running_server


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    data = tmp_path_factory.mktemp("served") / "data"
    with running_server(data, SYNERGY_MAX_JSON_KB="4", SYNERGY_SECURITY_RATE_LIMITS="true") as port:
        yield port


def _chunked_post(port: int, path: str, chunks: list[bytes]) -> tuple[int, Any, dict]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.putrequest("POST", path)
    connection.putheader("Content-Type", "application/json")
    connection.putheader("Transfer-Encoding", "chunked")
    connection.endheaders()
    for chunk in chunks:
        connection.send(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
    connection.send(b"0\r\n\r\n")
    response = connection.getresponse()
    return response.status, response.headers, json.loads(response.read())


@pytest.mark.slow
def test_chunked_bodies_through_gunicorn(server: int) -> None:
    body = json.dumps({"username": "ada", "email": "ada@example.com",
                       "password": PASSWORD}).encode()
    status, headers, answer = _chunked_post(server, "/api/auth/register/",
                                            [body[:10], body[10:30], body[30:]])
    assert status == 201, answer
    assert answer["user"]["username"] == "ada"
    assert len(headers["X-Request-ID"]) == 32

    status, headers, answer = _chunked_post(server, "/api/auth/login/", [b"x" * 1024] * 8)
    assert status == 413
    assert answer["error"]["code"] == "payload_too_large"
    assert answer["error"]["request_id"] == headers["X-Request-ID"]


@pytest.mark.slow
def test_a_content_length_body_over_the_limit_is_refused_unread(server: int) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", server, timeout=10)
    connection.request("POST", "/api/auth/login/", body=b"{" + b" " * 9000 + b"}",
                       headers={"Content-Type": "application/json", "X-Request-ID": "big-1"})
    response = connection.getresponse()
    answer = json.loads(response.read())
    assert response.status == 413
    assert answer["error"]["request_id"] == "big-1"
