"""The ledger's upkeep: stored bodies of sent emails (which hold personal links) are purged
after the retention period."""

import datetime as dt

from django.utils import timezone

from mailing.models import OutgoingEmail
from mailing.upkeep import purge_sent_bodies
from registration.emails import Kind
from tests.factories import RegistrationFactory


def test_purge_sent_bodies_after_retention_period(open_event, admin_user, settings):
    settings.EMAIL_BODY_RETENTION_DAYS = 90
    registration = RegistrationFactory(event=open_event)
    old = OutgoingEmail.objects.create(
        kind=Kind.RECEIVED,
        to_address=registration.email,
        recipient=registration,
        state=OutgoingEmail.State.SENT,
        sent_at=timezone.now() - dt.timedelta(days=91),
        body_text=f"your link {registration.get_absolute_url()}",
    )
    recent = OutgoingEmail.objects.create(
        kind=Kind.RECEIVED,
        to_address=registration.email,
        recipient=registration,
        state=OutgoingEmail.State.SENT,
        sent_at=timezone.now() - dt.timedelta(days=89),
        body_text="kept",
    )
    assert purge_sent_bodies() == 1
    old.refresh_from_db()
    recent.refresh_from_db()
    assert (old.body_text, recent.body_text) == ("", "kept")
