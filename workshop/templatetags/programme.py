"""Template helpers for the public programme pages.

Dates and times are formatted here, in Python, from datetimes already converted to the zone
they are shown in: Django's own ``date`` filter would first convert them to the active
(UTC) zone. Month and day names, and the order of the date's parts, follow the active
language (``Thursday, 1 July 2021`` / ``Donnerstag, 1. Juli 2021``).
"""

import datetime as dt
import zoneinfo

from django import template
from django.utils import dateformat
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from workshop.languages import language_name
from workshop.models import Event, SessionRole
from workshop.richtext import markdown_html
from workshop.widgets import options_html
from workshop.zones import (
    ZonedTime,
    day_month_year,
    day_shift_pattern,
    format_clock,
    format_day_shift,
    zoned_time,
)

register = template.Library()


@register.filter(is_safe=True)
def markdown(text: str | None) -> SafeString:
    """Markdown → sanitized HTML (see `workshop.richtext`)."""
    return markdown_html(text)


@register.filter
def long_date(value: dt.date) -> str:
    """``Thursday, 1 July 2021``, ``Donnerstag, 1. Juli 2021``.

    The format is the catalogue's (German ``l, j. F Y``), not DATE_FORMAT: the pages have
    always written the English date with a comma after the weekday, the emails without."""
    return dateformat.format(value, pgettext("date format: weekday day month year", "l, j F Y"))


register.filter("language_name", language_name)


@register.simple_tag
def day_shift_label(count: int) -> str:
    """The day-shift text for ``count`` days with its placeholders (``%(sign)s``,
    ``%(count)s``) for ``localtime.js`` to fill (a ``data-`` attribute)."""
    return day_shift_pattern(count)


@register.filter
def start_end_pairs(slot) -> list[tuple[ZonedTime, ZonedTime]]:
    """A slot's start and end per display zone, for a table row each."""
    return list(zip(slot.starts, slot.ends, strict=True))


@register.filter
def role_label(role: str) -> str:
    try:
        return SessionRole.Role(role).label
    except ValueError:
        return role


def _local(instant: dt.datetime, zone: str) -> dt.datetime:
    return instant.astimezone(zoneinfo.ZoneInfo(zone))


def _day_shift_html(days: int) -> SafeString:
    if not days:
        return mark_safe("")
    return format_html(' <span class="day-shift">({})</span>', format_day_shift(days))


@register.simple_tag
def zoned(value: ZonedTime) -> SafeString:
    """One display-zone time: ``<time datetime="…">6:00 Norfolk, VA</time>``, with the day
    shift when that zone's date is not the event's."""
    return format_html(
        '<time datetime="{}">{} {}{}</time>',
        value.local.isoformat(),
        value.clock,
        value.label,
        _day_shift_html(value.day_shift),
    )


@register.simple_tag
def zoned_line(values: list[ZonedTime]) -> SafeString:
    """All display zones in the announcement's style:
    ``12:00 DE | 6:00 Norfolk, VA | 18:00 Shanghai/Hongkong``."""
    return format_html_join(
        mark_safe('<span class="zone-sep"> | </span>'), "{}", ((zoned(v),) for v in values)
    )


def viewer_zoned_time(instant: dt.datetime, zone: str, event: Event) -> ZonedTime:
    reference_date = instant.astimezone(event.tzinfo).date()
    return zoned_time(instant, label=zone, zone=zone, reference_date=reference_date)


@register.simple_tag
def viewer_time(
    instant: dt.datetime, zone: str, event: Event, *, with_zone: bool = True
) -> SafeString:
    """The instant in the viewer's zone, named by its IANA name (``18:00 Asia/Shanghai``;
    ``with_zone=False`` where a heading already names the zone).

    ``static/js/localtime.js`` rewrites these elements to the browser's zone when the viewer
    has not chosen one: ``datetime`` is the instant, ``data-event-date`` the event-local date
    the day shift is counted from.
    """
    value = viewer_zoned_time(instant, zone, event)
    return format_html(
        '<time class="viewer-time" datetime="{}" data-event-date="{}"{}>{}{}{}</time>',
        instant.astimezone(dt.UTC).isoformat(),
        instant.astimezone(event.tzinfo).date().isoformat(),
        mark_safe("") if with_zone else mark_safe(' data-with-zone="false"'),
        value.clock,
        f" {zone}" if with_zone else "",
        _day_shift_html(value.day_shift),
    )


@register.simple_tag
def event_time(instant: dt.datetime, event: Event) -> SafeString:
    """A date and time in the event's own zone: ``Thursday, 1 July 2021, 12:00 Europe/Berlin``."""
    local = _local(instant, event.timezone)
    return format_html(
        '<time datetime="{}">{}, {} {}</time>',
        local.isoformat(),
        long_date(local.date()),
        format_clock(local),
        event.timezone,
    )


@register.simple_tag
def event_dates(event: Event) -> SafeString:
    """When an event runs, in its own zone, naming the zone.

    ``Thursday, 11 March 2027, 17:00–18:30 (Australia/Melbourne)`` for one day,
    ``1 July 2021, 12:00 – 2 July 2021, 15:30 (Europe/Berlin)`` for several.
    Needs ``first_start``/``last_end`` (annotated by ``selectors.event_queryset``).
    """
    first, last = getattr(event, "first_start", None), getattr(event, "last_end", None)
    if first is None or last is None:
        return format_html(
            '<span class="text-body-secondary">{}</span>', _("Dates to be announced")
        )
    start, end = _local(first, event.timezone), _local(last, event.timezone)
    if start.date() == end.date():
        return format_html(
            '<time datetime="{}">{}, {}</time>–<time datetime="{}">{}</time> ({})',
            start.isoformat(),
            long_date(start.date()),
            format_clock(start),
            end.isoformat(),
            format_clock(end),
            event.timezone,
        )
    return format_html(
        '<time datetime="{}">{}, {}</time> – <time datetime="{}">{}, {}</time> ({})',
        start.isoformat(),
        day_month_year(start.date()),
        format_clock(start),
        end.isoformat(),
        day_month_year(end.date()),
        format_clock(end),
        event.timezone,
    )


@register.inclusion_tag("workshop/partials/people_inline.html")
def people_inline(holders: list, link: bool = True) -> dict:
    """Names with their affiliation in brackets, joined as in the announcement:
    ``Tao Chen (Tongji University, Shanghai) and Jan Zofka (GWZO)``."""
    return {"holders": holders, "link": link}


@register.simple_tag
def zone_options(zone_choices, selected: str = "") -> SafeString:
    """The <option>s of the viewer-zone select, rendered in Python (see workshop.widgets)."""
    choices = []
    for region, names in zone_choices:
        options = [(name, name) for name in names]
        choices.extend([(region, options)] if region else options)
    return options_html(choices, {selected} if selected else set())
