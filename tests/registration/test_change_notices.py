"""Approved participants are kept in step with the programme: a moved, added or removed session
and a new meeting link reach each of them in ONE email (changes within the settle window are
merged), with old → new in their zone and the programme's zones and an updated invitation
(same UID, higher SEQUENCE; METHOD:CANCEL for a removed session). Nobody else gets meeting
data."""

import datetime as dt

import icalendar
import pytest
from django.core import mail
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext, pgettext

from mailing.models import OutgoingEmail
from registration.models import ChangeNotice
from registration.notices import KIND
from tests.factories import (
    DisplayZoneFactory,
    EventFactory,
    RegistrationFactory,
    SessionFactory,
)
from tests.registration.conftest import join_online
from tests.support.worker import wait_until
from tests.workshop.admin_forms import (
    event_change_url,
    get_event_form,
    parse_form,
    session_change_url,
)
from workshop.importer import import_programme
from workshop.models import Session
from workshop.services import announce_session_change, note_session_change

UTC = dt.UTC
State = OutgoingEmail.State


@pytest.fixture
def workshop_2031(db):
    """A Berlin workshop on 24 October 2031 (summer time; the clocks go back on the 26th),
    shown in Berlin, Norfolk VA and Kathmandu (+5:45); approved participants in Shanghai and
    Adelaide (+10:30), and one registrant in every other state."""
    event = EventFactory(
        slug="trade-2031", title="Trade and Aid", timezone="Europe/Berlin", capacity=None
    )
    DisplayZoneFactory(event=event, position=0, label="DE", zone="Europe/Berlin")
    DisplayZoneFactory(event=event, position=1, label="Norfolk, VA", zone="America/New_York")
    DisplayZoneFactory(event=event, position=2, label="Kathmandu", zone="Asia/Kathmandu")
    SessionFactory(
        event=event,
        title="Loans and Steel",
        start=dt.datetime(2031, 10, 24, 10, 0, tzinfo=UTC),
        end=dt.datetime(2031, 10, 24, 10, 45, tzinfo=UTC),
        sequence=2,
    )
    SessionFactory(
        event=event,
        title="Technology Transfer",
        start=dt.datetime(2031, 10, 24, 11, 0, tzinfo=UTC),
        end=dt.datetime(2031, 10, 24, 11, 45, tzinfo=UTC),
    )
    RegistrationFactory(
        event=event, name="Chen Tao", email="chen@example.org", timezone="Asia/Shanghai",
        state="approved",
    )  # fmt: skip
    RegistrationFactory(
        event=event, name="Ann Adelaide", email="ann@example.org",
        timezone="Australia/Adelaide", state="approved",
    )  # fmt: skip
    for state in ("pending", "waiting", "declined", "cancelled", "unconfirmed", "expired"):
        RegistrationFactory(event=event, email=f"{state}@example.org", state=state)
    return event


def loans(event) -> Session:
    return event.sessions.get(title="Loans and Steel")


def move_in_session_form(client, session: Session, **fields) -> None:
    data, _ = parse_form(client.get(session_change_url(session)), "session_form")
    data.update(fields)
    response = client.post(session_change_url(session), data)
    assert response.status_code == 302, response.content.decode()


def move_loans_to_monday(client, event, session=None) -> None:
    """27 October 2031, 12:00 in Berlin — now winter time, so 11:00 UTC."""
    move_in_session_form(
        client, session or loans(event), start_0="2031-10-27", start_1="12:00",
        end_0="2031-10-27", end_1="12:45",
    )  # fmt: skip


def is_notice(subject: str) -> bool:
    """A programme change notice's subject (registration.notice_emails), for any event."""
    before, after = gettext("Programme change: %(event)s").split("%(event)s")
    return subject.startswith(before) and subject.endswith(after)


# The lines of a notice (templates/registration/emails/programme_change.txt).
def change(what: str, title: str) -> str:
    return f"- {gettext(what)}: {title}"


def was(when: str) -> str:
    return f"{pgettext('programme change', 'was:')} {when}"


def now(when: str) -> str:
    return f"{pgettext('programme change', 'now:')} {when}"


