"""Erasure (on a registrant's request) and retention (registrations of long-past events): after
either, nothing in the database names the person — not the registration, not the emails sent
about it, not admin history — while the counts and who-did-what-when stay."""

import datetime as dt
import io
import json

import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core import mail
from django.core.management import call_command
from django.utils import timezone
from django.utils.translation import ngettext

from mailing.models import OutgoingEmail
from registration import services, tasks
from registration.emails import Kind
from registration.models import Registration
from tests.factories import EventFactory, RegistrationFactory, SessionFactory
from tests.support.admin import post_action

State = Registration.State
CHANGELIST = "/admin/registration/registration/"


def database_dump() -> str:
    """Every row of every table, as text (non-ASCII as itself, not escaped)."""
    out = io.StringIO()
    call_command("dumpdata", stdout=out)
    return json.dumps(json.loads(out.getvalue()), ensure_ascii=False)


def edit_in_admin(client, registration: Registration, **changes) -> None:
    """What an organizer's "Save" on the registration's change form posts."""
    data = {
        "name": registration.name,
        "affiliation": registration.affiliation,
        "career_stage": registration.career_stage,
        "country": registration.country.code,
        "timezone": registration.timezone,
        "message": registration.message,
        "emails-TOTAL_FORMS": "0",
        "emails-INITIAL_FORMS": "0",
        "emails-MIN_NUM_FORMS": "0",
        "emails-MAX_NUM_FORMS": "0",
        **changes,
    }
    response = client.post(f"{CHANGELIST}{registration.pk}/change/", data, follow=True)
    assert response.redirect_chain == [(CHANGELIST, 302)]


def test_registration_is_named_without_its_address(open_event):
    registration = RegistrationFactory(event=open_event, name="Ada", email="ada@example.org")
    assert str(registration) == "Ada — Open Workshop"


def test_erase_action_leaves_nothing_in_the_database_that_names_the_person(
    organizer_client, organizer, open_event, django_capture_on_commit_callbacks
):
    ines = RegistrationFactory(
        event=open_event,
        name="Ines Rößler",
        email="ines.roessler@example.org",
        affiliation="Universität Heidelberg",
        message="Looking forward",
    )
    chen = RegistrationFactory(event=open_event, name="Chen Tao", email="chen@example.org")
    old_secret = ines.secret
    # The organizer approves her (the invitation goes out, its copy holds her links) ...
    with django_capture_on_commit_callbacks(execute=True):
        post_action(organizer_client, CHANGELIST, "approve", [ines])
    [invitation] = ines.emails.all()
    assert invitation.state == OutgoingEmail.State.SENT
    assert old_secret in invitation.body_text
    assert [message.to[0].rsplit(" ")[-1] for message in mail.outbox] == [
        "<ines.roessler@example.org>"
    ]
    # ... edits her and Chen in admin (admin history: "Ines Rößler — Open Workshop") ...
    edit_in_admin(organizer_client, ines, affiliation="Heidelberg University")
    edit_in_admin(organizer_client, chen, affiliation="Tongji University")
    # ... and history from before registrations were named without their address.
    LogEntry.objects.create(
        user=organizer,
        content_type=ContentType.objects.get_for_model(Registration),
        object_id=str(ines.pk),
        object_repr="Ines Rößler <ines.roessler@example.org> — Open Workshop",
        action_flag=CHANGE,
        change_message="Changed the address of ines.roessler@example.org",
    )
    LogEntry.objects.create(
        user=organizer,
        content_type=ContentType.objects.get_for_model(OutgoingEmail),
        object_id=str(invitation.pk),
        object_repr="Invitation with meeting link → ines.roessler@example.org (sent)",
        action_flag=CHANGE,
        change_message="[]",
    )
    dump = database_dump()
    assert "Rößler" in dump and "ines.roessler@example.org" in dump

    response = post_action(organizer_client, CHANGELIST, "erase", [ines])
    assert response.status_code == 302

    dump = database_dump()
    for personal in ("Rößler", "ines.roessler", "Heidelberg", "Looking forward", old_secret):
        assert personal not in dump
    assert "Chen Tao" in dump
    # Admin history: who did what when stays, to whom does not.
    history = LogEntry.objects.filter(object_id=str(ines.pk), content_type__model="registration")
    assert [(e.user, e.action_flag, e.object_repr, e.change_message) for e in history] == [
        # The erasure itself, then what came before it (newest first).
        (organizer, CHANGE, f"Registration {ines.pk} (erased)", "Erased the personal data."),
        (organizer, CHANGE, f"Registration {ines.pk} (erased)", ""),
        (organizer, CHANGE, f"Registration {ines.pk} (erased)", ""),
    ]
    ledger_history = LogEntry.objects.get(content_type__model="outgoingemail")
    assert ledger_history.object_repr == f"email {invitation.pk} (erased)"
    assert LogEntry.objects.get(object_id=str(chen.pk)).object_repr == "Chen Tao — Open Workshop"
    # Recent actions on the admin index.
    index = organizer_client.get("/admin/").content.decode()
    assert f"Registration {ines.pk} (erased)" in index
    assert "Chen Tao — Open Workshop" in index
    assert "Rößler" not in index
    ines.refresh_from_db()
    assert (ines.name, ines.state, ines.erased_at is not None) == (
        "(erased)",
        State.CANCELLED,
        True,
    )


