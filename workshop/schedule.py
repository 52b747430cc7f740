"""The programme as frab/c3voc schedule JSON, version 1: what pretalx and frab publish as
``schedule.json`` and what schedule apps (Giggity, EventFahrplan, ConfClerk) read.

Public data only: no meeting details, no email addresses. A pure function of a `Programme`
(see `selectors.get_programme`). Its JSON schema is in the repository,
`tests/data/schemas/c3voc-schedule.schema.json`; the tests validate every export against it.

Keys and codes are machine data; the few texts people read in an app (the room's name, the
people lines of ``description``) are in the active language, the request's.
"""

import datetime as dt
import hashlib
import json
import math
import re
import uuid

from django.utils.text import slugify
from django.utils.translation import gettext as _

from .ics import absolute_url, people_lines, public_location
from .models import Event, Person
from .selectors import Programme, Slot

GENERATOR = {"name": "academic-events", "version": "0.1.0"}
SCHEMA_URL = "https://c3voc.de/schedule/schema.json"
# The schema's own pattern for `time_zone_name` (which it does not anchor at the end).
_TIME_ZONE_NAME = re.compile(r"^([A-Z][a-z]+/[A-Z][a-z]+)|UTC$")
_ACRONYM = re.compile(r"^[a-z0-9_-][a-z0-9_]{3,}(-2[0-9]{3}-[a-z]+)?$")
# Stable identifiers for things that have no UUID of their own.
_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://academic-events/schedule")


def acronym(event: Event) -> str:
    """The schema allows hyphens only in a ``-2021-xyz`` tail, so ``sino-soviet-2021`` is
    written ``sino_soviet_2021``."""
    value = event.slug.replace("-", "_")
    if not _ACRONYM.search(value):
        value = value.ljust(4, "_")
    return value


def room_name(event: Event) -> str:
    return public_location(event) or _("Main room")


def format_duration(delta: dt.timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def timeslot_duration(programme: Programme) -> str:
    """The largest grid every start and duration of the programme fits (at most an hour)."""
    tz = programme.event.tzinfo
    step = 60
    for slot in programme.slots:
        local = slot.session.start.astimezone(tz)
        duration = int((slot.session.end - slot.session.start).total_seconds() // 60)
        step = math.gcd(step, local.hour * 60 + local.minute, duration)
    return format_duration(dt.timedelta(minutes=step or 1))


def event_slug(slot: Slot) -> str:
    session = slot.session
    title = slugify(session.display_title)
    if len(title) > 60:
        title = title[:61].rsplit("-", 1)[0]  # whole words only
    title = title.strip("-_")
    return "-".join(filter(None, [session.event.slug, str(session.pk), title]))


def person_guid(person: Person) -> str:
    # From the person's stable key, deliberately not from the email address as frab does:
    # a hash of an address lets anyone confirm a guessed address.
    return str(uuid.uuid5(_NAMESPACE, f"person:{person.key}"))


def persons(slot: Slot) -> list[dict]:
    """Speakers, chairs and commentators, each with the role the schema's Person allows as an
    extra key. Pretalx-style persons (``name``), no ``id``: a person with both ``id`` and
    ``public_name`` would match both of the schema's person kinds, which ``oneOf`` forbids."""
    return [
        {
            "name": holder.name,
            "public_name": holder.name,  # deprecated, still read by older apps
            "guid": person_guid(holder.person),
            "url": absolute_url(holder.person.get_absolute_url()),
            "biography": holder.person.bio or None,
            "affiliation": holder.affiliation,
            "role": holder.role,
        }
        for holder in slot.people
    ]


def schedule_event(slot: Slot, *, room: str) -> dict:
    session = slot.session
    event = session.event
    start = session.start.astimezone(event.tzinfo)
    end = session.end.astimezone(event.tzinfo)
    url = absolute_url(session.get_absolute_url())
    return {
        "guid": str(session.uid),
        "id": session.pk,
        "date": start.isoformat(),
        "start": start.strftime("%H:%M"),
        "end": end.isoformat(),
        "duration": format_duration(session.end - session.start),
        "room": room,
        "slug": event_slug(slot),
        "url": url,
        "title": session.display_title,
        "subtitle": "",
        "track": session.section.title if session.section else None,
        "type": session.kind,
        "language": event.language or None,
        "abstract": session.abstract,
        # Apps that ignore a person's role still show who chairs and who comments.
        "description": "\n".join(people_lines(slot)),
        "recording_license": "",
        "do_not_record": None,  # not recorded in the programme: unknown
        "persons": persons(slot),
        "links": [],
        "attachments": [],
    }


def build_days(programme: Programme, *, room: str) -> list[dict]:
    """Every date from the first to the last (in the event's zone), days without sessions
    included, as frab does; a day runs from local midnight to local midnight."""
    tz = programme.event.tzinfo
    by_date = {
        day.date: [slot for block in day.blocks for slot in block.slots] for day in programme.days
    }
    if not by_date:
        return []
    first, last = min(by_date), max(by_date)
    days = []
    for index in range((last - first).days + 1):
        date = first + dt.timedelta(days=index)
        midnight = dt.datetime.combine(date, dt.time(0), tzinfo=tz)
        next_midnight = dt.datetime.combine(date + dt.timedelta(days=1), dt.time(0), tzinfo=tz)
        days.append(
            {
                "index": index + 1,
                "date": date.isoformat(),
                "day_start": midnight.isoformat(),
                "day_end": next_midnight.isoformat(),
                "rooms": {room: [schedule_event(s, room=room) for s in by_date.get(date, [])]},
            }
        )
    return days


def build_schedule(programme: Programme) -> dict:
    """The whole programme as a frab/c3voc ``schedule.json`` document (format version 1).

    One virtual room; breaks included (type "break"), as in the programme. ``version`` is a
    digest of the content, so it changes exactly when the schedule does.
    """
    event = programme.event
    room = room_name(event)
    days = build_days(programme, room=room)
    if days:
        start, end = days[0]["date"], days[-1]["date"]
    else:
        # No sessions yet: the schema still wants dates; the day the event was created.
        start = end = (
            (event.created_at or dt.datetime.now(dt.UTC))
            .astimezone(event.tzinfo)
            .date()
            .isoformat()
        )
    conference = {
        "acronym": acronym(event),
        "title": event.title,
        "description": event.description,
        "start": start,
        "end": end,
        "daysCount": len(days),
        "timeslot_duration": timeslot_duration(programme),
        "url": absolute_url(event.get_absolute_url()),
        "rooms": [
            {
                "name": room,
                "slug": slugify(room) or "room",
                "guid": str(uuid.uuid5(_NAMESPACE, f"room:{event.slug}:{room}")),
                "type": "online" if event.online else "other",
            }
        ],
        "days": days,
    }
    if _TIME_ZONE_NAME.search(event.timezone):
        # The schema's pattern refuses some IANA names (Etc/GMT+5, EST5EDT): leave them out
        # rather than publish an invalid document; the offsets in every date still hold.
        conference["time_zone_name"] = event.timezone
    schedule = {
        "version": "",
        "base_url": absolute_url("/"),
        "url": absolute_url(event.get_absolute_url()),
        "conference": conference,
    }
    digest = hashlib.sha256(
        json.dumps(schedule, sort_keys=True, ensure_ascii=False).encode()
    ).hexdigest()
    schedule["version"] = digest[:12]
    return {"$schema": SCHEMA_URL, "generator": GENERATOR, "schedule": schedule}
