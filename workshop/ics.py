"""iCalendar (RFC 5545) for the programme: pure functions, no requests, no queries.

One builder serves the public feeds (programme.ics, one session's .ics) and, later, the
invitations mailed to approved registrants. Only the invitations may carry the meeting: a
calendar is built public unless the caller asks for ``private=True``, and the public views
never do: people share and publish their calendars, and a shared feed must not hand the
meeting to whoever reads it.

Its text (DESCRIPTION: role labels, dates, the meeting's labels) is in the active language:
the public feeds in the request's, an emailed invitation in its recipient's (the outbox
builds it inside ``translation.override``).

Times are written as UTC instants (``DTSTART:20210701T100000Z``). RFC 5545 allows it, every
client understands it, and it needs no VTIMEZONE (a TZID without one is what clients get
wrong); clients show the times in their user's own zone anyway. The event's display zones
appear in DESCRIPTION instead, as the programme prints them.
"""

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from email.utils import parseaddr

import icalendar
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from .models import Event, Session
from .selectors import RoleHolder, Slot
from .zones import day_month_year

PRODID = "-//academic-events//Programme//EN"
METHODS = frozenset({"PUBLISH", "REQUEST", "CANCEL"})

# C0 controls other than TAB and LF (and DEL) have no place in iCalendar TEXT (RFC 5545 3.3.11).
_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


@dataclass(frozen=True)
class Meeting:
    """Where a session happens online. Private: never put it into anything public."""

    url: str
    id: str
    passcode: str

    def __bool__(self) -> bool:
        return bool(self.url or self.id or self.passcode)


@dataclass(frozen=True)
class JoinLinks:
    """One person's own join links, for meetings where nobody joins with a shared link (a
    Zoom meeting with registration: the shared link would let anyone register themselves).

    ``personal`` maps a meeting ID (digits only) to the person's own link; ``managed`` holds
    the IDs of every such meeting. A managed meeting without a personal link yet is shown
    without a link at all, never with the shared one."""

    personal: Mapping[str, str] = field(default_factory=dict)
    managed: frozenset[str] = frozenset()

    def apply(self, meeting: Meeting) -> Meeting:
        key = meeting_key(meeting.id)
        if key and key in self.managed:
            return Meeting(url=self.personal.get(key, ""), id=meeting.id, passcode=meeting.passcode)
        return meeting

    def missing(self, meetings: Iterable[Meeting]) -> list[Meeting]:
        """The managed meetings among ``meetings`` this person has no link for yet."""
        return [
            meeting
            for meeting in meetings
            if meeting_key(meeting.id) in self.managed
            and meeting_key(meeting.id) not in self.personal
        ]


def meeting_key(meeting_id: str | int) -> str:
    """A meeting ID as digits only (``123 4567 8901`` and ``12345678901`` are one meeting)."""
    return "".join(ch for ch in str(meeting_id) if ch.isdigit())


def meeting_for(session: Session, links: JoinLinks | None = None) -> Meeting:
    """The meeting a session uses: the session's override, else the event's meeting; with
    ``links``, as this person joins it.

    A session with its own meeting URL is another meeting, so the event's ID and passcode do
    not apply to it (they would be wrong, not merely redundant). Without its own URL, a
    session may still override the event's ID or passcode field by field.
    """
    event = session.event
    if session.meeting_url:
        meeting = Meeting(
            url=session.meeting_url, id=session.meeting_id, passcode=session.meeting_passcode
        )
    else:
        meeting = Meeting(
            url=event.meeting_url,
            id=session.meeting_id or event.meeting_id,
            passcode=session.meeting_passcode or event.meeting_passcode,
        )
    return links.apply(meeting) if links is not None else meeting


def event_meeting(
    event: Event, sessions: Iterable[Session] = (), links: JoinLinks | None = None
) -> Meeting:
    """The meeting a registrant joins: that of the first session that is not a break (which
    may override the event's), else the event's own, so an event without sessions yet still
    has its link."""
    for session in sessions:
        if not session.is_break:
            return meeting_for(session, links)
    meeting = Meeting(url=event.meeting_url, id=event.meeting_id, passcode=event.meeting_passcode)
    return links.apply(meeting) if links is not None else meeting


def clean_text(value: str) -> str:
    """Text as iCalendar can carry it unchanged: line breaks become LF (TEXT has no CR),
    other control characters go. Escaping of ``,;\\`` and LF is icalendar's job."""
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    return _CONTROL_CHARS.sub("", value)


