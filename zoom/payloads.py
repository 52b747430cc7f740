"""What we ask Zoom to hold, computed from the programme: pure functions, no calls.

A multi-day event gets one *recurring* meeting (type 8, daily, "register once for all
occurrences"), not one meeting per day: every participant then has one personal link for the
whole event (one link in the invitation, the status page and every calendar entry; one Zoom
call per person instead of one per person and day, which halves the calls a bulk approval
makes), and one cancellation revokes it for every day. Days that start at other hours or are
not consecutive are fitted afterwards, occurrence by occurrence (`occurrence_plan`).
"""

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.conf import settings

from workshop.models import Event, Session

TOPIC_MAX = 200
AGENDA_MAX = 2000


@dataclass(frozen=True)
class Day:
    date: dt.date
    start: dt.datetime  # aware, UTC
    end: dt.datetime

    @property
    def minutes(self) -> int:
        return max(1, round((self.end - self.start).total_seconds() / 60))


def sessions_of(event: Event, session: Session | None) -> list[Session]:
    """The sessions a meeting serves: one session's own, or every session of the event that
    does not have a meeting of its own (breaks included: people stay in the room)."""
    if session is not None:
        return [session]
    own = set(
        event.zoom_meetings.filter(session__isnull=False)
        .exclude(state="deleted")
        .values_list("session_id", flat=True)
    )
    # A session with a meeting URL of its own (typed in, or its own Zoom meeting) is elsewhere.
    return [s for s in event.sessions.order_by("start") if s.pk not in own and not s.meeting_url]


def days(event: Event, sessions: list[Session]) -> list[Day]:
    """The programme days, in the event's zone, each from its first start to its last end."""
    zone = ZoneInfo(event.timezone)
    by_date: dict[dt.date, list[Session]] = {}
    for session in sessions:
        by_date.setdefault(session.start.astimezone(zone).date(), []).append(session)
    return [
        Day(
            date=date,
            start=min(s.start for s in group).astimezone(dt.UTC),
            end=max(s.end for s in group).astimezone(dt.UTC),
        )
        for date, group in sorted(by_date.items())
    ]


def zoom_time(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def topic(event: Event, session: Session | None) -> str:
    text = f"{event.title}: {session.display_title}" if session is not None else event.title
    return " ".join(text.split())[:TOPIC_MAX]


def meeting_payload(event: Event, session: Session | None, programme_days: list[Day]) -> dict:
    """The body of createMeeting / updateMeeting (schema MeetingDetails)."""
    payload = {
        "topic": topic(event, session),
        "agenda": f"{settings.SITE_URL}{event.get_absolute_url()}"[:AGENDA_MAX],
        "timezone": event.timezone,
        "settings": {
            # Automatic approval: the personal join_url comes back at once. Our own approval
            # happened before anyone is added.
            "approval_type": 0,
            "registration_type": 1,
            # We send the invitations (in the participant's language, with the programme);
            # Zoom's own confirmation mail would be a second one, in English.
            "registrants_email_notification": False,
        },
    }
    if not programme_days:
        return payload
    first, last = programme_days[0], programme_days[-1]
    payload["start_time"] = zoom_time(first.start)
    payload["duration"] = first.minutes
    if len(programme_days) == 1:
        payload["type"] = 2
    else:
        payload["type"] = 8
        payload["recurrence"] = {
            "type": 1,
            "repeat_interval": 1,
            "end_times": (last.date - first.date).days + 1,
        }
    return payload


@dataclass(frozen=True)
class OccurrenceChange:
    occurrence_id: str
    # None: delete the occurrence (no programme that day)
    start: dt.datetime | None = None
    minutes: int | None = None


def occurrence_plan(
    event: Event, programme_days: list[Day], occurrences: list[dict]
) -> list[OccurrenceChange]:
    """What to change so a recurring meeting's occurrences are exactly the programme's days:
    a day at another hour or of another length gets its own start and duration, a day of the
    recurrence without programme is deleted."""
    zone = ZoneInfo(event.timezone)
    wanted = {day.date: day for day in programme_days}
    changes = []
    for occurrence in occurrences:
        if occurrence.get("status") == "deleted":
            continue
        start = dt.datetime.fromisoformat(occurrence["start_time"].replace("Z", "+00:00"))
        day = wanted.get(start.astimezone(zone).date())
        occurrence_id = str(occurrence["occurrence_id"])
        if day is None:
            changes.append(OccurrenceChange(occurrence_id))
        elif start != day.start or int(occurrence.get("duration") or 0) != day.minutes:
            changes.append(OccurrenceChange(occurrence_id, start=day.start, minutes=day.minutes))
    return changes
