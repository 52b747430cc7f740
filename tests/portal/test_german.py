"""The speaker portal in German: every page a person of the programme sees, with a browser that
asks for German, and every email the portal sends to a person whose language is German (subject,
text, HTML and the updated invite.ics), leak no English interface text and write dates the German
way ("Dienstag, 1. Juli 2031")."""

import datetime as dt
import re

import icalendar
import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import translation

from portal.links import sign_in_url
from portal.reminders import queue_due_reminders
from portal.services import (
    ensure_portal_user,
    invite_to_portal,
    notify_session_people,
    request_sign_in_link,
)
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
from tests.workshop.pages import texts
from workshop.models import SessionRole

pytestmark = pytest.mark.django_db

UTC = dt.UTC
DE = {"HTTP_ACCEPT_LANGUAGE": "de"}
START = dt.datetime(2031, 7, 1, 10, 0, tzinfo=UTC)  # a Tuesday; 12:00 in Berlin
PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"

# What the test itself wrote (names, titles, places): content, not interface text.
CONTENT = (
    "Grenzhandel zwischen Ost und West",
    "Handelswege der Fünfzigerjahre",
    "Eisenbahnexperten in China",
    "Handel",
    "Tao Chen",
    "Ann Lee",
    "Universität Leipzig",
    "Akademie Budapest",
    "Leibniz-Institut",
    "Alte Tagung",
    "Shanghai",
    "Europe/Berlin",
    "Asia/Shanghai",
    "handelswege.pdf",
    "name@example.org",
)


@pytest.fixture(autouse=True)
def no_rate_limits():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def programme(db):
    """A Berlin workshop on 1 July 2031: Tao Chen (Berlin, German) speaks in one session that
    Ann Lee (Shanghai) comments on, and chairs another; Tao also was in an older event."""
    event = EventFactory(
        slug="grenzhandel-2031",
        title="Grenzhandel zwischen Ost und West",
        timezone="Europe/Berlin",
        organizer="Leibniz-Institut",
    )
    DisplayZoneFactory(event=event, position=0, label="DE", zone="Europe/Berlin")
    DisplayZoneFactory(event=event, position=1, label="Shanghai", zone="Asia/Shanghai")
    routes = SessionFactory(
        event=event,
        section=SectionFactory(event=event, title="Handel"),
        title="Handelswege der Fünfzigerjahre",
        abstract="Über *Handelswege* zwischen Leipzig und Peking.",
        start=START,
        end=START + dt.timedelta(minutes=45),
    )
    experts = SessionFactory(
        event=event,
        title="Eisenbahnexperten in China",
        start=START + dt.timedelta(hours=1),
        end=START + dt.timedelta(hours=2),
    )
    tao = PersonFactory(
        key="tao-chen",
        name="Tao Chen",
        email="tao@example.org",
        timezone="Europe/Berlin",
        language="de",
    )
    ann = PersonFactory(
        key="ann-lee", name="Ann Lee", email="ann@example.org", timezone="Asia/Shanghai"
    )
    SessionRoleFactory(session=routes, person=tao, role=SessionRole.Role.SPEAKER)
    SessionRoleFactory(session=routes, person=ann, role=SessionRole.Role.COMMENTATOR)
    SessionRoleFactory(session=experts, person=tao, role=SessionRole.Role.CHAIR)
    EventPersonFactory(event=event, person=tao, affiliation="Universität Leipzig")
    EventPersonFactory(event=event, person=ann, affiliation="Akademie Budapest")
    old = EventFactory(slug="alte-tagung", title="Alte Tagung", timezone="Europe/Berlin")
    SessionFactory(
        event=old,
        title="Eröffnung",
        start=dt.datetime(2021, 7, 1, 8, tzinfo=UTC),
        end=dt.datetime(2021, 7, 1, 9, tzinfo=UTC),
    )
    EventPersonFactory(event=old, person=tao, affiliation="Universität Leipzig")
    return {"event": event, "routes": routes, "experts": experts, "tao": tao, "ann": ann}


def signed_in(client, person) -> Client:
    if person.user is None:
        person.user = User.objects.create_user(username=person.key, email=person.email)
        person.save()
    client.force_login(person.user)
    return client


def german_page(response, *, status: int = 200) -> str:
    assert response.status_code == status
    html = response.content.decode()
    assert '<html lang="de">' in html
    assert english_leaks(html, allow=CONTENT) == []
    return html


