"""Participant self-service on the status page: editing one's details (logged for the admin
history) and a cancel that asks first (mail scanners follow links: GET never cancels)."""

import datetime as dt
import json

import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth.models import User
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext, pgettext

from mailing.models import OutgoingEmail
from registration import services
from registration.emails import Kind
from registration.models import Registration
from tests.factories import RegistrationFactory

State = Registration.State

XSS = '"><img src=x onerror=alert(1)>'
XSS_ESCAPED = "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;"
EDITABLE = [State.UNCONFIRMED, State.PENDING, State.APPROVED, State.WAITING, State.DECLINED]
NOT_EDITABLE = [State.CANCELLED, State.EXPIRED]


def status_url(registration) -> str:
    return f"/registrations/{registration.secret}/"


def edit_url(registration) -> str:
    return f"/registrations/{registration.secret}/edit/"


def cancel_url(registration) -> str:
    return f"/registrations/{registration.secret}/cancel/"


def field_label(name: str) -> str:
    """How the status page and the admin name a field of a registration."""
    return str(capfirst(Registration._meta.get_field(name).verbose_name))


def details(**overrides):
    data = {"name": "Chen Tao", "affiliation": "Tongji University", "timezone": "Asia/Shanghai"}
    data.update(overrides)
    return data


@pytest.fixture
def chen(open_event):
    return RegistrationFactory(
        event=open_event,
        name="Chen Tao",
        email="chen@example.org",
        affiliation="Tongji University",
        timezone="Asia/Shanghai",
        state=State.APPROVED,
    )


def log_entries(registration):
    return list(
        LogEntry.objects.filter(object_id=str(registration.pk))
        .order_by("pk")
        .select_related("user")
    )


# --- the status page -------------------------------------------------------------------------


def test_status_page_links_to_edit_and_to_the_cancel_page_without_a_cancel_form(client, chen):
    html = client.get(status_url(chen)).content.decode()
    assert f'href="{edit_url(chen)}"' in html
    assert f'href="{cancel_url(chen)}"' in html
    # Cancelling takes a second step: no form on the status page posts to the cancel URL.
    assert f'action="{cancel_url(chen)}"' not in html


@pytest.mark.parametrize("state", NOT_EDITABLE)
def test_status_page_offers_no_edit_once_cancelled_or_expired(client, open_event, state):
    registration = RegistrationFactory(event=open_event, state=state)
    html = client.get(status_url(registration)).content.decode()
    assert edit_url(registration) not in html
    assert cancel_url(registration) not in html


# --- editing one's details -------------------------------------------------------------------


def test_edit_page_shows_the_current_details_and_the_address_read_only(
    client, chen, django_assert_max_num_queries
):
    with django_assert_max_num_queries(4):
        response = client.get(edit_url(chen))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'name="name" value="Chen Tao"' in html
    assert 'name="affiliation" value="Tongji University"' in html
    assert '<option value="Asia/Shanghai" selected>' in html
    assert 'name="email"' not in html
    assert 'id="registration-email"' in html and "chen@example.org" in html
    # The browser's zone must not replace the one the participant chose.
    assert "js-browser-timezone" not in html


def test_edit_saves_the_details_and_says_what_changed(client, chen):
    response = client.post(
        edit_url(chen),
        details(name="Chen  Tao-Li", timezone="America/New_York"),
        follow=True,
    )
    assert response.redirect_chain == [(status_url(chen), 302)]
    html = response.content.decode()
    assert "Chen  Tao-Li" in html
    assert gettext("Programme in your time zone (%(zone)s)") % {"zone": "America/New_York"} in html
    assert [str(m) for m in response.context["messages"]] == [
        gettext("Your details are saved (changed: %(fields)s).")
        % {"fields": f"{field_label('name')}, {field_label('timezone')}"}
    ]
    chen.refresh_from_db()
    assert (chen.name, chen.affiliation, chen.timezone, chen.email) == (
        "Chen  Tao-Li",
        "Tongji University",
        "America/New_York",
        "chen@example.org",
    )
    assert OutgoingEmail.objects.count() == 0