def notices_sent() -> dict[str, object]:
    return {m.to[0]: m for m in mail.outbox if is_notice(m.subject)}


def calendar_part(message, filename="invite.ics"):
    [part] = [
        p
        for p in message.message().walk()
        if p.get_content_type() == "text/calendar" and p.get_filename() == filename
    ]
    return part, icalendar.Calendar.from_ical(part.get_payload(decode=True))


def vevent_of(calendar, session_uid) -> icalendar.Event:
    [vevent] = [v for v in calendar.walk("VEVENT") if str(v["UID"]) == session_uid]
    return vevent


# ---------------------------------------------------------------------------------------------
# One change


@pytest.mark.django_db
def test_moved_session_reaches_each_approved_participant_once_with_old_and_new_times(
    admin_client, workshop_2031, django_capture_on_commit_callbacks
):
    session = loans(workshop_2031)
    with django_capture_on_commit_callbacks(execute=True):
        move_loans_to_monday(admin_client, workshop_2031)

    sent = notices_sent()
    assert sorted(sent) == ["Ann Adelaide <ann@example.org>", "Chen Tao <chen@example.org>"]
    chen = sent["Chen Tao <chen@example.org>"].body
    assert (
        gettext(
            'the programme of "%(event)s" has changed. Times are in your time zone '
            "(%(timezone)s), then in the programme's zones."
        )
        % {"event": "Trade and Aid", "timezone": "Asia/Shanghai"}
        in chen
    )
    # Old → new in the participant's zone, then the programme's; the clocks went back in
    # Berlin and Norfolk between the two dates, not in Shanghai or Kathmandu.
    assert (
        f"{change('MOVED', 'Loans and Steel')}\n"
        f"  {was('Fri 24 Oct 2031, 18:00–18:45 Asia/Shanghai')} "
        "(12:00–12:45 DE | 6:00–6:45 Norfolk, VA | 15:45–16:30 Kathmandu)\n"
        f"  {now('Mon 27 Oct 2031, 19:00–19:45 Asia/Shanghai')} "
        "(12:00–12:45 DE | 7:00–7:45 Norfolk, VA | 16:45–17:30 Kathmandu)\n"
    ) in chen
    ann = sent["Ann Adelaide <ann@example.org>"].body
    assert was("Fri 24 Oct 2031, 20:30–21:15 Australia/Adelaide") in ann
    assert now("Mon 27 Oct 2031, 21:30–22:15 Australia/Adelaide") in ann
    assert "https://zoom.us/j/5550001111" in chen

    part, calendar = calendar_part(sent["Chen Tao <chen@example.org>"])
    assert part.get_param("method") == "REQUEST" and calendar["METHOD"] == "REQUEST"
    vevent = vevent_of(calendar, session.calendar_uid)
    assert vevent["SEQUENCE"] == 3  # the last invite had 2
    assert vevent.decoded("DTSTART") == dt.datetime(2031, 10, 27, 11, 0, tzinfo=UTC)
    assert str(vevent["ATTENDEE"]) == "mailto:chen@example.org"
    # Nobody else was told anything, and the ledger says whom it told.
    rows = OutgoingEmail.objects.filter(kind=KIND)
    assert sorted(rows.values_list("to_address", "state")) == [
        ("ann@example.org", State.SENT),
        ("chen@example.org", State.SENT),
    ]


@pytest.mark.django_db
def test_notice_escapes_what_organizers_typed(
    admin_client, workshop_2031, django_capture_on_commit_callbacks
):
    session = loans(workshop_2031)
    Session.objects.filter(pk=session.pk).update(title='<img src=x onerror="x">')
    with django_capture_on_commit_callbacks(execute=True):
        move_loans_to_monday(admin_client, workshop_2031, session)
    message = notices_sent()["Chen Tao <chen@example.org>"]
    html = message.alternatives[0][0]
    assert '<img src=x onerror="x">' not in html
    assert "&lt;img src=x onerror=&quot;x&quot;&gt;" in html