def visible(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


# --- pages -----------------------------------------------------------------------------------


def test_sign_in_page_and_its_errors_in_german(client, db):
    html = german_page(client.get("/portal/sign-in/", **DE))
    assert "15 Minuten" in html
    html = german_page(client.post("/portal/sign-in/", {"email": "kein Name"}, **DE), status=200)
    assert "is-invalid" in html


def test_check_inbox_page_in_german(client, programme, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/portal/sign-in/", {"email": "tao@example.org"}, **DE)
    html = german_page(response)
    assert "15 Minuten" in html


def test_magic_link_pages_in_german(client, programme):
    user = ensure_portal_user(programme["tao"])
    path = sign_in_url(user, purpose="invitation").split("testserver", 1)[-1]
    html = german_page(client.get(path, **DE))
    assert 'type="submit"' in html

    response = client.post(path.split("?")[0], {"sesame": path.split("sesame=")[1]}, **DE)
    assert response.status_code == 302
    [message] = [str(m) for m in response.wsgi_request._messages._queued_messages]
    assert english_leaks(message, allow=CONTENT) == []
    assert "Tao Chen" in message

    # The same link again: used up.
    html = german_page(client.get(path, **DE), status=400)
    assert "7 Tage" in html and "15 Minuten" in html


def test_magic_link_refusals_in_german(client, programme):
    organizer = User.objects.create_user(username="olga", email="olga@example.org", is_staff=True)
    path = sign_in_url(organizer, purpose="signin").split("testserver", 1)[-1]
    german_page(client.get(path, **DE), status=403)

    stranger = User.objects.create_user(username="niemand", email="niemand@example.org")
    path = sign_in_url(stranger, purpose="signin").split("testserver", 1)[-1]
    german_page(client.get(path, **DE), status=403)


def test_slots_page_in_german_with_co_panelists_meeting_and_paper(client, programme):
    signed_in(client, programme["tao"])
    routes = programme["routes"]
    upload = SimpleUploadedFile("handelswege.pdf", PDF, content_type="application/pdf")
    response = client.post(f"/portal/sessions/{routes.pk}/paper/", {"file": upload}, **DE)
    assert response.status_code == 302

    response = client.get("/portal/", **DE)
    html = german_page(response)
    text = visible(html)
    assert texts(response, "portal-my-time") == [
        "Dienstag, 1. Juli 2031, 12:00–12:45 Europe/Berlin",
        "Dienstag, 1. Juli 2031, 13:00–14:00 Europe/Berlin",
    ]
    assert "Ann Lee" in text and "ann@example.org" in text
    assert "s3cret-pass" in text
    assert re.search(
        r"hochgeladen von Tao Chen am \d+\. (Januar|Februar|März|April|Mai|Juni|Juli|August|"
        r"September|Oktober|November|Dezember) \d{4}, \d\d:\d\d Europe/Berlin\.",
        text,
    ), text
    with translation.override("de"):
        assert translation.gettext("Your role:") in text


def test_slots_page_without_sessions_or_zone_in_german(client, db):
    person = PersonFactory(name="Tao Chen", timezone="")
    html = german_page(signed_in(client, person).get("/portal/", **DE))
    assert "UTC" in html


def test_profile_page_in_german_offers_the_language(client, programme):
    signed_in(client, programme["tao"])
    html = german_page(client.get("/portal/profile/", **DE))
    assert re.search(r'<option value="de"[^>]*selected', html)
    assert "Alte Tagung" in html

    response = client.post(
        "/portal/profile/", {"bio": "", "timezone": "Nirgendwo/Stadt", "language": "de"}, **DE
    )
    german_page(response, status=400)


def test_profile_saved_message_in_german(client, programme):
    signed_in(client, programme["tao"])
    response = client.post(
        "/portal/profile/",
        {"bio": "Wirtschaftshistoriker.", "timezone": "Europe/Berlin", "language": "de"},
        **DE,
    )
    assert response.status_code == 302
    [message] = [str(m) for m in response.wsgi_request._messages._queued_messages]
    assert english_leaks(message, allow=CONTENT) == []


def test_abstract_page_in_german(client, programme):
    signed_in(client, programme["tao"])
    url = f"/portal/sessions/{programme['routes'].pk}/abstract/"
    german_page(client.get(url, **DE))
    german_page(client.post(url, {"abstract": "\ufffd kaputt"}, **DE), status=400)


def test_forbidden_and_no_person_pages_in_german(client, programme):
    signed_in(client, programme["tao"])
    upload = SimpleUploadedFile("handelswege.pdf", PDF, content_type="application/pdf")
    experts = programme["experts"]  # Tao only chairs it
    response = client.post(f"/portal/sessions/{experts.pk}/paper/", {"file": upload}, **DE)
    german_page(response, status=403)

    stranger = User.objects.create_user(username="niemand", email="niemand@example.org")
    client.force_login(stranger)
    german_page(client.get("/portal/", **DE), status=403)


def test_upload_errors_in_german(client, programme):
    signed_in(client, programme["tao"])
    routes = programme["routes"]
    upload = SimpleUploadedFile("bild.png", b"\x89PNG\r\n", content_type="image/png")
    html = german_page(
        client.post(f"/portal/sessions/{routes.pk}/paper/", {"file": upload}, **DE), status=400
    )
    assert "portal-upload-errors" in html


# --- emails ----------------------------------------------------------------------------------


def parts(message) -> tuple[str, str, str]:
    [(html, _)] = message.alternatives
    return message.subject, message.body, html


def without_urls(text: str) -> str:
    """Addresses are not interface text (``/events/…``)."""
    return re.sub(r"""https?://[^\s"'<>]+""", " ", text)


def assert_german_email(message) -> tuple[str, str, str]:
    subject, text, html = parts(message)
    for part in (subject, text, html):
        assert english_leaks(without_urls(part), allow=CONTENT) == [], part
    return subject, text, html


def only_message():
    [message] = mail.outbox
    return message


def test_portal_invitation_in_german(programme, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        invite_to_portal(people=[programme["tao"]], by="test", event=programme["event"])
    subject, text, html = assert_german_email(only_message())
    assert "Grenzhandel zwischen Ost und West" in subject
    assert "7 Tage" in text and "7 Tage" in html


def test_portal_invitation_without_event_in_german(programme, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        invite_to_portal(people=[programme["tao"]], by="test")
    assert_german_email(only_message())


def test_sign_in_email_in_german(programme, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        request_sign_in_link(email="tao@example.org")
    subject, text, html = assert_german_email(only_message())
    assert "15 Minuten" in text


def test_reminder_in_german(programme, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        queue_due_reminders(now=START - dt.timedelta(hours=24))
    [message] = [m for m in mail.outbox if "tao@example.org" in m.to[0]]
    subject, text, html = assert_german_email(message)
    assert "Di, 1. Jul 2031, 12:00 Europe/Berlin" in subject, subject
    assert "Kenncode" in text


def test_reminder_in_english_for_a_person_without_a_language(
    programme, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        queue_due_reminders(now=START - dt.timedelta(hours=24))
    [message] = [m for m in mail.outbox if "ann@example.org" in m.to[0]]
    assert message.subject.startswith("Reminder: ")
    assert "Tue 1 Jul 2031" in message.subject


def test_session_changed_email_and_invite_in_german(programme, django_capture_on_commit_callbacks):
    routes = programme["routes"]
    with django_capture_on_commit_callbacks(execute=True):
        notify_session_people(session=routes, changed_fields={"start", "end"})
    [message] = [m for m in mail.outbox if "tao@example.org" in m.to[0]]
    subject, text, html = assert_german_email(message)
    assert "Handelswege der Fünfzigerjahre" in subject
    assert "Dienstag, 1. Juli 2031, 12:00–12:45 Europe/Berlin" in text
    assert "Dienstag, 1. Juli 2031, 12:00–12:45 Europe/Berlin" in html
    with translation.override("de"):
        assert f"{translation.gettext('Your role')}: Vortrag\n" in text

    [part] = [p for p in message.message().walk() if p.get_content_type() == "text/calendar"]
    ics = part.get_payload(decode=True).decode()
    calendar = icalendar.Calendar.from_ical(ics)
    [vevent] = calendar.walk("VEVENT")
    shown = " ".join(
        str(vevent.get(name, "")) for name in ("SUMMARY", "DESCRIPTION", "LOCATION", "COMMENT")
    )
    assert english_leaks(without_urls(shown), allow=CONTENT) == [], shown
    assert "1. Juli 2031" in shown


# --- the organizers' action ------------------------------------------------------------------


def test_invitation_action_and_its_report_in_german(
    organizer_client, programme, django_capture_on_commit_callbacks
):
    from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME

    nomail = PersonFactory(key="ohne-adresse", name="Ohne Adresse", email="")
    html = organizer_client.get("/admin/workshop/person/", **DE).content.decode()
    with translation.override("de"):
        label = translation.gettext("Send portal invitation")
        both = translation.gettext("Send portal invitation (everyone with a role)")
    assert f'<option value="send_portal_invitation">{label}</option>' in html
    assert both in organizer_client.get("/admin/workshop/event/", **DE).content.decode()

    people = [programme["tao"], programme["ann"], nomail]
    with django_capture_on_commit_callbacks(execute=True):
        response = organizer_client.post(
            "/admin/workshop/person/",
            {
                "action": "send_portal_invitation",
                "index": "0",
                ACTION_CHECKBOX_NAME: [str(p.pk) for p in people],
            },
            **DE,
        )
    assert response.status_code == 302
    [message] = [str(m) for m in response.wsgi_request._messages._queued_messages]
    assert english_leaks(message) == []
    assert message == "2 eingeladen, 1 übersprungen (keine E-Mail-Adresse)."