# --- retention -------------------------------------------------------------------------------


def event_ended(days_ago: float, *, now: dt.datetime, slug: str):
    event = EventFactory(slug=slug, title=slug)
    end = now - dt.timedelta(days=days_ago)
    first_end = end - dt.timedelta(days=2)
    SessionFactory(event=event, start=first_end - dt.timedelta(hours=1), end=first_end)
    SessionFactory(event=event, start=end - dt.timedelta(hours=2), end=end)  # the last one
    return event


def registration_with_mail(event, *, name: str, email: str, state=State.APPROVED):
    registration = RegistrationFactory(event=event, name=name, email=email, state=state)
    OutgoingEmail.objects.create(
        kind=Kind.INVITATION,
        to_address=email,
        recipient=registration,
        state=OutgoingEmail.State.SENT,
        sent_at=registration.created_at,
        subject=f"Your access to {event.title}",
        body_text=f"Dear {name}, your link: /registrations/{registration.secret}/",
        context={"session": 1},
        last_error="",
    )
    OutgoingEmail.objects.create(
        kind=Kind.RECEIVED,
        to_address=email,
        recipient=registration,
        state=OutgoingEmail.State.FAILED,
        subject="Registration received",
        last_error="SMTPRecipientsRefused: <recipient>: 550 5.1.1 unknown",
    )
    return registration


def test_erase_past_registrations_after_the_retention_period(db, settings):
    settings.REGISTRATION_RETENTION_DAYS = 180
    now = timezone.now()
    long_past = event_ended(181, now=now, slug="long-past")
    recent = event_ended(179, now=now, slug="recent")
    no_sessions = EventFactory(slug="dates-to-come")
    old = [
        registration_with_mail(long_past, name="Ines Rößler", email="ines@example.org"),
        registration_with_mail(
            long_past, name="Ole Olsen", email="ole@example.org", state=State.DECLINED
        ),
    ]
    kept = [
        registration_with_mail(recent, name="Chen Tao", email="chen@example.org"),
        registration_with_mail(no_sessions, name="Maryam", email="maryam@example.org"),
    ]

    assert services.erase_past_registrations(now=now) == 2

    for registration in old:
        registration.refresh_from_db()
        assert (registration.name, registration.email, registration.erased_at) == (
            "(erased)",
            f"erased-{registration.pk}@invalid.example",
            now,
        )
        for row in registration.emails.all():
            assert (row.to_address, row.subject, row.body_text, row.context, row.last_error) == (
                f"erased-{registration.pk}@invalid.example",
                "",
                "",
                {},
                "",
            )
            assert row.erased_at == now
    # Exactly as an erasure on request: a live registration ends cancelled, a decided one stays.
    assert [r.state for r in old] == [State.CANCELLED, State.DECLINED]
    for registration in kept:
        registration.refresh_from_db()
        assert registration.erased_at is None
        assert registration.email in {"chen@example.org", "maryam@example.org"}
        assert all(row.subject for row in registration.emails.all())
    dump = database_dump()
    assert "Rößler" not in dump and "ole@example.org" not in dump
    # The next run finds nothing left to do, and changes nothing.
    assert services.erase_past_registrations(now=now + dt.timedelta(days=1)) == 0
    assert {r.erased_at for r in Registration.objects.filter(event=long_past)} == {now}


def test_erase_past_registrations_works_through_a_backlog_in_batches(db, settings):
    settings.REGISTRATION_RETENTION_DAYS = 30
    now = timezone.now()
    event = event_ended(400, now=now, slug="old")
    RegistrationFactory.create_batch(7, event=event)

    assert services.erase_past_registrations(now=now, batch_size=3) == 7
    assert not Registration.objects.filter(erased_at__isnull=True).exists()


def test_retention_task_erases_registrations_of_long_past_events(db, settings):
    settings.REGISTRATION_RETENTION_DAYS = 180
    event = event_ended(200, now=timezone.now(), slug="past")
    registration = RegistrationFactory(event=event, email="old@example.org")

    assert tasks.erase_past_registrations.apply().get() == 1

    registration.refresh_from_db()
    assert registration.email == f"erased-{registration.pk}@invalid.example"


@pytest.mark.parametrize("days", [180, 30])
def test_privacy_notice_states_the_retention_period(client, db, settings, days):
    settings.REGISTRATION_RETENTION_DAYS = days
    html = client.get("/privacy/").content.decode()
    kept = ngettext(
        "We keep your registration for %(days)s day after the event ends.",
        "We keep your registration for %(days)s days after the event ends.",
        days,
    ) % {"days": days}
    assert f'<p id="retention">{kept}' in html
