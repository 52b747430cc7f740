"""Reads of the programme, shared by pages, feeds, exports and (later) emails.

Every function here runs a fixed number of queries whatever the size of the programme.
"""

import datetime as dt
import logging
from collections import defaultdict
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db.models import Exists, F, Max, Min, OuterRef, Prefetch, QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone

from .models import DisplayZone, Event, EventContact, EventPerson, Person, Session, SessionRole
from .reminders import LONGEST_OFFSET, ReminderMoment, reminder_moments
from .zones import ZonedTime, zoned_time

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class RoleHolder:
    """A person in one role of a session, with the affiliation recorded for that event."""

    person: Person
    role: str
    affiliation: str

    @property
    def name(self) -> str:
        return self.person.name


@dataclass
class Slot:
    """A session ready to display: its times in every display zone and its people by role."""

    session: Session
    starts: list[ZonedTime]
    ends: list[ZonedTime]
    speakers: list[RoleHolder] = field(default_factory=list)
    chairs: list[RoleHolder] = field(default_factory=list)
    commentators: list[RoleHolder] = field(default_factory=list)

    @property
    def people(self) -> list[RoleHolder]:
        return [*self.speakers, *self.chairs, *self.commentators]


@dataclass
class Block:
    """Consecutive slots of one day under one section heading (or none)."""

    section: object | None
    slots: list[Slot]


@dataclass
class Day:
    date: dt.date
    blocks: list[Block]


@dataclass
class Programme:
    event: Event
    zones: list[DisplayZone]
    days: list[Day]
    slots: list[Slot]
    affiliations: dict[int, str]

    @property
    def is_empty(self) -> bool:
        return not self.slots


def event_queryset() -> QuerySet[Event]:
    return Event.objects.annotate(first_start=Min("sessions__start"), last_end=Max("sessions__end"))


def list_events(*, now: dt.datetime | None = None) -> tuple[list[Event], list[Event]]:
    """Upcoming (soonest first; includes events under way) and past (latest first) events."""
    now = now or timezone.now()
    # Events without sessions yet (dates to be announced) last, on SQLite as on PostgreSQL.
    events = list(event_queryset().order_by(F("first_start").asc(nulls_last=True), "slug"))
    upcoming = [e for e in events if e.last_end is None or e.last_end >= now]
    past = [e for e in events if e.last_end is not None and e.last_end < now]
    past.sort(key=lambda e: e.first_start, reverse=True)
    return upcoming, past


def get_event(slug: str) -> Event:
    """An event with everything its page shows, except the programme itself."""
    return get_object_or_404(
        event_queryset().prefetch_related(
            "target_groups",
            "subject_areas",
            "event_types",
            Prefetch("display_zones", queryset=DisplayZone.objects.order_by("position", "id")),
            Prefetch("contacts", queryset=EventContact.objects.select_related("person")),
        ),
        slug=slug,
    )


def display_zones(event: Event) -> list[DisplayZone]:
    """The event's columns; an event without any shows its own zone."""
    zones = list(event.display_zones.all())
    if not zones:
        zones = [DisplayZone(event=event, position=0, label=event.timezone, zone=event.timezone)]
    return zones


def affiliations_for(event: Event) -> dict[int, str]:
    return dict(EventPerson.objects.filter(event=event).values_list("person_id", "affiliation"))


def _sessions_with_people(sessions: QuerySet[Session]) -> QuerySet[Session]:
    return sessions.select_related("section", "event").prefetch_related(
        Prefetch(
            "roles",
            queryset=SessionRole.objects.select_related("person").order_by("position", "id"),
        )
    )


def build_slot(session: Session, *, zones: list[DisplayZone], affiliations: dict[int, str]) -> Slot:
    reference_date = session.event_date
    slot = Slot(
        session=session,
        starts=[
            zoned_time(session.start, label=z.label, zone=z.zone, reference_date=reference_date)
            for z in zones
        ],
        ends=[
            zoned_time(session.end, label=z.label, zone=z.zone, reference_date=reference_date)
            for z in zones
        ],
    )
    by_role = {
        SessionRole.Role.SPEAKER: slot.speakers,
        SessionRole.Role.CHAIR: slot.chairs,
        SessionRole.Role.COMMENTATOR: slot.commentators,
    }
    for role in session.roles.all():
        by_role[role.role].append(
            RoleHolder(
                person=role.person,
                role=role.role,
                affiliation=affiliations.get(role.person_id, ""),
            )
        )
    return slot