@pytest.mark.django_db
def test_removed_session_is_withdrawn_from_participants_calendars(
    admin_client, workshop_2031, django_capture_on_commit_callbacks
):
    session = loans(workshop_2031)
    uid = session.calendar_uid
    url = reverse("admin:workshop_session_delete", args=[session.pk])
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(url, {"post": "yes"})
    assert response.status_code == 302

    message = notices_sent()["Chen Tao <chen@example.org>"]
    assert (
        f"{change('CANCELLED', 'Loans and Steel')}\n  {was('Fri 24 Oct 2031, 18:00–18:45')}"
        in message.body
    )
    part, calendar = calendar_part(message, "cancel.ics")
    assert part.get_param("method") == "CANCEL" and calendar["METHOD"] == "CANCEL"
    vevent = vevent_of(calendar, uid)
    assert vevent["SEQUENCE"] == 3
    assert vevent["STATUS"] == "CANCELLED"
    assert vevent.decoded("DTSTART") == dt.datetime(2031, 10, 24, 10, 0, tzinfo=UTC)
    # The updated invitation holds what remains.
    _, invite = calendar_part(message)
    assert [str(v["SUMMARY"]) for v in invite.walk("VEVENT")] == ["Technology Transfer"]


@pytest.mark.django_db
def test_added_session_is_announced_with_its_time(
    admin_client, workshop_2031, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        SessionFactory(
            event=workshop_2031,
            title="Closing Discussion",
            start=dt.datetime(2031, 10, 24, 13, 0, tzinfo=UTC),
            end=dt.datetime(2031, 10, 24, 14, 0, tzinfo=UTC),
        )
    body = notices_sent()["Chen Tao <chen@example.org>"].body
    assert "- ADDED: Closing Discussion\n  Fri 24 Oct 2031, 21:00–22:00 Asia/Shanghai" in body
    _, invite = calendar_part(notices_sent()["Chen Tao <chen@example.org>"])
    assert "Closing Discussion" in [str(v["SUMMARY"]) for v in invite.walk("VEVENT")]


@pytest.mark.django_db
def test_new_meeting_link_reaches_approved_participants_only(
    admin_client, workshop_2031, django_capture_on_commit_callbacks
):
    data, _ = get_event_form(admin_client, workshop_2031)
    data["meeting_url"] = "https://zoom.us/j/9990002222"
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(event_change_url(workshop_2031), data)
    assert response.status_code == 302, response.content.decode()

    sent = notices_sent()
    assert sorted(sent) == ["Ann Adelaide <ann@example.org>", "Chen Tao <chen@example.org>"]
    assert join_online("https://zoom.us/j/9990002222") in sent["Chen Tao <chen@example.org>"].body
    assert not [m for m in mail.outbox if "9990002222" in m.body and m not in sent.values()]
    _, invite = calendar_part(sent["Chen Tao <chen@example.org>"])
    assert all(v["SEQUENCE"] >= 1 for v in invite.walk("VEVENT"))
    assert "https://zoom.us/j/9990002222" in str(
        vevent_of(invite, loans(workshop_2031).calendar_uid)["LOCATION"]
    )


@pytest.mark.django_db
def test_importer_move_reaches_participants(workshop_2031, django_capture_on_commit_callbacks):
    text = """
event:
  slug: trade-2031
  title: Trade and Aid
  timezone: Europe/Berlin
  display_timezones:
    - {label: "DE", zone: Europe/Berlin}
    - {label: "Norfolk, VA", zone: America/New_York}
    - {label: "Kathmandu", zone: Asia/Kathmandu}
people: []
days:
  - date: 2031-10-24
    items:
      - {start: "13:00", end: "13:45", title: Technology Transfer}
      - {start: "14:00", end: "14:45", title: Loans and Steel}
"""
    with django_capture_on_commit_callbacks(execute=True):
        import_programme(text, source="test")
    body = notices_sent()["Chen Tao <chen@example.org>"].body
    assert change("MOVED", "Loans and Steel") in body
    assert now("Fri 24 Oct 2031, 20:00–20:45 Asia/Shanghai") in body


# ---------------------------------------------------------------------------------------------
# Nothing to say


@pytest.mark.django_db
def test_past_sessions_and_breaks_are_not_announced(
    workshop_2031, django_capture_on_commit_callbacks
):
    past = SessionFactory(
        event=workshop_2031,
        title="Last year",
        start=dt.datetime(2020, 1, 1, 10, 0, tzinfo=UTC),
        end=dt.datetime(2020, 1, 1, 11, 0, tzinfo=UTC),
    )
    with django_capture_on_commit_callbacks(execute=True):
        past.delete()
        SessionFactory(
            event=workshop_2031,
            kind="break",
            title="",
            start=dt.datetime(2031, 10, 24, 10, 45, tzinfo=UTC),
            end=dt.datetime(2031, 10, 24, 11, 0, tzinfo=UTC),
        )
    assert notices_sent() == {}
    assert not ChangeNotice.objects.exists()


@pytest.mark.django_db
def test_no_approved_participant_no_notice(admin_client, workshop_2031):
    workshop_2031.registrations.filter(state="approved").update(state="cancelled")
    move_loans_to_monday(admin_client, workshop_2031)
    assert not ChangeNotice.objects.exists()
    assert not OutgoingEmail.objects.filter(kind=KIND).exists()


# ---------------------------------------------------------------------------------------------
# The settle window, in the embedded mode (a timer thread of this process hands rows over)


@pytest.mark.django_db(transaction=True)
def test_changes_within_the_settle_window_make_one_email_and_a_later_change_another(
    admin_client, workshop_2031, settings
):
    settings.NOTICE_SETTLE_SECONDS = 5
    session = loans(workshop_2031)
    move_loans_to_monday(admin_client, workshop_2031)
    move_in_session_form(
        admin_client, session, start_0="2031-10-27", start_1="14:00",
        end_0="2031-10-27", end_1="14:45",
    )  # fmt: skip
    # Held back while the window is open: nothing went out yet.
    rows = OutgoingEmail.objects.filter(kind=KIND)
    assert rows.count() == 2
    assert notices_sent() == {}

    wait_until(lambda: len(notices_sent()) == 2, timeout=20, what="the merged notices")
    body = notices_sent()["Chen Tao <chen@example.org>"].body
    assert body.count(change("MOVED", "Loans and Steel")) == 1
    assert was("Fri 24 Oct 2031, 18:00–18:45 Asia/Shanghai") in body  # where they last saw it
    assert now("Mon 27 Oct 2031, 21:00–21:45 Asia/Shanghai") in body
    vevent = vevent_of(calendar_part(notices_sent()["Chen Tao <chen@example.org>"])[1],
                       session.calendar_uid)  # fmt: skip
    assert vevent["SEQUENCE"] > 2
    assert vevent.decoded("DTSTART") == dt.datetime(2031, 10, 27, 13, 0, tzinfo=UTC)

    # After the window: a second email.
    mail.outbox.clear()
    move_loans_to_monday(admin_client, workshop_2031)
    wait_until(lambda: len(notices_sent()) == 2, timeout=20, what="the second notices")
    assert now("Mon 27 Oct 2031, 19:00–19:45 Asia/Shanghai") in (
        notices_sent()["Chen Tao <chen@example.org>"].body
    )
    assert OutgoingEmail.objects.filter(kind=KIND, state=State.SENT).count() == 4


@pytest.mark.django_db(transaction=True)
def test_a_move_undone_within_the_window_sends_nothing_and_the_ledger_says_why(
    admin_client, workshop_2031, settings
):
    settings.NOTICE_SETTLE_SECONDS = 5
    move_loans_to_monday(admin_client, workshop_2031)
    move_in_session_form(
        admin_client, loans(workshop_2031), start_0="2031-10-24", start_1="12:00",
        end_0="2031-10-24", end_1="12:45",
    )  # fmt: skip
    rows = OutgoingEmail.objects.filter(kind=KIND)
    wait_until(
        lambda: all(r.state == State.SKIPPED for r in rows.all()), timeout=20, what="skipped rows"
    )
    assert notices_sent() == {}
    assert {r.last_error for r in rows} == {"Not sent: the changes were undone before it was due."}


@pytest.mark.django_db(transaction=True)
def test_participant_who_cancels_within_the_window_gets_no_notice(
    admin_client, workshop_2031, settings
):
    settings.NOTICE_SETTLE_SECONDS = 2
    move_loans_to_monday(admin_client, workshop_2031)
    workshop_2031.registrations.filter(email="ann@example.org").update(state="cancelled")
    wait_until(lambda: len(notices_sent()) == 1, timeout=20, what="the notice to Chen")
    ann = OutgoingEmail.objects.get(kind=KIND, to_address="ann@example.org")
    wait_until(
        lambda: OutgoingEmail.objects.get(pk=ann.pk).state == State.SKIPPED,
        timeout=20,
        what="Ann's row skipped",
    )
    assert list(notices_sent()) == ["Chen Tao <chen@example.org>"]


@pytest.mark.django_db
def test_notice_queries_do_not_grow_with_participants(
    admin_client, workshop_2031, django_assert_max_num_queries
):
    for n in range(60):
        RegistrationFactory(event=workshop_2031, email=f"p{n}@example.org", state="approved")
    data, _ = parse_form(admin_client.get(session_change_url(loans(workshop_2031))), "session_form")
    data.update(start_0="2031-10-27", start_1="12:00", end_0="2031-10-27", end_1="12:45")
    with django_assert_max_num_queries(60):
        response = admin_client.post(session_change_url(loans(workshop_2031)), data)
    assert response.status_code == 302
    assert OutgoingEmail.objects.filter(kind=KIND).count() == 62


# ---------------------------------------------------------------------------------------------
# With a real worker on Redis and an SMTP server (the worker's settle window: 4 s)


def move(session: Session, *, start: dt.datetime) -> None:
    """What the admin's session form does when an organizer changes the time."""
    with transaction.atomic():
        session.end = start + (session.end - session.start)
        session.start = start
        note_session_change(session, {"start", "end"})
        session.save()
        announce_session_change(session=session, changed_fields={"start", "end"})


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_real_worker_sends_one_notice_per_window_to_approved_participants_only(
    workshop_2031, celery_worker, smtp_server, redis_broker
):
    celery_worker()
    session = loans(workshop_2031)
    move(session, start=dt.datetime(2031, 10, 24, 10, 30, tzinfo=UTC))
    move(session, start=dt.datetime(2031, 10, 24, 12, 30, tzinfo=UTC))
    rows = OutgoingEmail.objects.filter(kind=KIND)
    assert rows.count() == 2

    smtp_server.wait_for(2)
    wait_until(lambda: all(r.state == State.SENT for r in rows.all()), what="notices sent")
    wait_until(
        lambda: redis_broker.llen("celery") == 0 and redis_broker.hlen("unacked") == 0,
        what="an idle broker",
    )
    received = [r for r in smtp_server.received if is_notice(r.message["Subject"])]
    assert sorted(rcpt for r in received for rcpt in r.rcpt_tos) == [
        "ann@example.org",
        "chen@example.org",
    ]
    [chen] = [r for r in received if r.rcpt_tos == ("chen@example.org",)]
    [part] = [
        p
        for p in chen.message.walk()
        if p.get_content_type() == "text/calendar" and p.get_filename() == "invite.ics"
    ]
    calendar = icalendar.Calendar.from_ical(part.get_payload(decode=True))
    vevent = vevent_of(calendar, session.calendar_uid)
    assert vevent.decoded("DTSTART") == dt.datetime(2031, 10, 24, 12, 30, tzinfo=UTC)
    assert vevent["SEQUENCE"] == 4  # raised past the last invite (2), once per saved change
    text = chen.message.get_body(("plain",)).get_content()
    assert was("Fri 24 Oct 2031, 18:00–18:45 Asia/Shanghai") in text
    assert now("Fri 24 Oct 2031, 20:30–21:15 Asia/Shanghai") in text

    # After the window: a second email each.
    move(session, start=dt.datetime(2031, 10, 24, 13, 0, tzinfo=UTC))
    smtp_server.wait_for(4)
    wait_until(lambda: rows.filter(state=State.SENT).count() == 4, what="second notices sent")
    received = [r for r in smtp_server.received if is_notice(r.message["Subject"])]
    assert len(received) == 4
    # Pending, waiting, declined, cancelled, unconfirmed and expired registrants: nothing.
    assert {rcpt for r in smtp_server.received for rcpt in r.rcpt_tos} == {
        "ann@example.org",
        "chen@example.org",
    }
