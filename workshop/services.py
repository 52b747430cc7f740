"""Writes of the programme that other code must not reimplement.

Calendar identity (RFC 5545): a session's UID never changes, and its SEQUENCE rises with every
change of its time or its meeting, so calendar apps replace the entry instead of adding one.
Admin and importer both go through here, and both announce the changes other apps act on
(`workshop.signals`) through here.
"""

from collections.abc import Iterable

from django.db.models import F, QuerySet

from .models import Event, Session
from .signals import meeting_changed, session_rescheduled

TIME_FIELDS = frozenset({"start", "end"})
# Where `workshop.receivers` keeps a session's (start, end) from before its latest save.
TIMES_BEFORE_SAVE = "_times_before_save"
MEETING_FIELDS = frozenset({"meeting_url", "meeting_id", "meeting_passcode"})
SESSION_CALENDAR_FIELDS = TIME_FIELDS | MEETING_FIELDS


def touch_programme(event_ids: Iterable[int] | QuerySet) -> int:
    """Mark the programmes of these events changed: their cached pages are not used again
    (the version is part of the cache key, see `workshop.fragments`). `event_ids` are ids, or
    a queryset of ids (`.values("event_id")`) resolved inside the same UPDATE.

    Call it in the transaction that makes the change, after the change: a reader who sees
    the new version also sees the new rows. Model saves and deletes call it through
    `workshop.receivers`; code that writes with `QuerySet.update()` or `bulk_create()`, which
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
    holding its sessions must replace them. Announces the change (`meeting_changed`)."""
    changed = Session.objects.filter(event=event).update(sequence=F("sequence") + 1)
    touch_programme([event.pk])  # an update() sends no signal; keep the rule simple
    meeting_changed.send(sender=Event, event=event, session=None)
    return changed


def announce_session_change(*, session: Session, changed_fields) -> None:
    """Tell the apps built on the programme that a saved session's time or meeting changed.
    Call it after the session and its roles are saved, in the same transaction: whoever
    holds a role in it now is who gets told."""
    changed = frozenset(changed_fields)
    if not session.pk:
        return
    if TIME_FIELDS & changed:
        session_rescheduled.send(
            sender=Session,
            session=session,
            changed_fields=changed,
            previous=getattr(session, TIMES_BEFORE_SAVE, None),
        )
    if MEETING_FIELDS & changed:
        meeting_changed.send(sender=Session, event=session.event, session=session)


def set_meeting(target: Event | Session, *, url: str, meeting_id: str, passcode: str) -> bool:
    """Store the meeting people join — an event's, or one session's own — as an organizer's
    edit in admin would: calendars get a new SEQUENCE and the change is announced
    (`meeting_changed`). Used by code that makes meetings (the Zoom app). Returns whether
    anything changed."""
    wanted = {"meeting_url": url, "meeting_id": meeting_id, "meeting_passcode": passcode}
    changed = [name for name, value in wanted.items() if getattr(target, name) != value]
    if not changed:
        return False
    for name in changed:
        setattr(target, name, wanted[name])
    if isinstance(target, Event):
        target.save(update_fields=changed)
        note_event_meeting_change(target)
    else:
        note_session_change(target, changed)
        target.save(update_fields=[*changed, "sequence"])
        announce_session_change(session=target, changed_fields=changed)
    return True
