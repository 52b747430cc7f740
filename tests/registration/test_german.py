"""The participant pages and the registration admin in German: no English left (checked against
the catalogue, `tests.support.german`), German dates, German form errors."""

import datetime as dt
import re
import uuid

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.utils import translation
from django.utils.translation import gettext

from mailing.models import OutgoingEmail
from registration.emails import Kind
from registration.models import Registration
from tests.factories import EventFactory, RegistrationFactory, SessionFactory
from tests.registration.conftest import form_data
from tests.support.admin import post_action
from tests.support.german import english_leaks

State = Registration.State

CHANGELIST = "/admin/registration/registration/"
# Registration closes on Thursday, 1 July 2094, 12:00 in Berlin.
CLOSES = dt.datetime(2094, 7, 1, 10, 0, tzinfo=dt.UTC)
GERMAN_CLOSING_DATE = "Donnerstag, 1. Juli 2094"
# Content the tests wrote (names, titles, addresses): what people typed, never interface text.
# The example address in the German error message too.
ALLOW = ("Chen Tao", "Tongji", "chen@example.org", "name@example.org")


def de(text: str) -> str:
    with translation.override("de"):
        return gettext(text)


def get_de(client, url, **params):
    response = client.get(url, params, HTTP_ACCEPT_LANGUAGE="de")
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def post_de(client, url, data):
    return client.post(url, data, HTTP_ACCEPT_LANGUAGE="de")


# Admin pages: Django's own German for "Home" is "Start", also an English msgid of the catalogue
# (a session's start, "Beginn"); the message form names its placeholders in braces.
ADMIN_ALLOW = ("Start", "{name}", "{event}", "{status_link}", "{join_link}")


def assert_german(html: str) -> None:
    assert re.search(r'<html lang="de"[ >]', html)
    allow = ALLOW + ADMIN_ALLOW if 'id="container"' in html else ALLOW
    assert english_leaks(html, allow=allow) == []


@pytest.fixture
def event(db):
    event = EventFactory(
        slug="sommerakademie",
        title="Sommerakademie Sinologie",
        timezone="Europe/Berlin",
        requires_approval=True,
        registration_closes=CLOSES,
        capacity=20,
    )
    start = (dt.datetime.now(dt.UTC) + dt.timedelta(days=30)).replace(
        minute=0, second=0, microsecond=0
    )
    SessionFactory(
        event=event, title="Eröffnungsvortrag", start=start, end=start + dt.timedelta(hours=1)
    )
    return event


def registration_in(event, state, **fields):
    defaults = {
        "name": "Chen Tao",
        "email": "chen@example.org",
        "affiliation": "Tongji-Universität",
        "timezone": "Asia/Shanghai",
        "language": "de",
    }
    if state == State.UNCONFIRMED:
        defaults["confirmed_at"] = None
    return RegistrationFactory(event=event, state=state, **{**defaults, **fields})


# --- the participant's pages -----------------------------------------------------------------


def test_register_page_in_german(client, event):
    html = get_de(client, f"/events/{event.slug}/register/")
    assert_german(html)
    assert GERMAN_CLOSING_DATE in html
    assert de("Full name") in html
    assert f'<option value="DE">{de("Germany")}' in html or "Deutschland" in html


