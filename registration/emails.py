"""Every email the system sends is built here, at send time, from its ledger row.

Building at send time means a retried invitation carries the meeting link as it is now, and
an invitation whose registration was declined or cancelled meanwhile is not sent at all.
"""

import datetime as dt
import threading
from collections import OrderedDict
from dataclasses import dataclass
from email.mime.text import MIMEText
from email.utils import formataddr, parseaddr
from urllib.parse import urlencode

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse

from workshop import ics
from workshop.models import Event, Session
from workshop.selectors import Programme, Slot, get_programme
from workshop.zones import format_day_shift, is_valid_zone, zoned_time

from .models import OutgoingEmail, Registration

Kind = OutgoingEmail.Kind


class UndeliverableEmail(Exception):
    """This row must not be sent (e.g. an invitation whose registration is no longer approved)."""


SUBJECTS = {
    Kind.CONFIRM: "Please confirm your registration: {event}",
    Kind.LINK_REMINDER: "Your registration for {event}",
    Kind.RECEIVED: "Registration received: {event}",
    Kind.WAITING: "You are on the waiting list: {event}",
    Kind.PROMOTED: "A place is free for you: {event}",
    Kind.INVITATION: "Your access to {event}",
    Kind.DECLINED: "Your registration for {event}",
    Kind.CANCELLED: "Registration cancelled: {event}",
}


def one_line(text: str) -> str:
    """Header-safe: no CR/LF or other line breaks can reach a header."""
    return " ".join(str(text).split())


def absolute(path: str) -> str:
    return settings.SITE_URL + path


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
# (workshop.signals, workshop.services.touch_programme), and the version is read with the
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


def local_programme(registration: Registration, *, with_meeting: bool) -> list[LocalSlot]:
    programme = current_programme(registration.event)
    zone = registration.timezone if is_valid_zone(registration.timezone) else "UTC"
    result = []
    for slot in programme.slots:
        session = slot.session
        reference = session.start.astimezone(registration.event.tzinfo).date()
        start = zoned_time(session.start, label=zone, zone=zone, reference_date=reference)
        end = zoned_time(session.end, label=zone, zone=zone, reference_date=reference)
        location = ics.meeting_for(session).url if with_meeting else ""
        result.append(
            LocalSlot(
                slot=slot,
                local_start=f"{start.local:%a %-d %b %Y}, {start.clock}",
                local_end=f"{end.clock} {zone}",
                day_shift=format_day_shift(start.day_shift),
                google_url=google_calendar_url(session, location=location),
                outlook_url=outlook_calendar_url(session, location=location),
            )
        )
    return result


