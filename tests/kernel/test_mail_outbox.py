"""Mail: a real SMTP server on loopback, the .eml outbox, retries with back-off and give-up."""

from __future__ import annotations

import datetime as dt
import email
import logging
import re
import threading

import pytest
from playhouse.migrate import SchemaMigrator

from synergy.errors import ConfigurationError
from synergy.mail import MAX_ATTEMPTS
from synergy.migrations import AppliedMigration
from synergy.models import OutgoingMail, utcnow
from tests.conftest import Api


def _mail(kernel) -> OutgoingMail:
    with kernel.connection():
        return OutgoingMail.get()


def _age_outbox(kernel) -> None:
    """Let time pass: messages leave the sweep's grace period and their back-off elapses."""
    with kernel.connection():
        for mail in OutgoingMail.select():
            OutgoingMail.update(created_at=mail.created_at - dt.timedelta(minutes=5),
                                next_attempt_at=mail.next_attempt_at
                                and utcnow() - dt.timedelta(seconds=1)) \
                .where(OutgoingMail.id == mail.id).execute()


def test_reset_mail_arrives_through_a_real_smtp_server(make_app, smtp_server) -> None:
    server = smtp_server()
    kernel = make_app(SYNERGY_SMTP_URL=server.url, SYNERGY_MAIL_FROM="PM <pm@example.org>")
    api = Api(kernel)
    api.as_new_user("ada")
    assert api.post("/api/auth/password-reset/", {"email": "ada@example.com"}).status_code == 200

    [envelope] = server.handler.messages
    assert envelope.rcpt_tos == ["ada@example.com"]
    assert envelope.mail_from == "pm@example.org"
    message = email.message_from_bytes(envelope.content)
    assert message["Subject"] == "Reset your SynergyOS password"
    body = message.get_payload(decode=True).decode()
    uid, token = re.search(r"/reset-password/(\d+)/([\w-]+)", body).groups()
    confirmed = api.post("/api/auth/password-reset-confirm/", {
        "uid": int(uid), "token": token, "new_password": "Brand-New-Secret-77"})
    assert confirmed.status_code == 200, confirmed.text
    sent = _mail(kernel)
    assert sent.sent_at is not None and sent.attempts == 1 and sent.last_error == ""
    assert not list(kernel.settings.outbox_path.glob("*.eml"))


def test_without_smtp_an_eml_file_lands_in_the_outbox(
        app, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="synergy.mail"), app.connection():
        app.mail.send(to="grace@example.com", subject="Weekly\r\nBcc: victim@example.com",
                      text="Plain body", html="<p>Rich body</p>")
    [path] = app.settings.outbox_path.glob("*.eml")
    message = email.message_from_bytes(path.read_bytes())
    assert message["To"] == "grace@example.com"
    assert message["Subject"] == "Weekly Bcc: victim@example.com"  # folded, not a header
    assert message["Bcc"] is None
    parts = {part.get_content_type(): part.get_payload(decode=True).decode()
             for part in message.walk() if not part.is_multipart()}
    assert parts["text/plain"].strip() == "Plain body"
    assert parts["text/html"].strip() == "<p>Rich body</p>"
    assert any(str(path) in record.getMessage() for record in caplog.records)
    assert _mail(app).sent_at is not None


@pytest.mark.parametrize("to", ["", "two@example.com, three@example.com",
                                "x@example.com\nBcc: y@example.com", "no-at-sign"])
def test_send_refuses_anything_but_one_address(app, to: str) -> None:
    with app.connection(), pytest.raises(ValueError, match="one e-mail address"):
        app.mail.send(to=to, subject="s", text="t")
    with app.connection():
        assert OutgoingMail.select().count() == 0


def test_a_mail_recorded_in_a_rolled_back_transaction_is_never_sent(app) -> None:
    with app.connection(), pytest.raises(RuntimeError):
        with app.db.atomic():
            app.mail.send(to="grace@example.com", subject="s", text="t")
            raise RuntimeError("change abandoned")
    with app.connection():
        assert OutgoingMail.select().count() == 0
    assert not list(app.settings.outbox_path.glob("*.eml"))


