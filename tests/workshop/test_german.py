"""The public programme in German: the event list, an event with its programme, a session, a
person, the error pages and the calendar feeds, with no English interface text left (content
typed by people — titles, names, abstracts — stays as written). English still renders as
before."""

import datetime as dt
import re
import zoneinfo

import icalendar
import pytest
from django.test import RequestFactory
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext, pgettext
from django.views.defaults import server_error

from tests.factories import (
    DisplayZoneFactory,
    EventFactory,
    EventPersonFactory,
    PersonFactory,
    SessionFactory,
    SessionRoleFactory,
)
from tests.support.german import english_leaks, visible_text
from tests.workshop.pages import event_url, person_url, session_url, texts
from workshop import ics
from workshop.models import Event, EventContact, EventPerson, Person, Session
from workshop.ratelimit import rate_limited
from workshop.richtext import markdown_html
from workshop.selectors import get_programme

BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")
GERMAN = {"HTTP_ACCEPT_LANGUAGE": "de"}
ENGLISH = {"HTTP_ACCEPT_LANGUAGE": "en"}


# --- helpers ---------------------------------------------------------------------------------


def _rich(text: str) -> list[str]:
    """What a Markdown field reads as on the page, line by line (as english_leaks sees it)."""
    shown = visible_text(str(markdown_html(text)))
    return [line.strip() for line in shown.splitlines() if line.strip()]


def content_of(*events: Event) -> tuple[str, ...]:
    """Everything the test data wrote in English (titles, names, affiliations, abstracts,
    bios, places, taxonomy names): content, not interface text. Longest first, so that a
    name inside a title does not break the title's match."""
    found: set[str] = set()
    for event in events:
        found.update([event.title, event.subtitle, event.location, event.organizer])
        found.update(_rich(event.description))
        for related in (event.target_groups, event.subject_areas, event.event_types):
            found.update(str(item) for item in related.all())
        for session in Session.objects.filter(event=event).select_related("section"):
            found.update([session.title, session.display_title])
            if session.section:
                found.add(session.section.title)
            found.update(_rich(session.abstract))
        found.update(EventPerson.objects.filter(event=event).values_list("affiliation", flat=True))
        found.update(EventContact.objects.filter(event=event).values_list("role", flat=True))
        people = Person.objects.filter(roles__session__event=event)
        people = people | Person.objects.filter(contact_for__event=event)
        for person in people.distinct():
            found.add(person.name)
            found.update(_rich(person.bio))
    return tuple(sorted((text for text in found if text and text.strip()), key=len, reverse=True))


def german(response) -> str:
    assert response.status_code in (200, 404, 429, 500), response.status_code
    html = response.content.decode()
    assert re.search(r'<html lang="de"', html), "not rendered in German"
    return html


def night_event() -> Event:
    """A session late in Berlin: next day in Kathmandu (a day shift to translate)."""
    event = EventFactory(
        slug="night-2031", title="Night Owls Colloquium", timezone="Europe/Berlin", online=True
    )
    DisplayZoneFactory(event=event, position=0, label="Berlin", zone="Europe/Berlin")
    DisplayZoneFactory(event=event, position=1, label="Kathmandu", zone="Asia/Kathmandu")
    session = SessionFactory(
        event=event,
        title="Late Light",
        start=dt.datetime(2031, 7, 1, 22, tzinfo=BERLIN),
        end=dt.datetime(2031, 7, 1, 23, tzinfo=BERLIN),
    )
    for role, key in (("speaker", "a-speaker"), ("speaker", "b-speaker"), ("chair", "c-chair")):
        person = PersonFactory(key=key, name=f"Person {key.upper()}")
        EventPersonFactory(event=event, person=person, affiliation="Nowhere Institute")
        SessionRoleFactory(session=session, person=person, role=role)
    return event


# --- pages -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_event_list_in_german(client, sino_soviet, hirata_seminar, open_event):
    html = german(client.get(reverse("workshop:event_list"), **GERMAN))

    assert english_leaks(html, allow=content_of(sino_soviet, hirata_seminar, open_event)) == []
    with translation.override("de"):
        assert f">{gettext('Events')}</h1>" in html
        assert pgettext("events", "Past") in html
    # A multi-day event names its dates German style, without weekdays.
    assert "1. Juli 2021, 12:00 – 2. Juli 2021, 15:30 (Europe/Berlin)" in " ".join(
        texts(client.get(reverse("workshop:event_list"), **GERMAN), "event-when")
    )


