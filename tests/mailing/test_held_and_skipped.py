"""Emails held back until a moment (a change notice's settle window), emails that must exist
at most once (reminders), and emails no longer needed: the ledger says "Not sent" and why."""

import datetime as dt

import pytest
from django.core import mail
from django.utils import timezone

from mailing import delivery, upkeep
from mailing.models import OutgoingEmail
from mailing.services import queue_email, queue_once
from registration.emails import Kind
from tests.factories import RegistrationFactory

State = OutgoingEmail.State
pytestmark = pytest.mark.django_db


def test_an_email_held_until_later_is_not_sent_before_then(django_capture_on_commit_callbacks):
    registration = RegistrationFactory(state="approved")
    later = timezone.now() + dt.timedelta(minutes=10)
    with django_capture_on_commit_callbacks(execute=False):
        row = queue_email(
            kind=Kind.RECEIVED, to=registration.email, recipient=registration, not_before=later
        )

    assert delivery.deliver(row.pk) == "skipped"
    row.refresh_from_db()
    assert (row.state, row.attempts, mail.outbox) == (State.QUEUED, 0, [])
    # The sweeper leaves it alone too until it is due.
    assert row.pk not in upkeep.due_for_handover()
    assert row.pk in upkeep.due_for_handover(now=later + dt.timedelta(minutes=5))

    OutgoingEmail.objects.filter(pk=row.pk).update(next_attempt_at=timezone.now())
    assert delivery.deliver(row.pk) == State.SENT
    assert [m.to for m in mail.outbox] == [[f"{registration.name} <{registration.email}>"]]


def test_an_email_with_a_dedup_key_is_written_once_however_often_it_is_asked_for(
    django_capture_on_commit_callbacks,
):
    registration = RegistrationFactory(state="approved")
    email = ("test:once", registration, registration.email, {"n": 1})
    with django_capture_on_commit_callbacks(execute=True):
        first = queue_once(kind=Kind.RECEIVED, emails=[email])
    with django_capture_on_commit_callbacks(execute=True):
        again = queue_once(kind=Kind.RECEIVED, emails=[email])

    [row] = OutgoingEmail.objects.filter(dedup_key="test:once")
    assert first == [row.pk]
    assert again == []  # sent already: nothing queued under that key any more
    assert row.state == State.SENT
    assert len(mail.outbox) == 1


def test_an_email_written_as_skipped_says_why_and_is_never_sent(
    django_capture_on_commit_callbacks,
):
    registration = RegistrationFactory(state="approved")
    email = ("test:late", registration, registration.email, {})
    with django_capture_on_commit_callbacks(execute=True):
        queue_once(kind=Kind.RECEIVED, emails=[email], skip_reason="Not sent: too late.")
    with django_capture_on_commit_callbacks(execute=True):
        queue_once(kind=Kind.RECEIVED, emails=[email])  # a later run does not revive it

    [row] = OutgoingEmail.objects.filter(dedup_key="test:late")
    assert (row.state, row.last_error) == (State.SKIPPED, "Not sent: too late.")
    assert row.get_state_display() == State.SKIPPED.label
    assert delivery.deliver(row.pk) == "skipped"
    assert mail.outbox == []


def test_ledger_admin_lists_skipped_emails_as_not_sent(admin_client):
    registration = RegistrationFactory()
    OutgoingEmail.objects.create(
        kind=Kind.RECEIVED,
        to_address=registration.email,
        recipient=registration,
        state=State.SKIPPED,
        last_error="Not sent: the registration is cancelled.",
    )
    response = admin_client.get("/admin/mailing/outgoingemail/?state__exact=skipped")
    page = response.content.decode()
    assert response.status_code == 200
    assert "Not sent: the registration is cancelled." in page
    assert "1 email" in page
