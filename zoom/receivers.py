"""The programme moved: the Zoom meetings follow (`services.note_programme_change`)."""

from workshop.signals import (
    meeting_changed,
    session_added,
    session_cancelled,
    session_rescheduled,
)

from . import services


def follow_programme(sender, *, session, **kwargs) -> None:
    services.note_programme_change(session.event_id)


def follow_sessions_leaving(sender, *, event, session=None, **kwargs) -> None:
    """A session got (or lost) a meeting of its own: the event's meeting no longer (or again)
    covers its time."""
    if session is not None:
        services.note_programme_change(event.pk)


def connect() -> None:
    meeting_changed.connect(follow_sessions_leaving, dispatch_uid="zoom.follow_programme")
    for signal in (session_rescheduled, session_added, session_cancelled):
        signal.connect(follow_programme, dispatch_uid=f"zoom.follow_programme.{id(signal)}")
