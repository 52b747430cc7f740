"""Reminders to approved participants: beat (every minute) writes each due reminder into the
ledger once, before each programme day's first session, by the event's offsets; the clock is
moved by passing ``now=`` to the beat's service.

The event runs on two days across the end of summer time in Berlin (Sat 25 and Sun 26 October
2031): its first session is at 9:00 in Berlin both days, 7:00 UTC on the first and 8:00 UTC on
the second; a registrant in Kathmandu (+5:45) sees 12:45 and 13:45.
"""

import datetime as dt
import re

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils.translation import gettext

from mailing.models import OutgoingEmail
from registration.reminders import KIND, queue_due_reminders
from registration.services import cancel_registration
from tests.factories import (
    DisplayZoneFactory,
    EventFactory,
    RegistrationFactory,
    SessionFactory,
)
from tests.registration.conftest import join_online
from tests.workshop.admin_forms import event_change_url, get_event_form
from workshop.importer import import_programme
from workshop.models import Event, Session

pytestmark = pytest.mark.django_db

UTC = dt.UTC
DAY1 = dt.datetime(2031, 10, 25, 7, 0, tzinfo=UTC)  # 9:00 CEST
DAY2 = dt.datetime(2031, 10, 26, 8, 0, tzinfo=UTC)  # 9:00 CET, after the clocks went back
HOUR = dt.timedelta(hours=1)
MINUTE = dt.timedelta(minutes=1)
DECIDED = dt.datetime(2031, 10, 1, 12, 0, tzinfo=UTC)
SITE = "http://testserver.example"


@pytest.fixture(autouse=True)
def site(settings):
    settings.SITE_URL = SITE
    settings.NOTICE_SETTLE_SECONDS = 600


def reminder_subject(start: str, zone: str) -> str:
    return gettext("Reminder: %(event)s, %(start)s %(zone)s") % {
        "event": "Border Trade",
        "start": start,
        "zone": zone,
    }


def reminder_opening(verb: str, start: str, zone: str) -> str:
    """The first sentence of a reminder: the event "begins" (first day) or "continues"."""
    msgid = {
        "begins": 'a reminder: "%(event)s" begins on %(start)s %(timezone)s (your time zone).',
        "continues": 'a reminder: "%(event)s" continues on %(start)s %(timezone)s (your time '
        "zone).",
    }[verb]
    return gettext(msgid) % {"event": "Border Trade", "start": start, "timezone": zone}


@pytest.fixture
def workshop(db):
    event = EventFactory(
        slug="border-trade-2031",
        title="Border Trade",
        timezone="Europe/Berlin",
        organizer="Leibniz Institute",
    )
    Event.objects.filter(pk=event.pk).update(created_at=dt.datetime(2031, 9, 1, tzinfo=UTC))
    DisplayZoneFactory(event=event, position=0, label="DE", zone="Europe/Berlin")
    DisplayZoneFactory(event=event, position=1, label="Norfolk, VA", zone="America/New_York")
    DisplayZoneFactory(event=event, position=2, label="Shanghai", zone="Asia/Shanghai")
    # A break before the first session does not open the day.
    SessionFactory(event=event, kind="break", title="", start=DAY1 - HOUR, end=DAY1 - 30 * MINUTE)
    SessionFactory(event=event, title="Opening", start=DAY1, end=DAY1 + 30 * MINUTE)
    SessionFactory(event=event, title="Trade routes", start=DAY1 + HOUR, end=DAY1 + 2 * HOUR)
    SessionFactory(event=event, title="Technology transfer", start=DAY2, end=DAY2 + HOUR)
    SessionFactory(event=event, title="Closing", start=DAY2 + HOUR, end=DAY2 + 90 * MINUTE)
    return event


def registrant(event, state="approved", **fields):
    fields.setdefault("decided_at", DECIDED if state == "approved" else None)
    return RegistrationFactory(event=event, state=state, **fields)


