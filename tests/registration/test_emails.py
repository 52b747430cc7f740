"""Building messages: an event's programme is read once for many invitations
(selectors.current_programme, keyed by the event's programme_version), and a message built after
any change still carries the data as it is now."""

import pytest

from mailing.message import compose
from mailing.models import OutgoingEmail
from registration.emails import Kind, build_message
from tests.factories import RegistrationFactory, SessionRoleFactory
from workshop.models import Event, Session


@pytest.fixture
def invitations(open_event):
    def make(count: int = 1) -> list[OutgoingEmail]:
        return [
            OutgoingEmail.objects.create(
                kind=Kind.INVITATION,
                to_address=registration.email,
                recipient=registration,
            )
            for registration in RegistrationFactory.create_batch(
                count, event=open_event, state="approved"
            )
        ]

    return make


def text_and_calendar(row: OutgoingEmail) -> str:
    message = compose(row, build_message(row))
    calendar = [part for part in message.attachments if hasattr(part, "get_payload")]
    return message.body + "".join(part.get_payload(decode=True).decode() for part in calendar)


def test_later_invitations_reuse_the_programme_read_for_the_first(
    invitations, django_assert_num_queries
):
    first, second = invitations(2)
    with django_assert_num_queries(5):  # registration + zones, affiliations, sessions, roles
        build_message(first)
    with django_assert_num_queries(1):  # the registration, with its event's programme_version
        build_message(second)


def test_invitation_built_after_a_meeting_change_carries_the_new_link(open_event, invitations):
    first, second = invitations(2)
    assert "https://zoom.us/j/5550001111" in text_and_calendar(first)

    event = Event.objects.get(pk=open_event.pk)
    event.meeting_url = "https://zoom.us/j/5559998888"
    event.save()

    text = text_and_calendar(second)
    assert "https://zoom.us/j/5559998888" in text
    assert "5550001111" not in text


def test_invitation_built_after_session_changes_carries_them(open_event, invitations):
    first, second, third = invitations(3)
    assert "Opening talk" in text_and_calendar(first)

    talk = Session.objects.get(event=open_event, title="Opening talk")
    talk.title = "Keynote, retitled"
    talk.meeting_url = "https://example.org/keynote-room"
    talk.save()

    text = text_and_calendar(second)
    assert "Keynote, retitled" in text
    assert "https://example.org/keynote-room" in text

    SessionRoleFactory(session=talk, person__name="Jan Zofka")

    assert "Jan Zofka" in text_and_calendar(third)
