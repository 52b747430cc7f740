"""Zoom from the organizer's and the participant's side, against the stand-in Zoom on
loopback, with tasks in-process (the real worker: test_worker.py)."""

import datetime as dt
import email
import re
from email import policy

import icalendar
import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from mailing.models import OutgoingEmail
from registration import services as registration_services
from registration.models import Registration
from tests.factories import (
    DisplayZoneFactory,
    EventFactory,
    PersonFactory,
    RegistrationFactory,
    SessionFactory,
    SessionRoleFactory,
)
from workshop.services import announce_session_change, note_session_change
from zoom import services, tasks
from zoom.models import ZoomMeeting, ZoomRegistrant

pytestmark = pytest.mark.django_db(transaction=True)

SHARED_URL = "https://zoom.us/j/5550001111"


def two_day_event(**fields):
    """Thursday and Friday next month, in Berlin; Friday starts two hours later."""
    base = (timezone.now() + dt.timedelta(days=40)).replace(
        hour=10, minute=0, second=0, microsecond=0
    )
    event = EventFactory(slug="zoomed", title="Zoomed Workshop", **fields)
    DisplayZoneFactory(event=event, label="DE", zone="Europe/Berlin", position=0)
    SessionFactory(event=event, title="Day one", start=base, end=base + dt.timedelta(hours=3))
    SessionFactory(
        event=event,
        title="Day two",
        start=base + dt.timedelta(days=1, hours=2),
        end=base + dt.timedelta(days=1, hours=4),
    )
    return event


def create_meeting(event, session=None) -> ZoomMeeting:
    services.request_meeting(event, session)
    meeting = ZoomMeeting.objects.get(event=event, session=session)
    assert meeting.state == ZoomMeeting.State.READY, meeting.last_error
    return meeting


def approve(*registrations, by=None):
    registration_services.approve_registrations(
        registrations=Registration.objects.filter(pk__in=[r.pk for r in registrations]), by=by
    )


def personal_url(registration) -> str:
    return ZoomRegistrant.objects.get(
        holder_id=registration.pk, holder_type__model="registration"
    ).join_url


def invitations_to(address: str) -> list:
    return [
        email.message_from_bytes(m.message().as_bytes(), policy=policy.default)
        for m in mail.outbox
        if address in m.to[0]
    ]