def test_a_failing_smtp_server_means_retries_with_back_off_then_giving_up(
        make_app, smtp_server) -> None:
    server = smtp_server(reply="451 4.3.0 Mailbox temporarily unavailable")
    kernel = make_app(SYNERGY_SMTP_URL=server.url)
    with kernel.connection():
        kernel.mail.send(to="ada@example.com", subject="Hello", text="Hi")
    first = _mail(kernel)
    assert first.sent_at is None and first.gave_up_at is None and first.attempts == 1
    assert "451" in first.last_error
    delays = [first.next_attempt_at - utcnow()]
    with kernel.connection():
        assert kernel.mail.sweep() == 0  # inside the grace period and backing off

    while _mail(kernel).gave_up_at is None:
        assert server.handler.attempts < MAX_ATTEMPTS + 1, "never gave up"
        _age_outbox(kernel)
        with kernel.connection():
            assert kernel.mail.sweep() == 1
        current = _mail(kernel)
        if current.gave_up_at is None:
            delays.append(current.next_attempt_at - utcnow())
    final = _mail(kernel)
    assert final.attempts == MAX_ATTEMPTS == server.handler.attempts
    assert final.sent_at is None and "451" in final.last_error
    assert all(later > earlier for earlier, later in zip(delays, delays[1:], strict=False))
    assert delays[0] > dt.timedelta(minutes=1)
    _age_outbox(kernel)
    with kernel.connection():
        assert kernel.mail.sweep() == 0
    assert server.handler.attempts == MAX_ATTEMPTS


def test_an_smtp_server_that_recovers_gets_the_message(make_app, smtp_server) -> None:
    server = smtp_server(reply="451 4.3.0 Try later")
    kernel = make_app(SYNERGY_SMTP_URL=server.url)
    with kernel.connection():
        kernel.mail.send(to="ada@example.com", subject="Hello", text="Hi")
    server.handler.reply = "250 OK"
    _age_outbox(kernel)
    with kernel.connection():
        kernel.mail.sweep()
    assert len(server.handler.messages) == 1
    assert _mail(kernel).sent_at is not None and _mail(kernel).attempts == 2


# Plain AUTH without TLS is what this loopback test server offers; production uses TLS.
@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_smtp_credentials_in_the_url_are_used(make_app, smtp_server) -> None:
    server = smtp_server(credentials=("mailer@example.org", "p@ss:word/1"))
    good = make_app(SYNERGY_SMTP_URL=f"smtp://mailer%40example.org:p%40ss%3Aword%2F1@"
                                     f"127.0.0.1:{server.port}")
    with good.connection():
        good.mail.send(to="ada@example.com", subject="Authenticated", text="Hi")
    assert len(server.handler.messages) == 1
    assert _mail(good).sent_at is not None

    anonymous = make_app(SYNERGY_SMTP_URL=server.url)
    with anonymous.connection():
        anonymous.mail.send(to="ada@example.com", subject="Refused", text="Hi")
    with anonymous.connection():
        refused = OutgoingMail.get(OutgoingMail.subject == "Refused")
    assert refused.sent_at is None and "530" in refused.last_error
    assert len(server.handler.messages) == 1


def test_only_smtp_urls_are_accepted(make_app) -> None:
    with pytest.raises(ConfigurationError, match="SYNERGY_SMTP_URL"):
        make_app(SYNERGY_SMTP_URL="http://127.0.0.1:25")


def test_a_message_being_sent_is_not_sent_again_by_the_sweep(make_app, smtp_server) -> None:
    server = smtp_server()
    server.handler.hold = threading.Event()
    kernel = make_app(SYNERGY_SMTP_URL=server.url, SYNERGY_QUEUE_IMMEDIATE=False,
                      SYNERGY_REDIS_URL="")
    with kernel.connection():
        mail = kernel.mail.send(to="ada@example.com", subject="Once", text="Only once")

    def send_job() -> None:
        with kernel.connection():
            kernel.mail.deliver(mail.id)

    sender = threading.Thread(target=send_job)
    sender.start()
    try:
        assert server.handler.receiving.wait(10)  # the job is mid-conversation
        with kernel.connection():
            # Old enough for the sweep, which must still leave it to the job.
            OutgoingMail.update(created_at=utcnow() - dt.timedelta(minutes=5)).execute()
            assert kernel.mail.deliver(mail.id) is False
            kernel.mail.sweep()
    finally:
        server.handler.hold.set()
        sender.join(20)
        kernel.jobs.huey.flush()
    assert len(server.handler.messages) == 1 and server.handler.attempts == 1
    assert _mail(kernel).sent_at is not None


