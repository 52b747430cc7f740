"""Every email to registrants is written in the registrant's language (`Registration.language`),
whoever caused it: subject, text and HTML bodies, dates, and the labels of the attached
``invite.ics``. A registrant who reads English keeps getting the English email.

The emails go through the real outbox: a ledger row queued for the registration (its language
copied from the registrant) and delivered by the worker's task, in-process."""

import datetime as dt
import re
import uuid

import icalendar
import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core import mail
from django.utils import translation
from django.utils.translation import gettext, pgettext

from mailing.services import queue_emails
from registration.emails import Kind
from registration.models import ChangeNotice, ParticipantMessage, Registration
from registration.notices import ADDED, CANCELLED, MEETING, MOVED
from registration.notices import KIND as CHANGE_KIND
from registration.organizer_messages import KIND as MESSAGE_KIND
from registration.reminders import KIND as REMINDER_KIND
from tests.factories import (
    DisplayZoneFactory,
    EventFactory,
    RegistrationFactory,
    SessionFactory,
)
from tests.support.german import english_leaks

pytestmark = pytest.mark.django_db

UTC = dt.UTC
# Thursday 3 July 2031, 10:00 in Berlin (summer time).
START = dt.datetime(2031, 7, 3, 8, 0, tzinfo=UTC)
HOUR = dt.timedelta(hours=1)
CHANGELIST = "/admin/registration/registration/"

# Content the tests write (not interface text): names, titles, the organizers' text.
EVENT = "Handel und Hilfe"
CONTENT = (
    EVENT,
    "Kredite und Stahl",
    "Technologietransfer",
    "Grenzhandel",
    "Leibniz-Institut",
    "Chen Tao",
)

GERMAN_DATE = "Do, 3. Jul 2031"  # SHORT_DATE_FORMAT in German: "D, j. M Y"
ENGLISH_DATE = "Thu 3 Jul 2031"  # and in English: "D j M Y"


@pytest.fixture
def event(db):
    event = EventFactory(
        slug="handel-2031", title=EVENT, timezone="Europe/Berlin", organizer="Leibniz-Institut"
    )
    DisplayZoneFactory(event=event, position=0, label="DE", zone="Europe/Berlin")
    DisplayZoneFactory(event=event, position=1, label="Shanghai", zone="Asia/Shanghai")
    SessionFactory(event=event, title="Kredite und Stahl", start=START, end=START + HOUR)
    SessionFactory(event=event, title="", kind="break", start=START + HOUR, end=START + 2 * HOUR)
    SessionFactory(
        event=event, title="Technologietransfer", start=START + 2 * HOUR, end=START + 3 * HOUR
    )
    return event


def registrant(event, language: str, state: str = "approved", **fields) -> Registration:
    fields.setdefault("email", f"chen-{language}-{state}@example.org")
    return RegistrationFactory(
        event=event,
        name="Chen Tao",
        timezone="Europe/Berlin",
        language=language,
        state=state,
        **fields,
    )


def send(django_capture_on_commit_callbacks, kind: str, registration, context=None):
    """Queue one email of this kind to the registration and let the worker deliver it."""
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        queue_emails(kind=kind, recipients=[(registration, registration.email)], context=context)
    [message] = mail.outbox
    return message


def html_of(message) -> str:
    [(html, mimetype)] = message.alternatives
    assert mimetype == "text/html"
    return html


def calendars(message) -> dict[str, icalendar.Calendar]:
    return {
        part.get_filename(): icalendar.Calendar.from_ical(part.get_payload(decode=True))
        for part in message.message().walk()
        if part.get_content_type() == "text/calendar" and part.get_filename()
    }


def without_urls(text: str) -> str:
    """URLs (``/events/…``, ``/registrations/…``) are addresses, not interface text."""
    return re.sub(r"https?://[^\s\"<>]+", "", text)


