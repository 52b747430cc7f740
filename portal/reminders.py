"""Reminders to the people on the programme (speakers, chairs, commentators) before each day on
which they take part: written into the ledger by beat (`tasks.queue_due_reminders`, every
minute) and built at send time.

When a reminder is due comes from the programme (`workshop.reminders`): before each day's
first session, as for the participants (`registration.reminders`, which this app may not
import). Each reminder has a ledger key per person, day and offset, so a person gets it once
however many roles they hold that day and however often, late or concurrently beat runs. A
reminder that fell due while nothing ran and whose moment is past by more than
``NOTICE_SETTLE_SECONDS`` is written as skipped, with the reason, instead of arriving late.
"""

import datetime as dt
import logging
from dataclasses import dataclass

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from mailing import registry
from mailing.message import Message, SkipEmail, render_bodies
from mailing.models import OutgoingEmail
from mailing.services import queue_once
from workshop import ics
from workshop.ics import Meeting, absolute_url
from workshop.models import Event, Person, Session, SessionRole
from workshop.reminders import ReminderMoment, late_reason
from workshop.selectors import DAY_REACH, Slot, due_reminders, get_programme
from workshop.zones import ZonedTime, is_valid_zone, zoned_time

from .join_links import links_or_wait
from .selectors import person_zone

logger = logging.getLogger(__name__)

KIND = "programme_reminder"
LABEL = gettext_lazy("Reminder before the event (programme)")


def register_kind() -> None:
    registry.register(KIND, label=LABEL, build=build_reminder)


# ---------------------------------------------------------------------------------------------
# Queueing (beat)


@dataclass(frozen=True)
class DueEvent:
    event: Event
    moments: list[ReminderMoment]
    # The people (with an email address) on each day of the programme still ahead.
    people_by_day: dict[dt.date, dict[int, Person]]


def due_events(*, now: dt.datetime) -> list[DueEvent]:
    """Events with a reminder due now (`workshop.selectors.due_reminders`), with their people
    by day. One query more, whatever the number of events."""
    due = [
        DueEvent(event=item.event, moments=item.moments, people_by_day={})
        for item in due_reminders(now=now)
    ]
    if not due:
        return []
    by_event = {item.event.pk: item for item in due}
    roles = (
        SessionRole.objects.filter(
            session__event__in=list(by_event), session__start__gt=now - DAY_REACH
        )
        .exclude(person__email="")
        .select_related("person", "session")
        .order_by("person_id")
    )
    for role in roles:
        item = by_event[role.session.event_id]
        day = role.session.start.astimezone(item.event.tzinfo).date()
        item.people_by_day.setdefault(day, {})[role.person_id] = role.person
    return due


def queue_due_reminders(*, now: dt.datetime | None = None) -> int:
    """Write every reminder due now to the ledger. Returns how many were queued to go out."""
    now = now or timezone.now()
    return sum(_queue_for_event(due, now=now) for due in due_events(now=now))


def _queue_for_event(due: DueEvent, *, now: dt.datetime) -> int:
    """A fixed number of queries per event and moment, whatever the number of people."""
    event = due.event
    settle = dt.timedelta(seconds=settings.NOTICE_SETTLE_SECONDS)
    plans = []
    for moment in due.moments:
        on_time = now - moment.due_at <= settle
        # An event entered after a reminder's moment never was due it: nothing was missed.
        if not on_time and event.created_at > moment.due_at:
            continue
        people = list(due.people_by_day.get(moment.day, {}).values())
        keys = {p.pk: f"reminder:person:{p.pk}:{moment.key}" for p in people}
        plans.append((moment, on_time, people, keys))
    # Once written, a key needs nothing more (a hand-over lost since is the sweeper's to
    # repeat), so the runs every minute until the day begins only read.
    wanted = [key for *_, keys in plans for key in keys.values()]
    if not wanted:
        return 0
    written = set(
        OutgoingEmail.objects.filter(dedup_key__in=wanted).values_list("dedup_key", flat=True)
    )
    queued = 0
    for moment, on_time, people, keys in plans:
        context = moment.context(event.pk)
        emails = [(keys[p.pk], p, p.email, context) for p in people if keys[p.pk] not in written]
        if not emails:
            continue
        if on_time:
            queued += len(queue_once(kind=KIND, emails=emails))
        else:
            queue_once(kind=KIND, emails=emails, skip_reason=late_reason(moment, now=now))
            logger.warning(
                "event %s: programme reminder %s missed (due %s); %d written as not sent",
                event.pk,
                moment.key,
                moment.due_at.isoformat(),
                len(emails),
            )
    return queued


