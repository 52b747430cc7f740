"""A person's language: taken from the page of their first sign-in to the portal, kept after
that, changed on the profile page; every portal email goes out in it (English while none is
chosen), including emails already waiting when it changes."""

import datetime as dt

import pytest
from django.core import mail
from django.core.cache import cache
from django.test import Client
from django.utils import translation

from mailing.delivery import deliver
from mailing.models import OutgoingEmail
from portal.emails import Kind
from portal.links import sign_in_url
from portal.services import ensure_portal_user, notify_session_people, request_sign_in_link
from tests.factories import EventFactory, PersonFactory, SessionFactory, SessionRoleFactory
from workshop.models import Person

pytestmark = pytest.mark.django_db

START = dt.datetime(2031, 7, 1, 10, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def no_rate_limits():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def tao(db):
    return PersonFactory(key="tao-chen", name="Tao Chen", email="tao@example.org")


@pytest.fixture
def session(tao):
    session = SessionFactory(
        event=EventFactory(title="Grenzhandel"),
        title="Handelswege",
        start=START,
        end=START + dt.timedelta(minutes=45),
    )
    SessionRoleFactory(session=session, person=tao)
    return session


def press_link(client: Client, person: Person, **headers):
    """Open a fresh sign-in link of the person and press its button."""
    url = sign_in_url(ensure_portal_user(person), purpose="signin")
    path, token = url.split("testserver", 1)[1].split("?sesame=")
    response = client.post(path, {"sesame": token}, **headers)
    assert response.status_code == 302
    return response


def language_of(person: Person) -> str:
    return Person.objects.get(pk=person.pk).language


def german(msgid: str) -> str:
    with translation.override("de"):
        return translation.gettext(msgid)


def subject_of_sign_in_email(capture) -> str:
    mail.outbox.clear()
    with capture(execute=True):
        request_sign_in_link(email="tao@example.org")
    [message] = mail.outbox
    return message.subject


def test_a_person_without_a_language_gets_english_emails(tao, django_capture_on_commit_callbacks):
    assert tao.language == ""
    assert subject_of_sign_in_email(django_capture_on_commit_callbacks) == "Your sign-in link"
    assert OutgoingEmail.objects.get().language == ""


def test_first_sign_in_on_a_german_page_stores_german(tao, django_capture_on_commit_callbacks):
    press_link(Client(), tao, HTTP_ACCEPT_LANGUAGE="de")

    assert language_of(tao) == "de"
    subject = subject_of_sign_in_email(django_capture_on_commit_callbacks)
    assert subject == german("Your sign-in link") != "Your sign-in link"


def test_first_sign_in_on_a_regional_german_page_stores_german(tao):
    press_link(Client(), tao, HTTP_ACCEPT_LANGUAGE="de-AT,de;q=0.9")
    assert language_of(tao) == "de"


def test_first_sign_in_on_an_english_page_stores_english(tao):
    press_link(Client(), tao, HTTP_ACCEPT_LANGUAGE="en-GB")
    assert language_of(tao) == "en"


def test_later_sign_in_on_an_english_page_keeps_the_language(tao):
    press_link(Client(), tao, HTTP_ACCEPT_LANGUAGE="de")
    press_link(Client(), tao, HTTP_ACCEPT_LANGUAGE="en")
    assert language_of(tao) == "de"


def test_first_sign_in_also_moves_the_emails_already_waiting(
    tao, session, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):  # held: not handed over yet
        notify_session_people(session=session, changed_fields={"start"})
    row = OutgoingEmail.objects.get(kind=Kind.SESSION_CHANGED)
    assert row.language == ""

    press_link(Client(), tao, HTTP_ACCEPT_LANGUAGE="de")

    row.refresh_from_db()
    assert row.language == "de"


def test_profile_page_shows_and_changes_the_language(
    client, tao, session, django_capture_on_commit_callbacks
):
    press_link(client, tao, HTTP_ACCEPT_LANGUAGE="en")
    assert language_of(tao) == "en"
    response = client.get("/portal/profile/")
    assert '<option value="en" selected>' in response.content.decode()

    # A change notice waits in the outbox, in English.
    with django_capture_on_commit_callbacks(execute=False):
        notify_session_people(session=session, changed_fields={"start"})
    waiting = OutgoingEmail.objects.get(kind=Kind.SESSION_CHANGED)
    assert waiting.language == "en"

    response = client.post("/portal/profile/", {"bio": "", "timezone": "", "language": "de"})
    assert response.status_code == 302
    assert language_of(tao) == "de"

    # The waiting email goes out in the new language ...
    waiting.refresh_from_db()
    assert waiting.language == "de"
    mail.outbox.clear()
    assert deliver(waiting.pk) == "sent"
    [message] = mail.outbox
    assert message.subject == german("New time for “%(session)s”") % {"session": "Handelswege"}
    # ... and so does the next one.
    subject = subject_of_sign_in_email(django_capture_on_commit_callbacks)
    assert subject == german("Your sign-in link")


def test_profile_without_the_language_field_leaves_it(client, tao):
    press_link(client, tao, HTTP_ACCEPT_LANGUAGE="de")
    response = client.post("/portal/profile/", {"bio": "", "timezone": ""})
    assert response.status_code == 302
    assert language_of(tao) == "de"


def test_profile_refuses_an_unknown_language(client, tao):
    press_link(client, tao, HTTP_ACCEPT_LANGUAGE="de")
    response = client.post("/portal/profile/", {"bio": "", "timezone": "", "language": "xx"})
    assert response.status_code == 400
    assert language_of(tao) == "de"


def test_changing_the_language_is_in_the_admin_history(client, tao):
    from django.contrib.admin.models import LogEntry

    press_link(client, tao, HTTP_ACCEPT_LANGUAGE="en")
    client.post("/portal/profile/", {"bio": "", "timezone": "", "language": "de"})
    entry = LogEntry.objects.get(content_type__model="person")
    assert entry.get_change_message() == "Changed language."


def test_calendar_feed_is_in_the_persons_language(client, tao, session):
    tao.language = "de"
    tao.save()
    response = client.get(f"/portal/calendar/{tao.calendar_token}.ics")
    assert response.status_code == 200
    name = german("My sessions: %(name)s") % {"name": "Tao Chen"}
    assert name != "My sessions: Tao Chen"
    assert f"X-WR-CALNAME:{name}" in response.content.decode()
