"""Organizers add a participant by hand in admin (an invited guest): with the double opt-in
mail, or registered as confirmed; approved directly only by an explicit choice."""

import datetime as dt
import json

import pytest
from django.contrib.admin.models import ADDITION, LogEntry
from django.contrib.auth.models import Permission, User
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext, ngettext

from registration import services
from registration.emails import Kind
from registration.models import Registration
from tests.factories import EventFactory, RegistrationFactory
from workshop.organizers import ensure_organizers_group

State = Registration.State

ADD_URL = "/admin/registration/registration/add/"
CHANGELIST = "/admin/registration/registration/"
XSS = '"><img src=x onerror=alert(1)>'
XSS_ESCAPED = "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;"


@pytest.fixture
def event(db):
    return EventFactory(slug="guests", title="Guest Workshop", requires_approval=True)


def add_data(for_event, **overrides):
    data = {
        "event": str(for_event.pk),
        "name": "Ilse Guest",
        "email": "Ilse.Guest@Example.ORG",
        "affiliation": "Invited",
        "career_stage": "Scholar",
        "country": "AT",
        "timezone": "Europe/Vienna",
        "message": "",
        "confirmation": "email",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def kinds(registration) -> list[str]:
    return list(registration.emails.order_by("pk").values_list("kind", flat=True))


def form_errors(response) -> dict:
    return response.context["adminform"].form.errors


# --- who may add -----------------------------------------------------------------------------


def test_organizers_group_may_add_registrations(db):
    group = ensure_organizers_group()
    assert group.permissions.filter(codename="add_registration").exists()
    assert not group.permissions.filter(codename="delete_registration").exists()


def test_changelist_offers_add_to_organizers(organizer_client, event):
    html = organizer_client.get(CHANGELIST).content.decode()
    assert ADD_URL in html


def test_add_refused_to_staff_without_the_add_permission(client, event):
    user = User.objects.create(username="vera", is_staff=True)
    user.user_permissions.set(
        Permission.objects.filter(
            content_type__app_label="registration",
            codename__in=["view_registration", "change_registration"],
        )
    )
    client.force_login(user)
    assert ADD_URL not in client.get(CHANGELIST).content.decode()
    assert client.get(ADD_URL).status_code == 403
    assert client.post(ADD_URL, add_data(event)).status_code == 403
    assert not Registration.objects.exists()


def test_add_page_shows_the_fields_and_the_choices(
    organizer_client, event, django_assert_max_num_queries
):
    EventFactory.create_batch(5)
    with django_assert_max_num_queries(10):
        response = organizer_client.get(ADD_URL)
    assert response.status_code == 200
    html = response.content.decode()
    for field in (
        "event",
        "name",
        "email",
        "affiliation",
        "career_stage",
        "country",
        "timezone",
        "message",
    ):
        assert f'name="{field}"' in html
    assert 'name="confirmation" value="email"' in html and "checked" in html
    assert 'name="confirmation" value="confirmed"' in html
    assert 'name="approve"' in html
    form = response.context["adminform"].form
    assert form["confirmation"].value() == "email"
    assert not form["approve"].value()


# --- adding ----------------------------------------------------------------------------------


def test_add_with_the_confirmation_email(
    organizer_client, organizer, event, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = organizer_client.post(ADD_URL, add_data(event))
    assert response.status_code == 302
    registration = Registration.objects.get()
    assert response["Location"] == CHANGELIST
    assert (registration.state, registration.email, registration.added_by) == (
        State.UNCONFIRMED,
        "Ilse.Guest@example.org",
        organizer,
    )
    assert registration.privacy_notice_version == "by organizer"
    assert registration.consented_at is not None and registration.confirmed_at is None
    assert kinds(registration) == [Kind.CONFIRM]
    [message] = mail.outbox
    assert (
        gettext('the organizers of "%(event)s" have registered you for it.')
        % {"event": "Guest Workshop"}
        in message.body
    )
    [entry] = LogEntry.objects.filter(object_id=str(registration.pk))
    assert (entry.action_flag, entry.user, json.loads(entry.change_message)) == (
        ADDITION,
        organizer,
        [{"added": {}}],
    )


def test_hand_added_guest_confirms_through_the_link_as_usual(client, organizer_client, event):
    organizer_client.post(ADD_URL, add_data(event))
    registration = Registration.objects.get()
    client.post(f"/registrations/{registration.secret}/confirm/")
    registration.refresh_from_db()
    assert registration.state == State.PENDING
    assert registration.privacy_notice_version == "by organizer"
    assert kinds(registration) == [Kind.CONFIRM, Kind.RECEIVED]


def test_add_as_confirmed_goes_the_way_of_a_confirmation(organizer_client, event):
    response = organizer_client.post(ADD_URL, add_data(event, confirmation="confirmed"))
    assert response.status_code == 302
    registration = Registration.objects.get()
    assert registration.state == State.PENDING
    assert registration.confirmed_at is not None and registration.decided_by is None
    assert kinds(registration) == [Kind.RECEIVED]


def test_add_as_confirmed_to_a_full_event_waits(organizer_client, event):
    event.capacity = 1
    event.save()
    RegistrationFactory(event=event, state=State.APPROVED)
    organizer_client.post(ADD_URL, add_data(event, confirmation="confirmed"))
    registration = Registration.objects.get(name="Ilse Guest")
    assert registration.state == State.WAITING
    assert kinds(registration) == [Kind.WAITING]


def test_add_as_confirmed_and_approved_sends_the_invitation_only(
    organizer_client, organizer, event, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = organizer_client.post(
            ADD_URL, add_data(event, confirmation="confirmed", approve="on")
        )
    assert response.status_code == 302
    registration = Registration.objects.get()
    assert (registration.state, registration.decided_by) == (State.APPROVED, organizer)
    assert kinds(registration) == [Kind.INVITATION]
    [message] = mail.outbox
    assert "https://zoom.us/j/5550001111" in message.body


def test_add_approve_past_capacity_is_refused_on_the_form(organizer_client, event):
    event.capacity = 1
    event.save()
    RegistrationFactory(event=event, state=State.APPROVED)
    response = organizer_client.post(
        ADD_URL, add_data(event, confirmation="confirmed", approve="on")
    )
    assert response.status_code == 200
    errors = form_errors(response)["__all__"]
    over_capacity = ngettext(
        "“%(title)s” has %(capacity)s place: %(taken)s are taken and this approval would add "
        "%(adding)s, %(total)s in all (%(over)s over capacity).",
        "“%(title)s” has %(capacity)s places: %(taken)s are taken and this approval would add "
        "%(adding)s, %(total)s in all (%(over)s over capacity).",
        1,
    ) % {"title": "Guest Workshop", "capacity": 1, "taken": 1, "adding": 1, "total": 2, "over": 1}
    assert any(over_capacity in error for error in errors)
    assert not Registration.objects.filter(name="Ilse Guest").exists()
    assert not LogEntry.objects.exists()


def test_add_approve_needs_registering_as_confirmed(organizer_client, event):
    response = organizer_client.post(ADD_URL, add_data(event, approve="on"))
    assert response.status_code == 200
    assert "approve" in form_errors(response)
    assert not Registration.objects.exists()


def test_add_works_while_registration_is_closed(organizer_client, event):
    event.registration_closes = timezone.now() - dt.timedelta(days=1)
    event.save()
    response = organizer_client.post(ADD_URL, add_data(event))
    assert response.status_code == 302
    assert Registration.objects.get().state == State.UNCONFIRMED


def test_add_an_address_already_registered_links_to_the_registration(organizer_client, event):
    existing = RegistrationFactory(event=event, email="ilse.guest@example.org", name="Ilse")
    response = organizer_client.post(ADD_URL, add_data(event, name="Ilse G."))
    assert response.status_code == 200
    html = response.content.decode()
    assert f'href="/admin/registration/registration/{existing.pk}/change/"' in html
    assert 'value="Ilse G."' in html
    assert Registration.objects.count() == 1
    assert not existing.emails.exists()


def test_add_the_same_address_to_another_event(organizer_client, event):
    RegistrationFactory(email="ilse.guest@example.org")
    response = organizer_client.post(ADD_URL, add_data(event))
    assert response.status_code == 302
    assert Registration.objects.filter(event=event).count() == 1


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "Ilse\nGuest"}, "name"),
        ({"email": "not-an-address"}, "email"),
        ({"email": ""}, "email"),
        ({"event": "999999"}, "event"),
        ({"event": "garbage"}, "event"),
        ({"country": "XX"}, "country"),
        ({"timezone": "Mars/Base"}, "timezone"),
        ({"career_stage": ""}, "career_stage"),
        ({"confirmation": "sometimes"}, "confirmation"),
        ({"affiliation": "a" * 301}, "affiliation"),
    ],
)
def test_add_bad_input_shows_the_error_and_adds_nothing(organizer_client, event, overrides, field):
    response = organizer_client.post(ADD_URL, add_data(event, **overrides))
    assert response.status_code == 200
    assert field in form_errors(response)
    assert not Registration.objects.exists()


