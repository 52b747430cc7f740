"""Showing one instant in several time zones, the way the announcement printed it:
``12:00 DE | 6:00 Norfolk, VA | 18:00 Shanghai/Hongkong``, with ``+1 day`` where a zone's
date differs from the event's own date."""

import datetime as dt
import zoneinfo
from dataclasses import dataclass

from .models import available_timezones

UTC = dt.UTC


@dataclass(frozen=True)
class ZonedTime:
    """An instant as seen in one labelled zone, relative to a reference (event-local) date."""

    label: str
    zone: str
    local: dt.datetime
    day_shift: int

    @property
    def clock(self) -> str:
        return format_clock(self.local)

    @property
    def day_shift_text(self) -> str:
        return format_day_shift(self.day_shift)

    @property
    def abbreviation(self) -> str:
        return self.local.tzname() or ""

    def __str__(self) -> str:
        text = f"{self.clock} {self.label}"
        return f"{text} ({self.day_shift_text})" if self.day_shift else text


def format_clock(local: dt.datetime) -> str:
    """24-hour clock without a leading zero on the hour, as printed in the seed: ``6:00``."""
    return f"{local.hour}:{local.minute:02d}"


def format_day_shift(days: int) -> str:
    if days == 0:
        return ""
    sign = "+" if days > 0 else "−"
    unit = "day" if abs(days) == 1 else "days"
    return f"{sign}{abs(days)} {unit}"


def zoned_time(
    instant: dt.datetime, *, label: str, zone: str, reference_date: dt.date
) -> ZonedTime:
    local = instant.astimezone(zoneinfo.ZoneInfo(zone))
    return ZonedTime(
        label=label,
        zone=zone,
        local=local,
        day_shift=(local.date() - reference_date).days,
    )


def is_valid_zone(name: str | None) -> bool:
    return bool(name) and name in available_timezones()


def zone_label(zone: str) -> str:
    """A readable label for a bare zone name: ``America/St_Johns`` → ``St Johns``."""
    if zone == "UTC":
        return "UTC"
    return zone.rsplit("/", 1)[-1].replace("_", " ")
