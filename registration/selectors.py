"""Reads of the registration app: whether an event takes registrations, how many seats are
taken, and the programme as one registrant sees it (in their own zone), shared by the status
page and the emails."""

import datetime as dt
import threading
from collections import OrderedDict
from dataclasses import dataclass
from enum import Enum
from urllib.parse import urlencode

from django.db.models import Count, F, Min, Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.formats import date_format

from workshop.ics import JoinLinks, absolute_url, event_meeting, meeting_for
from workshop.models import Event, Session
from workshop.selectors import Programme, Slot, get_programme
from workshop.zones import format_day_shift, is_valid_zone, zoned_time
from zoom import selectors as zoom_selectors

from .models import Registration


class Window(Enum):
    NOT_YET_OPEN = "not_yet_open"
    OPEN = "open"
    CLOSED = "closed"


@dataclass(frozen=True)
class RegistrationWindow:
    state: Window
    opens: dt.datetime | None
    closes: dt.datetime | None
    capacity: int | None
    seats_taken: int
    waiting: int = 0

    @property
    def is_open(self) -> bool:
        return self.state is Window.OPEN

    @property
    def is_full(self) -> bool:
        return self.capacity is not None and self.seats_taken >= self.capacity

    @property
    def places_left(self) -> int:
        return max(self.capacity - self.seats_taken, 0) if self.capacity is not None else 0

    @property
    def has_waiting_list(self) -> bool:
        """A newcomer would wait: every place is taken, or others wait already (they are
        served first, even for a place that has just become free)."""
        return self.capacity is not None and (self.is_full or self.waiting > 0)


def registration_with_address(event: Event, address: str) -> Registration | None:
    """The event's registration for this canonical address (`workshop.addresses`), compared
    exactly as the unique constraint compares: ``Lower`` of the stored address."""
    return (
        Registration.objects.alias(address=Lower("email"))
        .filter(event=event, address=address.lower())
        .first()
    )


def registration_window(event: Event, *, now: dt.datetime | None = None) -> RegistrationWindow:
    """Whether registration is open now; closes at the first session's start unless set."""
    now = now or timezone.now()
    closes = event.registration_closes
    if closes is None:
        first_start = getattr(event, "first_start", None)
        if first_start is None:
            first_start = event.sessions.aggregate(first=Min("start"))["first"]
        closes = first_start
    opens = event.registration_opens
    if opens is not None and now < opens:
        state = Window.NOT_YET_OPEN
    elif closes is not None and now >= closes:
        state = Window.CLOSED
    else:
        state = Window.OPEN
    taken, waiting = seat_counts(event) if event.capacity is not None else (0, 0)
    return RegistrationWindow(
        state=state,
        opens=opens,
        closes=closes,
        capacity=event.capacity,
        seats_taken=taken,
        waiting=waiting,
    )


def seats_taken(event: Event) -> int:
    return Registration.objects.filter(event=event, state__in=Registration.SEAT_STATES).count()


def seat_counts(event: Event) -> tuple[int, int]:
    """(seats taken, people waiting) for this event, in one query."""
    counts = Registration.objects.filter(event=event).aggregate(
        taken=Count("pk", filter=Q(state__in=Registration.SEAT_STATES)),
        waiting=Count("pk", filter=Q(state=Registration.State.WAITING)),
    )
    return counts["taken"], counts["waiting"]


# Approving these takes a seat that they do not hold yet; approving a pending one adds none.
SEATLESS_APPROVABLE = (Registration.State.WAITING, Registration.State.DECLINED)


@dataclass(frozen=True)
class SeatsAfterApproval:
    """What approving a selection would do to one event's seats."""

    event_id: int
    title: str
    capacity: int
    taken: int
    adding: int

    @property
    def total(self) -> int:
        return self.taken + self.adding

    @property
    def over(self) -> int:
        return max(self.total - self.capacity, 0)


def seats_after_approval(registrations) -> list[SeatsAfterApproval]:
    """Per event with a capacity, the seats taken now and those approving these
    registrations would add; only the events where it would pass the capacity. One query."""
    selected = registrations.order_by().values("pk")
    events = (
        Event.objects.filter(
            capacity__isnull=False, pk__in=registrations.order_by().values("event_id")
        )
        .annotate(
            taken=Count(
                "registrations", filter=Q(registrations__state__in=Registration.SEAT_STATES)
            ),
            adding=Count(
                "registrations",
                filter=Q(
                    registrations__state__in=SEATLESS_APPROVABLE, registrations__pk__in=selected
                ),
            ),
        )
        .filter(adding__gt=0, capacity__lt=F("taken") + F("adding"))
        .order_by("pk")
        .values_list("pk", "title", "capacity", "taken", "adding")
    )
    return [SeatsAfterApproval(*row) for row in events]