def test_add_form_errors_keep_what_was_typed_escaped(organizer_client, event):
    response = organizer_client.post(
        ADD_URL, add_data(event, name=XSS, affiliation=XSS, email="not-an-address")
    )
    html = response.content.decode()
    assert XSS not in html
    assert f'name="name" value="{XSS_ESCAPED}"' in html
    assert 'value="not-an-address"' in html


def test_add_escapes_the_address_in_the_already_registered_error(organizer_client, event):
    RegistrationFactory(event=event, email="ilse.guest@example.org")
    response = organizer_client.post(ADD_URL, add_data(event, name=XSS))
    assert response.status_code == 200
    assert XSS not in response.content.decode()


def test_change_form_of_an_existing_registration_keeps_its_read_only_fields(
    organizer_client, event
):
    registration = RegistrationFactory(event=event)
    html = organizer_client.get(f"{CHANGELIST}{registration.pk}/change/").content.decode()
    assert 'name="email"' not in html and 'name="state"' not in html
    assert 'name="confirmation"' not in html and 'name="approve"' not in html


# --- the service -----------------------------------------------------------------------------


def test_add_participant_refuses_an_address_registered_in_another_case(organizer, event):
    RegistrationFactory(event=event, email="ilse.guest@example.org")
    with pytest.raises(ValidationError) as refusal:
        services.add_participant(
            event=event,
            by=organizer,
            name="Ilse",
            email="ILSE.GUEST@example.org",
            career_stage="Scholar",
            country="AT",
            timezone_name="Europe/Vienna",
            send_confirmation=False,
            approve=False,
        )
    assert refusal.value.code == "already_registered"
    assert Registration.objects.count() == 1