# ---------------------------------------------------------------------------------------------
# Building (worker, at send time)


@dataclass(frozen=True)
class DaySlot:
    """A session of the day as one person on the programme sees it."""

    slot: Slot
    start: ZonedTime  # in the person's zone
    end: ZonedTime
    my_roles: list[str]  # labels of the person's roles in it; empty: not theirs
    meeting: Meeting | None  # only where it is theirs and differs from the day's link

    @property
    def session(self) -> Session:
        return self.slot.session

    @property
    def is_mine(self) -> bool:
        return bool(self.my_roles)

    @property
    def roles_text(self) -> str:
        """``Speaker, Chair``, in the active language."""
        return ", ".join(str(label) for label in self.my_roles)

    @property
    def local_start(self) -> str:
        """``Thu 1 Jul 2021, 9:00`` (in the active language's short date format)."""
        return f"{date_format(self.start.local.date(), 'SHORT_DATE_FORMAT')}, {self.start.clock}"


def build_reminder(row: OutgoingEmail, *, now: dt.datetime | None = None) -> Message:
    now = now or timezone.now()
    person = Person.objects.filter(pk=row.recipient_id).first() if row.recipient_id else None
    if person is None:
        raise SkipEmail("Not sent: the person no longer exists.")
    event = Event.objects.filter(pk=row.context.get("event_id")).first()
    if event is None:
        raise SkipEmail("Not sent: the event no longer exists.")
    day = dt.date.fromisoformat(row.context["day"])
    programme = get_programme(event)
    slots = [slot for slot in programme.slots if slot.session.event_date == day]
    mine = [slot for slot in slots if any(h.person.pk == person.pk for h in slot.people)]
    if not mine:
        raise SkipEmail("Not sent: the person no longer takes part on that day.")
    first = next((slot for slot in slots if not slot.session.is_break), slots[0])
    if first.session.start <= now:
        raise SkipEmail("Not sent: the day's first session had begun before it could go out.")
    zone = person_zone(person)
    zone = zone if is_valid_zone(zone) else "UTC"
    links = links_or_wait(person, {event.pk}, [ics.meeting_for(slot.session) for slot in mine])
    # The link of the person's own first session (a session may have its own meeting).
    meeting = ics.event_meeting(event, [slot.session for slot in mine], links)
    items = [
        _day_slot(slot, person=person, zone=zone, meeting=meeting, links=links) for slot in slots
    ]
    first_mine = next(item for item in items if item.is_mine)
    context = {
        "recipient_name": person.name,
        "person": person,
        "event": event,
        "items": items,
        "first_mine": first_mine,
        "meeting": meeting,
        "timezone": zone,
        "site_url": settings.SITE_URL,
        "event_url": absolute_url(event.get_absolute_url()),
        "portal_url": absolute_url(reverse("portal:slots")),
    }
    text, html = render_bodies("portal/emails/reminder", context)
    return Message(
        subject=_("Reminder: %(event)s, %(start)s %(zone)s")
        % {"event": event.title, "start": first_mine.local_start, "zone": zone},
        text=text,
        html=html,
        to_name=person.name,
    )


def _day_slot(slot: Slot, *, person: Person, zone: str, meeting: Meeting, links=None) -> DaySlot:
    session = slot.session
    reference = session.event_date
    mine = {holder.role for holder in slot.people if holder.person.pk == person.pk}
    own_meeting = ics.meeting_for(session, links) if mine else None
    return DaySlot(
        slot=slot,
        start=zoned_time(session.start, label=zone, zone=zone, reference_date=reference),
        end=zoned_time(session.end, label=zone, zone=zone, reference_date=reference),
        my_roles=[label for role, label in SessionRole.Role.choices if role in mine],
        meeting=own_meeting if own_meeting != meeting else None,
    )