def _utc_stamp(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")


def google_calendar_url(session, *, location: str) -> str:
    query = {
        "action": "TEMPLATE",
        "text": f"{session.event.title}: {session.display_title}",
        "dates": f"{_utc_stamp(session.start)}/{_utc_stamp(session.end)}",
        "details": absolute(session.get_absolute_url()),
        "location": location,
    }
    return "https://calendar.google.com/calendar/render?" + urlencode(query)


def outlook_calendar_url(session, *, location: str) -> str:
    query = {
        "path": "/calendar/action/compose",
        "rru": "addevent",
        "subject": f"{session.event.title}: {session.display_title}",
        "startdt": session.start.astimezone(dt.UTC).isoformat(),
        "enddt": session.end.astimezone(dt.UTC).isoformat(),
        "body": absolute(session.get_absolute_url()),
        "location": location,
    }
    return "https://outlook.office.com/calendar/0/deeplink/compose?" + urlencode(query)


def organizer_address() -> tuple[str, str]:
    return parseaddr(settings.DEFAULT_FROM_EMAIL)


def build_message(row: OutgoingEmail) -> EmailMultiAlternatives:
    if row.kind in PERSON_SUBJECTS:
        return build_person_message(row)
    return build_registration_message(row)


def build_registration_message(row: OutgoingEmail) -> EmailMultiAlternatives:
    registration = (
        Registration.objects.select_related("event").get(pk=row.registration_id)
        if row.registration_id
        else None
    )
    if registration is None:
        raise UndeliverableEmail("The registration this email was for no longer exists.")
    event = registration.event
    with_meeting = row.kind == Kind.INVITATION
    if with_meeting and not registration.may_see_meeting:
        raise UndeliverableEmail(
            f"Not sent: the registration is {registration.get_state_display().lower()}, "
            "so its holder may not receive the meeting link."
        )
    slots = local_programme(registration, with_meeting=with_meeting)
    meeting = (
        ics.event_meeting(event, [item.slot.session for item in slots]) if with_meeting else None
    )
    context = {
        "registration": registration,
        "event": event,
        "slots": slots,
        "meeting": meeting,
        "kind": row.kind,
        "site_url": settings.SITE_URL,
        "event_url": absolute(event.get_absolute_url()),
        "status_url": absolute(registration.get_absolute_url()),
        "confirm_url": absolute(
            reverse("registration:confirm", kwargs={"secret": registration.secret})
        ),
        "ics_url": absolute(
            reverse("registration:invite_ics", kwargs={"secret": registration.secret})
        ),
        "confirmation_hours": settings.REGISTRATION_CONFIRMATION_HOURS,
        "timezone": registration.timezone,
    }
    template = f"registration/emails/{row.kind}"
    subject = one_line(SUBJECTS[row.kind].format(event=event.title))
    text = render_to_string(f"{template}.txt", context)
    html = render_to_string(f"{template}.html", context)
    message = EmailMultiAlternatives(
        subject=subject,
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[formataddr((one_line(registration.name), row.to_address))],
        headers={"Message-ID": row.message_id},
    )
    message.attach_alternative(html, "text/html")
    if with_meeting and slots:
        attach_calendar(message, registration, slots, method="REQUEST")
    return message


# Emails to people of the programme (speakers, chairs, commentators), not to registrants.
PERSON_SUBJECTS = {
    Kind.PORTAL_INVITATION: "Your speaker portal{event_suffix}",
    Kind.PORTAL_SIGNIN: "Your sign-in link",
    Kind.SESSION_CHANGED: "New time for “{session}”",
}


def build_person_message(row: OutgoingEmail) -> EmailMultiAlternatives:
    from workshop.models import Person
    from workshop.portal.links import sign_in_url
    from workshop.portal.services import link_validity
    from workshop.selectors import get_session_slot

    person = Person.objects.select_related("user").filter(pk=row.person_id).first()
    if person is None:
        raise UndeliverableEmail("The person this email was for no longer exists.")
    zone = person.timezone if is_valid_zone(person.timezone) else "UTC"
    context = {"person": person, "site_url": settings.SITE_URL, "timezone": zone, "event": None}
    event_id = row.context.get("event_id")
    if event_id:
        context["event"] = Event.objects.filter(pk=event_id).first()
    slot = None
    if row.kind in (Kind.PORTAL_INVITATION, Kind.PORTAL_SIGNIN):
        if person.user is None or not person.user.is_active:
            raise UndeliverableEmail("The person has no active portal login.")
        purpose = "invitation" if row.kind == Kind.PORTAL_INVITATION else "signin"
        # Made at send time: a retried email carries a fresh, full-length link.
        context["sign_in_url"] = sign_in_url(person.user, purpose=purpose)
        context["valid_for"] = link_validity(purpose)
    elif row.kind == Kind.SESSION_CHANGED:
        session = (
            Session.objects.select_related("event").filter(pk=row.context.get("session_id")).first()
        )
        if session is None:
            raise UndeliverableEmail("The session no longer exists.")
        slot = get_session_slot(session.event, session.pk)
        if all(holder.person.pk != person.pk for holder in slot.people):
            # Removed from the session after the change was queued: no invite, no link.
            raise UndeliverableEmail("The person no longer has a role in this session.")
        reference = session.start.astimezone(session.event.tzinfo).date()
        context.update(
            event=session.event,
            slot=slot,
            local_start=zoned_time(session.start, label=zone, zone=zone, reference_date=reference),
            local_end=zoned_time(session.end, label=zone, zone=zone, reference_date=reference),
            session_url=absolute(session.get_absolute_url()),
            portal_url=absolute(reverse("portal:slots")),
            meeting=ics.meeting_for(session),  # the invite carries it: repeat it (RELIABILITY 27)
        )
    subject_context = {
        "event_suffix": f": {context['event'].title}" if context["event"] else "",
        "session": slot.session.display_title if slot else "",
    }
    template = f"registration/emails/{row.kind}"
    message = EmailMultiAlternatives(
        subject=one_line(PERSON_SUBJECTS[row.kind].format(**subject_context)),
        body=render_to_string(f"{template}.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[formataddr((one_line(person.name), row.to_address))],
        headers={"Message-ID": row.message_id},
    )
    message.attach_alternative(render_to_string(f"{template}.html", context), "text/html")
    if slot is not None:
        organizer_name, organizer_email = organizer_address()
        calendar = ics.build_calendar(
            slot.session.event,
            [slot],
            private=True,
            method="REQUEST",
            attendee=row.to_address,
            attendee_name=one_line(person.name),
            organizer_email=organizer_email,
            organizer_name=organizer_name or slot.session.event.organizer,
        )
        attach_ics(message, calendar, method="REQUEST")
    return message


def attach_calendar(message, registration: Registration, slots: list[LocalSlot], *, method: str):
    organizer_name, organizer_email = organizer_address()
    calendar = ics.build_calendar(
        registration.event,
        [s.slot for s in slots if not s.slot.session.is_break],
        private=True,
        method=method,
        attendee=registration.email,
        attendee_name=one_line(registration.name),
        organizer_email=organizer_email,
        organizer_name=organizer_name or registration.event.organizer,
    )
    # METHOD in the calendar and method= of the MIME part must agree (Outlook rejects a
    # mismatch); the same bytes as an attachment serve clients that ignore the inline part.
    attach_ics(message, calendar, method=method)


def attach_ics(message, calendar, *, method: str) -> None:
    part = MIMEText(ics.calendar_bytes(calendar).decode(), "calendar", "utf-8")
    part.set_param("method", method)
    part.add_header("Content-Disposition", "attachment", filename="invite.ics")
    message.attach(part)
