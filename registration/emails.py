"""The emails to registrants, built at send time from their ledger row (`mailing`).

Building at send time means a retried invitation carries the meeting link as it is now, and
an invitation whose registration was declined or cancelled meanwhile is not sent at all.
Every kind here is registered with the outbox in `RegistrationConfig.ready()`.
"""

from django.conf import settings
from django.db import models
from django.urls import reverse

from mailing import registry
from mailing.message import (
    Message,
    UndeliverableEmail,
    calendar_part,
    render_bodies,
)
from mailing.models import OutgoingEmail
from workshop import ics
from workshop.ics import absolute_url

from .models import Registration
from .selectors import LocalSlot, local_programme


class Kind(models.TextChoices):
    CONFIRM = "confirm", "Confirm your registration"
    LINK_REMINDER = "link_reminder", "Your registration link (second attempt)"
    RECEIVED = "received", "Registration received"
    WAITING = "waiting", "Waiting list"
    PROMOTED = "promoted", "Place freed up"
    INVITATION = "invitation", "Invitation with meeting link"
    DECLINED = "declined", "Registration declined"
    CANCELLED = "cancelled", "Registration cancelled"


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


def register_kinds() -> None:
    registry.register_all(Kind, build=build_message)


def build_message(row: OutgoingEmail) -> Message:
    registration = (
        Registration.objects.select_related("event").filter(pk=row.recipient_id).first()
        if row.recipient_id
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
        "recipient_name": registration.name,
        "registration": registration,
        "event": event,
        "slots": slots,
        "meeting": meeting,
        "kind": row.kind,
        "site_url": settings.SITE_URL,
        "event_url": absolute_url(event.get_absolute_url()),
        "status_url": absolute_url(registration.get_absolute_url()),
        "confirm_url": absolute_url(
            reverse("registration:confirm", kwargs={"secret": registration.secret})
        ),
        "ics_url": absolute_url(
            reverse("registration:invite_ics", kwargs={"secret": registration.secret})
        ),
        "confirmation_hours": settings.REGISTRATION_CONFIRMATION_HOURS,
        "timezone": registration.timezone,
    }
    text, html = render_bodies(f"registration/emails/{row.kind}", context)
    message = Message(
        subject=SUBJECTS[row.kind].format(event=event.title),
        text=text,
        html=html,
        to_name=registration.name,
    )
    if with_meeting and slots:
        message.attachments.append(invitation_part(registration, slots))
    return message


def invitation_part(registration: Registration, slots: list[LocalSlot]):
    """invite.ics with every session but the breaks, to this registrant."""
    calendar = ics.invitation(
        registration.event,
        [s.slot for s in slots if not s.slot.session.is_break],
        attendee=registration.email,
        attendee_name=registration.name,
    )
    return calendar_part(calendar, method="REQUEST")
