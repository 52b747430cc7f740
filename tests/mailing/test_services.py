"""Writes of the outbox about erasure: an erased row keeps nothing personal, not in its own
columns and not in admin history, and it is never queued again."""

import datetime as dt

from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from mailing.models import OutgoingEmail
from mailing.services import erase_emails, retry_failed
from registration.emails import Kind
from tests.factories import RegistrationFactory

State = OutgoingEmail.State


def test_erase_emails_keeps_no_address_subject_body_context_or_error(db):
    registration = RegistrationFactory(name="Ines Rößler", email="ines@example.org")
    now = timezone.now()
    sent = OutgoingEmail.objects.create(
        kind=Kind.RECEIVED,
        to_address="ines@example.org",
        recipient=registration,
        state=State.SENT,
        sent_at=now - dt.timedelta(days=1),
        subject="Registration received: Open Workshop",
        body_text="Dear Ines Rößler, your link: /registrations/secret/",
        context={"name": "Ines Rößler"},
    )
    queued = OutgoingEmail.objects.create(
        kind=Kind.RECEIVED,
        to_address="ines@example.org",
        recipient=registration,
        state=State.QUEUED,
        last_error="SMTPRecipientsRefused: {'Ines Rößler <ines@example.org>': (450, b'later')}",
    )
    other = OutgoingEmail.objects.create(
        kind=Kind.RECEIVED, to_address="chen@example.org", subject="kept"
    )

    assert erase_emails(OutgoingEmail.objects.filter(pk__in=[sent.pk, queued.pk]), now=now) == 2

    rows = OutgoingEmail.objects.filter(pk__in=[sent.pk, queued.pk]).order_by("pk")
    assert [
        (row.state, row.to_address, row.subject, row.body_text, row.context, row.last_error)
        for row in rows
    ] == [
        (State.SENT, f"erased-{registration.pk}@invalid.example", "", "", {}, ""),
        (State.FAILED, f"erased-{registration.pk}@invalid.example", "", "", {}, ""),
    ]
    assert {row.erased_at for row in rows} == {now}
    other.refresh_from_db()
    assert (other.to_address, other.subject, other.erased_at) == ("chen@example.org", "kept", None)


def test_erase_emails_renames_their_admin_history_and_keeps_who_did_what_when(admin_user):
    registration = RegistrationFactory(email="ines@example.org")
    row = OutgoingEmail.objects.create(
        kind=Kind.RECEIVED, to_address="ines@example.org", recipient=registration
    )
    other = OutgoingEmail.objects.create(kind=Kind.RECEIVED, to_address="chen@example.org")
    ledger = ContentType.objects.get_for_model(OutgoingEmail)
    # As admin wrote them before rows were named by number: with the address.
    about_row, about_other = (
        LogEntry.objects.create(
            user=admin_user,
            content_type=ledger,
            object_id=str(email.pk),
            object_repr=f"Registration received → {email.to_address} (failed)",
            action_flag=CHANGE,
            change_message=f"Checked the address {email.to_address}.",
        )
        for email in (row, other)
    )

    erase_emails(OutgoingEmail.objects.filter(pk=row.pk))

    about_row.refresh_from_db()
    about_other.refresh_from_db()
    assert (about_row.object_repr, about_row.change_message) == (f"email {row.pk} (erased)", "")
    assert (about_row.user, about_row.action_flag, about_row.object_id) == (
        admin_user,
        CHANGE,
        str(row.pk),
    )
    assert "chen@example.org" in about_other.object_repr


def test_retry_failed_passes_over_erased_rows(db, django_capture_on_commit_callbacks):
    registration = RegistrationFactory()
    failed = OutgoingEmail.objects.create(
        kind=Kind.RECEIVED,
        to_address=registration.email,
        recipient=registration,
        state=State.FAILED,
    )
    erased = OutgoingEmail.objects.create(
        kind=Kind.RECEIVED,
        to_address=registration.email,
        recipient=registration,
        state=State.QUEUED,
    )
    erase_emails(OutgoingEmail.objects.filter(pk=erased.pk))

    assert retry_failed(emails=OutgoingEmail.objects.all()) == 1

    failed.refresh_from_db()
    erased.refresh_from_db()
    assert (failed.state, erased.state) == (State.QUEUED, State.FAILED)
