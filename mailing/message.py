"""What a builder returns, and how the outbox turns it into the email that goes out.

Builders say what the message is (subject, text and HTML bodies, attachments, the name of the
addressee); the outbox alone decides the headers: sender, recipient, Message-ID. Every text
that reaches a header passes through `one_line`, so nothing a person typed (a name with a line
break in it) can add a header or a recipient.
"""

from dataclasses import dataclass, field
from email.mime.base import MIMEBase
from email.mime.text import MIMEText
from email.utils import formataddr

import idna
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string

from .models import OutgoingEmail


class UndeliverableEmail(Exception):
    """This row must not be sent (e.g. an invitation whose registration is no longer
    approved); the ledger marks it failed with this reason instead of retrying."""


class WaitForData(Exception):
    """This row cannot be built yet: something it must carry is still being made (a personal
    Zoom join link). The row stays queued and says what it waits for; whoever makes that
    thing wakes it (`services.wake_waiting`), else it is tried again after ``retry_in``
    seconds. Waiting is not an attempt: it never fails the row and never sends it without.

    ``ready`` (optional) says whether the thing exists by now. Delivery asks it once more
    after recording the wait: the maker may have stored it, and looked for waiting rows, in
    the moment between the build and that record."""

    def __init__(self, reason: str, *, retry_in: int = 300, ready=None):
        super().__init__(reason)
        self.retry_in = retry_in
        self.ready = ready


class SkipEmail(Exception):
    """This row is no longer needed (the participant cancelled before their reminder; the
    changes it was to announce were undone): the ledger marks it skipped with this reason."""


@dataclass
class Message:
    subject: str
    text: str
    html: str = ""
    to_name: str = ""
    attachments: list[MIMEBase] = field(default_factory=list)


def one_line(text: str) -> str:
    """Header-safe: no CR/LF or other line breaks can reach a header."""
    return " ".join(str(text).split())


def render_bodies(template: str, context: dict) -> tuple[str, str]:
    """``template.txt`` and ``template.html``, both extending the shared layout
    (``mailing/base.txt``, ``mailing/base.html``)."""
    return render_to_string(f"{template}.txt", context), render_to_string(
        f"{template}.html", context
    )


def calendar_part(calendar_bytes: bytes, *, method: str, filename: str = "invite.ics") -> MIMEText:
    """An iCalendar attachment (``invite.ics``). The ``method=`` of the MIME part must equal
    the calendar's METHOD (Outlook rejects a mismatch); the same bytes as an attachment serve
    clients that ignore the inline part."""
    part = MIMEText(calendar_bytes.decode(), "calendar", "utf-8")
    part.set_param("method", method)
    part.add_header("Content-Disposition", "attachment", filename=filename)
    return part


def sendable_address(address: str) -> str:
    """The address as SMTP carries it. The apps store canonical, all-ASCII addresses
    (`workshop.addresses`); a row from before that, or an address that never passed a form, may
    have an internationalised domain (sent as its IDNA form) or may not be deliverable at all,
    which fails the row with a reason instead of a crash retried forever."""
    if address.isascii():
        return address
    local, at, domain = address.rpartition("@")
    if not at or not local.isascii():
        raise UndeliverableEmail(
            "The recipient address has characters before the @ that mail cannot carry."
        )
    try:
        return f"{local}@{idna.encode(domain, uts46=True).decode('ascii')}"
    except (idna.IDNAError, UnicodeError):
        raise UndeliverableEmail("The recipient address has no valid domain.") from None


def compose(row: OutgoingEmail, message: Message) -> EmailMultiAlternatives:
    email = EmailMultiAlternatives(
        subject=one_line(message.subject),
        body=message.text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[formataddr((one_line(message.to_name), sendable_address(row.to_address)))],
        headers={"Message-ID": row.message_id},
    )
    if message.html:
        email.attach_alternative(message.html, "text/html")
    for part in message.attachments:
        email.attach(part)
    return email
