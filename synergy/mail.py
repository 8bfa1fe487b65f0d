"""Mail through the outbox: recorded in the caller's transaction, sent by a job.

With ``SYNERGY_SMTP_URL`` set the job talks SMTP; otherwise it writes an
``.eml`` file to ``<data dir>/outbox`` and logs a line, which is what a
developer wants on a laptop. Failed sends are retried with back-off by the
sweep (every few seconds in the worker) and given up after ``MAX_ATTEMPTS``.
A sender holds its message with a short lease renewed while it sends
(:mod:`synergy.leases`), so a message whose sender died goes out within seconds.

Messages sent with ``sensitive=True`` lose their body in the same statement
that records them as sent or given up, so a secret they carry (a reset token)
stays in the database only while it still has to be delivered.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import logging
import re
import smtplib
import ssl
from email.message import EmailMessage
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, unquote, urlparse

from synergy.errors import ConfigurationError
from synergy.models import OutgoingMail, utcnow

if TYPE_CHECKING:
    from synergy.app import Kernel

log = logging.getLogger("synergy.mail")

SEND_JOB = "kernel.send_mail"
MAX_ATTEMPTS = 8
# A message never taken and younger than this is left to its own send job.
SWEEP_GRACE = dt.timedelta(seconds=30)
_ADDRESS = re.compile(r"[^@\s<>,;]+@[^@\s<>,;]+")


class Mailer:
    def __init__(self, kernel: Kernel) -> None:
        self.kernel = kernel
        self.smtp_url = kernel.settings.smtp_url
        if self.smtp_url and urlparse(self.smtp_url).scheme not in ("smtp", "smtps"):
            raise ConfigurationError("SYNERGY_SMTP_URL must start with smtp:// or smtps://")

    @property
    def outbox_dir(self) -> Path:
        return self.kernel.settings.outbox_path

    def send(self, *, to: str, subject: str, text: str, html: str | None = None,
             sensitive: bool = False) -> OutgoingMail:
        """Record a message in the current transaction; it is sent after commit.

        Pass ``sensitive=True`` when the body carries a secret (a token, a
        sign-in or confirmation link): the body is erased once delivered or
        given up.

        Checked here, not at delivery: a message that can never be built would
        otherwise sit in the outbox failing until it is given up.
        """
        if not isinstance(to, str) or not _ADDRESS.fullmatch(to):
            raise ValueError(f"mail.send(to=...) needs one e-mail address, got {to!r}")
        # Folding user-supplied text (a task title) into one line prevents header injection.
        subject = " ".join(subject.split())
        mail = OutgoingMail.create(to=to, subject=subject[:255], text=text, html=html,
                                   sensitive=sensitive)
        self.kernel.jobs.enqueue_after_commit(SEND_JOB, mail.id)
        return mail

    def deliver(self, mail_id: int) -> bool:
        """Send one message; True when it is sent (or needs nothing more).

        The message is leased first, so the send job and the sweep never send
        it twice at the same time; a sender that died lets it go after the lease.
        """
        mail = OutgoingMail.get_or_none(OutgoingMail.id == mail_id)
        if mail is None or mail.sent_at is not None or mail.gave_up_at is not None:
            return True
        if not self._take(mail.id):
            return False
        try:
            with self.kernel.jobs.leases.holding(lambda until: self._renew(mail.id, until)):
                message = self._message(mail)
                if self.smtp_url:
                    self._send_smtp(message)
                else:
                    self._write_eml(mail, message)
        except Exception as exc:
            attempts = mail.attempts + 1
            gave_up = attempts >= MAX_ATTEMPTS
            log.warning("mail %s to %s failed (attempt %s%s): %s", mail.id, mail.to, attempts,
                        ", giving up" if gave_up else "", exc)
            OutgoingMail.update(
                attempts=attempts, last_error=f"{type(exc).__name__}: {exc}"[:1000],
                next_attempt_at=utcnow() + dt.timedelta(minutes=2 ** attempts),
                gave_up_at=utcnow() if gave_up else None,
                **(_erased_body(mail) if gave_up else {}),
            ).where(OutgoingMail.id == mail.id).execute()
            return False
        OutgoingMail.update(sent_at=utcnow(), attempts=mail.attempts + 1, last_error="",
                            next_attempt_at=None, **_erased_body(mail)) \
            .where(OutgoingMail.id == mail.id).execute()
        return True

    def _take(self, mail_id: int) -> bool:
        now = utcnow()
        return bool(OutgoingMail.update(next_attempt_at=self.kernel.jobs.leases.until())
                    .where(OutgoingMail.id == mail_id, OutgoingMail.sent_at.is_null(),
                           OutgoingMail.gave_up_at.is_null(),
                           OutgoingMail.next_attempt_at.is_null()
                           | (OutgoingMail.next_attempt_at <= now))
                    .execute())

    @staticmethod
    def _renew(mail_id: int, until: dt.datetime) -> None:
        (OutgoingMail.update(next_attempt_at=until)
         .where(OutgoingMail.id == mail_id, OutgoingMail.sent_at.is_null(),
                OutgoingMail.gave_up_at.is_null()).execute())

    def sweep(self, limit: int = 200) -> int:
        """Send what is due: a lease or back-off that ran out, or a message never taken."""
        now = utcnow()
        due = (OutgoingMail.select(OutgoingMail.id)
               .where(OutgoingMail.sent_at.is_null(), OutgoingMail.gave_up_at.is_null(),
                      (OutgoingMail.next_attempt_at <= now)
                      | (OutgoingMail.next_attempt_at.is_null()
                         & (OutgoingMail.created_at <= now - SWEEP_GRACE)))
               .order_by(OutgoingMail.id).limit(limit))
        ids = [row.id for row in due]
        for mail_id in ids:
            self.deliver(mail_id)
        return len(ids)

    def _message(self, mail: OutgoingMail) -> EmailMessage:
        message = EmailMessage()
        message["From"] = self.kernel.settings.mail_from
        message["To"] = mail.to
        message["Subject"] = mail.subject
        message["Date"] = email.utils.formatdate(usegmt=True)
        message["Message-ID"] = email.utils.make_msgid(idstring=f"synergy-{mail.id}")
        message.set_content(mail.text)
        if mail.html:
            message.add_alternative(mail.html, subtype="html")
        return message

    def _send_smtp(self, message: EmailMessage) -> None:
        url = urlparse(self.smtp_url)
        options = parse_qs(url.query)
        host = url.hostname or "localhost"
        timeout = 20
        if url.scheme == "smtps":
            client: smtplib.SMTP = smtplib.SMTP_SSL(host, url.port or 465, timeout=timeout,
                                                    context=ssl.create_default_context())
        else:
            client = smtplib.SMTP(host, url.port or 25, timeout=timeout)
        with client:
            if url.scheme == "smtp" and options.get("starttls", ["0"])[-1] in ("1", "true"):
                client.starttls(context=ssl.create_default_context())
            if url.username:
                client.login(unquote(url.username), unquote(url.password or ""))
            client.send_message(message)

    def _write_eml(self, mail: OutgoingMail, message: EmailMessage) -> None:
        self.outbox_dir.mkdir(parents=True, exist_ok=True)
        path = self.outbox_dir / f"{utcnow():%Y%m%dT%H%M%S}-{mail.id}.eml"
        path.write_bytes(bytes(message))
        log.info("mail to %s (%r) written to %s; set SYNERGY_SMTP_URL to send it", mail.to,
                 mail.subject, path)


def _erased_body(mail: OutgoingMail) -> dict[str, Any]:
    """The column values that forget a sensitive message's body (nothing for the others)."""
    return {"text": "", "html": None} if mail.sensitive else {}
