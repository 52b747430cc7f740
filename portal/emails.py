"""The emails to people of the programme (speakers, chairs, commentators), built at send time
from their ledger row (`mailing`): the portal invitation, the sign-in link, and the notice
that a session's time changed. Registered with the outbox in `PortalConfig.ready()`."""

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.text import get_text_list
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext

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
from workshop.models import Event, Person, Session
from workshop.selectors import Slot, get_session_slot
from workshop.zones import is_valid_zone, zoned_time

from .join_links import links_or_wait
from .links import link_validity, sign_in_url


class Kind(models.TextChoices):
    PORTAL_INVITATION = "portal_invitation", gettext_lazy("Speaker portal invitation")
    PORTAL_SIGNIN = "portal_signin", gettext_lazy("Speaker portal sign-in link")
    SESSION_CHANGED = "session_changed", gettext_lazy("Session time changed")


def subject(kind: str, *, event: Event | None, slot: Slot | None) -> str:
    """The subject line, in the active language (the recipient's, at send time)."""
    if kind == Kind.PORTAL_INVITATION:
        if event is not None:
            return _("Your speaker portal: %(event)s") % {"event": event.title}
        return _("Your speaker portal")
    if kind == Kind.PORTAL_SIGNIN:
        return _("Your sign-in link")
    return _("New time for “%(session)s”") % {"session": slot.session.display_title}


def role_words(roles) -> str:
    """A person's roles in a session, in a sentence: "speaker and chair"."""
    words = {
        "speaker": pgettext("role, in a sentence", "speaker"),
        "chair": pgettext("role, in a sentence", "chair"),
        "commentator": pgettext("role, in a sentence", "commentator"),
    }
    return get_text_list([words.get(role, role) for role in roles], _("and"))


def register_kinds() -> None:
    registry.register_all(Kind, build=build_message)


def build_message(row: OutgoingEmail) -> Message:
    person = (
        Person.objects.select_related("user").filter(pk=row.recipient_id).first()
        if row.recipient_id
        else None
    )
    if person is None:
        raise UndeliverableEmail("The person this email was for no longer exists.")
    zone = person.timezone if is_valid_zone(person.timezone) else "UTC"
    context = {
        "recipient_name": person.name,
        "person": person,
        "site_url": settings.SITE_URL,
        "timezone": zone,
        "event": None,
    }
    slot = None
    if row.kind in (Kind.PORTAL_INVITATION, Kind.PORTAL_SIGNIN):
        event_id = row.context.get("event_id")
        if event_id:
            context["event"] = Event.objects.filter(pk=event_id).first()
        if person.user is None or not person.user.is_active:
            raise UndeliverableEmail("The person has no active portal login.")
        purpose = "invitation" if row.kind == Kind.PORTAL_INVITATION else "signin"
        # Made at send time: a retried email carries a fresh, full-length link.
        context["sign_in_url"] = sign_in_url(person.user, purpose=purpose)
        context["valid_for"] = link_validity(purpose)
    elif row.kind == Kind.SESSION_CHANGED:
        slot = _changed_slot(person, session_id=row.context.get("session_id"))
        session = slot.session
        links = links_or_wait(person, {session.event_id}, [ics.meeting_for(session)])
        reference = session.event_date
        context.update(
            event=session.event,
            slot=slot,
            local_start=zoned_time(session.start, label=zone, zone=zone, reference_date=reference),
            local_end=zoned_time(session.end, label=zone, zone=zone, reference_date=reference),
            my_roles=role_words(
                holder.role for holder in slot.people if holder.person.pk == person.pk
            ),
            session_url=absolute_url(session.get_absolute_url()),
            portal_url=absolute_url(reverse("portal:slots")),
            # The invite carries the meeting, so the email repeats it for those who read mail
            # without a calendar.
            meeting=ics.meeting_for(session, links),
        )
    text, html = render_bodies(f"portal/emails/{row.kind}", context)
    message = Message(
        subject=subject(row.kind, event=context["event"], slot=slot),
        text=text,
        html=html,
        to_name=person.name,
    )
    if slot is not None:
        message.attachments.append(
            _updated_invitation(slot, person=person, to=row.to_address, links=links)
        )
    return message


def _changed_slot(person: Person, *, session_id) -> Slot:
    session = Session.objects.select_related("event").filter(pk=session_id).first()
    if session is None:
        raise UndeliverableEmail("The session no longer exists.")
    slot = get_session_slot(session.event, session.pk)
    if all(holder.person.pk != person.pk for holder in slot.people):
        # Removed from the session after the change was queued: no invite, no link.
        raise UndeliverableEmail("The person no longer has a role in this session.")
    return slot


def _updated_invitation(slot: Slot, *, person: Person, to: str, links=None):
    """The session's invite as it is now: same UID, its current SEQUENCE, METHOD:REQUEST."""
    calendar = ics.invitation(
        slot.session.event, [slot], attendee=to, attendee_name=person.name, links=links
    )
    return calendar_part(calendar, method="REQUEST")