def assert_german(message, *, dated: bool = True, allow: tuple[str, ...] = ()) -> None:
    allow = (*CONTENT, *allow)
    html = html_of(message)
    assert english_leaks(message.subject, allow=allow) == []
    assert english_leaks(without_urls(message.body), allow=allow) == []
    assert english_leaks(without_urls(html), allow=allow) == []
    assert '<html lang="de">' in html
    assert EVENT in message.subject
    if dated:
        assert GERMAN_DATE in message.body and GERMAN_DATE in html
    for calendar in calendars(message).values():
        for vevent in calendar.walk("VEVENT"):
            description = str(vevent.get("DESCRIPTION", ""))
            assert english_leaks(without_urls(description), allow=allow) == []


def assert_english(message, *, dated: bool = True) -> None:
    html = html_of(message)
    assert '<html lang="en">' in html
    assert EVENT in message.subject
    with translation.override("de"):
        german_dear = gettext("Dear %(name)s,") % {"name": "Chen Tao"}
    assert not message.body.startswith(german_dear)
    if dated:
        assert ENGLISH_DATE in message.body and ENGLISH_DATE in html
        assert GERMAN_DATE not in message.body


def in_language(language: str, msgid: str, context: str | None = None) -> str:
    with translation.override(language):
        return pgettext(context, msgid) if context else gettext(msgid)


# ---------------------------------------------------------------------------------------------
# The registration emails (registration.emails.Kind)

STATE_OF_KIND = {
    Kind.CONFIRM: "unconfirmed",
    Kind.LINK_REMINDER: "unconfirmed",
    Kind.RECEIVED: "pending",
    Kind.WAITING: "waiting",
    Kind.PROMOTED: "pending",
    Kind.INVITATION: "approved",
    Kind.DECLINED: "declined",
    Kind.CANCELLED: "cancelled",
}
DATED = {Kind.RECEIVED, Kind.INVITATION}  # those listing the programme


@pytest.mark.parametrize("kind", list(Kind))
def test_registration_email_in_german_for_a_german_registrant(
    event, kind, django_capture_on_commit_callbacks
):
    registration = registrant(
        event, "de", STATE_OF_KIND[kind], decline_reason="Leider ist der Saal zu klein."
    )
    message = send(django_capture_on_commit_callbacks, kind, registration)
    assert_german(message, dated=kind in DATED, allow=("Leider ist der Saal zu klein.",))
    assert message.subject == in_language("de", _subject_msgid(kind)) % {"event": EVENT}
    if kind == Kind.DECLINED:
        assert in_language("de", "Their note:") in message.body
    if kind in (Kind.CONFIRM, Kind.LINK_REMINDER):
        assert in_language("de", "Confirm my registration") in html_of(message)


@pytest.mark.parametrize("kind", list(Kind))
def test_registration_email_stays_english_for_an_english_registrant(
    event, kind, django_capture_on_commit_callbacks
):
    registration = registrant(event, "en", STATE_OF_KIND[kind])
    message = send(django_capture_on_commit_callbacks, kind, registration)
    assert_english(message, dated=kind in DATED)
    assert message.subject == in_language("en", _subject_msgid(kind)) % {"event": EVENT}


def _subject_msgid(kind) -> str:
    return {
        Kind.CONFIRM: "Please confirm your registration: %(event)s",
        Kind.LINK_REMINDER: "Your registration for %(event)s",
        Kind.RECEIVED: "Registration received: %(event)s",
        Kind.WAITING: "You are on the waiting list: %(event)s",
        Kind.PROMOTED: "A place is free for you: %(event)s",
        Kind.INVITATION: "Your access to %(event)s",
        Kind.DECLINED: "Your registration for %(event)s",
        Kind.CANCELLED: "Registration cancelled: %(event)s",
    }[kind]


def test_confirmation_of_a_guest_added_by_the_organizers_in_german(
    event, organizer, django_capture_on_commit_callbacks
):
    registration = registrant(event, "de", "unconfirmed", added_by=organizer)
    message = send(django_capture_on_commit_callbacks, Kind.CONFIRM, registration)
    assert_german(message, dated=False)
    assert "„Handel und Hilfe“" in message.body  # German quotation marks


