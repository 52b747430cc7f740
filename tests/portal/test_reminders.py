"""Reminders to the people on the programme: before each day on which they hold a role, one
email per person per reminder, however many roles they hold that day; the clock is moved by
passing ``now=`` to the beat's service.

The event runs on two days across the end of summer time in Berlin (Sat 25 and Sun 26 October
2031, first sessions at 9:00 in Berlin: 7:00 and 8:00 UTC). Tao Chen (Kathmandu, +5:45) speaks
and chairs on the first day; Ann Lee (no zone: UTC) comments on the second; Bo Wu has no
address.
"""

import datetime as dt
import re
from html.parser import HTMLParser

import pytest
from django.core import mail
from django.utils.translation import gettext

from mailing.models import OutgoingEmail
from portal.reminders import KIND, queue_due_reminders
from tests.factories import (
    DisplayZoneFactory,
    EventFactory,
    PersonFactory,
    SessionFactory,
    SessionRoleFactory,
)
from workshop.models import Event, SessionRole

SPEAKER, CHAIR, COMMENTATOR = (
    SessionRole.Role.SPEAKER,
    SessionRole.Role.CHAIR,
    SessionRole.Role.COMMENTATOR,
)

pytestmark = pytest.mark.django_db

UTC = dt.UTC
DAY1 = dt.datetime(2031, 10, 25, 7, 0, tzinfo=UTC)
DAY2 = dt.datetime(2031, 10, 26, 8, 0, tzinfo=UTC)
HOUR = dt.timedelta(hours=1)
MINUTE = dt.timedelta(minutes=1)
SITE = "http://testserver.example"


@pytest.fixture(autouse=True)
def site(settings):
    settings.SITE_URL = SITE
    settings.NOTICE_SETTLE_SECONDS = 600


@pytest.fixture
def programme(db):
    event = EventFactory(slug="border-trade-2031", title="Border Trade", timezone="Europe/Berlin")
    Event.objects.filter(pk=event.pk).update(created_at=dt.datetime(2031, 9, 1, tzinfo=UTC))
    DisplayZoneFactory(event=event, position=0, label="DE", zone="Europe/Berlin")
    DisplayZoneFactory(event=event, position=1, label="Norfolk, VA", zone="America/New_York")
    opening = SessionFactory(event=event, title="Opening", start=DAY1, end=DAY1 + 30 * MINUTE)
    routes = SessionFactory(
        event=event, title="Trade routes", start=DAY1 + HOUR, end=DAY1 + 2 * HOUR
    )
    transfer = SessionFactory(event=event, title="Technology transfer", start=DAY2, end=DAY2 + HOUR)
    tao = PersonFactory(
        key="tao-chen", name="Tao Chen", email="tao@example.org", timezone="Asia/Kathmandu"
    )
    ann = PersonFactory(key="ann-lee", name="Ann Lee", email="ann@example.org", timezone="")
    bo = PersonFactory(key="bo-wu", name="Bo Wu", email="")
    SessionRoleFactory(session=opening, person=tao, role="chair")
    SessionRoleFactory(session=routes, person=tao, role="speaker")
    SessionRoleFactory(session=routes, person=tao, role="chair")
    SessionRoleFactory(session=routes, person=bo, role="speaker", position=1)
    SessionRoleFactory(session=transfer, person=ann, role="commentator")
    return {"event": event, "tao": tao, "ann": ann, "bo": bo, "routes": routes}


def beat(now, capture):
    with capture(execute=True):
        return queue_due_reminders(now=now)


def addressees() -> list[str]:
    return sorted(re.search(r"<(.+)>", message.to[0])[1] for message in mail.outbox)


def message_to(address: str):
    [message] = [m for m in mail.outbox if m.to[0].endswith(f"<{address}>")]
    return message


def reminder_rows():
    return OutgoingEmail.objects.filter(kind=KIND)


def subject(start: str, zone: str) -> str:
    return gettext("Reminder: %(event)s, %(start)s %(zone)s") % {
        "event": "Border Trade",
        "start": start,
        "zone": zone,
    }


def you(*roles) -> str:
    """The marker of a person's own session: "(you: Speaker, Chair)"."""
    return "(" + gettext("you: %(roles)s") % {"roles": ", ".join(str(r.label) for r in roles)} + ")"