@pytest.mark.django_db
def test_event_page_in_german(client, sino_soviet):
    response = client.get(event_url(sino_soviet), **GERMAN)
    html = german(response)

    assert english_leaks(html, allow=content_of(sino_soviet)) == []
    assert texts(response, "programme-day-heading") == [
        "Donnerstag, 1. Juli 2021",
        "Freitag, 2. Juli 2021",
    ]
    facts = texts(response, "event-facts")[0]
    assert "Online-Veranstaltung, ausgerichtet in Leipzig" in facts
    assert "Englisch" in facts  # the event's language, named in German
    with translation.override("de"):
        chair = gettext("Chair:")
        your_time = gettext("Your time")
    assert chair != "Chair:"
    assert any(text.startswith(chair) for text in texts(response, "programme-chairs"))
    assert all(your_time in text for text in texts(response, "programme-times-more"))


@pytest.mark.django_db
def test_one_day_event_header_has_a_german_long_date(client, hirata_seminar):
    response = client.get(event_url(hirata_seminar), **GERMAN)
    html = german(response)

    assert english_leaks(html, allow=content_of(hirata_seminar)) == []
    # Thursday, 11 March 2027, 17:00–18:30 (Australia/Melbourne)
    assert texts(response, "event-when")[0] == (
        "Donnerstag, 11. März 2027, 17:00–18:30 (Australia/Melbourne)"
    )


@pytest.mark.django_db
def test_event_page_in_german_with_registration_open(client, open_event):
    html = german(client.get(event_url(open_event), **GERMAN))

    assert english_leaks(html, allow=content_of(open_event)) == []


@pytest.mark.django_db
def test_session_page_in_german(client, sino_soviet):
    session = Session.objects.filter(event=sino_soviet, roles__role="commentator").first()
    response = client.get(session_url(session), **GERMAN)
    html = german(response)

    assert english_leaks(html, allow=content_of(sino_soviet)) == []
    assert texts(response, "session-date")[0].startswith(("Donnerstag, ", "Freitag, "))
    badges = " ".join(texts(response, "session-person"))
    assert "Moderation" in badges and "Kommentar" in badges


@pytest.mark.django_db
def test_person_page_in_german(client, sino_soviet):
    person = Person.objects.get(key="tao-chen")  # a speaker, a chair and a contact
    response = client.get(person_url(person), **GERMAN)
    html = german(response)

    assert english_leaks(html, allow=content_of(sino_soviet)) == []
    assert texts(response, "person-contacts")[0].startswith(gettext_de("Contact for"))


@pytest.mark.django_db
def test_day_shift_and_zone_form_in_german(client):
    event = night_event()
    response = client.get(event_url(event), {"tz": "Asia/Kathmandu"}, **GERMAN)
    html = german(response)

    assert english_leaks(html, allow=content_of(event)) == []
    assert texts(response, "programme-times") == ["22:00 Berlin | 1:45 Kathmandu (+1 Tag)"]
    assert texts(response, "viewer-time") == ["1:45 Asia/Kathmandu (+1 Tag)"]
    # localtime.js reads its words from the form, in the page's language.
    form = re.search(r'<form[^>]*id="viewer-zone"[^>]*>', html, re.S)[0]
    assert 'data-automatic-label="Automatisch (%(zone)s)"' in form
    assert 'data-day-shift-label-one="%(sign)s%(count)s Tag"' in form
    assert 'data-day-shift-label-other="%(sign)s%(count)s Tage"' in form


@pytest.mark.django_db
def test_unknown_zone_message_in_german(client, sino_soviet):
    response = client.get(event_url(sino_soviet), {"tz": "Mars/Olympus"}, **GERMAN)
    html = german(response)

    assert "„Mars/Olympus“" in html
    assert english_leaks(html, allow=content_of(sino_soviet)) == []


@pytest.mark.django_db
def test_machine_read_numbers_are_not_localized(client, sino_soviet, settings):
    settings.USE_THOUSAND_SEPARATOR = True
    SessionFactory(
        pk=12345,
        event=sino_soviet,
        title="Late Addition",
        start=dt.datetime(2021, 7, 2, 16, tzinfo=BERLIN),
        end=dt.datetime(2021, 7, 2, 17, tzinfo=BERLIN),
    )
    response = client.get(event_url(sino_soviet), **GERMAN)
    html = german(response)

    assert 'data-session="12345"' in html
    assert 'id="session-12345"' in html
    # The instants localtime.js reads stay ISO 8601.
    assert re.search(r'data-event-date="2021-07-01"', html)
    assert re.search(r'<time class="viewer-time" datetime="2021-07-01T10:00:00\+00:00"', html)


# --- error pages -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_404_in_german(client):
    response = client.get("/no-such-page/", **GERMAN)
    assert response.status_code == 404
    html = german(response)

    assert 'id="not-found"' in html
    assert gettext_de("Page not found") in html
    assert english_leaks(html) == []