def test_edit_is_logged_for_the_admin_history_as_the_participant(client, chen, organizer_client):
    client.post(edit_url(chen), details(affiliation="Fudan University", timezone="Europe/Paris"))
    [entry] = log_entries(chen)
    assert entry.action_flag == CHANGE
    assert json.loads(entry.change_message) == [
        {"changed": {"fields": ["Affiliation", "Time zone"]}}
    ]
    account = entry.user
    assert account.username == services.SELF_SERVICE_USERNAME
    assert (account.is_active, account.is_staff, account.is_superuser) == (False, False, False)
    assert not account.has_usable_password()
    assert not account.user_permissions.exists() and not account.groups.exists()

    history = organizer_client.get(f"/admin/registration/registration/{chen.pk}/history/")
    html = history.content.decode()
    assert "participant-self-service" in html
    assert "Changed Affiliation and Time zone." in html


def test_edit_twice_uses_one_service_account(client, open_event, chen):
    other = RegistrationFactory(event=open_event, state=State.PENDING)
    client.post(edit_url(chen), details(name="Chen T."))
    client.post(edit_url(other), details(name="Someone Else"))
    assert User.objects.filter(username=services.SELF_SERVICE_USERNAME).count() == 1
    assert LogEntry.objects.count() == 2


def test_edit_without_changes_writes_nothing(client, chen):
    response = client.post(edit_url(chen), details(), follow=True)
    assert response.redirect_chain == [(status_url(chen), 302)]
    assert [str(m) for m in response.context["messages"]] == [gettext("Nothing changed.")]
    assert LogEntry.objects.count() == 0
    assert not User.objects.filter(username=services.SELF_SERVICE_USERNAME).exists()


@pytest.mark.parametrize(
    ("data", "field"),
    [
        (details(name=""), "name"),
        (details(name="   "), "name"),
        (details(name="x" * 201), "name"),
        (details(name="Chen\nTao"), "name"),
        (details(timezone="Mars/Olympus_Mons"), "timezone"),
        (details(timezone="localtime"), "timezone"),
        (details(timezone=""), "timezone"),
        (details(affiliation="a" * 301), "affiliation"),
        ({}, "name"),
    ],
)
def test_edit_bad_input_shows_the_error_and_changes_nothing(client, chen, data, field):
    response = client.post(edit_url(chen), data)
    assert response.status_code == 200
    assert field in response.context["form"].errors
    chen.refresh_from_db()
    assert (chen.name, chen.affiliation, chen.timezone) == (
        "Chen Tao",
        "Tongji University",
        "Asia/Shanghai",
    )
    assert LogEntry.objects.count() == 0


def test_edit_form_errors_keep_what_was_typed_escaped(client, chen):
    response = client.post(
        edit_url(chen), details(affiliation=XSS, timezone="Nowhere/Land", name=XSS)
    )
    html = response.content.decode()
    assert XSS not in html
    assert f'name="affiliation" value="{XSS_ESCAPED}"' in html
    assert f'name="name" value="{XSS_ESCAPED}"' in html


def test_edit_escapes_the_new_name_on_the_status_page(client, chen):
    client.post(edit_url(chen), details(name=XSS))
    html = client.get(status_url(chen)).content.decode()
    assert XSS not in html
    assert XSS_ESCAPED in html


def test_edit_ignores_a_posted_email_address(client, chen):
    client.post(edit_url(chen), {**details(name="Chen T."), "email": "mallory@example.org"})
    chen.refresh_from_db()
    assert (chen.name, chen.email) == ("Chen T.", "chen@example.org")