def test_a_sent_reset_mail_no_longer_holds_its_token(make_app, smtp_server) -> None:
    """The token arrives by SMTP, then the outbox row keeps no copy of it."""
    server = smtp_server()
    kernel = make_app(SYNERGY_SMTP_URL=server.url)
    api = Api(kernel)
    api.as_new_user("ada")
    assert api.post("/api/auth/password-reset/", {"email": "ada@example.com"}).status_code == 200

    [envelope] = server.handler.messages
    body = email.message_from_bytes(envelope.content).get_payload(decode=True).decode()
    token = re.search(r"/reset-password/\d+/([\w-]+)", body).group(1)
    sent = _mail(kernel)
    assert sent.sent_at is not None and sent.sensitive
    assert token not in sent.text and sent.text == "" and sent.html is None


def test_a_given_up_sensitive_mail_is_erased_and_ordinary_bodies_are_kept(
        make_app, smtp_server) -> None:
    server = smtp_server(reply="550 5.1.1 No such mailbox")
    kernel = make_app(SYNERGY_SMTP_URL=server.url)
    with kernel.connection():
        kernel.mail.send(to="ada@example.com", subject="Secret", text="token abc",
                         html="<p>token abc</p>", sensitive=True)
        kernel.mail.send(to="ada@example.com", subject="Plain", text="weekly digest")
    while server.handler.attempts < 2 * MAX_ATTEMPTS:
        _age_outbox(kernel)
        with kernel.connection():
            kernel.mail.sweep()
    with kernel.connection():
        secret = OutgoingMail.get(OutgoingMail.subject == "Secret")
        plain = OutgoingMail.get(OutgoingMail.subject == "Plain")
    assert secret.gave_up_at is not None and (secret.text, secret.html) == ("", None)
    assert plain.gave_up_at is not None and plain.text == "weekly digest"


def test_a_failed_attempt_keeps_the_sensitive_body_for_the_retry(make_app, smtp_server) -> None:
    server = smtp_server(reply="451 4.3.0 Try later")
    kernel = make_app(SYNERGY_SMTP_URL=server.url)
    with kernel.connection():
        kernel.mail.send(to="ada@example.com", subject="Secret", text="token abc",
                         sensitive=True)
    assert _mail(kernel).text == "token abc"
    server.handler.reply = "250 OK"
    _age_outbox(kernel)
    with kernel.connection():
        kernel.mail.sweep()
    [envelope] = server.handler.messages
    assert b"token abc" in envelope.content
    assert _mail(kernel).text == ""


def test_the_migration_erases_reset_tokens_that_were_already_sent(app) -> None:
    """An installation from before sensitive mail: sent reset bodies are erased on upgrade."""
    with app.connection():
        OutgoingMail.insert_many([
            {"to": "ada@example.com", "subject": "Reset your SynergyOS password",
             "text": "token sent-one", "sent_at": utcnow()},
            {"to": "ada@example.com", "subject": "Reset your SynergyOS password",
             "text": "token still-queued"},
            {"to": "ada@example.com", "subject": "Weekly digest", "text": "digest",
             "sent_at": utcnow()},
        ]).execute()
        AppliedMigration.delete().where(AppliedMigration.name == "0005_sensitive_mail") \
            .execute()
        SchemaMigrator.from_database(app.db).drop_column("outgoing_mail", "sensitive").run()
    assert app.migrate() == ["kernel:0005_sensitive_mail"]
    with app.connection():
        rows = sorted((mail.subject, mail.text, mail.sensitive) for mail in OutgoingMail.select())
    assert rows == [("Reset your SynergyOS password", "", True),
                    ("Reset your SynergyOS password", "token still-queued", True),
                    ("Weekly digest", "digest", False)]