def test_invitation_in_german_has_the_meeting_labels_and_a_german_calendar(
    event, django_capture_on_commit_callbacks
):
    message = send(django_capture_on_commit_callbacks, Kind.INVITATION, registrant(event, "de"))
    assert_german(message)
    for label in ("Join online", "Meeting ID", "Passcode"):
        assert f"{in_language('de', label)}: " in message.body
    assert "https://zoom.us/j/5550001111" in message.body
    [calendar] = calendars(message).values()
    assert calendar["METHOD"] == "REQUEST"
    titles = sorted(str(v["SUMMARY"]) for v in calendar.walk("VEVENT"))
    assert len(titles) == 2  # the two sessions, not the break
    descriptions = " ".join(str(v.get("DESCRIPTION", "")) for v in calendar.walk("VEVENT"))
    join = in_language("de", "Join: %(url)s") % {"url": "https://zoom.us/j/5550001111"}
    assert join in descriptions  # the calendar's labels in German too


def test_invitation_stays_english_with_an_english_calendar(
    event, django_capture_on_commit_callbacks
):
    message = send(django_capture_on_commit_callbacks, Kind.INVITATION, registrant(event, "en"))
    assert_english(message)
    assert f"{in_language('en', 'Join online')}: https://zoom.us/j/5550001111" in message.body
    [calendar] = calendars(message).values()
    assert len(calendar.walk("VEVENT")) == 2
    descriptions = " ".join(str(v.get("DESCRIPTION", "")) for v in calendar.walk("VEVENT"))
    assert "Join: https://zoom.us/j/5550001111" in descriptions


# ---------------------------------------------------------------------------------------------
# Programme change notice


def change_notice(event) -> ChangeNotice:
    """One of each change: a session moved by a day, one added, one removed, new meeting
    details for a session and for the event."""
    moved = event.sessions.get(title="Kredite und Stahl")
    added = event.sessions.get(title="Technologietransfer")
    changes = [
        {
            "what": MOVED,
            "session_id": moved.pk,
            "old_start": (START - 24 * HOUR).isoformat(),
            "old_end": (START - 23 * HOUR).isoformat(),
        },
        {"what": ADDED, "session_id": added.pk},
        {
            "what": CANCELLED,
            "session_id": added.pk + 1000,  # gone by now
            "uid": "4d7c0f57-1e8b-4c55-9d7e-0b9f2a0e6d11",
            "sequence": 1,
            "title": "Grenzhandel",
            "kind": "talk",
            "start": (START + 2 * HOUR).isoformat(),
            "end": (START + 3 * HOUR).isoformat(),
        },
        {"what": MEETING, "session_id": moved.pk},
        {"what": MEETING, "session_id": None},
    ]
    return ChangeNotice.objects.create(event=event, send_at=START - 48 * HOUR, changes=changes)


def test_programme_change_in_german(event, django_capture_on_commit_callbacks):
    notice = change_notice(event)
    message = send(
        django_capture_on_commit_callbacks,
        CHANGE_KIND,
        registrant(event, "de"),
        context={"notice_id": notice.pk},
    )
    assert_german(message)
    assert "Mi, 2. Jul 2031" in message.body  # where it was: the day before
    assert f"- {in_language('de', 'MOVED')}: Kredite und Stahl" in message.body
    assert f"- {in_language('de', 'ADDED')}: Technologietransfer" in message.body
    assert f"- {in_language('de', 'CANCELLED')}: Grenzhandel" in message.body
    assert in_language("de", "was:", "programme change") in message.body
    assert in_language("de", "Moved:") in html_of(message)
    files = calendars(message)
    assert sorted(files) == ["cancel.ics", "invite.ics"]
    assert files["cancel.ics"]["METHOD"] == "CANCEL"
    assert message.subject == in_language("de", "Programme change: %(event)s") % {"event": EVENT}


