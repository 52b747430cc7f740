"""Personal Zoom links for the people on the programme (speakers, chairs, commentators).

Where an event's meeting is Zoom's, they join like everyone else: with a link of their own
(Zoom meetings have no panelist links; the host's start link stays with the organizers). A
person is registered with an event's meetings when a meeting is made, when they are given a
role, and by any email that finds their link missing (which then waits for it).
"""

from collections.abc import Iterable

from mailing.message import WaitForData
from workshop.ics import JoinLinks, Meeting
from workshop.models import Person, SessionRole
from zoom import selectors as zoom_selectors
from zoom import services as zoom_services

from .selectors import person_links


def _joiner(person: Person, event_id: int) -> zoom_services.Joiner:
    return zoom_services.Joiner(
        holder=person, event_id=event_id, email=person.email, name=person.name
    )


def request_for(person: Person, event_ids: Iterable[int]) -> list[int]:
    return zoom_services.request_links(_joiner(person, event_id) for event_id in set(event_ids))


def request_for_event(event_id: int) -> list[int]:
    """Everyone with a role in the event's programme."""
    people = Person.objects.filter(
        pk__in=SessionRole.objects.filter(session__event_id=event_id).values("person_id")
    )
    return zoom_services.request_links(_joiner(person, event_id) for person in people)


def links_or_wait(person: Person, event_ids: set[int], meetings: Iterable[Meeting]):
    """The person's links, or WaitForData (after asking for them) while a Zoom meeting among
    ``meetings`` has none for them yet."""
    links: JoinLinks | None = person_links(person, event_ids)
    try:
        zoom_selectors.wait_for_links(person, event_ids, links, meetings)
    except WaitForData:
        request_for(person, event_ids)
        raise
    return links
