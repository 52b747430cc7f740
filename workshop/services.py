"""Writes of the programme that other code must not reimplement.

Calendar identity (RFC 5545): a session's UID never changes, and its SEQUENCE rises with every
change of its time or its meeting, so calendar apps replace the entry instead of adding one.
Admin and importer both go through here.
"""

import datetime as dt
from collections.abc import Iterable

from django.db import transaction
from django.db.models import F, QuerySet
from django.utils import timezone

from registration.mail import queue_email
from registration.models import OutgoingEmail

from .models import Event, Person, Session

TIME_FIELDS = frozenset({"start", "end"})
MEETING_FIELDS = frozenset({"meeting_url", "meeting_id", "meeting_passcode"})
SESSION_CALENDAR_FIELDS = TIME_FIELDS | MEETING_FIELDS


def touch_programme(event_ids: Iterable[int] | QuerySet) -> int:
    """Mark the programmes of these events changed: their cached pages are not used again
    (the version is part of the cache key, see `workshop.fragments`). `event_ids` are ids, or
    a queryset of ids (`.values("event_id")`) resolved inside the same UPDATE.

    Call it in the transaction that makes the change, after the change: a reader who sees
    the new version also sees the new rows. Model saves and deletes call it through
    `workshop.signals`; code that writes with `QuerySet.update()` or `bulk_create()`, which
    send no signals, calls it itself. Returns the number of events touched."""
    if not isinstance(event_ids, QuerySet):
        event_ids = sorted({pk for pk in event_ids if pk is not None})
        if not event_ids:
            return 0
    return Event.objects.filter(pk__in=event_ids).update(
        programme_version=F("programme_version") + 1
    )


def note_session_change(session: Session, changed_fields) -> bool:
    """Raise the sequence of an existing session whose time or meeting changed (the caller
    saves it). Returns whether it did."""
    if session.pk and SESSION_CALENDAR_FIELDS.intersection(changed_fields):
        session.sequence += 1
        return True
    return False


def note_event_meeting_change(event: Event) -> int:
    """The event's meeting is every session's meeting (unless overridden): all calendars
    holding its sessions must replace them."""
    changed = Session.objects.filter(event=event).update(sequence=F("sequence") + 1)
    touch_programme([event.pk])  # an update() sends no signal; keep the rule simple
    return changed


@transaction.atomic
def notify_session_people(
    *, session: Session, changed_fields, now: dt.datetime | None = None
) -> int:
    """Mail the people of a saved session whose time changed: one email per person with an
    address, however many roles they hold in it, with the new time and an updated invite (same
    UID, the session's current SEQUENCE). Call it after the session and its roles are saved;
    the email is built at send time from the saved rows and handed over after commit.

    An email still queued for the same person and session (a second change before the first
    went out) is not doubled: it will carry the latest time. A session that is over is not
    announced. Returns the number of people who will be mailed.
    """
    if not session.pk or not TIME_FIELDS.intersection(changed_fields):
        return 0
    if session.end <= (now or timezone.now()):
        return 0
    kind = OutgoingEmail.Kind.SESSION_CHANGED
    people = list(
        Person.objects.filter(roles__session=session)
        .exclude(email="")
        .distinct()
        .order_by("name", "key")
    )
    # Locked: a worker claiming one of these rows waits for this commit, so it builds the
    # message with the new time.
    pending = set(
        OutgoingEmail.objects.select_for_update()
        .filter(
            kind=kind,
            state=OutgoingEmail.State.QUEUED,
            person__in=people,
            context__session_id=session.pk,
        )
        .values_list("person_id", flat=True)
    )
    for person in people:
        if person.pk not in pending:
            queue_email(
                kind=kind,
                person=person,
                to=person.email,
                context={"session_id": session.pk, "event_id": session.event_id},
            )
    return len(people)