@pytest.mark.parametrize("state", EDITABLE)
def test_edit_allowed_in_every_live_state(client, open_event, state):
    registration = RegistrationFactory(event=open_event, state=state, name="Before")
    response = client.post(edit_url(registration), details(name="After"))
    assert response.status_code == 302
    registration.refresh_from_db()
    assert registration.name == "After"


@pytest.mark.parametrize("state", NOT_EDITABLE)
def test_edit_refused_once_cancelled_or_expired(client, open_event, state):
    registration = RegistrationFactory(event=open_event, state=state, name="Before")
    page = client.get(edit_url(registration))
    assert page.status_code == 200
    assert 'name="name"' not in page.content.decode()
    assert 'id="edit-refused"' in page.content.decode()
    response = client.post(edit_url(registration), details(name="After"))
    assert response.status_code == 200
    assert 'id="edit-refused"' in response.content.decode()
    registration.refresh_from_db()
    assert registration.name == "Before"
    assert LogEntry.objects.count() == 0


def test_edit_unknown_secret_is_404(client, db):
    assert client.get("/registrations/nope/edit/").status_code == 404
    assert client.post("/registrations/nope/edit/", details()).status_code == 404


def test_edited_time_zone_is_used_by_the_next_email(
    client, chen, organizer, django_capture_on_commit_callbacks
):
    client.post(edit_url(chen), details(timezone="America/New_York"))
    with django_capture_on_commit_callbacks(execute=True):
        services.resend_invitations(registrations=Registration.objects.filter(pk=chen.pk), by=None)
    [message] = mail.outbox
    assert "America/New_York" in message.body
    assert "Asia/Shanghai" not in message.body


# --- the service -----------------------------------------------------------------------------


def test_update_registration_details_returns_the_labels_of_what_changed(chen):
    changed = services.update_registration_details(
        registration=chen,
        name="  Chen Tao  ",
        affiliation="Fudan",
        timezone_name="Asia/Shanghai",
    )
    assert changed == [field_label("affiliation")]
    chen.refresh_from_db()
    assert (chen.name, chen.affiliation) == ("Chen Tao", "Fudan")


def test_update_registration_details_refuses_an_unknown_zone_and_an_empty_name(chen):
    with pytest.raises(ValidationError):
        services.update_registration_details(
            registration=chen, name="Chen", affiliation="", timezone_name="Mars/Base"
        )
    with pytest.raises(ValidationError):
        services.update_registration_details(
            registration=chen, name=" ", affiliation="", timezone_name="UTC"
        )
    chen.refresh_from_db()
    assert (chen.name, chen.timezone) == ("Chen Tao", "Asia/Shanghai")


def test_update_registration_details_refuses_an_erased_registration(chen, organizer):
    services.erase_registrations(registrations=Registration.objects.filter(pk=chen.pk), by=None)
    with pytest.raises(ValidationError):
        services.update_registration_details(
            registration=chen, name="Back again", affiliation="", timezone_name="UTC"
        )


def test_erasure_anonymises_the_self_service_history(client, chen, organizer):
    client.post(edit_url(chen), details(name="Chen Tao-Li", affiliation="Fudan"))
    services.erase_registrations(
        registrations=Registration.objects.filter(pk=chen.pk), by=organizer
    )
    entries = log_entries(chen)
    assert [(e.object_repr, e.change_message) for e in entries[:1]] == [
        (f"Registration {chen.pk} (erased)", "")
    ]
    for entry in entries:
        assert "Chen" not in entry.object_repr and "Fudan" not in entry.change_message


# --- cancel, in two steps --------------------------------------------------------------------


def test_cancel_get_shows_a_confirmation_page_and_cancels_nothing(client, chen):
    response = client.get(cancel_url(chen))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Open Workshop" in html
    assert 'name="confirm" value="yes"' in html
    assert f'href="{status_url(chen)}"' in html
    chen.refresh_from_db()
    assert chen.state == State.APPROVED
    assert OutgoingEmail.objects.count() == 0


