"""The programme moved: the Zoom meetings follow (`services.note_programme_change`)."""

from workshop.signals import session_added, session_cancelled, session_rescheduled

from . import services


def follow_programme(sender, *, session, **kwargs) -> None:
    services.note_programme_change(session.event_id)


def connect() -> None:
    for signal in (session_rescheduled, session_added, session_cancelled):
        signal.connect(follow_programme, dispatch_uid=f"zoom.follow_programme.{id(signal)}")
