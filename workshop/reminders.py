"""When an event's reminders are due: before each programme day's first session, by the
offsets the organizers set on the event (``Event.reminder_offsets``, e.g. ``24h, 1h``).

The apps that send reminders (`registration.reminders` to participants, `portal.reminders` to
the people on the programme) ask this module what is due; the programme knows nothing of them.
"""

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

DEFAULT_REMINDER_OFFSETS = "24h, 1h"
# A reminder further ahead than this is an announcement, not a reminder.
LONGEST_OFFSET = dt.timedelta(days=14)
_UNITS = {"m": 1, "h": 60, "d": 24 * 60}
_OFFSET = re.compile(r"(\d{1,5})\s*([mhd])", re.IGNORECASE)


def parse_reminder_offsets(text: str) -> list[dt.timedelta]:
    """``"24h, 1h"`` → [24 hours, 1 hour], longest first, without repeats. Units: ``m``
    (minutes), ``h`` (hours), ``d`` (days). Empty text: no reminders. Raises
    ValidationError naming the part it cannot read."""
    offsets: set[dt.timedelta] = set()
    for part in re.split(r"[,;\s]+", text.strip()):
        if not part:
            continue
        match = _OFFSET.fullmatch(part)
        if match is None:
            raise ValidationError(
                _(
                    "“%(part)s” is not a reminder time: write a number and a unit, "
                    "m (minutes), h (hours) or d (days), e.g. “24h, 1h”."
                ),
                code="invalid",
                params={"part": part},
            )
        offset = dt.timedelta(minutes=int(match[1]) * _UNITS[match[2].lower()])
        if not dt.timedelta(minutes=5) <= offset <= LONGEST_OFFSET:
            raise ValidationError(
                _("“%(part)s”: reminders go out between 5 minutes and 14 days before."),
                code="out_of_range",
                params={"part": part},
            )
        offsets.add(offset)
    return sorted(offsets, reverse=True)


def validate_reminder_offsets(text: str) -> None:
    parse_reminder_offsets(text)


def format_offset(offset: dt.timedelta) -> str:
    """A reminder offset as organizers write it: ``1d``, ``24h``… (minutes in the key)."""
    minutes = int(offset.total_seconds() // 60)
    if minutes % 60:
        return f"{minutes}m"
    return f"{minutes // 60}h"


@dataclass(frozen=True)
class ReminderMoment:
    """One reminder of one programme day: due ``offset`` before the day's first session."""

    day: dt.date  # in the event's own zone, as the programme lists it
    first_start: dt.datetime
    offset: dt.timedelta
    due_at: dt.datetime

    def context(self, event_id: int) -> dict:
        """What a reminder's ledger row keeps to build the email when it is due."""
        return {
            "event_id": event_id,
            "day": self.day.isoformat(),
            "offset_minutes": int(self.offset.total_seconds() // 60),
        }

    @property
    def key(self) -> str:
        """Stable across reschedules within the day: one reminder per day and offset."""
        return f"{self.day.isoformat()}:{int(self.offset.total_seconds() // 60)}m"


def first_starts_by_day(sessions: Iterable, *, tzinfo) -> dict[dt.date, dt.datetime]:
    """The start of each programme day's first session (breaks do not open a day)."""
    firsts: dict[dt.date, dt.datetime] = {}
    for session in sessions:
        if session.is_break:
            continue
        day = session.start.astimezone(tzinfo).date()
        if day not in firsts or session.start < firsts[day]:
            firsts[day] = session.start
    return firsts


def reminder_moments(event, sessions: Iterable) -> list[ReminderMoment]:
    """Every reminder of the event, in the order they fall due."""
    offsets = parse_reminder_offsets(event.reminder_offsets)
    moments = [
        ReminderMoment(day=day, first_start=start, offset=offset, due_at=start - offset)
        for day, start in first_starts_by_day(sessions, tzinfo=event.tzinfo).items()
        for offset in offsets
    ]
    return sorted(moments, key=lambda moment: (moment.due_at, moment.day))


def late_reason(moment: ReminderMoment, *, now: dt.datetime) -> str:
    """What the ledger says of a reminder not sent because it fell due while the system was
    down (longer ago than the settle window)."""
    due = moment.due_at.astimezone(dt.UTC)
    return (
        f"Not sent: due at {due:%Y-%m-%d %H:%M} UTC while the system was down; "
        f"it would have come {duration_words(now - moment.due_at)} late."
    )


def duration_words(delta: dt.timedelta) -> str:
    """``3 h``, ``1 d 2 h``, ``25 min``: minutes count only under a day."""
    minutes = int(delta.total_seconds() // 60)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    parts = [f"{days} d"] if days else []
    if hours:
        parts.append(f"{hours} h")
    if minutes and not days:
        parts.append(f"{minutes} min")
    return " ".join(parts) or "less than a minute"