def test_cancel_head_cancels_nothing(client, chen):
    client.head(cancel_url(chen))
    chen.refresh_from_db()
    assert chen.state == State.APPROVED


def test_cancel_post_without_the_confirm_field_cancels_nothing(client, chen):
    response = client.post(cancel_url(chen), {})
    assert response.status_code == 200
    assert 'name="confirm" value="yes"' in response.content.decode()
    chen.refresh_from_db()
    assert chen.state == State.APPROVED
    assert OutgoingEmail.objects.count() == 0


def test_cancel_confirmed_frees_the_seat_for_the_first_on_the_waiting_list(
    client, open_event, django_capture_on_commit_callbacks
):
    open_event.capacity = 1
    open_event.save()
    seated = RegistrationFactory(event=open_event, state=State.APPROVED)
    now = timezone.now()
    first_waiting = RegistrationFactory(
        event=open_event, state=State.WAITING, waiting_since=now - dt.timedelta(hours=2)
    )
    second_waiting = RegistrationFactory(
        event=open_event, state=State.WAITING, waiting_since=now - dt.timedelta(hours=1)
    )
    page = client.get(cancel_url(seated)).content.decode()
    assert 'id="cancel-frees-seat"' in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(cancel_url(seated), {"confirm": "yes"}, follow=True)
    assert response.redirect_chain == [(status_url(seated), 302)]
    html = response.content.decode()
    assert gettext("Your registration is cancelled.") in html
    assert f'id="registration-state">{State.CANCELLED.label}</span>' in html
    assert "https://zoom.us/j/5550001111" not in html
    for registration in (seated, first_waiting, second_waiting):
        registration.refresh_from_db()
    assert (seated.state, first_waiting.state, second_waiting.state) == (
        State.CANCELLED,
        State.PENDING,
        State.WAITING,
    )
    assert seated.cancelled_at is not None
    assert list(seated.emails.values_list("kind", flat=True)) == [Kind.CANCELLED]
    assert list(first_waiting.emails.values_list("kind", flat=True)) == [Kind.PROMOTED]
    event = {"event": "Open Workshop"}
    assert sorted(m.subject for m in mail.outbox) == [
        gettext("A place is free for you: %(event)s") % event,
        gettext("Registration cancelled: %(event)s") % event,
    ]


def test_cancel_page_of_a_declined_registration_explains_and_offers_no_button(client, open_event):
    registration = RegistrationFactory(event=open_event, state=State.DECLINED)
    page = client.get(cancel_url(registration))
    assert page.status_code == 200
    assert 'name="confirm"' not in page.content.decode()
    response = client.post(cancel_url(registration), {"confirm": "yes"}, follow=True)
    assert response.status_code == 200
    assert gettext("Cannot cancel a registration that is %(state)s.") % {
        "state": pgettext("this registration is …", "declined")
    } in (response.content.decode())
    registration.refresh_from_db()
    assert registration.state == State.DECLINED
    assert OutgoingEmail.objects.count() == 0


def test_cancel_confirmed_twice_sends_one_email(client, open_event):
    registration = RegistrationFactory(event=open_event, state=State.PENDING)
    client.post(cancel_url(registration), {"confirm": "yes"})
    client.post(cancel_url(registration), {"confirm": "yes"})
    assert list(registration.emails.values_list("kind", flat=True)) == [Kind.CANCELLED]


def test_cancel_unknown_secret_is_404(client, db):
    assert client.get("/registrations/nope/cancel/").status_code == 404
    assert client.post("/registrations/nope/cancel/", {"confirm": "yes"}).status_code == 404


def test_cancel_page_escapes_the_event_title(client, open_event):
    open_event.title = XSS
    open_event.save()
    registration = RegistrationFactory(event=open_event, state=State.PENDING)
    html = client.get(cancel_url(registration)).content.decode()
    assert XSS not in html
    assert XSS_ESCAPED in html