def test_register_post_with_errors_in_german_keeps_what_was_typed(client, event):
    response = post_de(
        client,
        f"/events/{event.slug}/register/",
        form_data(name="", email="kein-gueltige-adresse", affiliation="Universität Wien"),
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert_german(html)
    assert de("Please correct the fields marked below; what you typed is kept.") in html
    assert de("Please enter your name.") in html
    assert de("Enter a valid email address, e.g. name@example.org.") in html
    assert 'value="Universität Wien"' in html
    assert 'value="kein-gueltige-adresse"' in html
    assert not Registration.objects.exists()


def test_check_inbox_page_in_german(client, event):
    html = get_de(client, f"/events/{event.slug}/register/check-inbox/")
    assert_german(html)
    assert "„Sommerakademie Sinologie“" in html


@pytest.mark.parametrize("state", [State.UNCONFIRMED, State.EXPIRED, State.APPROVED])
def test_confirm_page_in_german(client, event, state):
    registration = registration_in(event, state)
    html = get_de(client, f"/registrations/{registration.secret}/confirm/")
    assert_german(html)


def test_confirm_post_says_so_in_german(client, event):
    registration = registration_in(event, State.UNCONFIRMED)
    response = client.post(
        f"/registrations/{registration.secret}/confirm/", HTTP_ACCEPT_LANGUAGE="de", follow=True
    )
    html = response.content.decode()
    assert_german(html)
    assert de("Thank you: your email address is confirmed.") in html


@pytest.mark.parametrize(
    "state",
    [
        State.UNCONFIRMED,
        State.PENDING,
        State.APPROVED,
        State.WAITING,
        State.DECLINED,
        State.CANCELLED,
        State.EXPIRED,
    ],
)
def test_status_page_in_german_in_every_state(client, event, state):
    registration = registration_in(
        event, state, decline_reason="Leider ist die Veranstaltung ausgebucht."
    )
    html = get_de(client, registration.get_absolute_url())
    assert_german(html)
    badge = re.search(r'id="registration-state">([^<]*)<', html).group(1)
    with translation.override("de"):
        assert badge == str(registration.get_state_display())
    assert 'data-language="de">Deutsch<' in html
    if state == State.APPROVED:
        assert 'id="join-heading"' in html
        assert "https://zoom.us/j/5550001111" in html


def test_edit_page_in_german(client, event):
    registration = registration_in(event, State.APPROVED)
    html = get_de(client, f"/registrations/{registration.secret}/edit/")
    assert_german(html)
    assert '<select name="language"' in html
    assert '<option value="de" selected>' in html


def test_edit_page_errors_and_refusal_in_german(client, event):
    registration = registration_in(event, State.APPROVED)
    response = post_de(
        client,
        f"/registrations/{registration.secret}/edit/",
        {"name": "", "affiliation": "Fudan", "timezone": "Mars/Olympus", "language": "de"},
    )
    html = response.content.decode()
    assert_german(html)
    assert de("Please enter your name.") in html
    cancelled = registration_in(event, State.CANCELLED, email="other@example.org")
    html = get_de(client, f"/registrations/{cancelled.secret}/edit/")
    assert_german(html)
    assert 'id="edit-refused"' in html


def test_edit_saved_message_in_german(client, event):
    registration = registration_in(event, State.APPROVED)
    response = client.post(
        f"/registrations/{registration.secret}/edit/",
        {"name": "Chen Tao", "affiliation": "Fudan", "timezone": "Asia/Shanghai", "language": "de"},
        HTTP_ACCEPT_LANGUAGE="de",
        follow=True,
    )
    html = response.content.decode()
    assert_german(html)
    assert "Ihre Angaben sind gespeichert (geändert: Institution)." in html


@pytest.mark.parametrize("state", [State.APPROVED, State.WAITING, State.DECLINED])
def test_cancel_page_in_german(client, event, state):
    registration = registration_in(event, state)
    html = get_de(client, f"/registrations/{registration.secret}/cancel/")
    assert_german(html)
    if state == State.DECLINED:
        assert 'id="cancel-refused"' in html
    else:
        assert GERMAN_CLOSING_DATE in html


def test_cancelling_says_so_in_german(client, event):
    registration = registration_in(event, State.APPROVED)
    response = client.post(
        f"/registrations/{registration.secret}/cancel/",
        {"confirm": "yes"},
        HTTP_ACCEPT_LANGUAGE="de",
        follow=True,
    )
    html = response.content.decode()
    assert_german(html)
    assert de("Your registration is cancelled.") in html


def test_privacy_notice_in_german(client, db, settings):
    settings.REGISTRATION_RETENTION_DAYS = 180
    html = get_de(client, "/privacy/")
    assert_german(html)
    assert "Datenschutzhinweis" in html
    assert "noch 180 Tage lang auf" in html


def test_registration_box_on_the_event_page_in_german(client, event):
    html = get_de(client, event.get_absolute_url())
    box = html[html.index('id="register"') :]
    assert english_leaks(box, allow=(*ALLOW, "Sommerakademie Sinologie", "Eröffnungsvortrag")) == []
    assert "20 freie Plätze" in box


def test_full_event_and_closed_registration_in_german(client, event):
    event.capacity = 1
    event.save()
    registration_in(event, State.APPROVED)
    html = get_de(client, f"/events/{event.slug}/register/")
    assert_german(html)
    assert "Der einzige Platz ist vergeben." in html
    event.registration_closes = dt.datetime(2020, 7, 2, 10, tzinfo=dt.UTC)
    event.save()
    html = get_de(client, f"/events/{event.slug}/register/")
    assert_german(html)
    assert "Donnerstag, 2. Juli 2020" in html


# --- the registration admin ------------------------------------------------------------------


@pytest.fixture
def registrations(event):
    approved = registration_in(event, State.APPROVED)
    pending = registration_in(
        event, State.PENDING, name="Anna Müller", email="anna@example.org", language="de"
    )
    OutgoingEmail.objects.create(
        kind=Kind.CONFIRM,
        to_address=approved.email,
        recipient=approved,
        language="de",
        state=OutgoingEmail.State.SENT,
    )
    return approved, pending


def post_action_de(client, action, objects, **extra):
    data = {"action": action, "index": "0", ACTION_CHECKBOX_NAME: [str(o.pk) for o in objects]}
    return client.post(CHANGELIST, {**data, **extra}, HTTP_ACCEPT_LANGUAGE="de")


def test_admin_changelist_in_german(organizer_client, registrations):
    html = get_de(organizer_client, CHANGELIST)
    assert_german(html)
    assert f"{de('Awaiting approval')}: <strong>1</strong>" in html
    assert de("Export as CSV") in html


def test_admin_change_page_in_german(organizer_client, registrations):
    approved, _ = registrations
    html = get_de(organizer_client, f"{CHANGELIST}{approved.pk}/change/")
    assert_german(html)
    assert "Verlauf" in html


def test_admin_add_page_in_german(organizer_client, event):
    html = get_de(organizer_client, f"{CHANGELIST}add/")
    assert_german(html)
    assert '<option value="en" selected>' in html


def test_admin_add_errors_in_german(organizer_client, event):
    response = post_de(
        organizer_client,
        f"{CHANGELIST}add/",
        {
            "event": str(event.pk),
            "name": "",
            "email": "ilse@example.org",
            "career_stage": "Scholar",
            "country": "AT",
            "timezone": "Europe/Vienna",
            "language": "de",
            "confirmation": "email",
            "approve": "on",
        },
    )
    html = response.content.decode()
    assert_german(html)
    assert (
        de(
            "Approve only a participant registered as confirmed: one who still has to confirm "
            "their address cannot be approved yet."
        )
        in html
    )


def test_admin_decline_page_in_german(organizer_client, registrations):
    response = post_action_de(organizer_client, "decline", registrations)
    assert response.status_code == 200
    html = response.content.decode()
    assert_german(html)
    assert "2 Anmeldungen ablehnen?" in html


def test_admin_decline_done_in_german(organizer_client, registrations):
    response = post_action_de(organizer_client, "decline", registrations, apply="1", reason="")
    assert response.status_code == 302
    html = get_de(organizer_client, CHANGELIST)
    assert_german(html)
    assert "2 Anmeldungen abgelehnt." in html


def test_admin_approve_beyond_capacity_page_in_german(organizer_client, event):
    event.capacity = 1
    event.save()
    registration_in(event, State.APPROVED)
    waiting = [
        registration_in(event, State.WAITING, name=f"Wartende {n}", email=f"w{n}@example.org")
        for n in range(2)
    ]
    response = post_action_de(organizer_client, "approve", waiting)
    assert response.status_code == 200
    html = response.content.decode()
    assert_german(html)
    assert 'data-seats-total="3"' in html
    assert "3 (2 über der Kapazität)" in html


def test_admin_email_participants_page_and_preview_in_german(organizer_client, registrations):
    response = post_action_de(organizer_client, "email_participants", registrations)
    assert response.status_code == 200
    html = response.content.decode()
    assert_german(html)
    assert "An 2 Empfänger:innen senden" in html
    response = post_action_de(
        organizer_client,
        "email_participants",
        registrations,
        subject="Neuigkeiten zu {event}",
        body="Das Programm ist online: {join_link}",
        token=str(uuid.uuid4()),
        preview="1",
    )
    html = response.content.decode()
    assert 'id="message-preview"' in html
    # The preview's text holds links, whose paths are English words.
    links = [f"http://testserver{r.get_absolute_url()}" for r in registrations]
    links.append(f"http://testserver{registrations[0].event.get_absolute_url()}")
    text = html
    for link in links:
        text = text.replace(link, " ")
    assert_german(text)


def test_admin_actions_are_offered_in_german(organizer_client, registrations):
    html = get_de(organizer_client, CHANGELIST)
    for description in (
        "Approve (sends the meeting link)",
        "Decline…",
        "Move to waiting list",
        "Resend invitation (approved only)",
        "Email these participants…",
    ):
        assert de(description) in html


def test_post_action_helper_is_the_english_one(organizer_client, registrations):
    """The same pages without Accept-Language stay English (the default)."""
    response = post_action(organizer_client, CHANGELIST, "decline", registrations)
    assert "Decline 2 registrations?" in response.content.decode()
