import datetime as dt

import pytest
from django.utils.translation import ngettext

from workshop.zones import (
    format_clock,
    format_day_shift,
    is_valid_zone,
    zone_label,
    zoned_time,
)

UTC = dt.UTC


def at(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=UTC)


def days_text(sign: str, count: int) -> str:
    """``+1 day`` as the catalogue words it, with the sign the test expects."""
    pattern = ngettext("%(sign)s%(count)s day", "%(sign)s%(count)s days", count)
    return pattern % {"sign": sign, "count": count}


@pytest.mark.parametrize(
    ("hour", "minute", "expected"),
    [
        (0, 0, "0:00"),
        (0, 5, "0:05"),
        (6, 0, "6:00"),
        (9, 30, "9:30"),
        (12, 0, "12:00"),
        (23, 59, "23:59"),
    ],
)
def test_format_clock_has_no_leading_zero_on_the_hour(hour, minute, expected):
    assert format_clock(dt.datetime(2021, 7, 1, hour, minute, tzinfo=UTC)) == expected


def test_format_day_shift_of_no_days_is_empty():
    assert format_day_shift(0) == ""


@pytest.mark.parametrize(
    ("days", "sign", "count"),
    [(1, "+", 1), (2, "+", 2), (-1, "−", 1), (-2, "−", 2)],  # a minus sign, not a hyphen
)
def test_format_day_shift_names_sign_and_unit(days, sign, count):
    assert format_day_shift(days) == days_text(sign, count)


def test_zoned_time_reproduces_the_seed_opening():
    # 1 July 2021, 12:00 in Leipzig = 10:00 UTC.
    instant = at(2021, 7, 1, 10)
    reference = dt.date(2021, 7, 1)
    rendered = [
        str(zoned_time(instant, label=label, zone=zone, reference_date=reference))
        for label, zone in [
            ("DE", "Europe/Berlin"),
            ("Norfolk, VA", "America/New_York"),
            ("Shanghai/Hongkong", "Asia/Shanghai"),
        ]
    ]
    assert rendered == ["12:00 DE", "6:00 Norfolk, VA", "18:00 Shanghai/Hongkong"]


@pytest.mark.parametrize(
    ("instant", "zone", "reference", "clock", "shift", "offset"),
    [
        # US clocks went forward on 9 March 2031, European ones on 30 March 2031.
        (at(2031, 3, 6, 17), "America/New_York", (2031, 3, 6), "12:00", 0, dt.timedelta(hours=-5)),
        (
            at(2031, 3, 17, 17),
            "America/New_York",
            (2031, 3, 17),
            "13:00",
            0,
            dt.timedelta(hours=-4),
        ),
        (at(2031, 3, 17, 17), "Europe/Berlin", (2031, 3, 17), "18:00", 0, dt.timedelta(hours=1)),
        (at(2031, 3, 31, 16), "Europe/Berlin", (2031, 3, 31), "18:00", 0, dt.timedelta(hours=2)),
        (
            at(2031, 3, 31, 16),
            "America/New_York",
            (2031, 3, 31),
            "12:00",
            0,
            dt.timedelta(hours=-4),
        ),
        # Kathmandu: +5:45 all year.
        (
            at(2031, 7, 1, 20),
            "Asia/Kathmandu",
            (2031, 7, 1),
            "1:45",
            1,
            dt.timedelta(hours=5, minutes=45),
        ),
        (
            at(2031, 1, 15, 4, 15),
            "Asia/Kathmandu",
            (2031, 1, 15),
            "10:00",
            0,
            dt.timedelta(hours=5, minutes=45),
        ),
        # Adelaide: +10:30 in the southern summer, +9:30 from 6 April 2031.
        (
            at(2031, 1, 15, 12),
            "Australia/Adelaide",
            (2031, 1, 15),
            "22:30",
            0,
            dt.timedelta(hours=10, minutes=30),
        ),
        (
            at(2031, 1, 15, 14),
            "Australia/Adelaide",
            (2031, 1, 15),
            "0:30",
            1,
            dt.timedelta(hours=10, minutes=30),
        ),
        (
            at(2031, 4, 5, 12),
            "Australia/Adelaide",
            (2031, 4, 5),
            "22:30",
            0,
            dt.timedelta(hours=10, minutes=30),
        ),
        (
            at(2031, 4, 6, 12),
            "Australia/Adelaide",
            (2031, 4, 6),
            "21:30",
            0,
            dt.timedelta(hours=9, minutes=30),
        ),
        # St. John's: -3:30 in winter, -2:30 in summer.
        (
            at(2031, 1, 15, 2),
            "America/St_Johns",
            (2031, 1, 15),
            "22:30",
            -1,
            dt.timedelta(hours=-3, minutes=-30),
        ),
        (
            at(2031, 7, 1, 12),
            "America/St_Johns",
            (2031, 7, 1),
            "9:30",
            0,
            dt.timedelta(hours=-2, minutes=-30),
        ),
    ],
)
def test_zoned_time_clock_day_shift_and_offset(instant, zone, reference, clock, shift, offset):
    value = zoned_time(instant, label="X", zone=zone, reference_date=dt.date(*reference))
    assert (value.clock, value.day_shift, value.local.utcoffset()) == (clock, shift, offset)


def test_zoned_time_str_adds_the_day_shift():
    value = zoned_time(
        at(2031, 7, 1, 20),
        label="Kathmandu",
        zone="Asia/Kathmandu",
        reference_date=dt.date(2031, 7, 1),
    )
    assert str(value) == f"1:45 Kathmandu ({days_text('+', 1)})"
    assert value.day_shift_text == days_text("+", 1)
    assert value.abbreviation == "+0545"


def test_zoned_time_day_shift_is_relative_to_the_event_date_not_utc():
    # 23:30 on 1 July in Berlin is already 2 July in UTC, but it is the event's 1 July.
    value = zoned_time(
        at(2031, 7, 1, 21, 30), label="DE", zone="Europe/Berlin", reference_date=dt.date(2031, 7, 1)
    )
    assert (value.clock, value.day_shift) == ("23:30", 0)


@pytest.mark.parametrize(
    ("name", "valid"),
    [
        ("Asia/Kathmandu", True),
        ("Asia/Katmandu", True),
        ("UTC", True),
        ("America/St_Johns", True),
        ("Mars/Olympus", False),
        ("<script>", False),
        ("", False),
        (None, False),
        ("asia/shanghai", False),
        # zoneinfo loads these (the machine's own zone, tzdata's placeholder), yet no place
        # has them: the forms never offered them, and now nothing accepts them.
        ("localtime", False),
        ("Factory", False),
        ("posixrules", False),
    ],
)
def test_is_valid_zone_accepts_only_iana_names(name, valid):
    assert is_valid_zone(name) is valid


@pytest.mark.parametrize(
    ("zone", "label"),
    [
        ("America/St_Johns", "St Johns"),
        ("UTC", "UTC"),
        ("America/Argentina/Buenos_Aires", "Buenos Aires"),
    ],
)
def test_zone_label_is_the_readable_last_part(zone, label):
    assert zone_label(zone) == label
