"""Chunked uploads (no Content-Length) through a real gunicorn: accepted, limit kept while
streaming.

Falcon's multipart parser used to assert a Content-Length, so every chunked
upload answered 500 and an oversized one never met the 413. The upload limit
here is 1 MB (``SYNERGY_MAX_UPLOAD_MB``); the default 50 MB behaves the same.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import falcon.testing
import pytest

from tests.kernel.conftest import chunked, raw_exchange, running_server, server_call, server_scene
from tests.projects.conftest import multipart

MB = 1024 * 1024


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    data = tmp_path_factory.mktemp("uploads") / "data"
    with running_server(data, SYNERGY_MAX_UPLOAD_MB="1") as port:
        yield {"port": port, "data": data, **server_scene(port, "Uploads", "Attach here")}


def _chunked_upload(served: dict[str, Any], body: bytes, content_type: str,
                    chunk_size: int = 7919) -> Any:
    head = (f"POST /api/tasks/{served['task']}/upload_attachment/ HTTP/1.1\r\n"
            f"Host: 127.0.0.1\r\nAuthorization: Bearer {served['token']}\r\n"
            f"Content-Type: {content_type}\r\nTransfer-Encoding: chunked\r\n\r\n").encode()
    return raw_exchange(served["port"], head, chunked(body, chunk_size))


def _attachment_count(served: dict[str, Any]) -> int:
    status, answer = server_call(served["port"], "GET",
                           f"/api/tasks/{served['task']}/attachments/", token=served["token"])
    assert status == 200
    return json.loads(answer)["count"]


def _temporary_files(data: Path) -> list[Path]:
    return list((data / "uploads").glob(".upload-*"))


@pytest.mark.slow
def test_a_chunked_upload_is_accepted_and_stored_intact(served: dict[str, Any]) -> None:
    content = bytes(range(32, 127)) * 2000 + b"\n"
    body, content_type = multipart({"description": "sent chunked"},
                                   [("file", "chunked.txt", content)])
    response = _chunked_upload(served, body, content_type)
    assert response.status == 201, response.body
    assert response.body["size"] == len(content)
    assert response.body["description"] == "sent chunked"
    status, downloaded = server_call(served["port"], "GET",
                               f"/api/attachments/{response.body['id']}/download/",
                               token=served["token"])
    assert (status, downloaded) == (200, content)


@pytest.mark.slow
def test_a_chunked_upload_past_the_limit_is_a_413_while_streaming(
        served: dict[str, Any]) -> None:
    before = _attachment_count(served)
    body, content_type = multipart({}, [("file", "big.txt", b"a" * (MB + 100 * 1024))])
    response = _chunked_upload(served, body, content_type, chunk_size=65536)
    assert response.status == 413, response.body
    assert response.body["error"]["code"] == "payload_too_large"
    assert "file" in response.body["error"]["fields"]
    assert _attachment_count(served) == before
    assert _temporary_files(served["data"]) == []


@pytest.mark.slow
def test_a_chunked_form_past_the_body_limit_is_a_413(served: dict[str, Any]) -> None:
    """The whole body is bounded too, not only the file part: a huge text field is cut off."""
    before = _attachment_count(served)
    body, content_type = multipart({"description": "x" * (2 * MB)},
                                   [("file", "small.txt", b"small\n")])
    response = _chunked_upload(served, body, content_type, chunk_size=65536)
    assert response.status == 413, response.body
    assert response.body["error"]["code"] == "payload_too_large"
    assert _attachment_count(served) == before


def test_a_chunked_upload_to_a_server_that_does_not_dechunk_is_a_411(world: Any) -> None:
    """Without ``wsgi.input_terminated`` the end of a chunked body is unknowable: refuse it."""
    body, content_type = multipart({}, [("file", "a.txt", b"x")])
    environ = falcon.testing.create_environ(
        f"/api/tasks/{world.task['id']}/upload_attachment/", method="POST", body=body,
        headers={"Authorization": f"Bearer {world.member.token}",
                 "Content-Type": content_type, "Transfer-Encoding": "chunked"})
    del environ["CONTENT_LENGTH"]
    statuses: list[str] = []
    answer = b"".join(world.kernel(environ, lambda line, headers, exc_info=None:
                                   statuses.append(line)))
    assert statuses[0].startswith("411"), answer
    assert json.loads(answer)["error"]["code"] == "length_required"