@pytest.mark.django_db
def test_429_in_german(rf):
    from django.contrib.auth.models import AnonymousUser

    request = rf.post("/register/", HTTP_ACCEPT_LANGUAGE="de")
    request.user = AnonymousUser()
    with translation.override("de"):
        response = rate_limited(request)
    assert response.status_code == 429
    html = german(response)

    assert gettext_de("Too many attempts") in html
    assert english_leaks(html) == []


def test_500_in_german():
    request = RequestFactory().get("/")
    with translation.override("de"):
        response = server_error(request)
    assert response.status_code == 500
    html = german(response)

    assert 'id="server-error"' in html
    assert gettext_de("Something went wrong on our side") in html
    assert english_leaks(html) == []


def test_500_in_english():
    with translation.override("en"):
        response = server_error(RequestFactory().get("/"))
    html = response.content.decode()
    assert '<html lang="en">' in html
    assert "Something went wrong on our side" in html


# --- calendars -------------------------------------------------------------------------------


def descriptions(content: bytes) -> list[str]:
    calendar = icalendar.Calendar.from_ical(content)
    return [str(event["DESCRIPTION"]) for event in calendar.walk("VEVENT")]


def without_urls(text: str) -> str:
    """The text people read, less the links (``/events/…/sessions/…`` is no English)."""
    return re.sub(r"https?://\S+", " ", text)


@pytest.mark.django_db
def test_programme_ics_in_german(client, sino_soviet):
    response = client.get(reverse("workshop:programme_ics", args=[sino_soviet.slug]), **GERMAN)
    assert response.status_code == 200
    text = "\n".join(descriptions(response.content))

    assert english_leaks(without_urls(text), allow=content_of(sino_soviet)) == []
    assert "Vortrag: Tao Chen (Tongji University, Shanghai)\n" in text
    assert "Moderation: Péter Vámos (Research Centre for the Humanities, Budapest)\n" in text
    assert "Kommentar: Uwe Müller (GWZO)\n" in text
    assert (
        "1. Juli 2021: 12:00–12:30 DE | 6:00–6:30 Norfolk, VA | 18:00–18:30 Shanghai/Hongkong"
        in (text)
    )


@pytest.mark.django_db
def test_session_ics_day_shift_in_german(client):
    event = night_event()
    session = event.sessions.get()
    response = client.get(reverse("workshop:session_ics", args=[event.slug, session.pk]), **GERMAN)
    (text,) = descriptions(response.content)

    assert english_leaks(without_urls(text), allow=content_of(event)) == []
    assert "1. Juli 2031: 22:00–23:00 Berlin | 1:45–2:45 Kathmandu (+1 Tag)" in text
    assert "Vortrag: Person A-SPEAKER (Nowhere Institute), Person B-SPEAKER" in text


@pytest.mark.django_db
def test_emailed_invitation_ics_in_the_active_language(sino_soviet):
    programme = get_programme(sino_soviet)
    with translation.override("de"):
        content = ics.invitation(
            sino_soviet, programme.slots, attendee="ana@example.org", attendee_name="Ana"
        )
    text = "\n".join(descriptions(content))

    assert english_leaks(without_urls(text), allow=content_of(sino_soviet)) == []
    assert "Teilnehmen: https://zoom.us/j/91234567890" in text
    assert "Meeting-ID: 912 3456 7890" in text
    assert "Kenncode: LTF-1950x65" in text


# --- English unchanged -----------------------------------------------------------------------


@pytest.mark.django_db
def test_pages_in_english(client, sino_soviet):
    session = Session.objects.filter(event=sino_soviet, roles__role="chair").first()
    person = Person.objects.get(key="tao-chen")
    for url in (
        reverse("workshop:event_list"),
        event_url(sino_soviet),
        session_url(session),
        person_url(person),
    ):
        response = client.get(url, **ENGLISH)
        assert response.status_code == 200
        assert '<html lang="en">' in response.content.decode()

    response = client.get(event_url(sino_soviet), **ENGLISH)
    assert texts(response, "programme-day-heading") == [
        "Thursday, 1 July 2021",
        "Friday, 2 July 2021",
    ]
    assert 'data-automatic-label="Automatic (%(zone)s)"' in response.content.decode()
    assert client.get("/no-such-page/", **ENGLISH).content.decode().count("Page not found") == 2

    ics_text = "\n".join(
        descriptions(
            client.get(
                reverse("workshop:programme_ics", args=[sino_soviet.slug]), **ENGLISH
            ).content
        )
    )
    assert "Speaker: Tao Chen (Tongji University, Shanghai)\n" in ics_text
    assert "1 July 2021: 12:00–12:30 DE" in ics_text


def gettext_de(message: str) -> str:
    with translation.override("de"):
        return gettext(message)