@pytest.fixture
def people(workshop):
    """Two approved participants, and one in each state that gets no reminder."""
    return {
        "mina": registrant(
            workshop, name="Mina Rai", email="mina@example.org", timezone="Asia/Kathmandu"
        ),
        "joe": registrant(
            workshop, name="Joe Bloggs", email="joe@example.org", timezone="America/New_York"
        ),
        "pending": registrant(workshop, "pending", email="pending@example.org"),
        "waiting": registrant(workshop, "waiting", email="waiting@example.org"),
        "declined": registrant(workshop, "declined", email="declined@example.org"),
        "cancelled": registrant(workshop, "cancelled", email="cancelled@example.org"),
        "unconfirmed": registrant(workshop, "unconfirmed", email="unconfirmed@example.org"),
    }


def beat(now, capture):
    """One run of the beat task at ``now``; what it queues is sent when it commits."""
    with capture(execute=True):
        return queue_due_reminders(now=now)


def addressees() -> list[str]:
    return sorted(re.search(r"<(.+)>", message.to[0])[1] for message in mail.outbox)


def message_to(address: str):
    [message] = [m for m in mail.outbox if m.to[0].endswith(f"<{address}>")]
    return message


def html_of(message) -> str:
    [(html, _)] = message.alternatives
    return html


def reminder_rows():
    return OutgoingEmail.objects.filter(kind=KIND).order_by("dedup_key")


# ---------------------------------------------------------------------------------------------
# On time, once


def test_reminder_at_its_moment_mails_each_approved_participant_once(
    people, django_capture_on_commit_callbacks
):
    queued = beat(DAY1 - 24 * HOUR, django_capture_on_commit_callbacks)

    assert queued == 2
    assert addressees() == ["joe@example.org", "mina@example.org"]
    assert {row.state for row in reminder_rows()} == {"sent"}
    assert sorted(reminder_rows().values_list("dedup_key", flat=True)) == sorted(
        f"reminder:registration:{people[name].pk}:2031-10-25:1440m" for name in ("mina", "joe")
    )


def test_reminder_shows_the_days_sessions_in_the_participants_zone_and_the_programmes(
    people, django_capture_on_commit_callbacks
):
    beat(DAY1 - 24 * HOUR, django_capture_on_commit_callbacks)

    message = message_to("mina@example.org")
    assert message.subject == reminder_subject("Sat 25 Oct 2031, 12:45", "Asia/Kathmandu")
    body = message.body
    assert reminder_opening("begins", "Sat 25 Oct 2031, 12:45", "Asia/Kathmandu") in body
    assert "- Sat 25 Oct 2031, 12:45–13:15 Asia/Kathmandu: Opening" in body
    assert "(9:00 DE | 3:00 Norfolk, VA | 15:00 Shanghai)" in body
    assert "- Sat 25 Oct 2031, 13:45–14:45 Asia/Kathmandu: Trade routes" in body
    assert "Technology transfer" not in body  # the next day's
    assert join_online("https://zoom.us/j/5550001111") in body
    assert f"{gettext('Meeting ID')}: 555 000 1111" in body
    assert f"{gettext('Passcode')}: s3cret-pass" in body
    assert f"{SITE}{people['mina'].get_absolute_url()}" in body  # the status page
    html = html_of(message)
    assert 'href="https://zoom.us/j/5550001111"' in html
    assert "12:45–13:15 Asia/Kathmandu" in html

    assert message_to("joe@example.org").subject == (
        reminder_subject("Sat 25 Oct 2031, 3:00", "America/New_York")
    )


def test_beat_running_twice_sends_each_reminder_once(people, django_capture_on_commit_callbacks):
    beat(DAY1 - 24 * HOUR, django_capture_on_commit_callbacks)
    again = beat(DAY1 - 24 * HOUR, django_capture_on_commit_callbacks)
    later = beat(DAY1 - 24 * HOUR + MINUTE, django_capture_on_commit_callbacks)

    assert (again, later) == (0, 0)
    assert addressees() == ["joe@example.org", "mina@example.org"]
    assert reminder_rows().count() == 2


