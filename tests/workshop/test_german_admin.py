"""The programme admin in German: every page an organizer sees (changelists, change and add
pages of events, sessions and people, the sign-in lockout page) has no English left, and times
are still entered and shown in the event's own zone when the admin writes dates the German way
(``01.07.2021``)."""

import datetime as dt

import pytest
from axes.models import AccessAttempt
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from tests.factories import (
    DisplayZoneFactory,
    EventFactory,
    EventPersonFactory,
    PersonFactory,
    SectionFactory,
    SessionFactory,
    SessionRoleFactory,
)
from tests.support.german import english_leaks
from tests.workshop.admin_forms import event_change_url, parse_form, session_change_url
from workshop.admin_forms import zone_note
from workshop.models import Person, Session

pytestmark = pytest.mark.django_db

UTC = dt.UTC
GERMAN = {"HTTP_ACCEPT_LANGUAGE": "de"}


@pytest.fixture
def event():
    event = EventFactory(
        slug="spaltung-2021",
        title="Die chinesisch-sowjetische Spaltung",
        subtitle="Wirtschaft und Technik",
        timezone="Europe/Berlin",
        organizer="Leibniz-Institut",
        location="Leipzig",
        capacity=40,
        registration_opens=dt.datetime(2021, 6, 1, 8, 0, tzinfo=UTC),
    )
    DisplayZoneFactory(event=event, label="DE", zone="Europe/Berlin", position=0)
    DisplayZoneFactory(event=event, label="Shanghai", zone="Asia/Shanghai", position=1)
    section = SectionFactory(event=event, title="Handel")
    session = SessionFactory(
        event=event,
        section=section,
        title="Handelsbeziehungen",
        abstract="Über den Handel.",
        start=dt.datetime(2021, 7, 1, 10, 0, tzinfo=UTC),
        end=dt.datetime(2021, 7, 1, 10, 45, tzinfo=UTC),
    )
    SessionFactory(
        event=event,
        kind="break",
        title="",
        start=dt.datetime(2021, 7, 1, 10, 45, tzinfo=UTC),
        end=dt.datetime(2021, 7, 1, 11, 0, tzinfo=UTC),
    )
    person = PersonFactory(key="chen-tao", name="Chen Tao", email="chen@example.org")
    EventPersonFactory(event=event, person=person, affiliation="Universität Freiburg")
    SessionRoleFactory(session=session, person=person, role="speaker")
    return event


def django_admin_words() -> tuple[str, ...]:
    """German words of Django's own admin catalogue that are also English source texts of
    ours: the breadcrumb "Home" is "Start" in Django's German, and "Start" is a msgid of the
    session page. Not English here, so not a leak."""
    with translation.override("de"):
        return (gettext("Home"),)


def german_page(client, url, **params):
    response = client.get(url, params, **GERMAN)
    assert response.status_code == 200, (url, response.status_code)
    html = response.content.decode()
    assert '<html lang="de"' in html
    return html


def admin_pages(event):
    session = event.sessions.exclude(kind="break").get()
    person = Person.objects.get(key="chen-tao")
    return {
        "event changelist": (reverse("admin:workshop_event_changelist"), {}),
        "event change": (event_change_url(event), {}),
        "event add": (reverse("admin:workshop_event_add"), {}),
        "session changelist": (reverse("admin:workshop_session_changelist"), {}),
        "session change": (session_change_url(session), {}),
        "session add": (reverse("admin:workshop_session_add"), {}),
        "session add for an event": (reverse("admin:workshop_session_add"), {"event": event.pk}),
        "person changelist": (reverse("admin:workshop_person_changelist"), {}),
        "person change": (reverse("admin:workshop_person_change", args=[person.pk]), {}),
        "person add": (reverse("admin:workshop_person_add"), {}),
        "target group changelist": (reverse("admin:workshop_targetgroup_changelist"), {}),
    }


@pytest.mark.parametrize(
    "page",
    [
        "event changelist",
        "event change",
        "event add",
        "session changelist",
        "session change",
        "session add",
        "session add for an event",
        "person changelist",
        "person change",
        "person add",
        "target group changelist",
    ],
)
def test_programme_admin_pages_have_no_english_in_german(organizer_client, event, page):
    url, params = admin_pages(event)[page]
    html = german_page(organizer_client, url, **params)
    assert english_leaks(html, allow=django_admin_words()) == []


def test_event_change_page_names_its_zone_and_fields_in_german(organizer_client, event):
    response = _get(organizer_client, event_change_url(event))
    html = response.content.decode()
    with translation.override("de"):
        note = zone_note("Europe/Berlin", at=dt.datetime(2021, 7, 1, 10, tzinfo=UTC))
        assert f"{gettext('start').capitalize()} (Europe/Berlin)" in html
        assert gettext("Announcement facts") in html
    assert note in html
    assert "Europe/Berlin (CEST, UTC+02:00)" in note
    data, _ = parse_form(response, "event_form")
    # German admin dates are day.month.year; the clock is the event's (Berlin, UTC+2).
    assert (data["sessions-0-start_0"], data["sessions-0-start_1"]) == ("01.07.2021", "12:00:00")
    assert (data["registration_opens_0"], data["registration_opens_1"]) == (
        "01.06.2021",
        "10:00:00",
    )


def _get(client, url, **params):
    return client.get(url, params, **GERMAN)


