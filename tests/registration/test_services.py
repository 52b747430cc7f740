import datetime as dt
from email.utils import getaddresses

import icalendar
import pytest
from django.conf import settings
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext, ngettext

from mailing.models import OutgoingEmail
from registration import services
from registration.emails import Kind
from registration.models import Registration
from tests.factories import RegistrationFactory
from tests.registration.conftest import approve, decline, registrant_data

State = Registration.State


def kinds(registration):
    return sorted(registration.emails.values_list("kind", flat=True))


def test_register_participant_creates_unconfirmed_and_mails_confirmation_after_commit(
    open_event, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        registration, created = services.register_participant(event=open_event, **registrant_data())
    assert created is True
    assert registration.state == State.UNCONFIRMED
    assert registration.privacy_notice_version == settings.PRIVACY_NOTICE_VERSION
    assert [m.to for m in mail.outbox] == [["Chen Tao <chen@example.org>"]]
    assert f"/registrations/{registration.secret}/confirm/" in mail.outbox[0].body
    # It promises what happens to the data (expiry, then retention), not a deletion that
    # does not happen.
    assert (
        ngettext(
            "Without confirmation nothing happens: the registration lapses after %(hours)s "
            "hour, and its data are erased with the event's other registrations once the "
            "retention period after the event has passed.",
            "Without confirmation nothing happens: the registration lapses after %(hours)s "
            "hours, and its data are erased with the event's other registrations once the "
            "retention period after the event has passed.",
            48,
        )
        % {"hours": 48}
        in mail.outbox[0].body
    )
    assert "data are deleted" not in mail.outbox[0].body
    assert registration.emails.get().state == OutgoingEmail.State.SENT


def test_register_participant_rolled_back_leaves_no_row_no_task_no_email(open_event):
    class Rollback(Exception):
        pass

    with pytest.raises(Rollback), transaction.atomic():
        services.register_participant(event=open_event, **registrant_data())
        raise Rollback
    assert Registration.objects.count() == 0
    assert OutgoingEmail.objects.count() == 0
    assert mail.outbox == []


def test_register_participant_same_address_any_case_is_one_registration(
    open_event, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        first, _ = services.register_participant(
            event=open_event, **registrant_data(email="Alice@Example.com ")
        )
        second, created = services.register_participant(
            event=open_event, **registrant_data(email="alice@example.com", name="Mallory")
        )
    assert created is False
    assert second.pk == first.pk
    assert Registration.objects.get().name == "Chen Tao"
    assert kinds(first) == [Kind.CONFIRM, Kind.LINK_REMINDER]
    assert (
        gettext(
            'someone (probably you) just tried to register again for "%(event)s" with this '
            "email address. You are already registered; nothing has changed."
        )
        % {"event": "Open Workshop"}
        in mail.outbox[1].body
    )


# Look-alike spellings of a registered address. PostgreSQL's LOWER and UPPER disagree on them
# (LOWER('İ') is 'i', UPPER('İ') stays 'İ'): with the lookup and the constraint comparing
# differently, the second registration hit the constraint, found nothing and gave a 500 —
# in either order, so a look-alike registered first locked the real owner out.
LOOK_ALIKES = [
    pytest.param("victim@gmail.com", "victim@gma\u0130l.com", id="dotted-capital-I-in-domain"),
    pytest.param("kim@kelvin.org", "kim@\u212aelvin.org", id="kelvin-sign-in-domain"),
    pytest.param("kim@example.org", "\u212aim@example.org", id="kelvin-sign-in-local-part"),
]


def register_or_refuse(event, address):
    """Register as the form's service does; a refusal (ValidationError) is an answer too."""
    try:
        return services.register_participant(event=event, **registrant_data(email=address))
    except ValidationError as refusal:
        return refusal


@pytest.mark.parametrize(("real", "look_alike"), LOOK_ALIKES)
@pytest.mark.parametrize("look_alike_first", [False, True], ids=["real-first", "look-alike-first"])
def test_register_participant_look_alike_addresses_never_fail_and_never_lock_the_owner_out(
    open_event, django_capture_on_commit_callbacks, real, look_alike, look_alike_first
):
    order = [look_alike, real] if look_alike_first else [real, look_alike]
    with django_capture_on_commit_callbacks(execute=True):
        for address in order:
            register_or_refuse(open_event, address)
        # The owner of the real address can always register (again) and gets their link.
        registration, _ = services.register_participant(
            event=open_event, **registrant_data(email=real)
        )
    assert registration.email == real
    assert Registration.objects.filter(event=open_event, email=real).count() == 1
    assert any(m.to == [f"Chen Tao <{real}>"] for m in mail.outbox)
    assert all(m.to[0].isascii() for m in mail.outbox)


def test_register_participant_kelvin_sign_domain_is_the_same_registration(
    open_event, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        first, _ = services.register_participant(
            event=open_event, **registrant_data(email="kim@kelvin.org")
        )
        second, created = services.register_participant(
            event=open_event, **registrant_data(email="kim@\u212aelvin.org", name="Mallory")
        )
    assert (second.pk, created) == (first.pk, False)
    assert Registration.objects.get().name == "Chen Tao"
    # Both emails went to the real address: the look-alike reached nobody else.
    assert [m.to for m in mail.outbox] == [["Chen Tao <kim@kelvin.org>"]] * 2


def test_register_participant_internationalised_domain_is_stored_and_mailed_in_idna_form(
    open_event, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        registration, _ = services.register_participant(
            event=open_event, **registrant_data(email="idn@ex\u00e4mple.org")
        )
    assert registration.email == "idn@xn--exmple-cua.org"
    assert registration.emails.get().state == OutgoingEmail.State.SENT
    assert [m.to for m in mail.outbox] == [["Chen Tao <idn@xn--exmple-cua.org>"]]


@pytest.mark.parametrize(
    "address",
    ["idn@exa\u200bmple.org", "\u4f8b@example.org", "a@-example.org"],
    ids=["zero-width-space", "non-ascii-local-part", "bad-domain"],
)
def test_register_participant_refuses_addresses_that_cannot_be_delivered(open_event, address):
    with pytest.raises(ValidationError):
        services.register_participant(event=open_event, **registrant_data(email=address))
    assert Registration.objects.count() == 0
    assert OutgoingEmail.objects.count() == 0


def test_registration_database_refuses_duplicate_address_past_the_form(open_event):
    RegistrationFactory(event=open_event, email="Alice@Example.com")
    with pytest.raises(IntegrityError), transaction.atomic():
        RegistrationFactory(event=open_event, email="alice@example.com")


def test_register_participant_refused_when_registration_closed(open_event):
    open_event.registration_closes = timezone.now() - dt.timedelta(minutes=1)
    open_event.save()
    with pytest.raises(ValidationError):
        services.register_participant(event=open_event, **registrant_data())
    assert Registration.objects.count() == 0


def test_confirm_registration_records_time_and_awaits_approval(open_event):
    registration, _ = services.register_participant(event=open_event, **registrant_data())
    assert services.confirm_registration(registration=registration) is True
    registration.refresh_from_db()
    assert registration.state == State.PENDING
    assert registration.confirmed_at is not None
    assert kinds(registration) == [Kind.CONFIRM, Kind.RECEIVED]
    assert services.confirm_registration(registration=registration) is False
    assert kinds(registration) == [Kind.CONFIRM, Kind.RECEIVED]


def test_unconfirmed_registration_can_neither_be_approved_nor_sent_the_link(open_event, admin_user):
    registration = RegistrationFactory(event=open_event, state=State.UNCONFIRMED)
    assert approve(registration, by=admin_user) == 0
    approved = services.approve_registrations(
        registrations=Registration.objects.all(), by=admin_user
    )
    assert approved == 0
    assert OutgoingEmail.objects.count() == 0
    registration.refresh_from_db()
    assert registration.state == State.UNCONFIRMED


def test_approve_registration_sends_meeting_link_and_invite_once(
    open_event, admin_user, django_capture_on_commit_callbacks
):
    registration = RegistrationFactory(event=open_event, name="Rößler 陈涛")
    with django_capture_on_commit_callbacks(execute=True):
        assert approve(registration, by=admin_user) == 1
        assert approve(registration, by=admin_user) == 0
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert "https://zoom.us/j/5550001111" in message.body
    assert "s3cret-pass" in message.body
    html = message.alternatives[0][0]
    assert "https://zoom.us/j/5550001111" in html
    [part] = [p for p in message.message().walk() if p.get_content_type() == "text/calendar"]
    assert part.get_param("method") == "REQUEST"
    calendar = icalendar.Calendar.from_ical(part.get_payload(decode=True))
    assert calendar["METHOD"] == "REQUEST"
    [vevent] = calendar.walk("VEVENT")  # the break is not in the invitation
    session = open_event.sessions.get(kind="talk")
    assert vevent.decoded("DTSTART") == session.start
    assert str(vevent["UID"]) == session.calendar_uid
    assert "https://zoom.us/j/5550001111" in str(vevent["LOCATION"])
    assert str(vevent["ATTENDEE"]) == f"mailto:{registration.email}"


def test_approve_registrations_in_bulk_queues_one_email_each_and_none_on_repeat(
    open_event, admin_user, django_assert_max_num_queries
):
    RegistrationFactory.create_batch(30, event=open_event)
    RegistrationFactory(event=open_event, state=State.UNCONFIRMED)
    # With the content-type cache cold (tests/registration/conftest.py), as in a fresh worker.
    with django_assert_max_num_queries(9):
        done = services.approve_registrations(
            registrations=Registration.objects.all(), by=admin_user
        )
    assert done == 30
    assert OutgoingEmail.objects.filter(kind=Kind.INVITATION).count() == 30
    assert (
        services.approve_registrations(registrations=Registration.objects.all(), by=admin_user) == 0
    )
    assert OutgoingEmail.objects.filter(kind=Kind.INVITATION).count() == 30


def test_capacity_sends_later_confirmations_to_waiting_list_and_cancel_promotes(
    open_event, django_capture_on_commit_callbacks
):
    open_event.capacity = 1
    open_event.save()
    first, _ = services.register_participant(event=open_event, **registrant_data())
    second, _ = services.register_participant(
        event=open_event, **registrant_data(email="second@example.org", name="Second")
    )
    services.confirm_registration(registration=first)
    services.confirm_registration(registration=second)
    second.refresh_from_db()
    assert second.state == State.WAITING
    with django_capture_on_commit_callbacks(execute=True):
        services.cancel_registration(registration=first)
    second.refresh_from_db()
    assert second.state == State.PENDING
    assert Kind.PROMOTED in kinds(second)
    event = {"event": "Open Workshop"}
    assert {m.subject for m in mail.outbox} == {
        gettext("Registration cancelled: %(event)s") % event,
        gettext("A place is free for you: %(event)s") % event,
    }


def test_decline_email_holds_no_meeting_details(
    open_event, admin_user, django_capture_on_commit_callbacks
):
    registration = RegistrationFactory(event=open_event)
    with django_capture_on_commit_callbacks(execute=True):
        decline(registration, by=admin_user, reason="Seats are for scholars.")
    [message] = mail.outbox
    raw = message.message().as_string() + message.alternatives[0][0]
    assert "Seats are for scholars." in message.body
    for secret in ("zoom.us", "555 000 1111", "s3cret-pass"):
        assert secret not in raw


def test_invitation_is_not_sent_when_registration_was_declined_before_delivery(
    open_event, admin_user
):
    registration = RegistrationFactory(event=open_event)
    approve(registration, by=admin_user)
    decline(registration, by=admin_user)
    invitation = registration.emails.get(kind=Kind.INVITATION)
    from mailing.delivery import deliver

    assert deliver(invitation.pk) == OutgoingEmail.State.FAILED
    invitation.refresh_from_db()
    assert "may not receive the meeting link" in invitation.last_error
    assert mail.outbox == []


def test_crlf_in_name_adds_no_header_and_no_recipient(open_event, admin_user):
    registration = RegistrationFactory(
        event=open_event, name="Eve\r\nBcc: victim@example.org", email="eve@example.org"
    )
    approve(registration, by=admin_user)
    from mailing.delivery import deliver

    deliver(registration.emails.get().pk)
    [message] = mail.outbox
    assert [address for _, address in getaddresses(message.recipients())] == ["eve@example.org"]
    headers = message.message().as_string().split("\n\n", 1)[0]
    assert 'To: "Eve Bcc: victim@example.org" <eve@example.org>' in headers
    assert "\nBcc:" not in headers


def test_html_email_escapes_user_input(open_event, admin_user):
    registration = RegistrationFactory(event=open_event, name='"><img src=x onerror=alert(1)>')
    approve(registration, by=admin_user)
    from mailing.delivery import deliver

    deliver(registration.emails.get().pk)
    html = mail.outbox[0].alternatives[0][0]
    assert "<img src=x" not in html
    assert "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;" in html


def test_expire_unconfirmed_after_confirmation_period(open_event):
    old = RegistrationFactory(event=open_event, state=State.UNCONFIRMED)
    Registration.objects.filter(pk=old.pk).update(
        created_at=timezone.now() - dt.timedelta(hours=49)
    )
    fresh = RegistrationFactory(event=open_event, state=State.UNCONFIRMED)
    assert services.expire_unconfirmed() == 1
    old.refresh_from_db()
    fresh.refresh_from_db()
    assert (old.state, fresh.state) == (State.EXPIRED, State.UNCONFIRMED)
    with pytest.raises(ValidationError):
        services.confirm_registration(registration=old)


def test_registering_again_after_expiry_revives_the_row_with_fresh_consent(open_event):
    old = RegistrationFactory(event=open_event, state=State.EXPIRED, email="back@example.org")
    again, created = services.register_participant(
        event=open_event, **registrant_data(email="BACK@example.org", name="Back Again")
    )
    assert (again.pk, created, again.state, again.name) == (
        old.pk,
        True,
        State.UNCONFIRMED,
        "Back Again",
    )


def test_email_that_cannot_be_built_fails_visibly_instead_of_retrying(open_event):
    registration = RegistrationFactory(event=open_event)
    # A kind no code knows how to build: a bug, not a failure that passes with time.
    row = OutgoingEmail.objects.create(
        kind="no_such_kind", to_address=registration.email, recipient=registration
    )
    from mailing.delivery import deliver

    assert deliver(row.pk) == OutgoingEmail.State.FAILED
    row.refresh_from_db()
    assert row.state == OutgoingEmail.State.FAILED
    assert row.last_error.startswith("Could not build the message:")
    assert mail.outbox == []


def test_erase_registrations_removes_personal_data_everywhere(
    open_event, admin_user, django_capture_on_commit_callbacks
):
    registration = RegistrationFactory(
        event=open_event, name="Ines Rößler", email="ines@example.org", message="Hello"
    )
    old_secret = registration.secret
    with django_capture_on_commit_callbacks(execute=True):
        approve(registration, by=admin_user)
    queued = OutgoingEmail.objects.create(
        kind=Kind.RECEIVED, to_address="ines@example.org", recipient=registration
    )
    assert (
        services.erase_registrations(
            registrations=Registration.objects.filter(pk=registration.pk), by=admin_user
        )
        == 1
    )
    registration.refresh_from_db()
    assert (registration.name, registration.message, registration.state) == (
        "(erased)",
        "",
        State.CANCELLED,
    )
    assert registration.email == f"erased-{registration.pk}@invalid.example"
    assert registration.secret != old_secret
    for row in registration.emails.all():
        assert row.to_address == f"erased-{registration.pk}@invalid.example"
        assert (row.subject, row.body_text) == ("", "")
    queued.refresh_from_db()
    assert queued.state == OutgoingEmail.State.FAILED
    stored = " ".join(
        str(value) for row in OutgoingEmail.objects.values() for value in row.values()
    ) + " ".join(str(v) for v in Registration.objects.values().get().values())
    assert "ines@example.org" not in stored and "Rößler" not in stored