def labelled(msgid: str, value: str) -> str:
    """A line of the meeting block: "Join online: https://…"."""
    return f"{gettext(msgid)}: {value}"


class _Rows(HTMLParser):
    """The sessions of an email's day table: ``{session id: (mine?, text)}``."""

    def __init__(self):
        super().__init__()
        self.rows: dict[int, list] = {}
        self._current = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "tr" and "data-session" in attrs:
            self._current = int(attrs["data-session"])
            self.rows[self._current] = ["data-mine" in attrs, ""]

    def handle_endtag(self, tag):
        if tag == "tr":
            self._current = None

    def handle_data(self, data):
        if self._current is not None:
            self.rows[self._current][1] += data


def day_table(message) -> dict[int, tuple[bool, str]]:
    [(html, _)] = message.alternatives
    parser = _Rows()
    parser.feed(html)
    return {pk: (mine, " ".join(text.split())) for pk, (mine, text) in parser.rows.items()}


def test_person_gets_one_reminder_however_many_roles_that_day(
    programme, django_capture_on_commit_callbacks
):
    queued = beat(DAY1 - 24 * HOUR, django_capture_on_commit_callbacks)

    assert queued == 1
    assert addressees() == ["tao@example.org"]  # Ann is on day two, Bo has no address
    [row] = reminder_rows()
    assert row.dedup_key == f"reminder:person:{programme['tao'].pk}:2031-10-25:1440m"


def test_reminder_lists_the_day_in_the_persons_zone_and_marks_their_sessions(
    programme, django_capture_on_commit_callbacks
):
    beat(DAY1 - 24 * HOUR, django_capture_on_commit_callbacks)

    message = message_to("tao@example.org")
    assert message.subject == subject("Sat 25 Oct 2031, 12:45", "Asia/Kathmandu")
    body = message.body
    assert f"* Sat 25 Oct 2031, 12:45–13:15 Asia/Kathmandu: Opening {you(CHAIR)}" in body
    assert "  (9:00 DE | 3:00 Norfolk, VA)" in body
    assert (
        f"* Sat 25 Oct 2031, 13:45–14:45 Asia/Kathmandu: Trade routes {you(SPEAKER, CHAIR)}"
    ) in body
    assert "Technology transfer" not in body
    assert labelled("Join online", "https://zoom.us/j/5550001111") in body
    assert labelled("Passcode", "s3cret-pass") in body
    assert f"{SITE}/portal/" in body
    # A reminder is no sign-in link: it points at the portal, which asks for the address.
    assert "/portal/link/" not in body
    assert "sesame" not in body

    routes = programme["routes"]
    table = day_table(message)
    assert table[routes.pk] == (
        True,
        f"Sat 25 Oct 2031, 13:45–14:45 Asia/Kathmandu Trade routes {you(SPEAKER, CHAIR)} "
        "10:00 DE | 4:00 Norfolk, VA",
    )


def test_session_not_the_persons_is_listed_unmarked(programme, django_capture_on_commit_callbacks):
    # Tao takes part only in the second session now; the day still begins with the first.
    SessionRole.objects.filter(person=programme["tao"], session__title="Opening").delete()

    beat(DAY1 - HOUR, django_capture_on_commit_callbacks)

    message = message_to("tao@example.org")
    assert message.subject == subject("Sat 25 Oct 2031, 13:45", "Asia/Kathmandu")
    assert "- Sat 25 Oct 2031, 12:45–13:15 Asia/Kathmandu: Opening\n" in message.body
    mine = {pk for pk, (is_mine, _) in day_table(message).items() if is_mine}
    assert mine == {programme["routes"].pk}


def test_person_on_day_two_only_gets_day_two_reminders_in_utc(
    programme, django_capture_on_commit_callbacks
):
    sent = []
    now = dt.datetime(2031, 10, 23, 0, 0, tzinfo=UTC)
    while now < dt.datetime(2031, 10, 27, tzinfo=UTC):
        beat(now, django_capture_on_commit_callbacks)
        sent += [(now, m.to[0], m.subject) for m in mail.outbox[len(sent) :]]
        now += 10 * MINUTE

    assert [(at, subject) for at, to, subject in sent if "ann@" in to] == [
        (DAY2 - 24 * HOUR, subject("Sun 26 Oct 2031, 8:00", "UTC")),
        (DAY2 - HOUR, subject("Sun 26 Oct 2031, 8:00", "UTC")),
    ]
    assert [at for at, to, _ in sent if "tao@" in to] == [DAY1 - 24 * HOUR, DAY1 - HOUR]
    assert len(sent) == 4
    body = message_to_last("ann@example.org").body
    assert f"* Sun 26 Oct 2031, 8:00–9:00 UTC: Technology transfer {you(COMMENTATOR)}" in body
    assert "(9:00 DE | 4:00 Norfolk, VA)" in body


