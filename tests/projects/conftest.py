"""Fixtures for the project API: an app and a cast of users around one project.

``world`` has an owner, a member, an assignee (also a member), an outsider
and a staff user who is not a member, with one project and one task assigned
to the assignee.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from synergy.app import Kernel
from tests.conftest import Api


@pytest.fixture
def project_app(make_app: Callable[..., Kernel]) -> Kernel:
    return make_app(synergy_max_upload_mb=1)


@pytest.fixture
def anonymous(project_app: Kernel) -> Api:
    return Api(project_app)


@dataclass
class World:
    kernel: Kernel
    owner: Api
    member: Api
    assignee: Api
    outsider: Api
    staff: Api
    project: dict[str, Any]
    task: dict[str, Any]

    def client(self, role: str) -> Api:
        return getattr(self, role)


def add_member(owner: Api, project_id: int, user: Api) -> None:
    result = owner.post(f"/api/projects/{project_id}/add_member/", {"user_id": user.user["id"]})
    assert result.status_code == 200, result.text


def new_project(owner: Api, **fields: Any) -> dict[str, Any]:
    result = owner.post("/api/projects/", {"name": "Website relaunch", **fields})
    assert result.status_code == 201, result.text
    return result.json


def new_task(client: Api, project_id: int, **fields: Any) -> dict[str, Any]:
    result = client.post("/api/tasks/", {"project": project_id, "title": "A task", **fields})
    assert result.status_code == 201, result.text
    return result.json


@pytest.fixture
def world(anonymous: Api) -> World:
    owner = anonymous.as_new_user("olivia", first_name="Olivia", last_name="Owner")
    member = anonymous.as_new_user("mike")
    assignee = anonymous.as_new_user("anna")
    outsider = anonymous.as_new_user("oscar")
    staff = anonymous.as_new_user("stella", staff=True)
    project = new_project(owner, description="<p>Main</p>")
    add_member(owner, project["id"], member)
    add_member(owner, project["id"], assignee)
    task = new_task(owner, project["id"], assignees=[assignee.user["id"]], impact=10)
    return World(anonymous.kernel, owner, member, assignee, outsider, staff, project, task)


def multipart(fields: dict[str, str], files: list[tuple[str, str, bytes]]) -> tuple[bytes, str]:
    """A real multipart/form-data body: ``files`` are (field name, file name, content)."""
    boundary = "----synergy-test-boundary-7d1f"
    chunks: list[bytes] = []
    for name, value in fields.items():
        chunks.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
                      .encode() + value.encode() + b"\r\n")
    for name, filename, content in files:
        chunks.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
                      f'filename="{filename}"\r\nContent-Type: application/octet-stream\r\n\r\n'
                      .encode() + content + b"\r\n")
    chunks.append(f"--{boundary}--\r\n".encode())
    return b"".join(chunks), f"multipart/form-data; boundary={boundary}"


def upload(client: Api, task_id: int, filename: str = "notes.txt",
           content: bytes = b"hello world\n", **fields: str) -> Any:
    body, content_type = multipart(fields, [("file", filename, content)])
    return client.post(f"/api/tasks/{task_id}/upload_attachment/", body=body,
                       headers={"Content-Type": content_type})
