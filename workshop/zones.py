"""Time zones: which IANA names we know and offer, and showing one instant in several zones
the way the announcement printed it: ``12:00 DE | 6:00 Norfolk, VA | 18:00 Shanghai/Hongkong``,
with ``+1 day`` where a zone's date differs from the event's own date.

The one place that lists and validates zone names: models, forms, the admin and the pages
all ask here.
"""

import datetime as dt
import zoneinfo
from dataclasses import dataclass
from functools import cache

from django.core.exceptions import ValidationError
from django.utils import dateformat
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext

UTC = dt.UTC
# Names zoneinfo knows that are no place anyone lives in.
NOT_A_PLACE = frozenset({"Factory", "localtime", "posixrules"})
# The regions of the viewer's zone select; names outside them are legacy aliases (US/…).
ZONE_REGIONS = (
    "Africa",
    "America",
    "Antarctica",
    "Arctic",
    "Asia",
    "Atlantic",
    "Australia",
    "Europe",
    "Indian",
    "Pacific",
)


@cache
def available_timezones() -> frozenset[str]:
    """Every name zoneinfo can load here (tzdata where the system has none)."""
    return frozenset(zoneinfo.available_timezones())


def is_valid_zone(name: str | None) -> bool:
    """A zone people live in: an IANA name zoneinfo knows, not `localtime` or `Factory`. The
    one rule of the models, the forms, the admin and the programme importer."""
    return isinstance(name, str) and name in available_timezones() and name not in NOT_A_PLACE


def validate_timezone_name(value: str) -> None:
    if not is_valid_zone(value):
        raise ValidationError(
            _("“%(value)s” is not an IANA time zone name (e.g. Europe/Berlin)."),
            params={"value": value},
        )


@cache
def zone_choices() -> tuple[tuple[str, str], ...]:
    """Every zone a person may live in, sorted, labelled readably (``America/St Johns``):
    the choices of the registration form and of the admin."""
    return tuple(
        (name, name.replace("_", " ")) for name in sorted(available_timezones() - NOT_A_PLACE)
    )


@cache
def grouped_zone_choices() -> tuple[tuple[str, tuple[str, ...]], ...]:
    """The viewer's zone select: UTC, then the zones of each region (no legacy aliases)."""
    grouped: dict[str, list[str]] = {region: [] for region in ZONE_REGIONS}
    for name in available_timezones():
        region = name.split("/", 1)[0]
        if "/" in name and region in grouped:
            grouped[region].append(name)
    return (("", ("UTC",)),) + tuple(
        (region, tuple(sorted(names))) for region, names in grouped.items()
    )


@cache
def listed_zones() -> frozenset[str]:
    """The names the viewer's select offers."""
    return frozenset(name for _, names in grouped_zone_choices() for name in names)


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


def day_shift_pattern(count: int) -> str:
    """The day-shift text for ``count`` days, in the active language, with its placeholders
    (``%(sign)s``, ``%(count)s``) left in: `format_day_shift` fills them, and the pages hand
    them to ``localtime.js`` to fill for the browser's zone."""
    return ngettext("%(sign)s%(count)s day", "%(sign)s%(count)s days", count)


def format_day_shift(days: int) -> str:
    """``+1 day``, ``−2 days`` (a minus sign, not a hyphen), in the active language."""
    if days == 0:
        return ""
    sign = "+" if days > 0 else "−"
    return day_shift_pattern(abs(days)) % {"sign": sign, "count": abs(days)}


def day_month_year(date: dt.date) -> str:
    """``1 July 2021`` (``1. Juli 2021``): a date without its weekday, in the active language."""
    return dateformat.format(date, pgettext("date format: day month year", "j F Y"))


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


def zone_label(zone: str) -> str:
    """A readable label for a bare zone name: ``America/St_Johns`` → ``St Johns``."""
    if zone == "UTC":
        return "UTC"
    return zone.rsplit("/", 1)[-1].replace("_", " ")
