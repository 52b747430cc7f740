"""Change notices to approved participants (work in progress)."""


def note_session_moved(*, session, previous=None) -> None:
    pass


def note_session_added(*, session) -> None:
    pass


def note_session_cancelled(*, session) -> None:
    pass


def note_meeting_changed(*, event, session=None) -> None:
    pass
