"""Messages organizers write to selected registrants in admin ("Email these participants").

The organizer types a subject and a plain text with placeholders; the message is stored once
(`ParticipantMessage`) and each recipient gets one ledger row of kind ``message`` that points at
it. The placeholders are filled when the row is built, at send time, so a registrant who was
approved meanwhile gets the meeting link and one who cancelled gets nothing.

Placeholders are replaced as tokens, never with ``str.format``: the text is the organizer's,
and ``{name.__class__}`` must be an error, not a way into Python objects.
"""

import logging
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Q, QuerySet
from django.utils import translation
from django.utils.translation import gettext, gettext_lazy

from mailing import registry
from mailing.message import Message, SkipEmail, UndeliverableEmail, render_bodies
from mailing.models import OutgoingEmail
from mailing.services import queue_emails
from workshop import ics
from workshop.ics import absolute_url

from .emails import state_for_ledger
from .models import ParticipantMessage, Registration
from .selectors import current_programme, join_links

logger = logging.getLogger(__name__)

State = Registration.State

KIND = "message"
KIND_LABEL = gettext_lazy("Message from the organizers")

# Who gets organizers' messages: everyone whose address is confirmed and who has not left.
# Unconfirmed addresses never confirmed they want mail from us (double opt-in); cancelled,
# expired and erased registrants have left. Declined ones are still asked for: an organizer
# who selects them means to tell them something (a recording, a second date).
RECEIVING_STATES = (State.PENDING, State.APPROVED, State.WAITING, State.DECLINED)

SUBJECT_PLACEHOLDERS = ("name", "event")
TEXT_PLACEHOLDERS = ("name", "event", "status_link", "join_link")

# What {join_link} says to those who may not have the link: never the link, and never an
# empty gap in the organizer's sentence. In the recipient's language (the builder's).
JOIN_LINK_NOT_YET = gettext_lazy(
    "(you will receive the meeting link once your registration is approved)"
)
JOIN_LINK_DECLINED = gettext_lazy("(the meeting link is only for approved participants)")
JOIN_LINK_MISSING = gettext_lazy("(the meeting link is not available yet)")

# ``{{`` and ``}}`` are literal braces; anything else between braces is a placeholder.
_TOKEN = re.compile(r"\{\{|\}\}|\{([^{}]*)\}")


def register_kind() -> None:
    registry.register(KIND, label=KIND_LABEL, build=build_message)


# --- placeholders -----------------------------------------------------------------------------


def _placeholders(text: str) -> list[str]:
    """Each ``{…}`` of the text once, as typed, in order."""
    found = []
    for match in _TOKEN.finditer(text):
        if match.group(1) is not None and match.group(0) not in found:
            found.append(match.group(0))
    return found


def _name(placeholder: str) -> str:
    return placeholder[1:-1].strip()


def _listed(names, *, last: str) -> str:
    """``{a}, {b} or {c}`` (``last`` is the pattern joining the last two)."""
    braced = [f"{{{name}}}" for name in names]
    return last % {"first": ", ".join(braced[:-1]), "last": braced[-1]}


def validate_placeholders(*, subject: str, body: str) -> None:
    """Raise a ValidationError per field naming the placeholders it cannot fill."""
    errors = {}
    in_subject = [p for p in _placeholders(subject) if _name(p) not in SUBJECT_PLACEHOLDERS]
    if in_subject:
        known = _listed(SUBJECT_PLACEHOLDERS, last=gettext("%(first)s and %(last)s"))
        errors["subject"] = gettext(
            "Only %(known)s can be used in the subject, not: %(placeholders)s."
        ) % {"known": known, "placeholders": ", ".join(in_subject)}
    unknown = [p for p in _placeholders(body) if _name(p) not in TEXT_PLACEHOLDERS]
    if unknown:
        errors["body"] = gettext("Unknown placeholders: %(placeholders)s. Use %(known)s.") % {
            "placeholders": ", ".join(unknown),
            "known": _listed(TEXT_PLACEHOLDERS, last=gettext("%(first)s or %(last)s")),
        }
    if errors:
        raise ValidationError(errors)


def _fill(text: str, values: dict[str, Callable[[], str]]) -> str:
    def replace(match: re.Match) -> str:
        token = match.group(0)
        if match.group(1) is None:
            return token[0]  # {{ or }}
        return values[_name(token)]()

    return _TOKEN.sub(replace, text)


def join_link(registration: Registration) -> str:
    """The meeting link for an approved registrant as it is now; a neutral note for
    everyone else."""
    if not registration.may_see_meeting:
        if registration.state == State.DECLINED:
            return str(JOIN_LINK_DECLINED)
        return str(JOIN_LINK_NOT_YET)
    event = registration.event
    sessions = [slot.session for slot in current_programme(event).slots]
    links = join_links(registration)
    return ics.event_meeting(event, sessions, links).url or str(JOIN_LINK_MISSING)


def render_for(message: ParticipantMessage, registration: Registration) -> tuple[str, str]:
    """The subject and text as this registrant reads them, placeholders filled."""
    values = {
        "name": lambda: registration.name,
        "event": lambda: registration.event.title,
        "status_link": lambda: absolute_url(registration.get_absolute_url()),
        # Read only when the text asks for it: it needs the event's programme.
        "join_link": lambda: join_link(registration),
    }
    return _fill(message.subject, values), _fill(message.body, values)