@dataclass(frozen=True)
class LocalSlot:
    """A session as the registrant sees it: in their own zone, and in the event's zones."""

    slot: Slot
    local_start: str
    local_end: str
    day_shift: str
    google_url: str
    outlook_url: str


# Programmes read for earlier messages, by (event, its creation time, programme_version).
# Every change of what a programme holds — sessions, people, zones, the event's and the
# sessions' meeting details — raises the event's programme_version in the same transaction
# (workshop.receivers, workshop.services.touch_programme), and the version is read with the
# registration: a message is still built from the data as it is now, without reading the
# whole programme again for each of an event's thousand invitations. Per process.
_PROGRAMMES: OrderedDict[tuple, Programme] = OrderedDict()
_PROGRAMMES_LOCK = threading.Lock()
PROGRAMMES_KEPT = 8


def current_programme(event: Event) -> Programme:
    key = (event.pk, event.created_at, event.programme_version)
    with _PROGRAMMES_LOCK:
        programme = _PROGRAMMES.get(key)
        if programme is not None:
            _PROGRAMMES.move_to_end(key)
            return programme
    programme = get_programme(event)
    with _PROGRAMMES_LOCK:
        _PROGRAMMES[key] = programme
        while len(_PROGRAMMES) > PROGRAMMES_KEPT:
            _PROGRAMMES.popitem(last=False)
    return programme


def join_links(registration: Registration) -> JoinLinks | None:
    """The registrant's own Zoom links (None without Zoom: everyone has the fixed link)."""
    return zoom_selectors.join_links(registration, event_ids=[registration.event_id])


def meeting_of(registration: Registration, slots: list["LocalSlot"], links: JoinLinks | None):
    """The meeting the registrant joins, with their own link where the meeting is Zoom's."""
    return event_meeting(registration.event, [item.slot.session for item in slots], links)


def programme_meetings(registration: Registration, slots: list["LocalSlot"]) -> list:
    """Every meeting of the registrant's programme, as typed in (breaks aside)."""
    sessions = [item.slot.session for item in slots if not item.slot.session.is_break]
    return [meeting_for(session) for session in sessions] or [event_meeting(registration.event)]


def missing_links(registration: Registration, slots: list["LocalSlot"], links) -> bool:
    """Whether a Zoom meeting of the programme still has no personal link for them."""
    return links is not None and bool(links.missing(programme_meetings(registration, slots)))


def wait_for_links(registration: Registration, slots: list["LocalSlot"], links) -> None:
    """For the builders of emails that carry the meeting (`zoom.selectors.wait_for_links`)."""
    zoom_selectors.wait_for_links(
        registration, [registration.event_id], links, programme_meetings(registration, slots)
    )


def local_programme(
    registration: Registration, *, with_meeting: bool, links: JoinLinks | None = None
) -> list[LocalSlot]:
    programme = current_programme(registration.event)
    zone = registration.timezone if is_valid_zone(registration.timezone) else "UTC"
    result = []
    for slot in programme.slots:
        session = slot.session
        reference = session.event_date
        start = zoned_time(session.start, label=zone, zone=zone, reference_date=reference)
        end = zoned_time(session.end, label=zone, zone=zone, reference_date=reference)
        location = meeting_for(session, links).url if with_meeting else ""
        result.append(
            LocalSlot(
                slot=slot,
                local_start=f"{date_format(start.local, 'SHORT_DATE_FORMAT')}, {start.clock}",
                local_end=f"{end.clock} {zone}",
                day_shift=format_day_shift(start.day_shift),
                google_url=google_calendar_url(session, location=location),
                outlook_url=outlook_calendar_url(session, location=location),
            )
        )
    return result


def _utc_stamp(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")


def google_calendar_url(session: Session, *, location: str) -> str:
    query = {
        "action": "TEMPLATE",
        "text": f"{session.event.title}: {session.display_title}",
        "dates": f"{_utc_stamp(session.start)}/{_utc_stamp(session.end)}",
        "details": absolute_url(session.get_absolute_url()),
        "location": location,
    }
    return "https://calendar.google.com/calendar/render?" + urlencode(query)


def outlook_calendar_url(session: Session, *, location: str) -> str:
    query = {
        "path": "/calendar/action/compose",
        "rru": "addevent",
        "subject": f"{session.event.title}: {session.display_title}",
        "startdt": session.start.astimezone(dt.UTC).isoformat(),
        "enddt": session.end.astimezone(dt.UTC).isoformat(),
        "body": absolute_url(session.get_absolute_url()),
        "location": location,
    }
    return "https://outlook.office.com/calendar/0/deeplink/compose?" + urlencode(query)
