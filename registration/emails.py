"""The emails to registrants, built at send time from their ledger row (`mailing`).

Building at send time means a retried invitation carries the meeting link as it is now, and
an invitation whose registration was declined or cancelled meanwhile is not sent at all.
Every kind here is registered with the outbox in `RegistrationConfig.ready()`.
"""

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext, gettext_lazy

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
from .selectors import LocalSlot, join_links, local_programme, meeting_of, wait_for_links


class Kind(models.TextChoices):
    # The labels name the kinds in the ledger admin (the organizer's language).
    CONFIRM = "confirm", gettext_lazy("Confirm your registration")
    LINK_REMINDER = "link_reminder", gettext_lazy("Your registration link (second attempt)")
    RECEIVED = "received", gettext_lazy("Registration received")
    WAITING = "waiting", gettext_lazy("Waiting list")
    PROMOTED = "promoted", gettext_lazy("Place freed up")
    INVITATION = "invitation", gettext_lazy("Invitation with meeting link")
    DECLINED = "declined", gettext_lazy("Registration declined")
    CANCELLED = "cancelled", gettext_lazy("Registration cancelled")


def subject(kind: str, *, event: str) -> str:
    """The subject of an email of this kind, in the active language (the recipient's)."""
    subjects = {
        Kind.CONFIRM: gettext("Please confirm your registration: %(event)s"),
        Kind.LINK_REMINDER: gettext("Your registration for %(event)s"),
        Kind.RECEIVED: gettext("Registration received: %(event)s"),
        Kind.WAITING: gettext("You are on the waiting list: %(event)s"),
        Kind.PROMOTED: gettext("A place is free for you: %(event)s"),
        Kind.INVITATION: gettext("Your access to %(event)s"),
        Kind.DECLINED: gettext("Your registration for %(event)s"),
        Kind.CANCELLED: gettext("Registration cancelled: %(event)s"),
    }
    return subjects[kind] % {"event": event}


def state_for_ledger(registration: Registration) -> str:
    """The registration's state as the ledger's (English) reasons name it."""
    with translation.override("en"):
        return str(registration.get_state_display()).lower()


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
            f"Not sent: the registration is {state_for_ledger(registration)}, "
            "so its holder may not receive the meeting link."
        )
    links = join_links(registration) if with_meeting else None
    slots = local_programme(registration, with_meeting=with_meeting, links=links)
    if with_meeting:
        wait_for_links(registration, slots, links)
    meeting = meeting_of(registration, slots, links) if with_meeting else None
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
        subject=subject(row.kind, event=event.title),
        text=text,
        html=html,
        to_name=registration.name,
    )
    if with_meeting and slots:
        message.attachments.append(invitation_part(registration, slots, links))
    return message


def invitation_part(registration: Registration, slots: list[LocalSlot], links=None):
    """invite.ics with every session but the breaks, to this registrant."""
    calendar = ics.invitation(
        registration.event,
        [s.slot for s in slots if not s.slot.session.is_break],
        attendee=registration.email,
        attendee_name=registration.name,
        links=links,
    )
    return calendar_part(calendar, method="REQUEST")