def compose_message(message: ParticipantMessage, registration: Registration) -> Message:
    """The whole email, as the builder sends it and the preview shows it."""
    subject, text = render_for(message, registration)
    event = registration.event
    context = {
        "recipient_name": registration.name,
        "registration": registration,
        "event": event,
        "text": text,
        "site_url": settings.SITE_URL,
        "event_url": absolute_url(event.get_absolute_url()),
        "status_url": absolute_url(registration.get_absolute_url()),
    }
    text_body, html_body = render_bodies("registration/emails/message", context)
    return Message(subject=subject, text=text_body, html=html_body, to_name=registration.name)


# --- reads: who the selection reaches ---------------------------------------------------------


def receiving(registrations: QuerySet[Registration]) -> QuerySet[Registration]:
    return registrations.filter(state__in=RECEIVING_STATES, erased_at__isnull=True)


def not_receiving(registrations: QuerySet[Registration]) -> QuerySet[Registration]:
    return registrations.filter(~Q(state__in=RECEIVING_STATES) | Q(erased_at__isnull=False))


@dataclass(frozen=True)
class Selection:
    by_state: list[tuple[str, str, int]]  # (state, label, recipients), in the states' order
    recipients: int
    approved: int
    events: int
    skipped: list[Registration]  # the first `listed` of them, with their events
    skipped_count: int
    first: Registration | None  # whose message the preview shows


def summarize(registrations: QuerySet[Registration], *, listed: int = 100) -> Selection:
    """What sending to these registrations would do, in a few queries however many."""
    registrations = registrations.order_by()
    counts = {
        row["state"]: row
        for row in registrations.values("state").annotate(
            kept=Count("pk", filter=Q(erased_at__isnull=True)),
            erased=Count("pk", filter=Q(erased_at__isnull=False)),
        )
    }
    by_state = [
        (value, label, counts[value]["kept"])
        for value, label in State.choices
        if value in RECEIVING_STATES and counts.get(value, {}).get("kept")
    ]
    recipients = sum(n for *_, n in by_state)
    skipped_count = sum(
        row["erased"] + (0 if state in RECEIVING_STATES else row["kept"])
        for state, row in counts.items()
    )
    reached = receiving(registrations)
    return Selection(
        by_state=by_state,
        recipients=recipients,
        approved=counts.get(State.APPROVED, {}).get("kept", 0),
        events=reached.values("event").distinct().count() if recipients else 0,
        skipped=list(not_receiving(registrations).select_related("event").order_by("pk")[:listed])
        if skipped_count
        else [],
        skipped_count=skipped_count,
        first=reached.select_related("event").order_by("pk").first() if recipients else None,
    )


# --- the write --------------------------------------------------------------------------------


@transaction.atomic
def send_participant_message(
    *,
    registrations: QuerySet[Registration],
    subject: str,
    body: str,
    token: uuid.UUID,
    by,
) -> tuple[ParticipantMessage, bool]:
    """Store the message and queue one email per receiving registration (so one per event
    for a person registered for several), handed to the worker after commit. ``token`` is
    the form's: the same token again (a double click, a reload) returns the message it made
    the first time, with ``created`` false, and queues nothing."""
    existing = ParticipantMessage.objects.filter(token=token).first()
    if existing is not None:
        return existing, False
    validate_placeholders(subject=subject, body=body)
    recipients = list(receiving(registrations).only("pk", "email", "language").order_by("pk"))
    if not recipients:
        raise ValidationError(gettext("None of the selected registrations can receive messages."))
    try:
        with transaction.atomic():
            message = ParticipantMessage.objects.create(
                token=token,
                subject=subject,
                body=body,
                created_by=by,
                recipient_count=len(recipients),
            )
    except IntegrityError:
        # The same form posted twice at once: the other request stored it first (its
        # insert held ours until it committed).
        return ParticipantMessage.objects.get(token=token), False
    queue_emails(
        kind=KIND,
        recipients=[(registration, registration.email) for registration in recipients],
        context={"message_id": message.pk},
    )
    logger.info(
        "participant message %s queued for %d registrations (by user %s)",
        message.pk,
        len(recipients),
        getattr(by, "pk", None),
    )
    return message, True


# --- the builder (mailing.registry) -----------------------------------------------------------


def build_message(row: OutgoingEmail) -> Message:
    message = ParticipantMessage.objects.filter(pk=row.context.get("message_id")).first()
    if message is None:
        raise UndeliverableEmail("The organizers' message this email was for no longer exists.")
    registration = (
        Registration.objects.select_related("event").filter(pk=row.recipient_id).first()
        if row.recipient_id
        else None
    )
    if registration is None:
        raise UndeliverableEmail("The registration this email was for no longer exists.")
    if registration.erased_at is not None:
        raise SkipEmail("Not sent: the registrant's data were erased meanwhile.")
    if registration.state not in RECEIVING_STATES:
        raise SkipEmail(
            f"Not sent: the registration was {state_for_ledger(registration)} meanwhile."
        )
    return compose_message(message, registration)


def preview_message(registration: Registration, *, subject: str, body: str) -> Message:
    """The email this registrant would get, built as the worker would build it now (in the
    registrant's language, whatever the organizer's)."""
    with translation.override(registration.language or settings.LANGUAGE_CODE):
        return compose_message(ParticipantMessage(subject=subject, body=body), registration)


def emails_of_message(message_id: int) -> QuerySet[OutgoingEmail]:
    """The ledger rows of one message (erased rows keep no context, so not theirs)."""
    return OutgoingEmail.objects.filter(kind=KIND, context__message_id=message_id)


def email_states(message: ParticipantMessage) -> list[tuple[str, int]]:
    """How far the message's emails got: ``(state label, count)`` in the states' order."""
    counts = dict(
        emails_of_message(message.pk).order_by().values_list("state").annotate(n=Count("pk"))
    )
    return [
        (label, counts[value]) for value, label in OutgoingEmail.State.choices if counts.get(value)
    ]