def test_programme_change_stays_english(event, django_capture_on_commit_callbacks):
    notice = change_notice(event)
    message = send(
        django_capture_on_commit_callbacks,
        CHANGE_KIND,
        registrant(event, "en"),
        context={"notice_id": notice.pk},
    )
    assert_english(message)
    assert "Wed 2 Jul 2031" in message.body
    assert f"- {in_language('en', 'MOVED')}: Kredite und Stahl" in message.body
    assert sorted(calendars(message)) == ["cancel.ics", "invite.ics"]


# ---------------------------------------------------------------------------------------------
# Reminder


def test_reminder_in_german(event, django_capture_on_commit_callbacks):
    message = send(
        django_capture_on_commit_callbacks,
        REMINDER_KIND,
        registrant(event, "de"),
        context={"day": "2031-07-03"},
    )
    assert_german(message)
    assert message.subject == (
        in_language("de", "Reminder: %(event)s, %(start)s %(zone)s")
        % {"event": EVENT, "start": f"{GERMAN_DATE}, 10:00", "zone": "Europe/Berlin"}
    )
    assert f"{in_language('de', 'Join online')}: https://zoom.us/j/5550001111" in message.body


def test_reminder_stays_english(event, django_capture_on_commit_callbacks):
    message = send(
        django_capture_on_commit_callbacks,
        REMINDER_KIND,
        registrant(event, "en"),
        context={"day": "2031-07-03"},
    )
    assert_english(message)
    assert f"{ENGLISH_DATE}, 10:00 Europe/Berlin" in message.subject


# ---------------------------------------------------------------------------------------------
# The organizers' message: their text as they wrote it, in a frame in the registrant's language


ORGANIZERS_TEXT = "Liebe Teilnehmende,\nbitte beachten Sie: {join_link}\nIhre Seite: {status_link}"


def organizers_message() -> ParticipantMessage:
    return ParticipantMessage.objects.create(
        token=uuid.uuid4(), subject="Neuigkeiten zu {event}", body=ORGANIZERS_TEXT
    )


def test_organizers_message_in_a_german_frame(event, django_capture_on_commit_callbacks):
    note = organizers_message()
    message = send(
        django_capture_on_commit_callbacks,
        MESSAGE_KIND,
        registrant(event, "de", "pending"),
        context={"message_id": note.pk},
    )
    assert_german(message, dated=False, allow=("Neuigkeiten zu", "Liebe Teilnehmende"))
    assert message.subject == f"Neuigkeiten zu {EVENT}"
    # {join_link} for someone not yet approved: the note, in their language.
    not_yet = in_language(
        "de", "(you will receive the meeting link once your registration is approved)"
    )
    assert f"bitte beachten Sie: {not_yet}" in message.body


def test_organizers_message_in_an_english_frame(event, django_capture_on_commit_callbacks):
    note = organizers_message()
    message = send(
        django_capture_on_commit_callbacks,
        MESSAGE_KIND,
        registrant(event, "en", "declined"),
        context={"message_id": note.pk},
    )
    assert_english(message, dated=False)
    assert "Liebe Teilnehmende," in message.body  # the organizers' text, untouched
    not_for_you = in_language("en", "(the meeting link is only for approved participants)")
    assert not_for_you in message.body


# ---------------------------------------------------------------------------------------------
# Whoever causes the email, it is in the recipient's language


@pytest.mark.parametrize(
    ("organizer_language", "registrant_language"), [("de", "en"), ("en", "de")]
)
def test_approval_by_an_organizer_in_another_language_invites_in_the_registrants(
    event,
    organizer_client,
    organizer_language,
    registrant_language,
    django_capture_on_commit_callbacks,
):
    registration = registrant(event, registrant_language, "pending")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = organizer_client.post(
            CHANGELIST,
            {"action": "approve", "index": "0", ACTION_CHECKBOX_NAME: [str(registration.pk)]},
            HTTP_ACCEPT_LANGUAGE=organizer_language,
        )
    assert response.status_code == 302
    assert response.wsgi_request.LANGUAGE_CODE == organizer_language
    [message] = mail.outbox
    assert message.subject == in_language(registrant_language, "Your access to %(event)s") % {
        "event": EVENT
    }
    if registrant_language == "de":
        assert_german(message)
    else:
        assert_english(message)
