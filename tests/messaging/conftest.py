"""Messaging-area fixtures: an app with both plugins, a team in a project, a real SMTP server."""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import pytest
import synergy_messaging.plugin
import synergy_notifications.plugin
from aiosmtpd.controller import Controller

from synergy.app import Kernel
from synergy.models import Event, Project, ProjectMember
from tests.conftest import Api

PLUGINS = [synergy_messaging.plugin, synergy_notifications.plugin]


@dataclass
class Mailbox:
    """What the loopback SMTP server received, parsed."""

    port: int = 0
    messages: list[EmailMessage] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 Message accepted for delivery"

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def to(self, address: str) -> list[EmailMessage]:
        return [message for message in self.messages if message["To"] == address]


def body_of(message: EmailMessage) -> str:
    """The text part with the wire's CRLF line ends turned back into newlines."""
    return message.get_content().replace("\r\n", "\n")


@pytest.fixture
def mailbox() -> Iterator[Mailbox]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    box = Mailbox(port=port)
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    yield box
    controller.stop()


@pytest.fixture
def kernel(make_app: Callable[..., Kernel], mailbox: Mailbox) -> Kernel:
    return make_app(plugins=PLUGINS, SYNERGY_SMTP_URL=mailbox.url)


@dataclass
class Team:
    """ada owns the project, grace and alan are members, eve is an outsider."""

    kernel: Kernel
    owner: Api
    member: Api
    second: Api
    outsider: Api
    project_id: int


def add_project(kernel: Kernel, owner: Api, *members: Api, name: str = "Website") -> int:
    """A project with memberships, made with the models (the projects API is not needed)."""
    with kernel.connection():
        project = Project.create(name=name, owner=owner.user["id"], status="active")
        ProjectMember.create(project=project, user=owner.user["id"], role="owner")
        for member in members:
            ProjectMember.create(project=project, user=member.user["id"], role="member")
    return project.id


@pytest.fixture
def team(kernel: Kernel) -> Team:
    api = Api(kernel)
    owner, member = api.as_new_user("ada"), api.as_new_user("grace")
    second, outsider = api.as_new_user("alan"), api.as_new_user("eve")
    return Team(kernel, owner, member, second, outsider,
                add_project(kernel, owner, member, second))


def emit(kernel: Kernel, type: str, payload: dict[str, Any], *, actor: int | None = None,
         project: int | None = None) -> int:
    """Record an event as a domain change would, commit, and let the queue dispatch it."""
    with kernel.connection():
        with kernel.db.atomic():
            event = kernel.events.record(type, payload=payload, actor=actor, project=project)
        kernel.jobs.flush_after_commit()
    return event.id


def redeliver(kernel: Kernel, event_id: int) -> None:
    """Deliver an already dispatched event again, as an at-least-once outbox may."""
    with kernel.connection():
        Event.update(dispatched_at=None, pending_subscribers=None).where(
            Event.id == event_id).execute()
        kernel.events.dispatch(event_id)


def events_of(kernel: Kernel, type: str) -> list[Event]:
    with kernel.connection():
        return list(Event.select().where(Event.type == type).order_by(Event.id))
