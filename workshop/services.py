"""Writes of the programme that other code must not reimplement.

Calendar identity (RFC 5545): a session's UID never changes, and its SEQUENCE rises with every
change of its time or its meeting, so calendar apps replace the entry instead of adding one.
Admin and importer both go through here.
"""

from django.db.models import F

from .models import Event, Session

MEETING_FIELDS = frozenset({"meeting_url", "meeting_id", "meeting_passcode"})
SESSION_CALENDAR_FIELDS = frozenset({"start", "end"}) | MEETING_FIELDS


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
    return Session.objects.filter(event=event).update(sequence=F("sequence") + 1)