def test_session_time_saved_in_german_admin_is_the_right_instant(organizer_client, event):
    session = event.sessions.exclude(kind="break").get()
    url = session_change_url(session)
    data, _ = parse_form(_get(organizer_client, url), "session_form")
    assert (data["start_0"], data["start_1"]) == ("01.07.2021", "12:00:00")
    data.update(
        {"start_0": "02.07.2021", "start_1": "14:30", "end_0": "02.07.2021", "end_1": "15:15"}
    )

    response = organizer_client.post(url, data, **GERMAN)

    assert response.status_code == 302, response.content.decode()
    session.refresh_from_db()
    # 14:30 in Berlin in July (CEST, UTC+2) is 12:30 UTC.
    assert session.start == dt.datetime(2021, 7, 2, 12, 30, tzinfo=UTC)
    assert session.end == dt.datetime(2021, 7, 2, 13, 15, tzinfo=UTC)
    assert session.sequence == 1
    # Read back in German: the same clock time in the event's zone.
    data, _ = parse_form(_get(organizer_client, url), "session_form")
    assert (data["start_0"], data["start_1"]) == ("02.07.2021", "14:30:00")


def test_session_added_in_german_admin_reads_times_in_event_zone(organizer_client):
    event = EventFactory(timezone="Asia/Kathmandu", title="Seminar in Kathmandu")
    url = reverse("admin:workshop_session_add")
    data, _ = parse_form(_get(organizer_client, url, event=event.pk), "session_form")
    data.update(
        {
            "title": "Eröffnungsvortrag",
            "start_0": "01.07.2021",
            "start_1": "12:00",
            "end_0": "01.07.2021",
            "end_1": "13:00",
        }
    )

    response = organizer_client.post(url, data, **GERMAN)

    assert response.status_code == 302, response.content.decode()
    assert Session.objects.get().start == dt.datetime(2021, 7, 1, 6, 15, tzinfo=UTC)


def test_event_saved_in_german_admin_keeps_session_times(organizer_client, event):
    url = event_change_url(event)
    data, _ = parse_form(_get(organizer_client, url), "event_form")
    data["capacity"] = "50"

    response = organizer_client.post(url, data, **GERMAN)

    assert response.status_code == 302, response.content.decode()
    event.refresh_from_db()
    assert event.capacity == 50
    assert event.registration_opens == dt.datetime(2021, 6, 1, 8, 0, tzinfo=UTC)
    assert sorted(event.sessions.values_list("start", flat=True)) == [
        dt.datetime(2021, 7, 1, 10, 0, tzinfo=UTC),
        dt.datetime(2021, 7, 1, 10, 45, tzinfo=UTC),
    ]


def test_session_form_errors_are_german(organizer_client, event):
    session = event.sessions.exclude(kind="break").get()
    url = session_change_url(session)
    data, _ = parse_form(_get(organizer_client, url), "session_form")
    # Overlaps the break (12:45–13:00 in Berlin) and names both in German.
    data.update({"start_1": "12:30", "end_1": "12:50"})

    response = organizer_client.post(url, data, **GERMAN)

    assert response.status_code == 200
    html = response.content.decode()
    with translation.override("de"):
        assert gettext("Break") in html
        assert "(2021-07-01 12:45–13:00)" in html
    assert english_leaks(html, allow=django_admin_words()) == []


def test_event_reminder_offsets_error_is_german(organizer_client, event):
    url = event_change_url(event)
    data, _ = parse_form(_get(organizer_client, url), "event_form")
    data["reminder_offsets"] = "morgen"

    response = organizer_client.post(url, data, **GERMAN)

    assert response.status_code == 200
    html = response.content.decode()
    assert "„morgen“" in html
    assert english_leaks(html, allow=django_admin_words()) == []


def test_person_language_is_edited_and_filtered_in_admin(organizer_client, event):
    person = Person.objects.get(key="chen-tao")
    url = reverse("admin:workshop_person_change", args=[person.pk])
    data, options = parse_form(_get(organizer_client, url), "person_form")
    assert [value for value, _ in options["language"]] == ["", "en", "de"]
    data["language"] = "de"

    response = organizer_client.post(url, data, **GERMAN)

    assert response.status_code == 302, response.content.decode()
    person.refresh_from_db()
    assert person.language == "de"
    PersonFactory(name="Jan Zofka", language="en")
    response = _get(organizer_client, reverse("admin:workshop_person_changelist"), language="de")
    assert [p.name for p in response.context["cl"].result_list] == ["Chen Tao"]


# ---------------------------------------------------------------------------------------------
# The sign-in lockout page


def test_sign_in_locked_page_is_german(db, settings):
    settings.AXES_FAILURE_LIMIT = 3
    settings.AXES_COOLOFF_TIME = dt.timedelta(minutes=15)
    settings.TRUSTED_PROXY_COUNT = 0
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    User.objects.create_user("olga", password="richtiges Passwort", is_staff=True)
    client = Client(REMOTE_ADDR="198.51.100.7", **GERMAN)
    url = "/admin/login/?next=/admin/"
    for n in range(3):
        client.post(url, {"username": "olga", "password": f"falsch-{n}"})
    assert AccessAttempt.objects.exists()

    response = client.post(url, {"username": "olga", "password": "richtiges Passwort"})

    assert response.status_code == 429
    html = response.content.decode()
    assert 'data-retry-minutes="15"' in html
    assert '<html lang="de"' in html
    with translation.override("de"):
        assert gettext("Too many failed sign-ins.") in html
    assert "15 Minuten" in html
    assert english_leaks(html) == []
