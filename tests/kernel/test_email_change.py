"""Changing the e-mail needs the password and a link sent to the new address (issue #10 row 8).

Mail goes through the kernel outbox to a real SMTP server on loopback.
"""

from __future__ import annotations

import datetime as dt
import email
import re
from collections.abc import Callable
from typing import Any

from synergy.app import Kernel
from synergy.models import EmailChangeRequest, Event, OutgoingMail, User
from tests.conftest import PASSWORD, Api, assert_error
from tests.kernel.conftest import SmtpServer

CHANGE = "/api/auth/email-change/"
CONFIRM = "/api/auth/email-change-confirm/"


def _mails(server: SmtpServer) -> list[tuple[list[str], str, str]]:
    """(recipients, subject, body) of every message the SMTP server received."""
    found = []
    for envelope in server.handler.messages:
        message = email.message_from_bytes(envelope.content)
        found.append((envelope.rcpt_tos, message["Subject"],
                      message.get_payload(decode=True).decode()))
    return found


def _token(body: str) -> str:
    return re.search(r"/confirm-email/([A-Za-z0-9_-]{20,})", body).group(1)


def _setup(make_app: Callable[..., Kernel], smtp_server: Callable[..., SmtpServer]
           ) -> tuple[Kernel, SmtpServer, Api]:
    server = smtp_server()
    kernel = make_app(SYNERGY_SMTP_URL=server.url,
                      SYNERGY_PUBLIC_URL="https://pm.example.org")
    return kernel, server, Api(kernel).as_new_user("ada", first_name="Ada")


def _email_of(kernel: Kernel, username: str = "ada") -> str:
    with kernel.connection():
        return User.get(User.username == username).email


def test_change_needs_the_password_and_applies_only_on_confirmation(
        make_app: Callable[..., Kernel], smtp_server: Callable[..., Any]) -> None:
    kernel, server, ada = _setup(make_app, smtp_server)
    assert_error(ada.post(CHANGE, {"new_email": "new@example.org"}), 400, "validation_error",
                 "password")
    assert_error(ada.post(CHANGE, {"new_email": "new@example.org", "password": "Wrong-1234"}),
                 400, "validation_error", "password")
    assert_error(Api(kernel).post(CHANGE, {"new_email": "new@example.org",
                                           "password": PASSWORD}), 401)
    assert server.handler.messages == []

    asked = ada.post(CHANGE, {"new_email": "Ada.New@Example.org", "password": PASSWORD})
    assert asked.status_code == 202, asked.text
    assert _email_of(kernel) == "ada@example.com"  # nothing changes before the link is used
    confirmation, notice = sorted(_mails(server), key=lambda mail: mail[0] != [
        "ada.new@example.org"])
    assert confirmation[0] == ["ada.new@example.org"]
    token = _token(confirmation[2])
    assert "https://pm.example.org/confirm-email/" in confirmation[2]
    # The old address is told, without the token and without the whole new address.
    assert notice[0] == ["ada@example.com"] and "change your password" in notice[2]
    assert token not in notice[2] and "ada.new@example.org" not in notice[2]
    assert "ad*****@example.org" in notice[2]
    with kernel.connection():  # delivered: the token no longer sits in the outbox
        assert not OutgoingMail.select().where(OutgoingMail.text.contains(token)).exists()

    confirmed = Api(kernel).post(CONFIRM, {"token": token})
    assert confirmed.status_code == 200, confirmed.text
    assert _email_of(kernel) == "ada.new@example.org"
    assert ada.get("/api/auth/user/").json["email"] == "ada.new@example.org"
    assert Api(kernel).post("/api/auth/login/", {"username": "ada.new@example.org",
                                                 "password": PASSWORD}).status_code == 200
    # Single use.
    assert_error(Api(kernel).post(CONFIRM, {"token": token}), 400, "validation_error", "token")
    with kernel.connection():
        types = [event.type for event in Event.select().order_by(Event.id)]
    assert types[-3:-1] == ["auth.email_change_requested", "auth.email_changed"]


def test_links_expire_and_a_newer_request_supersedes_older_ones(
        make_app: Callable[..., Kernel], smtp_server: Callable[..., Any]) -> None:
    kernel, server, ada = _setup(make_app, smtp_server)
    for address in ("first@example.org", "second@example.org"):
        assert ada.post(CHANGE, {"new_email": address, "password": PASSWORD}).status_code == 202
    tokens = {rcpt[0]: _token(body) for rcpt, _, body in _mails(server)
              if rcpt[0] != "ada@example.com"}
    assert_error(Api(kernel).post(CONFIRM, {"token": tokens["first@example.org"]}), 400,
                 "validation_error", "token")
    with kernel.connection():
        EmailChangeRequest.update(expires_at=dt.datetime(2020, 1, 1)).execute()
    assert_error(Api(kernel).post(CONFIRM, {"token": tokens["second@example.org"]}), 400,
                 "validation_error", "token")
    assert_error(Api(kernel).post(CONFIRM, {"token": "x" * 43}), 400, "validation_error",
                 "token")
    assert _email_of(kernel) == "ada@example.com"


def test_a_taken_address_is_refused_at_request_and_at_confirmation(
        make_app: Callable[..., Kernel], smtp_server: Callable[..., Any]) -> None:
    kernel, server, ada = _setup(make_app, smtp_server)
    Api(kernel).as_new_user("grace")
    assert_error(ada.post(CHANGE, {"new_email": "GRACE@example.com", "password": PASSWORD}),
                 409, "conflict", "email")
    assert_error(ada.post(CHANGE, {"new_email": "ada@example.com", "password": PASSWORD}),
                 400, "validation_error", "new_email")
    assert ada.post(CHANGE, {"new_email": "free@example.org",
                             "password": PASSWORD}).status_code == 202
    [token] = [_token(body) for rcpt, _, body in _mails(server)
               if rcpt == ["free@example.org"]]
    Api(kernel).post("/api/auth/register/", {"username": "quick", "email": "free@example.org",
                                             "password": PASSWORD})
    assert_error(Api(kernel).post(CONFIRM, {"token": token}), 409, "conflict")
    assert _email_of(kernel) == "ada@example.com"


def test_an_access_token_alone_cannot_change_the_email(
        make_app: Callable[..., Kernel], smtp_server: Callable[..., Any]) -> None:
    kernel, server, ada = _setup(make_app, smtp_server)
    for method in ("patch", "put"):
        refused = getattr(ada, method)("/api/auth/user/update/", {
            "username": "ada", "email": "thief@example.org", "first_name": "Ada",
            "last_name": ""})
        assert_error(refused, 400, "validation_error", "email")
        assert "/api/auth/email-change/" in refused.json["error"]["message"]
    assert _email_of(kernel) == "ada@example.com"
    assert server.handler.messages == []
