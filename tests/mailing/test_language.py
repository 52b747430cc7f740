"""Each email in its recipient's language: noted on the row when it is written, and as the
recipient's language stands when it is sent, whoever caused it and whatever the worker's."""

from django.core import mail
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext

from mailing.delivery import deliver
from mailing.models import OutgoingEmail
from mailing.services import queue_email
from registration.emails import Kind
from tests.factories import RegistrationFactory
from tests.support.german import english_leaks

State = OutgoingEmail.State


def received_subject(language: str, event) -> str:
    with translation.override(language):
        return gettext("Registration received: %(event)s") % {"event": event.title}


def queue_received(registration) -> OutgoingEmail:
    # The test's transaction never commits: the row waits until the test delivers it.
    with transaction.atomic():
        row = queue_email(kind=Kind.RECEIVED, to=registration.email, recipient=registration)
    return OutgoingEmail.objects.get(pk=row.pk)


def test_the_row_notes_the_recipients_language_and_the_email_is_in_it(db):
    registration = RegistrationFactory(language="de", state="pending")
    with translation.override("en"):  # the organizer's, or the worker's: not the recipient's
        row = queue_received(registration)
        assert row.language == "de"
        mail.outbox.clear()
        assert deliver(row.pk) == State.SENT
    [message] = mail.outbox
    assert message.subject == received_subject("de", registration.event)
    content = (registration.event.title, registration.name)
    assert english_leaks(message.body, allow=content) == []


def test_a_language_changed_after_queueing_is_the_one_the_email_uses(db):
    registration = RegistrationFactory(language="en", state="pending")
    row = queue_received(registration)
    assert row.language == "en"
    # Changed behind the outbox's back (admin, a shell): the worker reads it at sending time.
    type(registration).objects.filter(pk=registration.pk).update(language="de")
    mail.outbox.clear()
    assert deliver(row.pk) == State.SENT
    [message] = mail.outbox
    assert message.subject == received_subject("de", registration.event)
    row.refresh_from_db()
    assert row.language == "de"