def body_of(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def calendar_of(message) -> icalendar.Calendar:
    for part in message.walk():
        if part.get_content_type() == "text/calendar":
            return icalendar.Calendar.from_ical(part.get_payload(decode=True))
    raise AssertionError("no calendar part")


def test_admin_action_creates_one_recurring_meeting_fitted_to_the_days(zoom, organizer_client):
    event = two_day_event()
    response = organizer_client.post(
        reverse("admin:workshop_event_changelist"),
        {"action": "create_event_meeting", "_selected_action": [event.pk]},
        follow=True,
    )
    assert response.status_code == 200
    assert "being created" in response.content.decode()
    [(zoom_id, meeting)] = zoom.meetings().items()
    assert meeting["type"] == 8
    assert meeting["settings"]["approval_type"] == 0
    assert meeting["settings"]["registration_type"] == 1
    assert meeting["timezone"] == "Europe/Berlin"
    live = [o for o in meeting["occurrences"] if o["status"] != "deleted"]
    sessions = list(event.sessions.order_by("start"))
    # Each occurrence is a programme day, starting and ending as that day does.
    assert [o["start_time"] for o in live] == [
        s.start.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ") for s in sessions
    ]
    assert [o["duration"] for o in live] == [180, 120]
    event.refresh_from_db()
    stored = ZoomMeeting.objects.get(event=event)
    assert event.meeting_url == meeting["join_url"] == stored.join_url
    assert event.meeting_id.replace(" ", "") == str(zoom_id)
    assert event.meeting_passcode == meeting["password"]


def test_a_one_day_event_gets_a_scheduled_meeting(zoom):
    event = EventFactory()
    start = timezone.now() + dt.timedelta(days=9)
    SessionFactory(event=event, start=start, end=start + dt.timedelta(minutes=90))
    create_meeting(event)
    [meeting] = zoom.meetings().values()
    assert meeting["type"] == 2
    assert meeting["duration"] == 90
    assert "recurrence" not in meeting or not meeting.get("occurrences")


def test_without_zoom_settings_the_action_explains_and_nothing_is_created(organizer_client):
    event = two_day_event()
    response = organizer_client.post(
        reverse("admin:workshop_event_changelist"),
        {"action": "create_event_meeting", "_selected_action": [event.pk]},
        follow=True,
    )
    assert "Zoom is not set up" in response.content.decode()
    assert not ZoomMeeting.objects.exists()


def test_each_approved_participant_gets_one_invitation_with_their_own_link(zoom):
    event = two_day_event()
    create_meeting(event)
    people = [RegistrationFactory(event=event, email=f"p{i}@example.org") for i in range(3)]
    mail.outbox.clear()
    approve(*people)
    urls = {personal_url(r) for r in people}
    assert len(urls) == 3
    assert {r["join_url"] for r in zoom.registrants(next(iter(zoom.meetings())))} == urls
    shared = ZoomMeeting.objects.get(event=event).join_url
    for registration in people:
        [message] = invitations_to(registration.email)
        own = personal_url(registration)
        assert own in body_of(message)
        assert shared not in message.as_string()
        [first, *_] = calendar_of(message).walk("VEVENT")
        assert str(first["location"]) == own
        assert own in str(first["description"])


def test_the_status_page_and_invite_ics_carry_the_personal_link(zoom, client):
    event = two_day_event()
    create_meeting(event)
    registration = RegistrationFactory(event=event)
    approve(registration)
    own = personal_url(registration)
    shared = ZoomMeeting.objects.get(event=event).join_url
    page = client.get(registration.get_absolute_url()).content.decode()
    assert own in page and shared not in page
    ics = client.get(reverse("registration:invite_ics", args=[registration.secret]))
    text = ics.content.decode()
    assert "zoom-standin" in text
    assert shared not in text.replace("\r\n ", "")


def test_invitation_waits_while_zoom_is_down_and_goes_out_once_with_the_link(zoom, client):
    event = two_day_event()
    create_meeting(event)
    registration = RegistrationFactory(event=event)
    mail.outbox.clear()
    zoom.go_down()
    approve(registration)
    # Approved at once; the invitation waits, and says what for.
    registration.refresh_from_db()
    assert registration.state == Registration.State.APPROVED
    invitation = OutgoingEmail.objects.get(kind="invitation")
    assert invitation.state == OutgoingEmail.State.QUEUED
    assert "Zoom" in invitation.waiting_for
    assert mail.outbox == []
    row = ZoomRegistrant.objects.get()
    assert row.state == ZoomRegistrant.State.PENDING and row.last_error
    page = client.get(registration.get_absolute_url()).content.decode()
    assert "data-link-pending" in page
    assert ZoomMeeting.objects.get().join_url not in page

    zoom.come_back()
    ZoomRegistrant.objects.update(
        next_attempt_at=None, updated_at=timezone.now() - dt.timedelta(hours=1)
    )
    tasks.sweep()
    row.refresh_from_db()
    assert row.state == ZoomRegistrant.State.ADDED
    invitation.refresh_from_db()
    assert invitation.state == OutgoingEmail.State.SENT
    [message] = invitations_to(registration.email)
    assert row.join_url in body_of(message)
    assert len(zoom.registrants(next(iter(zoom.meetings())))) == 1


def test_a_retry_after_a_lost_answer_finds_the_registrant_instead_of_adding_twice(zoom):
    from zoom.client import ZoomClient

    event = two_day_event()
    meeting = create_meeting(event)
    registration = RegistrationFactory(event=event, state="approved")
    # An earlier attempt reached Zoom and died before it stored the answer.
    registration_services.request_join_links([registration])
    row = ZoomRegistrant.objects.get()
    ZoomClient().add_registrant(meeting.zoom_id, email=registration.email, first_name="X")
    ZoomRegistrant.objects.filter(pk=row.pk).update(
        state=ZoomRegistrant.State.PENDING, attempts=1, claimed_at=None, join_url=""
    )
    tasks.add_registrant(row.pk)
    row.refresh_from_db()
    [registrant] = zoom.registrants(meeting.zoom_id)
    assert row.state == ZoomRegistrant.State.ADDED
    assert row.join_url == registrant["join_url"]


def test_rate_limited_add_waits_what_retry_after_says(zoom):
    event = two_day_event()
    create_meeting(event)
    registration = RegistrationFactory(event=event)
    zoom.rate_limit_next(1, retry_after=7)
    before = timezone.now()
    approve(registration)
    row = ZoomRegistrant.objects.get()
    assert row.state == ZoomRegistrant.State.PENDING
    assert "429" in row.last_error
    wait = (row.next_attempt_at - before).total_seconds()
    assert 7 <= wait <= 10


def test_cancelling_declining_and_erasing_revoke_the_personal_link(zoom, organizer):
    event = two_day_event()
    meeting = create_meeting(event)
    keep, cancel, decline, erase = (
        RegistrationFactory(event=event, email=f"{n}@example.org")
        for n in ("keep", "cancel", "decline", "erase")
    )
    approve(keep, cancel, decline, erase)
    registration_services.cancel_registration(registration=cancel)
    registration_services.decline_registrations(
        registrations=Registration.objects.filter(pk=decline.pk), by=organizer
    )
    registration_services.erase_registrations(
        registrations=Registration.objects.filter(pk=erase.pk), by=organizer
    )
    status = {r["email"]: r["status"] for r in zoom.registrants(meeting.zoom_id)}
    assert status == {
        "keep@example.org": "approved",
        "cancel@example.org": "cancelled",
        "decline@example.org": "cancelled",
        "erase@example.org": "cancelled",
    }
    erased_row = ZoomRegistrant.objects.get(holder_id=erase.pk)
    assert erased_row.email == "" and erased_row.join_url == ""
    # Status updates went out in batches, never more than 30 to a call.
    puts = [c for c in zoom.calls if c.method == "PUT"]
    assert puts and all(len(c.body["registrants"]) <= 30 for c in puts)


def test_approving_again_after_a_cancellation_registers_them_again(zoom, organizer):
    event = two_day_event()
    meeting = create_meeting(event)
    registration = RegistrationFactory(event=event)
    approve(registration)
    registration_services.decline_registrations(
        registrations=Registration.objects.filter(pk=registration.pk), by=organizer
    )
    approve(registration, by=organizer)
    row = ZoomRegistrant.objects.get()
    assert row.state == ZoomRegistrant.State.ADDED and row.wanted
    approved = [r for r in zoom.registrants(meeting.zoom_id) if r["status"] == "approved"]
    assert [r["join_url"] for r in approved] == [row.join_url]


def test_moving_a_session_moves_the_zoom_meeting(zoom):
    event = two_day_event()
    meeting = create_meeting(event)
    first = event.sessions.order_by("start").first()
    first.start += dt.timedelta(hours=1)
    first.end += dt.timedelta(hours=1)
    note_session_change(first, ["start", "end"])
    first.save()
    announce_session_change(session=first, changed_fields=["start", "end"])
    stored = zoom.meetings()[meeting.zoom_id]
    live = [o for o in stored["occurrences"] if o["status"] != "deleted"]
    assert live[0]["start_time"] == first.start.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert live[0]["duration"] == 180
    assert any(c.method == "PATCH" for c in zoom.calls)


def test_deleting_the_meeting_in_admin_revokes_everyone_and_clears_the_link(zoom, organizer_client):
    event = two_day_event()
    meeting = create_meeting(event)
    registration = RegistrationFactory(event=event)
    approve(registration)
    organizer_client.post(
        reverse("admin:zoom_zoommeeting_changelist"),
        {"action": "delete_in_zoom", "_selected_action": [meeting.pk]},
    )
    meeting.refresh_from_db()
    event.refresh_from_db()
    assert meeting.state == ZoomMeeting.State.DELETED
    assert meeting.zoom_id not in zoom.meetings()
    assert event.meeting_url == "" and event.meeting_id == ""
    assert ZoomRegistrant.objects.get().state == ZoomRegistrant.State.CANCELLED


def test_a_refused_registrant_shows_in_admin_and_can_be_retried(zoom, organizer_client):
    event = two_day_event()
    create_meeting(event)
    registration = RegistrationFactory(event=event)
    zoom.fail_next(1, status=400)
    approve(registration)
    row = ZoomRegistrant.objects.get()
    assert row.state == ZoomRegistrant.State.FAILED
    listing = organizer_client.get(
        reverse("admin:registration_registration_changelist")
    ).content.decode()
    assert "zoom-failed" in listing
    page = organizer_client.get(
        reverse("admin:registration_registration_change", args=[registration.pk])
    ).content.decode()
    assert "Zoom said" in page
    organizer_client.post(
        reverse("admin:registration_registration_changelist"),
        {"action": "retry_zoom_links", "_selected_action": [registration.pk]},
    )
    row.refresh_from_db()
    assert row.state == ZoomRegistrant.State.ADDED
    assert OutgoingEmail.objects.get(kind="invitation").state == OutgoingEmail.State.SENT


def test_programme_people_get_personal_links_in_the_portal(zoom, client):
    event = two_day_event()
    speaker = PersonFactory(email="speaker@example.org")
    SessionRoleFactory(session=event.sessions.first(), person=speaker)
    meeting = create_meeting(event)
    row = ZoomRegistrant.objects.get(holder_type__model="person", holder_id=speaker.pk)
    assert row.state == ZoomRegistrant.State.ADDED
    assert [r["email"] for r in zoom.registrants(meeting.zoom_id)] == ["speaker@example.org"]
    from portal.selectors import my_slots

    [slot, *_] = my_slots(speaker).upcoming
    assert slot.meeting.url == row.join_url != meeting.join_url


def test_secrets_never_reach_logs_or_admin_pages(zoom, organizer_client, caplog):
    event = two_day_event()
    caplog.set_level("DEBUG")
    meeting = create_meeting(event)
    registration = RegistrationFactory(event=event)
    zoom.expire_tokens()
    approve(registration)
    secret = zoom.settings()["ZOOM_CLIENT_SECRET"]
    assert secret not in caplog.text
    for url in (
        reverse("admin:zoom_zoommeeting_change", args=[meeting.pk]),
        reverse("admin:zoom_zoomregistrant_changelist"),
        reverse("admin:registration_registration_change", args=[registration.pk]),
    ):
        assert secret not in organizer_client.get(url).content.decode()


def test_public_pages_and_feeds_never_show_the_zoom_meeting(zoom, client):
    event = two_day_event()
    meeting = create_meeting(event)
    registration = RegistrationFactory(event=event)
    approve(registration)
    secrets_ = [str(meeting.zoom_id), meeting.display_id, meeting.passcode, meeting.join_url]
    secrets_.append(personal_url(registration))
    session = event.sessions.first()
    urls = [
        event.get_absolute_url(),
        session.get_absolute_url(),
        reverse("workshop:event_list"),
    ]
    urls += [
        reverse("workshop:programme_ics", args=[event.slug]),
        reverse("workshop:schedule_json", args=[event.slug]),
        reverse("workshop:session_ics", args=[event.slug, session.pk]),
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        text = b"".join(response).decode() if response.streaming else response.content.decode()
        text = re.sub(r"\r\n[ \t]", "", text)
        for secret in secrets_:
            assert secret not in text, (url, secret)


def test_reminders_to_participants_and_speakers_carry_their_own_links(zoom):
    from portal.reminders import queue_due_reminders as remind_people
    from registration.reminders import queue_due_reminders as remind_participants

    event = two_day_event(reminder_offsets="24h")
    speaker = PersonFactory(email="speaker@example.org")
    SessionRoleFactory(session=event.sessions.order_by("start").first(), person=speaker)
    meeting = create_meeting(event)
    registration = RegistrationFactory(event=event)
    approve(registration)
    mail.outbox.clear()
    due = event.sessions.order_by("start").first().start - dt.timedelta(hours=24)
    assert remind_participants(now=due) == 1
    assert remind_people(now=due) == 1
    [to_participant] = invitations_to(registration.email)
    [to_speaker] = invitations_to("speaker@example.org")
    speaker_url = ZoomRegistrant.objects.get(holder_type__model="person").join_url
    assert personal_url(registration) in body_of(to_participant)
    assert speaker_url in body_of(to_speaker)
    for message in (to_participant, to_speaker):
        assert meeting.join_url not in message.as_string()


def test_a_session_with_its_own_zoom_meeting_gets_its_own_personal_link(zoom):
    event = two_day_event()
    create_meeting(event)
    panel = event.sessions.order_by("start").last()
    create_meeting(event, panel)
    panel.refresh_from_db()
    registration = RegistrationFactory(event=event)
    mail.outbox.clear()
    approve(registration)
    rows = ZoomRegistrant.objects.filter(holder_id=registration.pk).select_related("meeting")
    links = {row.meeting.session_id: row.join_url for row in rows}
    assert set(links) == {None, panel.pk} and len(set(links.values())) == 2
    [message] = invitations_to(registration.email)
    locations = [str(v["location"]) for v in calendar_of(message).walk("VEVENT")]
    assert locations == [links[None], links[panel.pk]]
    # The panel's meeting in Zoom is the panel alone; the event's is the first day only.
    meetings = {m["topic"]: m for m in zoom.meetings().values()}
    assert meetings[f"Zoomed Workshop: {panel.title}"]["duration"] == 120
    assert meetings["Zoomed Workshop"]["type"] == 2


def test_an_organizers_message_fills_join_link_with_the_personal_link(zoom):
    from registration.organizer_messages import join_link

    event = two_day_event()
    meeting = create_meeting(event)
    registration = RegistrationFactory(event=event)
    approve(registration)
    registration.refresh_from_db()
    assert join_link(registration) == personal_url(registration) != meeting.join_url