def message_to_last(address: str):
    return [m for m in mail.outbox if m.to[0].endswith(f"<{address}>")][-1]


def test_beat_twice_and_late_within_the_window_sends_once(
    programme, django_capture_on_commit_callbacks
):
    beat(DAY1 - 24 * HOUR + 9 * MINUTE, django_capture_on_commit_callbacks)
    beat(DAY1 - 24 * HOUR + 10 * MINUTE, django_capture_on_commit_callbacks)
    beat(DAY1 - 24 * HOUR + 30 * MINUTE, django_capture_on_commit_callbacks)

    assert addressees() == ["tao@example.org"]
    assert reminder_rows().count() == 1


def test_reminder_missed_while_down_is_recorded_not_sent(
    programme, django_capture_on_commit_callbacks
):
    beat(DAY1 - 20 * HOUR - 30 * MINUTE, django_capture_on_commit_callbacks)

    assert mail.outbox == []
    [row] = reminder_rows()
    assert row.state == "skipped"
    assert row.last_error == (
        "Not sent: due at 2031-10-24 07:00 UTC while the system was down; "
        "it would have come 3 h 30 min late."
    )

    beat(DAY1 - HOUR, django_capture_on_commit_callbacks)  # the next one is on time

    assert addressees() == ["tao@example.org"]


def test_person_taken_off_the_day_before_sending_gets_none(
    programme, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as handed_over:
        queue_due_reminders(now=DAY1 - 24 * HOUR)
    SessionRole.objects.filter(person=programme["tao"]).delete()
    for callback in handed_over:
        callback()

    assert mail.outbox == []
    [row] = reminder_rows()
    assert row.state == "skipped"
    assert row.last_error.startswith("Not sent:")


def test_session_with_its_own_meeting_says_so(programme, django_capture_on_commit_callbacks):
    routes = programme["routes"]
    routes.meeting_url = "https://example.org/routes-room"
    routes.save()

    beat(DAY1 - 24 * HOUR, django_capture_on_commit_callbacks)

    body = message_to("tao@example.org").body
    assert labelled("Join online", "https://zoom.us/j/5550001111") in body
    own_meeting = gettext("This session has its own meeting:")
    assert f"{own_meeting} https://example.org/routes-room" in body


def test_past_event_and_people_without_address_get_none(
    programme, sino_soviet, django_capture_on_commit_callbacks
):
    assert beat(dt.datetime(2021, 7, 1, 7, 0, tzinfo=UTC), django_capture_on_commit_callbacks) == 0
    assert beat(dt.datetime(2031, 10, 27, tzinfo=UTC), django_capture_on_commit_callbacks) == 0
    assert mail.outbox == []
    assert not reminder_rows().exists()


def test_event_entered_after_a_moment_records_no_missed_reminder(
    programme, django_capture_on_commit_callbacks
):
    Event.objects.filter(pk=programme["event"].pk).update(created_at=DAY1 - 3 * HOUR)

    beat(DAY1 - 2 * HOUR, django_capture_on_commit_callbacks)

    assert not reminder_rows().exists()


def test_beat_queries_do_not_grow_with_the_number_of_people(
    programme, django_assert_max_num_queries
):
    routes = programme["routes"]
    for person in PersonFactory.create_batch(50):
        SessionRoleFactory(session=routes, person=person, role="speaker", position=2)

    # events, sessions, roles with people, written keys, insert, queued ids
    with django_assert_max_num_queries(6):
        assert queue_due_reminders(now=DAY1 - 24 * HOUR) == 51
    with django_assert_max_num_queries(4):
        assert queue_due_reminders(now=DAY1 - 24 * HOUR + MINUTE) == 0
