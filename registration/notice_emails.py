"""The programme change notice to one approved participant, built when it is due from the
notice's changes and the programme as it is then (`registration.notices` writes them).

It says what changed, old → new, in the participant's zone and the programme's zones, and
carries the updated invitation (``invite.ics``: every session, same UIDs, current SEQUENCE,
METHOD:REQUEST) and, for removed sessions, their withdrawal (``cancel.ics``, METHOD:CANCEL).
"""

import datetime as dt
import zoneinfo
from dataclasses import dataclass

from django.conf import settings
from django.utils.formats import date_format
from django.utils.translation import gettext

from mailing import registry
from mailing.message import (
    Message,
    SkipEmail,
    UndeliverableEmail,
    calendar_part,
    render_bodies,
)
from mailing.models import OutgoingEmail
from workshop import ics
from workshop.ics import absolute_url
from workshop.models import DisplayZone, Session
from workshop.selectors import Slot, display_zones
from workshop.zones import format_clock, is_valid_zone, zoned_time

from .emails import invitation_part, state_for_ledger
from .models import ChangeNotice, Registration
from .notices import ADDED, CANCELLED, KIND, LABEL, MEETING, MOVED
from .selectors import join_links, local_programme, meeting_of, wait_for_links


def register_kind() -> None:
    registry.register(KIND, label=LABEL, build=build_message)


@dataclass(frozen=True)
class Times:
    """A session's time as the participant reads it: in their zone, then the programme's."""

    local: str
    programme: str


@dataclass(frozen=True)
class ChangeLine:
    what: str
    title: str
    old: Times | None = None
    new: Times | None = None
    meeting: ics.Meeting | None = None


def format_times(
    start: dt.datetime, end: dt.datetime, *, zone: str, zones: list[DisplayZone]
) -> Times:
    local_start = start.astimezone(zoneinfo.ZoneInfo(zone))
    local_end = end.astimezone(zoneinfo.ZoneInfo(zone))
    clock = f"{format_clock(local_start)}–{format_clock(local_end)}"
    local = f"{date_format(local_start, 'SHORT_DATE_FORMAT')}, {clock} {zone}"
    reference = local_start.date()
    columns = []
    for display in zones:
        first = zoned_time(start, label=display.label, zone=display.zone, reference_date=reference)
        last = zoned_time(end, label=display.label, zone=display.zone, reference_date=reference)
        column = f"{first.clock}–{last.clock} {display.label}"
        if first.day_shift:
            column += f" ({first.day_shift_text})"
        columns.append(column)
    return Times(local=local, programme=" | ".join(columns))


def _parse(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value)


def build_message(row: OutgoingEmail) -> Message:
    registration = (
        Registration.objects.select_related("event").filter(pk=row.recipient_id).first()
        if row.recipient_id
        else None
    )
    if registration is None:
        raise UndeliverableEmail("The registration this email was for no longer exists.")
    if not registration.may_see_meeting:
        raise SkipEmail(
            f"Not sent: the registration is {state_for_ledger(registration)}; only "
            "approved participants are told of programme changes."
        )
    notice = ChangeNotice.objects.filter(pk=row.context.get("notice_id")).first()
    if notice is None:
        raise SkipEmail("Not sent: the changes it was to announce are no longer recorded.")
    event = registration.event
    zone = registration.timezone if is_valid_zone(registration.timezone) else "UTC"
    zones = display_zones(event)
    sessions = Session.objects.select_related("event").in_bulk(
        [c["session_id"] for c in notice.changes if c["session_id"]]
    )
    links = join_links(registration)
    lines: list[ChangeLine] = []
    cancelled: list[Slot] = []
    for change in notice.changes:
        line = _line(change, sessions=sessions, zone=zone, zones=zones, links=links)
        if line is not None:
            lines.append(line)
        if change["what"] == CANCELLED:
            cancelled.append(_withdrawn_slot(change, event=event))
    if not lines:
        raise SkipEmail("Not sent: the changes were undone before it was due.")
    slots = local_programme(registration, with_meeting=True, links=links)
    wait_for_links(registration, slots, links)
    context = {
        "recipient_name": registration.name,
        "registration": registration,
        "event": event,
        "changes": lines,
        "slots": slots,
        "meeting": meeting_of(registration, slots, links),
        "timezone": zone,
        "site_url": settings.SITE_URL,
        "event_url": absolute_url(event.get_absolute_url()),
        "status_url": absolute_url(registration.get_absolute_url()),
        "has_cancellations": bool(cancelled),
    }
    text, html = render_bodies(f"registration/emails/{KIND}", context)
    message = Message(
        subject=gettext("Programme change: %(event)s") % {"event": event.title},
        text=text,
        html=html,
        to_name=registration.name,
    )
    if any(not item.slot.session.is_break for item in slots):
        message.attachments.append(invitation_part(registration, slots, links))
    if cancelled:
        calendar = ics.invitation(
            event,
            cancelled,
            attendee=registration.email,
            attendee_name=registration.name,
            method="CANCEL",
        )
        message.attachments.append(calendar_part(calendar, method="CANCEL", filename="cancel.ics"))
    return message


def _line(change: dict, *, sessions: dict, zone: str, zones, links=None) -> ChangeLine | None:
    what = change["what"]
    session = sessions.get(change["session_id"]) if change["session_id"] else None
    if what == CANCELLED:
        return ChangeLine(
            what=what,
            title=change["title"],
            old=format_times(
                _parse(change["start"]), _parse(change["end"]), zone=zone, zones=zones
            ),
        )
    if what == MEETING:
        if change["session_id"] is None:
            return ChangeLine(what=what, title="", meeting=None)
        if session is None:
            return None
        return ChangeLine(
            what=what, title=session.display_title, meeting=ics.meeting_for(session, links)
        )
    if session is None:
        return None  # removed later: its cancellation says so
    new = format_times(session.start, session.end, zone=zone, zones=zones)
    if what == ADDED:
        return ChangeLine(what=what, title=session.display_title, new=new)
    if what == MOVED:
        if "old_start" not in change:
            return ChangeLine(what=what, title=session.display_title, new=new)
        old_start, old_end = _parse(change["old_start"]), _parse(change["old_end"])
        if (old_start, old_end) == (session.start, session.end):
            return None  # moved back where participants saw it
        old = format_times(old_start, old_end, zone=zone, zones=zones)
        return ChangeLine(what=what, title=session.display_title, old=old, new=new)
    return None


def _withdrawn_slot(change: dict, *, event) -> Slot:
    """An unsaved copy of the removed session, as much as the withdrawal needs."""
    session = Session(
        pk=change["session_id"],
        event=event,
        uid=change["uid"],
        sequence=change["sequence"],
        title=change["title"],
        kind=change.get("kind", Session.Kind.TALK),
        start=_parse(change["start"]),
        end=_parse(change["end"]),
    )
    return Slot(session=session, starts=[], ends=[])