def absolute_url(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


def public_location(event: Event) -> str:
    """Where the public may read the event happens: never the meeting itself."""
    if event.online:
        return _("Online")
    return event.location


def format_people(holders: list[RoleHolder]) -> str:
    return ", ".join(
        f"{holder.name} ({holder.affiliation})" if holder.affiliation else holder.name
        for holder in holders
    )


def people_lines(slot: Slot) -> list[str]:
    """``Speaker: Tao Chen (Tongji University, Shanghai)``, then chairs, then commentators,
    as the programme prints them. Names and affiliations only: never an email."""
    lines = []
    if slot.speakers:
        lines.append(
            ngettext("Speaker: %(people)s", "Speakers: %(people)s", len(slot.speakers))
            % {"people": format_people(slot.speakers)}
        )
    if slot.chairs:
        lines.append(
            ngettext("Chair: %(people)s", "Chairs: %(people)s", len(slot.chairs))
            % {"people": format_people(slot.chairs)}
        )
    if slot.commentators:
        # The programme heads this role "Comment", whatever the number of commentators.
        lines.append(_("Comment: %(people)s") % {"people": format_people(slot.commentators)})
    return lines


def times_line(slot: Slot) -> str:
    """``1 July 2021: 12:00–12:30 DE | 6:00–6:30 Norfolk, VA | 18:00–18:30 Shanghai/Hongkong``,
    the date being the event's own; a zone on another date says so (``+1 day``)."""
    date = slot.session.event_date
    columns = []
    for start, end in zip(slot.starts, slot.ends, strict=True):
        column = f"{start.clock}–{end.clock} {start.label}"
        if start.day_shift:
            column += f" ({start.day_shift_text})"
        columns.append(column)
    return f"{day_month_year(date)}: " + " | ".join(columns)


def join_lines(meeting: Meeting) -> list[str]:
    lines = []
    if meeting.url:
        lines.append(_("Join: %(url)s") % {"url": meeting.url})
    if meeting.id:
        lines.append(_("Meeting ID: %(id)s") % {"id": meeting.id})
    if meeting.passcode:
        lines.append(_("Passcode: %(passcode)s") % {"passcode": meeting.passcode})
    return lines


def describe(slot: Slot, *, private: bool = False, links: JoinLinks | None = None) -> str:
    """DESCRIPTION: event, section, people by role, times in the display zones, (the meeting
    when private,) abstract and the public page of the session."""
    session = slot.session
    heading = [session.event.title]
    if session.section:
        heading.append(session.section.title)
    paragraphs = ["\n".join(heading)]
    paragraphs.append("\n".join(people_lines(slot)))
    paragraphs.append(times_line(slot))
    if private:
        paragraphs.append("\n".join(join_lines(meeting_for(session, links))))
    paragraphs.append(session.abstract.strip())
    paragraphs.append(absolute_url(session.get_absolute_url()))
    return clean_text("\n\n".join(p for p in paragraphs if p))


def _address(email: str, name: str) -> icalendar.vCalAddress:
    email = email.strip()
    if not email or _CONTROL_CHARS.search(email) or "\n" in email or ":" in email:
        raise ValueError(f"Not a usable calendar address: {email!r}")
    address = icalendar.vCalAddress(f"mailto:{email}")
    name = " ".join(clean_text(name).split())
    if name:
        address.params["CN"] = name
    return address


def build_event(
    slot: Slot,
    *,
    private: bool = False,
    method: str | None = None,
    attendee: str | None = None,
    attendee_name: str = "",
    organizer_email: str | None = None,
    organizer_name: str = "",
    dtstamp: dt.datetime,
    links: JoinLinks | None = None,
) -> icalendar.Event:
    session = slot.session
    event = session.event
    location = public_location(event)
    if private:
        location = meeting_for(session, links).url or location
    vevent = icalendar.Event.new(
        uid=session.calendar_uid,
        stamp=dtstamp,
        start=session.start.astimezone(dt.UTC),
        end=session.end.astimezone(dt.UTC),
        sequence=session.sequence,
        summary=clean_text(session.display_title),
        description=describe(slot, private=private, links=links),
        url=absolute_url(session.get_absolute_url()),
        categories=[session.get_kind_display()],
        location=clean_text(location) or None,
        # Breaks are part of the programme, so they are listed; TRANSPARENT keeps them from
        # blocking the attendee's free/busy time.
        transparency="TRANSPARENT" if session.is_break else "OPAQUE",
        status="CANCELLED" if method == "CANCEL" else "CONFIRMED",
    )
    if private:
        # Clients hide a private event's details from people the calendar is shared with.
        vevent.add("class", "PRIVATE")
    if organizer_email:
        vevent.add("organizer", _address(organizer_email, organizer_name or event.organizer))
    if attendee:
        address = _address(attendee, attendee_name)
        address.params["ROLE"] = "REQ-PARTICIPANT"
        address.params["PARTSTAT"] = "NEEDS-ACTION"
        address.params["RSVP"] = "FALSE"
        vevent.add("attendee", address)
    return vevent


def new_calendar(
    name: str, *, method: str | None = None, refresh: dt.timedelta | None = None
) -> icalendar.Calendar:
    """An empty calendar with our header: PRODID, VERSION, CALSCALE, METHOD if given, the
    calendar's name, and for subscribed feeds how often clients should look for changes."""
    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    if method:
        calendar.add("method", method)
    # Calendar.calendar_name would write the name unescaped (icalendar 7 has no type for NAME
    # and would fail on a line break), so both properties are added as TEXT, on one line.
    text = icalendar.vText(" ".join(clean_text(name).split()))
    calendar.add("name", text)
    calendar.add("x-wr-calname", text)
    if refresh is not None:
        calendar.add("refresh-interval", refresh, parameters={"VALUE": "DURATION"})
        calendar.add("x-published-ttl", icalendar.vDuration(refresh))
    return calendar


def build_calendar(
    event: Event,
    slots: Iterable[Slot],
    *,
    private: bool = False,
    method: str | None = None,
    attendee: str | None = None,
    attendee_name: str = "",
    organizer_email: str | None = None,
    organizer_name: str = "",
    dtstamp: dt.datetime | None = None,
    links: JoinLinks | None = None,
) -> icalendar.Calendar:
    """A calendar with one VEVENT per slot (breaks included, marked TRANSPARENT).

    Public unless ``private=True``: only then do LOCATION and DESCRIPTION carry the meeting
    URL, ID and passcode, and only then may people's addresses (``attendee``,
    ``organizer_email``) appear. ``method`` ("PUBLISH", "REQUEST", "CANCEL") must equal the
    ``method=`` of the text/calendar MIME part that carries the calendar (Outlook rejects a
    mismatch); REQUEST and CANCEL need an organizer that can receive replies. CANCEL marks
    the events CANCELLED; the caller raises ``Session.sequence`` first, as for any change of
    time or link, so that clients apply it to the entry with the same UID.
    ``dtstamp`` defaults to now; it is written in UTC.
    """
    if method is not None and method not in METHODS:
        raise ValueError(f"Unsupported METHOD {method!r}; use one of {sorted(METHODS)}.")
    if not private and (attendee or organizer_email):
        raise ValueError("Addresses of people belong in private calendars only.")
    if method in {"REQUEST", "CANCEL"} and not organizer_email:
        raise ValueError(f"METHOD:{method} needs an ORGANIZER that can receive replies.")
    if dtstamp is None:
        dtstamp = timezone.now()
    if dtstamp.tzinfo is None:
        raise ValueError("dtstamp must be an aware datetime.")
    dtstamp = dtstamp.astimezone(dt.UTC)

    calendar = new_calendar(event.title, method=method)
    for slot in slots:
        calendar.add_component(
            build_event(
                slot,
                private=private,
                method=method,
                attendee=attendee,
                attendee_name=attendee_name,
                organizer_email=organizer_email,
                organizer_name=organizer_name,
                dtstamp=dtstamp,
                links=links,
            )
        )
    return calendar


def invitation(
    event: Event,
    slots: Iterable[Slot],
    *,
    attendee: str,
    attendee_name: str,
    method: str = "REQUEST",
    links: JoinLinks | None = None,
) -> bytes:
    """An emailed invitation (METHOD:REQUEST, private: it carries the meeting) to one
    attendee, or with ``method="CANCEL"`` the withdrawal of sessions removed from the
    programme (``slots`` may hold unsaved copies of the deleted sessions, with their UID and
    the SEQUENCE after the last one sent). Its ORGANIZER is the sender of our emails, an
    address that can receive replies; its name, when DEFAULT_FROM_EMAIL gives none, is the
    event's organizing institution."""
    organizer_name, organizer_email = parseaddr(settings.DEFAULT_FROM_EMAIL)
    calendar = build_calendar(
        event,
        slots,
        private=True,
        method=method,
        attendee=attendee,
        attendee_name=" ".join(attendee_name.split()),
        organizer_email=organizer_email,
        organizer_name=organizer_name or event.organizer,
        links=links,
    )
    return calendar_bytes(calendar)


def calendar_bytes(calendar: icalendar.Calendar) -> bytes:
    return calendar.to_ical()
