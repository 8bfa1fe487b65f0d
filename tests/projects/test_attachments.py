"""Uploads: real multipart bodies, type by content, size enforced while streaming, downloads."""

from __future__ import annotations

import gzip
import io
import struct
import tarfile
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import falcon.testing

from synergy.app import Kernel
from synergy.models import Attachment
from tests.conftest import Api, assert_error
from tests.projects.conftest import World, multipart, new_task, upload


def _png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(
            ">I", zlib.crc32(kind + data))
    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00")) + chunk(b"IEND", b""))


def _zip(names: list[str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in names:
            archive.writestr(name, "<xml/>")
    return buffer.getvalue()


def _tar() -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        data = b"inside the tar"
        info = tarfile.TarInfo("readme.txt")
        info.size = len(data)
        archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def _ole2(stream_name: str) -> bytes:
    """An OLE2 compound file header followed by a directory entry naming the main stream."""
    header = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504
    entry = (stream_name.encode("utf-16-le") + b"\x00\x00").ljust(64, b"\x00") + b"\x00" * 64
    return header + b"\x00" * 512 + entry


ALLOWED: list[tuple[str, bytes, str, str]] = [
    ("photo.jpg", b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 64, "image/jpeg", "image"),
    ("pixel.png", _png(), "image/png", "image"),
    ("anim.gif", b"GIF89a\x01\x00\x01\x00\x00\x00\x00;", "image/gif", "image"),
    ("pic.webp", b"RIFF\x1a\x00\x00\x00WEBPVP8 " + b"\x00" * 16, "image/webp", "image"),
    ("spec.pdf", b"%PDF-1.7\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n", "application/pdf",
     "document"),
    ("notes.txt", "Grüße, plain text ✓\n".encode(), "text/plain; charset=utf-8", "document"),
    ("table.csv", b"id,name\n1,ada\n", "text/csv; charset=utf-8", "document"),
    ("letter.doc", _ole2("WordDocument"), "application/msword", "document"),
    ("sheet.xls", _ole2("Workbook"), "application/vnd.ms-excel", "document"),
    ("deck.ppt", _ole2("PowerPoint Document"), "application/vnd.ms-powerpoint", "document"),
    ("letter.docx", _zip(["[Content_Types].xml", "word/document.xml"]),
     "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "document"),
    ("sheet.xlsx", _zip(["[Content_Types].xml", "xl/workbook.xml"]),
     "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "document"),
    ("deck.pptx", _zip(["[Content_Types].xml", "ppt/presentation.xml"]),
     "application/vnd.openxmlformats-officedocument.presentationml.presentation", "document"),
    ("bundle.zip", _zip(["a.txt", "b.txt"]), "application/zip", "archive"),
    ("bundle.tar", _tar(), "application/x-tar", "archive"),
    ("notes.txt.gz", gzip.compress(b"compressed"), "application/gzip", "archive"),
]

SVG = b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>'
HTML = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"
REFUSED: list[tuple[str, bytes]] = [
    ("drawing.svg", SVG),
    ("image.png", SVG),  # a lying extension changes nothing
    ("page.html", HTML),
    ("notes.txt", b"hello <script>alert(1)</script>"),
    ("setup.exe", b"MZ\x90\x00" + b"\x00" * 60),
    ("tool", b"\x7fELF\x02\x01\x01" + b"\x00" * 57),
    ("run.sh", b"#!/bin/sh\nrm -rf /\n"),
    ("blob.bin", bytes(range(256)) * 4),
    ("broken.zip", b"PK\x03\x04 this is not really a zip"),
    ("latin1.txt", "caf\xe9".encode("latin-1")),
]


def test_allowed_types_are_stored_and_served(world: World) -> None:
    for filename, content, content_type, category in ALLOWED:
        result = upload(world.member, world.task["id"], filename, content,
                        description="<p>v1</p>")
        assert result.status_code == 201, (filename, result.text)
        body = result.json
        assert (body["original_name"], body["content_type"], body["file_type"],
                body["size"]) == (filename, content_type, category, len(content))
        assert body["uploaded_by"]["username"] == "mike" and body["description"] == "<p>v1</p>"
        download = world.assignee.get(body["download_url"])
        assert download.status_code == 200
        assert download.content == content
        assert download.headers["content-type"] == content_type
    _assert_no_files_left(world.kernel, expected=len(ALLOWED))


def test_dangerous_or_unknown_types_are_refused(world: World) -> None:
    for filename, content in REFUSED:
        assert_error(upload(world.member, world.task["id"], filename, content), 415,
                     "file_type_not_allowed", "file")
    _assert_no_files_left(world.kernel, expected=0)
    assert world.owner.get(f"/api/tasks/{world.task['id']}/").json["attachment_count"] == 0


def test_svg_and_html_only_when_configured(make_app: Callable[..., Kernel]) -> None:
    kernel = make_app(synergy_allowed_upload_types="png,svg,html")
    owner = Api(kernel).as_new_user("olivia")
    project = owner.post("/api/projects/", {"name": "Drawings"}).json
    task = new_task(owner, project["id"])
    assert upload(owner, task["id"], "d.svg", SVG).json["content_type"] == "image/svg+xml"
    page = upload(owner, task["id"], "p.html", HTML).json
    download = owner.get(page["download_url"])
    assert download.headers["content-disposition"].startswith("attachment;")
    assert download.headers["content-security-policy"] == "default-src 'none'; sandbox"
    assert_error(upload(owner, task["id"], "a.pdf", b"%PDF-1.4\n"), 415)


def test_download_headers_and_sanitised_name(world: World) -> None:
    result = upload(world.member, world.task["id"], "../../etc/Prüfbericht \"Q1\".png", _png())
    assert result.status_code == 201, result.text
    assert result.json["original_name"] == 'Prüfbericht "Q1".png'
    download = world.owner.get(result.json["download_url"])
    assert download.headers["x-content-type-options"] == "nosniff"
    assert download.headers["content-type"] == "image/png"
    assert download.headers["content-length"] == str(len(_png()))
    assert download.headers["content-disposition"] == (
        "attachment; filename=\"Pr_fbericht _Q1_.png\"; "
        "filename*=UTF-8''Pr%C3%BCfbericht%20%22Q1%22.png")
    with world.kernel.connection():
        stored = Attachment.get_by_id(result.json["id"]).storage_name
    assert len(stored) == 32 and all(ch in "0123456789abcdef" for ch in stored)
    assert (world.kernel.settings.data_path / "uploads" / stored).read_bytes() == _png()


def _uploads(kernel: Kernel) -> list[Path]:
    return sorted((kernel.settings.data_path / "uploads").glob("*"))


def _assert_no_files_left(kernel: Kernel, expected: int) -> None:
    """No temporary files linger; exactly ``expected`` stored files exist."""
    files = _uploads(kernel) if (kernel.settings.data_path / "uploads").exists() else []
    assert not [path for path in files if path.name.startswith(".upload-")]
    assert len(files) == expected


class CountingStream:
    """A request body that never ends and counts what the server reads from it."""

    def __init__(self) -> None:
        self.read_bytes = 0
        self.sent_head = False

    def read(self, size: int = -1) -> bytes:
        if not self.sent_head:
            self.sent_head = True
            head = (b"--b\r\nContent-Disposition: form-data; name=\"file\"; "
                    b"filename=\"big.txt\"\r\n\r\n")
            self.read_bytes += len(head)
            return head
        size = 65536 if size is None or size < 0 else min(size, 65536)
        self.read_bytes += size
        return b"a" * size

    def readline(self, size: int = -1) -> bytes:
        return self.read(size)


def _raw_upload(world: World, stream: CountingStream, declared_length: int) -> tuple[str, Any]:
    environ = falcon.testing.create_environ(
        f"/api/tasks/{world.task['id']}/upload_attachment/", method="POST",
        headers={"Authorization": f"Bearer {world.member.token}",
                 "Content-Type": "multipart/form-data; boundary=b"})
    environ["wsgi.input"] = stream
    environ["CONTENT_LENGTH"] = str(declared_length)
    status: list[str] = []
    body = b"".join(world.kernel(environ, lambda s, headers, exc_info=None: status.append(s)))
    import orjson

    return status[0], orjson.loads(body)


def test_declared_oversize_is_refused_before_reading(world: World) -> None:
    stream = CountingStream()
    status, body = _raw_upload(world, stream, 100 * 1024 * 1024)
    assert status.startswith("413") and body["error"]["code"] == "payload_too_large"
    assert stream.read_bytes == 0


def test_oversize_is_refused_while_streaming(world: World) -> None:
    """Content-Length lies within the slack; the stream is cut at the limit, not read to end."""
    limit = 1024 * 1024
    stream = CountingStream()
    status, body = _raw_upload(world, stream, limit + 60 * 1024)
    assert status.startswith("413"), body
    assert body["error"]["fields"]["file"]
    assert stream.read_bytes <= limit + 2 * 65536 + 1024
    _assert_no_files_left(world.kernel, expected=0)


def test_just_under_the_limit_is_accepted(world: World) -> None:
    content = b"a" * (1024 * 1024)
    assert upload(world.member, world.task["id"], "full.txt", content).status_code == 201
    assert_error(upload(world.member, world.task["id"], "over.txt", content + b"a"), 413,
                 "payload_too_large", "file")
    _assert_no_files_left(world.kernel, expected=1)


def test_bad_forms(world: World) -> None:
    path = f"/api/tasks/{world.task['id']}/upload_attachment/"
    body, content_type = multipart({"description": "no file"}, [])
    assert_error(world.member.post(path, body=body, headers={"Content-Type": content_type}),
                 400, "validation_error", "file")
    body, content_type = multipart({"colour": "red"}, [("file", "a.txt", b"x")])
    assert_error(world.member.post(path, body=body, headers={"Content-Type": content_type}),
                 400, "validation_error", "colour")
    body, content_type = multipart({"is_proof_of_completion": "perhaps"},
                                   [("file", "a.txt", b"x")])
    assert_error(world.member.post(path, body=body, headers={"Content-Type": content_type}),
                 400, "validation_error", "is_proof_of_completion")
    body, content_type = multipart({}, [("file", "a.txt", b"x"), ("file", "b.txt", b"y")])
    assert_error(world.member.post(path, body=body, headers={"Content-Type": content_type}),
                 400, "validation_error", "file")
    assert_error(upload(world.member, world.task["id"], "empty.txt", b""), 400,
                 "validation_error", "file")
    assert_error(world.member.post(path, {"file": "x"}), 415)
    garbage = world.member.post(path, body=b"garbage",
                                headers={"Content-Type": "multipart/form-data; boundary=zz"})
    assert garbage.status_code == 400 and garbage.json["error"]["status"] == 400
    _assert_no_files_left(world.kernel, expected=0)
    assert world.owner.get(f"/api/tasks/{world.task['id']}/").json["attachment_count"] == 0


def test_proof_of_completion_by_an_assignee_moves_the_task_to_review(world: World) -> None:
    task_path = f"/api/tasks/{world.task['id']}/"
    by_member = upload(world.member, world.task["id"], is_proof_of_completion="true")
    assert by_member.json["is_proof_of_completion"] is True
    assert world.owner.get(task_path).json["status"] == "todo"
    by_assignee = upload(world.assignee, world.task["id"], is_proof_of_completion="true")
    assert by_assignee.status_code == 201, by_assignee.text
    assert world.owner.get(task_path).json["status"] == "review"
    feed = world.owner.get(f"/api/projects/{world.project['id']}/activities/").json["results"]
    assert [row["type"] for row in feed[:2]] == ["task.updated", "attachment.created"]
    assert feed[0]["payload"]["changes"] == {"status": {"old": "todo", "new": "review"}}
    assert "proof of completion" in feed[1]["description"]
    world.owner.patch(task_path, {"status": "done"})
    upload(world.assignee, world.task["id"], is_proof_of_completion="true")
    assert world.owner.get(task_path).json["status"] == "done"


def test_deleting_removes_files(world: World) -> None:
    first = upload(world.member, world.task["id"]).json
    upload(world.member, world.task["id"], "b.txt", b"second")
    other_task = new_task(world.owner, world.project["id"])
    upload(world.owner, other_task["id"], "c.txt", b"third")
    _assert_no_files_left(world.kernel, expected=3)
    assert world.member.delete(f"/api/attachments/{first['id']}/").status_code == 204
    _assert_no_files_left(world.kernel, expected=2)
    assert_error(world.member.get(first["download_url"]), 404)
    assert world.owner.delete(f"/api/tasks/{world.task['id']}/").status_code == 204
    _assert_no_files_left(world.kernel, expected=1)
    assert world.owner.delete(f"/api/projects/{world.project['id']}/").status_code == 204
    _assert_no_files_left(world.kernel, expected=0)


def test_attachment_list_newest_first(world: World) -> None:
    names = ["one.txt", "two.txt", "three.txt"]
    for name in names:
        upload(world.member, world.task["id"], name)
    listed = world.assignee.get(f"/api/tasks/{world.task['id']}/attachments/").json
    assert [row["original_name"] for row in listed["results"]] == names[::-1]
    assert world.owner.get(f"/api/tasks/{world.task['id']}/").json["attachment_count"] == 3
