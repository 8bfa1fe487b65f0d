"""Webhook test fixtures: an app with the plugin, loopback receivers, event helpers."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import synergy_webhooks.plugin as webhooks_plugin
from synergy_webhooks.models import Delivery, Webhook

from synergy.app import Kernel
from synergy.models import Event, Project, ProjectMember, User
from tests.conftest import Api
from tests.webhooks.receivers import Receiver

# Small timeouts and a fast ladder keep the suite quick; loopback receivers need the allow-list.
FAST = {
    "SYNERGY_WEBHOOKS_ALLOWED_NETWORKS": "127.0.0.0/8",
    "SYNERGY_WEBHOOKS_CONNECT_TIMEOUT": 1.0,
    "SYNERGY_WEBHOOKS_READ_TIMEOUT": 1.0,
    "SYNERGY_WEBHOOKS_RETRY_SCHEDULE": "0.05,0.05,0.05",
    "SYNERGY_WEBHOOKS_RETRY_JITTER": 0,
    "SYNERGY_WEBHOOKS_SWEEP_GRACE_SECONDS": 0,
}


@pytest.fixture
def make_hooks_app(make_app: Callable[..., Kernel]) -> Callable[..., Kernel]:
    def build(**overrides: Any) -> Kernel:
        return make_app(plugins=[webhooks_plugin], **{**FAST, **overrides})

    return build


@pytest.fixture
def kernel(make_hooks_app: Callable[..., Kernel]) -> Kernel:
    return make_hooks_app()


@pytest.fixture
def api(kernel: Kernel) -> Api:
    return Api(kernel)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    yield server
    server.close()


def create_webhook(client: Api, url: str, events: list[str] | None = None,
                   **fields: Any) -> dict[str, Any]:
    body = {"name": "hook", "url": url, "events": events or ["*"], **fields}
    result = client.post("/api/webhooks/", body)
    assert result.status_code == 201, result.text
    return result.json


def user_id(client: Api) -> int:
    assert client.user is not None
    return int(client.user["id"])


def emit(kernel: Kernel, type: str, payload: dict[str, Any], *, actor: int | None = None,
         project: int | None = None) -> int:
    """Record an event as domain code does; it is dispatched (inline) after the commit."""
    with kernel.connection():
        with kernel.db.atomic():
            event = kernel.events.record(type, payload=payload, actor=actor, project=project)
        kernel.jobs.flush_after_commit()
    return int(event.id)


def make_project(kernel: Kernel, owner: int, members: tuple[int, ...] = (),
                 name: str = "Apollo") -> int:
    """A project with member rows and the events the domain records for them."""
    with kernel.connection():
        with kernel.db.atomic():
            owner_user = User.get_by_id(owner)
            project = Project.create(name=name, owner=owner)
            ProjectMember.create(project=project, user=owner, role="owner")
            kernel.events.record("project.created", actor=owner, project=project, payload={
                "project": {"id": project.id, "name": name,
                            "owner": {"id": owner, "username": owner_user.username}}})
        kernel.jobs.flush_after_commit()
    for member in members:
        add_member(kernel, project.id, member)
    return int(project.id)


def add_member(kernel: Kernel, project_id: int, member: int) -> None:
    with kernel.connection():
        with kernel.db.atomic():
            user = User.get_by_id(member)
            ProjectMember.create(project=project_id, user=member, role="member")
            kernel.events.record("member.added", project=project_id, payload={
                "project": {"id": project_id, "name": "Apollo"},
                "user": {"id": member, "username": user.username}, "role": "member"})
        kernel.jobs.flush_after_commit()


def remove_member(kernel: Kernel, project_id: int, member: int) -> None:
    with kernel.connection():
        with kernel.db.atomic():
            user = User.get_by_id(member)
            ProjectMember.delete().where(ProjectMember.project == project_id,
                                         ProjectMember.user == member).execute()
            kernel.events.record("member.removed", project=project_id, payload={
                "project": {"id": project_id, "name": "Apollo"},
                "user": {"id": member, "username": user.username}})
        kernel.jobs.flush_after_commit()


def task_event(kernel: Kernel, project_id: int, title: str = "Write docs",
               type: str = "task.created") -> int:
    return emit(kernel, type, {"task": {"id": 1, "title": title,
                                        "project": {"id": project_id, "name": "Apollo"},
                                        "assignees": []}}, project=project_id)


def deliveries(kernel: Kernel, webhook_id: str | None = None) -> list[Delivery]:
    with kernel.connection():
        query = Delivery.select().order_by(Delivery.created_at)
        if webhook_id is not None:
            query = query.where(Delivery.webhook == webhook_id)
        return list(query)


def webhook_row(kernel: Kernel, webhook_id: str) -> Webhook:
    with kernel.connection():
        return Webhook.get_by_id(webhook_id)


def run_sweep(kernel: Kernel, after: float = 0.0) -> None:
    """Let retry delays pass, then run the periodic sweep job (inline in immediate mode)."""
    if after:
        time.sleep(after)
    with kernel.connection():
        kernel.enqueue("webhooks.sweep")


def age_failures(kernel: Kernel, webhook_id: str, days: float) -> None:
    with kernel.connection():
        Webhook.update(failing_since=dt.datetime.now(dt.UTC).replace(tzinfo=None)
                       - dt.timedelta(days=days)).where(Webhook.id == webhook_id).execute()


def events_of(kernel: Kernel, type: str) -> list[Event]:
    with kernel.connection():
        return list(Event.select().where(Event.type == type))