def test_beat_late_within_the_settle_window_still_sends(people, django_capture_on_commit_callbacks):
    beat(DAY1 - 24 * HOUR + 10 * MINUTE, django_capture_on_commit_callbacks)

    assert addressees() == ["joe@example.org", "mina@example.org"]


def test_reminder_missed_while_down_is_not_sent_late_and_the_ledger_says_why(
    people, workshop, django_capture_on_commit_callbacks
):
    # Approved after the reminder was due: never due it (the invitation said it all).
    late_comer = registrant(workshop, email="late@example.org", decided_at=DAY1 - 23 * HOUR)

    queued = beat(DAY1 - 21 * HOUR, django_capture_on_commit_callbacks)
    beat(DAY1 - 21 * HOUR + MINUTE, django_capture_on_commit_callbacks)

    assert queued == 0
    assert mail.outbox == []
    rows = list(reminder_rows())
    assert sorted(row.recipient_id for row in rows) == sorted([people["mina"].pk, people["joe"].pk])
    assert late_comer.pk not in [row.recipient_id for row in rows]
    assert {row.state for row in rows} == {"skipped"}
    assert {row.last_error for row in rows} == {
        "Not sent: due at 2031-10-24 07:00 UTC while the system was down; "
        "it would have come 3 h late."
    }


def test_one_hour_reminder_goes_out_on_time_after_a_missed_24_hour_one(
    people, django_capture_on_commit_callbacks
):
    beat(DAY1 - HOUR, django_capture_on_commit_callbacks)

    assert addressees() == ["joe@example.org", "mina@example.org"]
    states = dict(reminder_rows().values_list("dedup_key", "state"))
    mina = people["mina"].pk
    assert states[f"reminder:registration:{mina}:2031-10-25:1440m"] == "skipped"
    assert states[f"reminder:registration:{mina}:2031-10-25:60m"] == "sent"


# ---------------------------------------------------------------------------------------------
# Who gets none


