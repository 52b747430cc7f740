"""Organizers write reminder times as they say them ("24h, 1h"); each programme day's first
session sets when its reminders fall due, in the event's own zone's days."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils.translation import gettext

from tests.factories import EventFactory, SessionFactory
from workshop.reminders import format_offset, parse_reminder_offsets, reminder_moments

UTC = dt.UTC
H = dt.timedelta(hours=1)


@pytest.mark.parametrize(
    ("text", "offsets"),
    [
        ("24h, 1h", [24 * H, H]),
        ("1h 24h 1h", [24 * H, H]),
        ("2d; 90m", [48 * H, 90 * dt.timedelta(minutes=1)]),
        ("  ", []),
        ("", []),
        ("30M, 1D", [24 * H, dt.timedelta(minutes=30)]),
    ],
)
def test_reminder_offsets_read_as_organizers_write_them(text, offsets):
    assert parse_reminder_offsets(text) == offsets


UNREADABLE = (
    "“%(part)s” is not a reminder time: write a number and a unit, "
    "m (minutes), h (hours) or d (days), e.g. “24h, 1h”."
)
OUT_OF_RANGE = "“%(part)s”: reminders go out between 5 minutes and 14 days before."


@pytest.mark.parametrize(
    ("text", "msgid", "part"),
    [
        ("24", UNREADABLE, "24"),
        ("1 hour", UNREADABLE, "1"),
        ("-1h", UNREADABLE, "-1h"),
        ("2m", OUT_OF_RANGE, "2m"),
        ("15d", OUT_OF_RANGE, "15d"),
        ("<script>", UNREADABLE, "<script>"),
    ],
)
def test_unreadable_reminder_offsets_are_refused_naming_the_part(text, msgid, part):
    with pytest.raises(ValidationError) as error:
        parse_reminder_offsets(text)
    assert error.value.messages == [gettext(msgid) % {"part": part}]


def test_offsets_are_written_back_as_organizers_write_them():
    assert [format_offset(o) for o in parse_reminder_offsets("1d, 90m, 1h")] == [
        "24h",
        "90m",
        "1h",
    ]


def test_each_programme_day_has_its_reminders_before_its_first_session(db):
    # Shanghai's days: the second session starts on 2 July there, though 1 July in UTC.
    event = EventFactory(timezone="Asia/Shanghai", reminder_offsets="24h, 1h")
    first = SessionFactory(
        event=event,
        start=dt.datetime(2031, 7, 1, 2, 0, tzinfo=UTC),
        end=dt.datetime(2031, 7, 1, 3, 0, tzinfo=UTC),
    )
    SessionFactory(
        event=event,
        kind="break",
        title="",
        start=dt.datetime(2031, 7, 1, 17, 0, tzinfo=UTC),
        end=dt.datetime(2031, 7, 1, 17, 30, tzinfo=UTC),
    )
    second_day = SessionFactory(
        event=event,
        start=dt.datetime(2031, 7, 1, 18, 0, tzinfo=UTC),
        end=dt.datetime(2031, 7, 1, 19, 0, tzinfo=UTC),
    )
    moments = reminder_moments(event, event.sessions.all())
    # In the order they fall due: day 2's 24-hour reminder comes before day 1's last one.
    assert [(m.day.isoformat(), m.due_at, m.key) for m in moments] == [
        ("2031-07-01", first.start - 24 * H, "2031-07-01:1440m"),
        ("2031-07-02", second_day.start - 24 * H, "2031-07-02:1440m"),
        ("2031-07-01", first.start - H, "2031-07-01:60m"),
        ("2031-07-02", second_day.start - H, "2031-07-02:60m"),
    ]


def test_an_event_without_reminders_has_no_moments(db):
    event = EventFactory(reminder_offsets="")
    SessionFactory(event=event)
    assert reminder_moments(event, event.sessions.all()) == []
