"""Every failed authorisation on every route is logged as ``permission_denied``."""

from __future__ import annotations

import re
from collections.abc import Callable

from synergy.app import Kernel
from synergy.models import Comment, Project, ProjectMember, Task, User
from tests.conftest import Api
from tests.security import probe_plugin
from tests.security.conftest import security_events

_PARAM = re.compile(r"\{(\w+)[^}]*\}")
MISSING_ID = "999999"


def test_sweep_records_every_denial_and_no_genuine_not_found(
        make_secure_app: Callable[..., Kernel]) -> None:
    kernel = make_secure_app(probe_plugin)
    api = Api(kernel)
    owner = api.as_new_user("ada")
    member = api.as_new_user("bob")
    outsider = api.as_new_user("mallory")
    with kernel.connection():
        project = Project.create(name="Secret plans", owner=owner.user["id"])
        ProjectMember.create(project=project, user=User.get_by_id(owner.user["id"]),
                             role="owner")
        ProjectMember.create(project=project, user=User.get_by_id(member.user["id"]),
                             role="member")
        task = Task.create(project=project, title="Plan", created_by=owner.user["id"])
        comment = Comment.create(task=task, author=owner.user["id"], content="Mine")
    ids = {"project_id": project.id, "task_id": task.id, "comment_id": comment.id}
    answers = []
    for client in (member, outsider):
        for route in kernel.routes.routes:
            path = _PARAM.sub(lambda m: str(ids.get(m.group(1), MISSING_ID)), route.path)
            for method in route.methods:
                if path == "/api/auth/logout":
                    continue
                result = client.request(method, path, json={} if method in (
                    "POST", "PUT", "PATCH") else None)
                assert result.status_code < 500, (method, path, result.text)
                answers.append((client.user["username"], method, path, result.status_code))
    refused = {answer for answer in answers if answer[3] == 403}
    logged = {(event.username, event.metadata["method"], event.metadata["path"],
               event.metadata["status"]) for event in security_events(kernel, "permission_denied")}
    assert refused and refused <= logged
    # Everything else logged is a 404 that a permission refusal produced.
    hidden = logged - refused
    assert all(status == 404 for _, _, _, status in hidden)
    assert hidden <= {answer for answer in answers if answer[3] == 404}
    probe = f"/api/probe/projects/{project.id}"
    assert {("mallory", "GET", probe, 404), ("mallory", "PATCH", probe, 404),
            ("bob", "PATCH", probe, 403)} <= logged
    # At least summary and unlock for both users, and the member's rename.
    assert len(refused) >= 5
    if any(re.fullmatch(r"/api/projects/\{[^}]*\}", route.path)
           for route in kernel.routes.routes):
        assert ("mallory", "GET", f"/api/projects/{project.id}", 404) in logged
    # A genuine "no such object" 404 is not a denial.
    genuine = ("mallory", "DELETE", f"/api/auth/sessions/{MISSING_ID}", 404)
    assert genuine in answers and genuine not in logged
