"""Reminders to approved participants before each programme day: written into the ledger by
beat (`tasks.queue_due_reminders`, every minute) and built at send time.

When a reminder is due comes from the programme (`workshop.reminders`). Each reminder has a
ledger key per registration, day and offset, so however often, late or concurrently beat runs,
a reminder exists at most once. A reminder that fell due while nothing ran (beat or the
workers down) and whose moment is past by more than ``NOTICE_SETTLE_SECONDS`` is written as
skipped, with the reason, instead of arriving late.
"""

import datetime as dt
import logging

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy

from mailing import registry
from mailing.message import Message, SkipEmail, render_bodies
from mailing.models import OutgoingEmail
from mailing.services import queue_once
from workshop.ics import absolute_url
from workshop.reminders import late_reason
from workshop.selectors import DueReminders, due_reminders
from workshop.zones import is_valid_zone

from .emails import state_for_ledger
from .models import Registration
from .selectors import join_links, local_programme, meeting_of, wait_for_links

logger = logging.getLogger(__name__)

KIND = "reminder"
LABEL = gettext_lazy("Reminder before the event")

State = Registration.State


def register_kind() -> None:
    registry.register(KIND, label=LABEL, build=build_reminder)


# ---------------------------------------------------------------------------------------------
# Queueing (beat)


def queue_due_reminders(*, now: dt.datetime | None = None) -> int:
    """Write every reminder due now to the ledger. Returns how many were queued to go out."""
    now = now or timezone.now()
    return sum(_queue_for_event(due, now=now) for due in due_reminders(now=now))


def _queue_for_event(due: DueReminders, *, now: dt.datetime) -> int:
    """A fixed number of queries per event and moment, whatever the number of registrations."""
    event = due.event
    settle = dt.timedelta(seconds=settings.NOTICE_SETTLE_SECONDS)
    approved = list(
        Registration.objects.filter(event=event, state=State.APPROVED, erased_at__isnull=True)
        .only("pk", "email", "language", "decided_at")
        .order_by("pk")
    )
    if not approved:
        return 0
    plans = []
    for moment in due.moments:
        on_time = now - moment.due_at <= settle
        # Someone approved after a reminder's moment was never due it (their invitation came
        # later): only those approved by then are recorded as missed.
        recipients = [
            r for r in approved if on_time or r.decided_at is None or r.decided_at <= moment.due_at
        ]
        keys = {r.pk: f"reminder:registration:{r.pk}:{moment.key}" for r in recipients}
        plans.append((moment, on_time, recipients, keys))
    # Once written, a key needs nothing more (a hand-over lost since is the sweeper's to
    # repeat), so the runs every minute until the day begins only read.
    written = set(
        OutgoingEmail.objects.filter(
            dedup_key__in=[key for *_, keys in plans for key in keys.values()]
        ).values_list("dedup_key", flat=True)
    )
    queued = 0
    for moment, on_time, recipients, keys in plans:
        context = moment.context(event.pk)
        emails = [
            (keys[r.pk], r, r.email, context) for r in recipients if keys[r.pk] not in written
        ]
        if not emails:
            continue
        if on_time:
            queued += len(queue_once(kind=KIND, emails=emails))
        else:
            queue_once(kind=KIND, emails=emails, skip_reason=late_reason(moment, now=now))
            logger.warning(
                "event %s: reminder %s missed (due %s); %d written as not sent",
                event.pk,
                moment.key,
                moment.due_at.isoformat(),
                len(emails),
            )
    return queued


# ---------------------------------------------------------------------------------------------
# Building (worker, at send time)


def build_reminder(row: OutgoingEmail, *, now: dt.datetime | None = None) -> Message:
    now = now or timezone.now()
    registration = (
        Registration.objects.select_related("event").filter(pk=row.recipient_id).first()
        if row.recipient_id
        else None
    )
    if registration is None:
        raise SkipEmail("Not sent: the registration no longer exists.")
    if not registration.may_see_meeting:
        raise SkipEmail(
            f"Not sent: the registration is {state_for_ledger(registration)}, "
            "so its holder is no longer due a reminder."
        )
    event = registration.event
    day = dt.date.fromisoformat(row.context["day"])
    links = join_links(registration)
    programme = local_programme(registration, with_meeting=True, links=links)
    slots = [item for item in programme if item.slot.session.event_date == day]
    sessions = [item for item in slots if not item.slot.session.is_break]
    if not sessions:
        raise SkipEmail("Not sent: no session is left on that day.")
    first = sessions[0]
    if first.slot.session.start <= now:
        raise SkipEmail("Not sent: the day's first session had begun before it could go out.")
    wait_for_links(registration, slots, links)
    zone = registration.timezone if is_valid_zone(registration.timezone) else "UTC"
    context = {
        "recipient_name": registration.name,
        "registration": registration,
        "event": event,
        "slots": slots,
        "first": first,
        "first_day": not any(
            item.slot.session.event_date < day and not item.slot.session.is_break
            for item in programme
        ),
        "meeting": meeting_of(registration, slots, links),
        "timezone": zone,
        "site_url": settings.SITE_URL,
        "event_url": absolute_url(event.get_absolute_url()),
        "status_url": absolute_url(registration.get_absolute_url()),
    }
    text, html = render_bodies("registration/emails/reminder", context)
    return Message(
        subject=gettext("Reminder: %(event)s, %(start)s %(zone)s")
        % {"event": event.title, "start": first.local_start, "zone": zone},
        text=text,
        html=html,
        to_name=registration.name,
    )