def get_programme(event: Event) -> Programme:
    """The whole programme of an event, grouped by day (in the event's zone) and section."""
    zones = display_zones(event)
    affiliations = affiliations_for(event)
    sessions = _sessions_with_people(Session.objects.filter(event=event).order_by("start", "id"))
    slots = []
    for session in sessions:
        session.event = event  # share the already-loaded event (and its tzinfo)
        slots.append(build_slot(session, zones=zones, affiliations=affiliations))

    days: list[Day] = []
    for slot in slots:
        date = slot.session.event_date
        if not days or days[-1].date != date:
            days.append(Day(date=date, blocks=[]))
        blocks = days[-1].blocks
        section = slot.session.section
        if not blocks or blocks[-1].section != section:
            blocks.append(Block(section=section, slots=[]))
        blocks[-1].slots.append(slot)
    return Programme(event=event, zones=zones, days=days, slots=slots, affiliations=affiliations)


def get_session_slot(event: Event, pk: int) -> Slot:
    session = get_object_or_404(_sessions_with_people(Session.objects.filter(event=event)), pk=pk)
    session.event = event
    person_ids = [role.person_id for role in session.roles.all()]
    affiliations = dict(
        EventPerson.objects.filter(event=event, person_id__in=person_ids).values_list(
            "person_id", "affiliation"
        )
    )
    return build_slot(session, zones=display_zones(event), affiliations=affiliations)


@dataclass(frozen=True)
class PersonRole:
    """One role a person holds, wherever and whenever."""

    session: Session
    role: str
    role_label: str
    affiliation: str


def get_person_roles(person: Person, *, now: dt.datetime | None = None) -> dict[str, list]:
    """A person's roles across all events: ``{"upcoming": [...], "past": [...]}``,
    upcoming soonest first, past latest first."""
    now = now or timezone.now()
    roles = list(
        SessionRole.objects.filter(person=person)
        .select_related("session__event", "session__section")
        .order_by("session__start", "session_id", "role")
    )
    affiliations = dict(
        EventPerson.objects.filter(person=person).values_list("event_id", "affiliation")
    )
    grouped: dict[str, list[PersonRole]] = defaultdict(list)
    for role in roles:
        entry = PersonRole(
            session=role.session,
            role=role.role,
            role_label=role.get_role_display(),
            affiliation=affiliations.get(role.session.event_id, ""),
        )
        grouped["upcoming" if role.session.end >= now else "past"].append(entry)
    grouped["past"].reverse()
    return {"upcoming": grouped["upcoming"], "past": grouped["past"]}


def get_person_contacts(person: Person) -> list[EventContact]:
    """The events a person is a contact for (with the role), latest event first."""
    return list(
        EventContact.objects.filter(person=person)
        .select_related("event")
        .annotate(first_start=Min("event__sessions__start"))
        .order_by(F("first_start").desc(nulls_first=True), "event__slug", "position", "id")
    )


def get_person(key: str) -> Person:
    return get_object_or_404(Person, key=key)


# A programme day (in the event's zone) is at most 25 hours long: every session of a day
# whose first session is still ahead started less than this long ago.
DAY_REACH = dt.timedelta(days=2)


@dataclass(frozen=True)
class DueReminders:
    event: Event
    moments: list[ReminderMoment]


def due_reminders(*, now: dt.datetime) -> list[DueReminders]:
    """Events with a reminder due now: its moment has come and the day's first session has
    not begun. Two queries, whatever the number of events; the apps that send reminders
    (`registration.reminders`, `portal.reminders`) decide to whom."""
    ahead = Session.objects.filter(
        event=OuterRef("pk"), start__gt=now, start__lte=now + LONGEST_OFFSET
    ).exclude(kind=Session.Kind.BREAK)
    events = list(Event.objects.filter(Exists(ahead)).exclude(reminder_offsets="").order_by("pk"))
    nearby = Session.objects.filter(event__in=events, start__gt=now - DAY_REACH)
    sessions = defaultdict(list)
    for session in nearby.only("event_id", "start", "kind"):
        sessions[session.event_id].append(session)
    due = []
    for event in events:
        try:
            moments = reminder_moments(event, sessions[event.pk])
        except ValidationError:
            # Written past the field's validator (a raw update): this event's reminders wait
            # for an organizer to correct it; the others go out.
            logger.warning("event %s has unreadable reminder offsets; none queued", event.pk)
            continue
        moments = [m for m in moments if m.due_at <= now < m.first_start]
        if moments:
            due.append(DueReminders(event=event, moments=moments))
    return due