def test_participant_cancelling_after_queueing_gets_no_reminder(
    people, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as handed_over:
        queue_due_reminders(now=DAY1 - 24 * HOUR)
    cancel_registration(registration=people["mina"])
    for callback in handed_over:
        callback()

    assert addressees() == ["joe@example.org"]
    row = reminder_rows().get(recipient_id=people["mina"].pk)
    assert row.state == "skipped"
    assert row.last_error.startswith("Not sent: the registration is cancelled")


def test_declined_after_queueing_gets_no_reminder(
    people, organizer, django_capture_on_commit_callbacks
):
    from tests.registration.conftest import decline

    with django_capture_on_commit_callbacks() as handed_over:
        queue_due_reminders(now=DAY1 - 24 * HOUR)
    decline(people["joe"], by=organizer)
    for callback in handed_over:
        callback()

    assert addressees() == ["mina@example.org"]
    assert reminder_rows().get(recipient_id=people["joe"].pk).state == "skipped"


def test_past_event_gets_no_reminders(people, sino_soviet, django_capture_on_commit_callbacks):
    RegistrationFactory(event=sino_soviet, state="approved", decided_at=DECIDED)

    assert beat(dt.datetime(2031, 10, 27, 12, tzinfo=UTC), django_capture_on_commit_callbacks) == 0
    assert beat(dt.datetime(2021, 7, 2, 12, tzinfo=UTC), django_capture_on_commit_callbacks) == 0

    assert mail.outbox == []
    assert not reminder_rows().exists()


def test_day_under_way_gets_no_reminder_for_that_day(people, django_capture_on_commit_callbacks):
    # The first day has begun; the second day's 24-hour reminder is due at 8:00 UTC only.
    beat(DAY1 + 30 * MINUTE, django_capture_on_commit_callbacks)

    assert mail.outbox == []
    assert not reminder_rows().exists()


def test_event_without_reminders_sends_none(people, workshop, django_capture_on_commit_callbacks):
    Event.objects.filter(pk=workshop.pk).update(reminder_offsets="")

    beat(DAY1 - 24 * HOUR, django_capture_on_commit_callbacks)
    beat(DAY1 - HOUR, django_capture_on_commit_callbacks)

    assert mail.outbox == []


# ---------------------------------------------------------------------------------------------
# Several days


def test_each_day_gets_its_reminders_at_its_first_session_across_the_clock_change(
    people, django_capture_on_commit_callbacks
):
    """Beat every 10 minutes over four days: each participant gets four reminders, each at
    its moment (24 h before day two is 10:00 in Berlin on day one, the clocks having gone
    back in between)."""
    sent = []  # (when, to, subject)
    now = dt.datetime(2031, 10, 23, 0, 0, tzinfo=UTC)
    while now < dt.datetime(2031, 10, 27, tzinfo=UTC):
        beat(now, django_capture_on_commit_callbacks)
        sent += [(now, m.to[0], m.subject) for m in mail.outbox[len(sent) :]]
        now += 10 * MINUTE

    to_mina = [(at, subject) for at, to, subject in sent if "mina@" in to]
    assert to_mina == [
        (DAY1 - 24 * HOUR, reminder_subject("Sat 25 Oct 2031, 12:45", "Asia/Kathmandu")),
        (DAY1 - HOUR, reminder_subject("Sat 25 Oct 2031, 12:45", "Asia/Kathmandu")),
        (DAY2 - 24 * HOUR, reminder_subject("Sun 26 Oct 2031, 13:45", "Asia/Kathmandu")),
        (DAY2 - HOUR, reminder_subject("Sun 26 Oct 2031, 13:45", "Asia/Kathmandu")),
    ]
    assert DAY2 - 24 * HOUR == dt.datetime(2031, 10, 25, 8, 0, tzinfo=UTC)
    assert len(mail.outbox) == 8
    assert reminder_rows().count() == 8


def test_second_days_reminder_lists_that_days_sessions(people, django_capture_on_commit_callbacks):
    beat(DAY2 - 24 * HOUR, django_capture_on_commit_callbacks)

    body = message_to("mina@example.org").body
    assert reminder_opening("continues", "Sun 26 Oct 2031, 13:45", "Asia/Kathmandu") in body
    assert "- Sun 26 Oct 2031, 13:45–14:45 Asia/Kathmandu: Technology transfer" in body
    # Berlin is back on CET, Norfolk still on summer time.
    assert "(9:00 DE | 4:00 Norfolk, VA | 16:00 Shanghai)" in body
    assert "Opening" not in body


def test_session_with_its_own_meeting_opening_the_day_gives_its_link(
    people, workshop, django_capture_on_commit_callbacks
):
    session = Session.objects.get(event=workshop, title="Technology transfer")
    session.meeting_url = "https://example.org/room-2"
    session.save()

    beat(DAY2 - HOUR, django_capture_on_commit_callbacks)

    assert join_online("https://example.org/room-2") in message_to("mina@example.org").body


# ---------------------------------------------------------------------------------------------
# Cost


def test_beat_queries_do_not_grow_with_the_number_of_participants(
    workshop, django_assert_max_num_queries
):
    registrant(workshop)
    with CaptureQueriesContext(connection) as one:
        queue_due_reminders(now=DAY1 - 24 * HOUR)
    RegistrationFactory.create_batch(50, event=workshop, state="approved", decided_at=DECIDED)

    with django_assert_max_num_queries(len(one)):
        assert queue_due_reminders(now=DAY1 - 24 * HOUR) == 50
    with django_assert_max_num_queries(4):  # events, sessions, registrations, written keys
        assert queue_due_reminders(now=DAY1 - 24 * HOUR + MINUTE) == 0


def test_beat_with_nothing_due_is_one_query(people, django_assert_num_queries):
    with django_assert_num_queries(1):  # no event has a session in the next 14 days
        queue_due_reminders(now=dt.datetime(2031, 9, 1, tzinfo=UTC))


# ---------------------------------------------------------------------------------------------
# Organizers set the offsets


def test_offsets_from_the_programme_file_schedule_the_reminders(
    django_capture_on_commit_callbacks,
):
    result = import_programme(
        {
            "event": {
                "slug": "short-notice",
                "title": "Short Notice",
                "timezone": "Europe/Berlin",
                "reminders": ["2h", "15m"],
            },
            "people": [],
            "days": [
                {
                    "date": "2031-10-25",
                    "items": [{"start": "09:00", "end": "10:00", "title": "Talk"}],
                }
            ],
        }
    )
    event = result.event
    assert event.reminder_offsets == "2h, 15m"
    Event.objects.filter(pk=event.pk).update(created_at=DECIDED)
    registrant(event, email="early@example.org", timezone="Europe/Berlin")

    beat(DAY1 - 24 * HOUR, django_capture_on_commit_callbacks)
    assert mail.outbox == []
    beat(DAY1 - 2 * HOUR, django_capture_on_commit_callbacks)
    beat(DAY1 - 15 * MINUTE, django_capture_on_commit_callbacks)

    assert [m.subject for m in mail.outbox] == [
        "Reminder: Short Notice, Sat 25 Oct 2031, 9:00 Europe/Berlin"
    ] * 2


def test_programme_file_without_offsets_keeps_those_set_in_admin(db):
    programme = {
        "event": {"slug": "kept", "title": "Kept", "timezone": "Europe/Berlin"},
        "people": [],
        "days": [
            {"date": "2031-10-25", "items": [{"start": "09:00", "end": "10:00", "title": "Talk"}]}
        ],
    }
    event = import_programme(programme).event
    assert event.reminder_offsets == "24h, 1h"  # a new event's default
    Event.objects.filter(pk=event.pk).update(reminder_offsets="3d")

    import_programme(programme)
    assert Event.objects.get(pk=event.pk).reminder_offsets == "3d"

    programme["event"]["reminders"] = ""
    import_programme(programme)
    assert Event.objects.get(pk=event.pk).reminder_offsets == ""


def test_programme_file_with_unreadable_offsets_is_rejected(db):
    from workshop.importer import ProgrammeError

    with pytest.raises(ProgrammeError) as error:
        import_programme(
            {
                "event": {
                    "slug": "bad-offsets",
                    "title": "Bad",
                    "timezone": "Europe/Berlin",
                    "reminders": "24h, soon",
                },
                "people": [],
                "days": [
                    {
                        "date": "2031-10-25",
                        "items": [{"start": "09:00", "end": "10:00", "title": "Talk"}],
                    }
                ],
            }
        )
    assert any(
        line.startswith("event.reminders: ") and "soon" in line for line in error.value.lines()
    )
    assert not Event.objects.filter(slug="bad-offsets").exists()


def test_organizer_sets_the_offsets_in_admin(admin_client, workshop):
    data, _ = get_event_form(admin_client, workshop)
    assert data["reminder_offsets"] == "24h, 1h"
    data["reminder_offsets"] = "2d, 30m"

    response = admin_client.post(event_change_url(workshop), data)

    assert response.status_code == 302, response.content.decode()[:3000]
    workshop.refresh_from_db()
    assert workshop.reminder_offsets == "2d, 30m"


def test_admin_refuses_unreadable_offsets(admin_client, workshop):
    data, _ = get_event_form(admin_client, workshop)
    data["reminder_offsets"] = "tomorrow"

    response = admin_client.post(event_change_url(workshop), data)

    assert response.status_code == 200
    assert (
        gettext(
            "“%(part)s” is not a reminder time: write a number and a unit, "
            "m (minutes), h (hours) or d (days), e.g. “24h, 1h”."
        )
        % {"part": "tomorrow"}
        in response.content.decode()
    )
    workshop.refresh_from_db()
    assert workshop.reminder_offsets == "24h, 1h"
