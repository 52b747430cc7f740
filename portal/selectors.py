"""Reads of the speaker portal: a signed-in person's own sessions, papers and affiliations.

Everything here starts from the person: a session the person holds no role in is not found
(404 in the views, never 403, so the portal does not reveal which sessions exist). Every
function runs a fixed number of queries whatever the number of slots.
"""

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import F, Max, Prefetch, QuerySet
from django.http import Http404
from django.utils import timezone

from workshop.ics import JoinLinks, Meeting, meeting_for
from workshop.models import DisplayZone, EventPerson, Person, Session, SessionRole
from workshop.selectors import RoleHolder, Slot, build_slot, display_zones
from workshop.zones import ZonedTime, zoned_time
from zoom import selectors as zoom_selectors

from .models import Paper

DEFAULT_ZONE = "UTC"
ALL_ROLES = frozenset(SessionRole.Role.values)
SPEAKER_ONLY = frozenset({SessionRole.Role.SPEAKER})


def person_zone(person: Person) -> str:
    """The zone the person's portal shows times in: their own, else UTC."""
    return person.timezone or DEFAULT_ZONE


@dataclass
class PortalSlot:
    """One of my sessions as the portal shows it."""

    slot: Slot
    my_roles: list[str]
    my_affiliation: str  # as this event's programme prints it
    others: list[RoleHolder]  # the session's other people: speakers, chairs, commentators
    my_start: ZonedTime
    my_end: ZonedTime
    meeting: Meeting
    paper: Paper | None
    upcoming: bool
    # The view's upload form for this slot (speakers only), bound when an upload failed.
    upload_form: object = None

    @property
    def session(self) -> Session:
        return self.slot.session

    @property
    def event(self):
        return self.slot.session.event

    @property
    def is_speaker(self) -> bool:
        return SessionRole.Role.SPEAKER in self.my_roles


@dataclass
class MySlots:
    upcoming: list[PortalSlot]
    past: list[PortalSlot]

    @property
    def all(self) -> list[PortalSlot]:
        return [*self.upcoming, *self.past]


def _my_sessions(person: Person) -> QuerySet[Session]:
    return Session.objects.filter(
        pk__in=SessionRole.objects.filter(person=person).values("session_id")
    )


def _with_everything(sessions: QuerySet[Session]) -> QuerySet[Session]:
    return sessions.select_related(
        "event", "section", "paper", "paper__uploaded_by"
    ).prefetch_related(
        Prefetch(
            "roles",
            queryset=SessionRole.objects.select_related("person").order_by("position", "id"),
        ),
        Prefetch("event__display_zones", queryset=DisplayZone.objects.order_by("position", "id")),
    )


def _affiliations(sessions: Iterable[Session]) -> dict[tuple[int, int], str]:
    """``{(event_id, person_id): affiliation}`` for everyone in these sessions, one query."""
    event_ids = {session.event_id for session in sessions}
    person_ids = {role.person_id for session in sessions for role in session.roles.all()}
    if not event_ids:
        return {}
    rows = EventPerson.objects.filter(event_id__in=event_ids, person_id__in=person_ids).order_by()
    return {
        (event_id, person_id): affiliation
        for event_id, person_id, affiliation in rows.values_list(
            "event_id", "person_id", "affiliation"
        )
    }


def _paper_of(session: Session) -> Paper | None:
    try:
        return session.paper
    except Paper.DoesNotExist:
        return None


def person_links(person: Person, event_ids: Iterable[int]) -> JoinLinks | None:
    """The person's own Zoom links for these events (None without Zoom settings)."""
    return zoom_selectors.join_links(person, event_ids=event_ids)


def _portal_slot(
    session: Session,
    *,
    person: Person,
    affiliations: dict[tuple[int, int], str],
    now: dt.datetime,
    links: JoinLinks | None = None,
) -> PortalSlot:
    event = session.event
    event_affiliations = {
        person_id: affiliation
        for (event_id, person_id), affiliation in affiliations.items()
        if event_id == event.pk
    }
    slot = build_slot(session, zones=display_zones(event), affiliations=event_affiliations)
    zone = person_zone(person)
    reference_date = session.event_date
    mine = {role.role for role in session.roles.all() if role.person_id == person.pk}
    my_roles = [role for role in SessionRole.Role.values if role in mine]
    return PortalSlot(
        slot=slot,
        my_roles=my_roles,
        my_affiliation=event_affiliations.get(person.pk, ""),
        others=[holder for holder in slot.people if holder.person.pk != person.pk],
        my_start=zoned_time(session.start, label=zone, zone=zone, reference_date=reference_date),
        my_end=zoned_time(session.end, label=zone, zone=zone, reference_date=reference_date),
        meeting=meeting_for(session, links),
        paper=_paper_of(session),
        upcoming=session.end >= now,
    )


def my_slots(person: Person, *, now: dt.datetime | None = None) -> MySlots:
    """Every session where the person is speaker, chair or commentator, in every event:
    upcoming (soonest first, including those under way), then past (latest first)."""
    now = now or timezone.now()
    sessions = list(_with_everything(_my_sessions(person)).order_by("start", "id"))
    _share_events(sessions)
    affiliations = _affiliations(sessions)
    links = person_links(person, {session.event_id for session in sessions}) if sessions else None
    slots = [
        _portal_slot(session, person=person, affiliations=affiliations, now=now, links=links)
        for session in sessions
    ]
    upcoming = [slot for slot in slots if slot.upcoming]
    past = [slot for slot in reversed(slots) if not slot.upcoming]
    return MySlots(upcoming=upcoming, past=past)


def _share_events(sessions: list[Session]) -> None:
    """One Event instance per event, so its cached tzinfo and zones are computed once."""
    events = {}
    for session in sessions:
        session.event = events.setdefault(session.event_id, session.event)


def my_session(person: Person, pk: int, *, roles: frozenset[str] = ALL_ROLES) -> Session:
    """A session in which the person holds one of ``roles``; otherwise 404, whether the
    session exists or not."""
    session = (
        Session.objects.filter(pk=pk, roles__person=person, roles__role__in=roles)
        .select_related("event", "section")
        .first()
    )
    if session is None:
        raise Http404("No such session among yours.")
    return session


def my_paper(person: Person, pk: int) -> Paper:
    """The paper of one of the person's sessions (any role); otherwise 404."""
    session = my_session(person, pk)
    paper = Paper.objects.filter(session=session).first()
    if paper is None:
        raise Http404("This session has no paper yet.")
    return paper


def has_role(person: Person, session: Session, roles: frozenset[str]) -> bool:
    return SessionRole.objects.filter(session=session, person=person, role__in=roles).exists()


@dataclass(frozen=True)
class Affiliation:
    """The person at one event: editable until the event is over."""

    link: EventPerson
    editable: bool

    @property
    def event(self):
        return self.link.event


def my_affiliations(person: Person, *, now: dt.datetime | None = None) -> list[Affiliation]:
    """The person's affiliation at each event, latest event first. Events that are over keep
    what their programme printed; events without sessions yet count as upcoming."""
    now = now or timezone.now()
    links = (
        EventPerson.objects.filter(person=person)
        .select_related("event")
        .annotate(last_end=Max("event__sessions__end"))
        # Dates to be announced first (the newest), then latest first.
        .order_by(F("last_end").desc(nulls_first=True), "event__slug")
    )
    return [
        Affiliation(link=link, editable=link.last_end is None or link.last_end >= now)
        for link in links
    ]
