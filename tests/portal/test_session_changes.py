"""A session's new time reaches its people: one email each, in their zone, with an updated invite
(same UID, higher SEQUENCE), whether the organizer moved it in the admin or in the programme file.
"""

import datetime as dt

import icalendar
import pytest
from django.conf import settings
from django.core import mail
from django.utils.html import escape
from django.utils.translation import gettext, ngettext, pgettext

from mailing.models import OutgoingEmail
from mailing.services import emails_about
from portal.emails import Kind
from portal.services import notify_session_people
from tests.factories import (
    DisplayZoneFactory,
    EventFactory,
    PersonFactory,
    SectionFactory,
    SessionFactory,
    SessionRoleFactory,
)
from tests.workshop.admin_forms import (
    event_change_url,
    get_event_form,
    parse_form,
    session_change_url,
)
from workshop.importer import import_programme
from workshop.models import Person, Session
from workshop.services import note_session_change

pytestmark = pytest.mark.django_db

UTC = dt.UTC
XSS = '"><img src=x onerror=alert(1)>'
TITLE = "Trade with Socialist Comrades?"


@pytest.fixture
def trade(db):
    """A session of a Berlin workshop (12:00–12:45 there, 1 July 2031) with a speaker who also
    chairs it (in Kathmandu), a commentator without a zone (UTC) and a speaker without email;
    another session of another event has its own speaker."""
    event = EventFactory(
        slug="sino-soviet-2031",
        title="Sino-Soviet Relations",
        timezone="Europe/Berlin",
        organizer="Leibniz Institute",
    )
    DisplayZoneFactory(event=event, position=0, label="DE", zone="Europe/Berlin")
    DisplayZoneFactory(event=event, position=1, label="Norfolk, VA", zone="America/New_York")
    DisplayZoneFactory(event=event, position=2, label="Shanghai/Hongkong", zone="Asia/Shanghai")
    session = SessionFactory(
        event=event,
        section=SectionFactory(event=event, title="Trade"),
        title=TITLE,
        start=dt.datetime(2031, 7, 1, 10, 0, tzinfo=UTC),
        end=dt.datetime(2031, 7, 1, 10, 45, tzinfo=UTC),
        sequence=3,
    )
    tao = PersonFactory(
        key="tao-chen", name="Tao Chen", email="tao@example.org", timezone="Asia/Kathmandu"
    )
    ann = PersonFactory(key="ann-lee", name="Ann Lee", email="ann@example.org", timezone="")
    SessionRoleFactory(session=session, person=tao, role="speaker", position=0)
    SessionRoleFactory(session=session, person=tao, role="chair", position=0)
    SessionRoleFactory(session=session, person=ann, role="commentator", position=0)
    SessionRoleFactory(
        session=session, person=PersonFactory(key="bo-wu", name="Bo Wu", email=""), position=1
    )
    SessionRoleFactory(
        session=SessionFactory(title="Elsewhere"),
        person=PersonFactory(key="eve-other", name="Eve Other", email="eve@example.org"),
    )
    return session


def move_in_session_form(client, session: Session, **fields) -> None:
    """Post the session's change form back with `fields` changed (times in the event's zone)."""
    data, _ = parse_form(client.get(session_change_url(session)), "session_form")
    data.update(fields)
    response = client.post(session_change_url(session), data)
    assert response.status_code == 302, response.content.decode()


def recipients() -> list[list[str]]:
    return sorted(message.to for message in mail.outbox)


def message_to(address: str):
    [message] = [m for m in mail.outbox if m.to[0].endswith(f"<{address}>")]
    return message


def new_time_for(title: str) -> str:
    return gettext("New time for “%(session)s”") % {"session": title}


def role_word(role: str) -> str:
    """A role as the email writes it in a sentence ("speaker")."""
    return pgettext("role, in a sentence", role)


def labelled(msgid: str, value: str) -> str:
    """A labelled line of the email: "Session: …", "Join online: …"."""
    return f"{gettext(msgid)}: {value}"


def in_the_programme(date: str) -> str:
    return gettext("In the programme's time zones, %(date)s:") % {"date": date}


def new_time_in(zone: str) -> str:
    return gettext("New time, in your time zone (%(timezone)s):") % {"timezone": zone}


def speaker_and_chair() -> str:
    return f"{role_word('speaker')} {gettext('and')} {role_word('chair')}"


def next_day() -> str:
    """The day shift "+1 day"."""
    return ngettext("%(sign)s%(count)s day", "%(sign)s%(count)s days", 1) % {
        "sign": "+",
        "count": 1,
    }


def invite_of(message) -> tuple:
    [part] = [p for p in message.message().walk() if p.get_content_type() == "text/calendar"]
    calendar = icalendar.Calendar.from_ical(part.get_payload(decode=True))
    [vevent] = calendar.walk("VEVENT")
    return part, calendar, vevent


# ---------------------------------------------------------------------------------------------
# The session change form


def test_session_change_form_new_time_mails_each_person_once_with_updated_invite(
    admin_client, trade, django_capture_on_commit_callbacks
):
    uid = trade.calendar_uid

    with django_capture_on_commit_callbacks(execute=True):
        move_in_session_form(
            admin_client,
            trade,
            start_0="2031-07-01",
            start_1="21:00",
            end_0="2031-07-01",
            end_1="21:45",
        )

    trade.refresh_from_db()
    assert (trade.start, trade.end) == (
        dt.datetime(2031, 7, 1, 19, 0, tzinfo=UTC),
        dt.datetime(2031, 7, 1, 19, 45, tzinfo=UTC),
    )
    assert trade.sequence == 4
    assert recipients() == [["Ann Lee <ann@example.org>"], ["Tao Chen <tao@example.org>"]]
    assert sorted(OutgoingEmail.objects.values_list("kind", "to_address", "state", "context")) == [
        (
            Kind.SESSION_CHANGED,
            "ann@example.org",
            OutgoingEmail.State.SENT,
            {"session_id": trade.pk, "event_id": trade.event_id},
        ),
        (
            Kind.SESSION_CHANGED,
            "tao@example.org",
            OutgoingEmail.State.SENT,
            {"session_id": trade.pk, "event_id": trade.event_id},
        ),
    ]
    for address in ("tao@example.org", "ann@example.org"):
        part, calendar, vevent = invite_of(message_to(address))
        assert part.get_param("method") == "REQUEST"
        assert calendar["METHOD"] == "REQUEST"
        assert str(vevent["UID"]) == uid
        assert vevent["SEQUENCE"] == 4
        assert vevent.decoded("DTSTART") == dt.datetime(2031, 7, 1, 19, 0, tzinfo=UTC)
        assert vevent.decoded("DTEND") == dt.datetime(2031, 7, 1, 19, 45, tzinfo=UTC)
        assert str(vevent["ATTENDEE"]) == f"mailto:{address}"


def test_session_change_email_shows_new_time_in_person_zone_and_display_zones(
    admin_client, trade, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        move_in_session_form(
            admin_client,
            trade,
            start_0="2031-07-01",
            start_1="21:00",
            end_0="2031-07-01",
            end_1="21:45",
        )

    message = message_to("tao@example.org")
    assert message.subject == new_time_for(TITLE)
    from_the_programmes_date = gettext("%(shift)s from the programme's date") % {
        "shift": next_day()
    }
    sessions_page = gettext("The session's page:")
    invite_replaces = gettext(
        "The attached invite.ics replaces the invitation you had for this session: your "
        "calendar app moves the existing entry instead of adding a second one."
    )
    assert message.body == (
        f"{gettext('Dear %(name)s,') % {'name': 'Tao Chen'}}\n"
        "\n"
        f"{gettext('the time of a session you take part in has changed.')}\n"
        "\n"
        f"{labelled('Session', TITLE)}\n"
        f"{labelled('Event', 'Sino-Soviet Relations')}\n"
        f"{labelled('Section', 'Trade')}\n"
        f"{labelled('Your role', speaker_and_chair())}\n"
        "\n"
        f"{new_time_in('Asia/Kathmandu')}\n"
        f"Wednesday 2 July 2031, 0:45–1:30 Asia/Kathmandu ({from_the_programmes_date})\n"
        "\n"
        f"{in_the_programme('Tuesday 1 July 2031')}\n"
        f"21:00 DE | 15:00 Norfolk, VA | 3:00 Shanghai/Hongkong ({next_day()})\n"
        f"{pgettext('time', 'until')} 21:45 DE\n"
        "\n"
        f"{gettext('How to join:')}\n"
        f"{labelled('Join online', 'https://zoom.us/j/5550001111')}\n"
        f"{labelled('Meeting ID', '555 000 1111')}\n"
        f"{labelled('Passcode', 's3cret-pass')}\n"
        f"{gettext('Please do not share this link or passcode.')}\n"
        "\n"
        f"{invite_replaces}\n"
        "\n"
        f"{sessions_page}\n"
        f"{settings.SITE_URL}/events/sino-soviet-2031/sessions/{trade.pk}/\n"
        "\n"
        f"{gettext('Your speaker portal (your sessions, abstract and paper):')}\n"
        f"{settings.SITE_URL}/portal/\n"
        "\n"
        "Sino-Soviet Relations · Leibniz Institute\n"
    )
    html = message.alternatives[0][0]
    from_the_programmes_date_html = gettext("%(shift)s from the programme’s date") % {
        "shift": next_day()
    }
    assert (
        "<strong>Wednesday 2 July 2031, 0:45–1:30 Asia/Kathmandu</strong> "
        f"({from_the_programmes_date_html})"
    ) in html
    assert (
        "Tuesday 1 July 2031:<br>21:00 DE | 15:00 Norfolk, VA | 3:00 Shanghai/Hongkong "
        f"({next_day()})"
    ) in html
    assert f"<td>{speaker_and_chair()}</td>" in html

    ann = message_to("ann@example.org")
    assert f"{new_time_in('UTC')}\nTuesday 1 July 2031, 19:00–19:45 UTC\n" in ann.body
    assert f"{labelled('Your role', role_word('commentator'))}\n" in ann.body


def test_session_change_form_title_only_sends_nothing_and_keeps_sequence(
    admin_client, trade, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        move_in_session_form(admin_client, trade, title="A new title")

    trade.refresh_from_db()
    assert (trade.title, trade.sequence) == ("A new title", 3)
    assert OutgoingEmail.objects.count() == 0
    assert mail.outbox == []


def test_session_change_form_person_removed_with_the_move_is_not_mailed(
    admin_client, trade, django_capture_on_commit_callbacks
):
    data, _ = parse_form(admin_client.get(session_change_url(trade)), "session_form")
    ann_role = trade.roles.get(person__key="ann-lee")
    [prefix] = [
        name.removesuffix("-id")
        for name, value in data.items()
        if name.endswith("-id") and value == str(ann_role.pk)
    ]
    data.update({"start_1": "14:00", "end_1": "14:45", f"{prefix}-DELETE": "on"})

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(session_change_url(trade), data)

    assert response.status_code == 302, response.content.decode()
    assert not trade.roles.filter(person__key="ann-lee").exists()
    assert recipients() == [["Tao Chen <tao@example.org>"]]


# ---------------------------------------------------------------------------------------------
# The session inline of the event change form


def test_event_session_inline_new_time_mails_each_person_once_with_updated_invite(
    admin_client, trade, django_capture_on_commit_callbacks
):
    uid = trade.calendar_uid
    data, _ = get_event_form(admin_client, trade.event)
    assert (data["sessions-0-id"], data["sessions-0-start_1"]) == (str(trade.pk), "12:00:00")
    data.update({"sessions-0-start_1": "14:00", "sessions-0-end_1": "14:45"})

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(event_change_url(trade.event), data)

    assert response.status_code == 302, response.content.decode()
    trade.refresh_from_db()
    assert (trade.start, trade.sequence) == (dt.datetime(2031, 7, 1, 12, 0, tzinfo=UTC), 4)
    assert recipients() == [["Ann Lee <ann@example.org>"], ["Tao Chen <tao@example.org>"]]
    message = message_to("tao@example.org")
    assert (
        "Tuesday 1 July 2031, 17:45–18:30 Asia/Kathmandu\n\n"
        f"{in_the_programme('Tuesday 1 July 2031')}\n"
        "14:00 DE | 8:00 Norfolk, VA | 20:00 Shanghai/Hongkong\n"
        f"{pgettext('time', 'until')} 14:45 DE\n"
    ) in message.body
    part, calendar, vevent = invite_of(message)
    assert (part.get_param("method"), calendar["METHOD"]) == ("REQUEST", "REQUEST")
    assert (str(vevent["UID"]), vevent["SEQUENCE"]) == (uid, 4)
    assert vevent.decoded("DTSTART") == dt.datetime(2031, 7, 1, 12, 0, tzinfo=UTC)


def test_event_session_inline_title_only_sends_nothing_and_keeps_sequence(
    admin_client, trade, django_capture_on_commit_callbacks
):
    data, _ = get_event_form(admin_client, trade.event)
    data["sessions-0-title"] = "A new title"

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(event_change_url(trade.event), data)

    assert response.status_code == 302, response.content.decode()
    trade.refresh_from_db()
    assert (trade.title, trade.sequence) == ("A new title", 3)
    assert OutgoingEmail.objects.count() == 0
    assert mail.outbox == []


# ---------------------------------------------------------------------------------------------
# The service


def test_notify_session_people_second_change_before_sending_folds_into_one_email(
    trade, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        for hour in (12, 13):
            trade.start = dt.datetime(2031, 7, 1, hour, 0, tzinfo=UTC)
            trade.end = trade.start + dt.timedelta(minutes=45)
            note_session_change(trade, {"start", "end"})
            trade.save()
            assert notify_session_people(session=trade, changed_fields={"start", "end"}) == 2
    assert OutgoingEmail.objects.count() == 2

    for callback in callbacks:
        callback()

    assert recipients() == [["Ann Lee <ann@example.org>"], ["Tao Chen <tao@example.org>"]]
    assert "Tuesday 1 July 2031, 18:45–19:30 Asia/Kathmandu\n" in message_to("tao@example.org").body
    assert invite_of(message_to("tao@example.org"))[2]["SEQUENCE"] == 5


def test_notify_session_people_past_session_sends_nothing(trade):
    assert (
        notify_session_people(
            session=trade, changed_fields={"start"}, now=trade.end + dt.timedelta(minutes=1)
        )
        == 0
    )
    assert OutgoingEmail.objects.count() == 0


def test_notify_session_people_meeting_change_alone_sends_nothing(trade):
    assert notify_session_people(session=trade, changed_fields={"meeting_url", "title"}) == 0
    assert OutgoingEmail.objects.count() == 0


def test_session_change_email_escapes_markup_in_html(trade, django_capture_on_commit_callbacks):
    trade.title = XSS
    trade.save()
    trade.event.title = XSS
    trade.event.save()
    tao = Person.objects.get(key="tao-chen")
    tao.name = XSS
    tao.save()

    with django_capture_on_commit_callbacks(execute=True):
        notify_session_people(session=trade, changed_fields={"start"})

    message = message_to("tao@example.org")
    html = message.alternatives[0][0]
    assert XSS not in html
    assert "<img src=x" not in html
    assert escape(XSS) in html
    assert f"{labelled('Session', XSS)}\n" in message.body  # the text part is not HTML-escaped


def test_session_change_email_line_breaks_in_title_add_no_header(
    trade, django_capture_on_commit_callbacks
):
    trade.title = "Trade\r\nBcc: x@example.org"
    trade.save()

    with django_capture_on_commit_callbacks(execute=True):
        notify_session_people(session=trade, changed_fields={"end"})

    message = message_to("tao@example.org")
    assert message.subject == new_time_for("Trade Bcc: x@example.org")
    assert message.recipients() == ["Tao Chen <tao@example.org>"]
    assert "Bcc" not in message.message()


# ---------------------------------------------------------------------------------------------
# Re-importing the programme file


def programme(talk_start: str = "11:00", talk_end: str = "12:00") -> dict:
    return {
        "event": {
            "slug": "small-2031",
            "title": "A Small Workshop",
            "timezone": "Europe/Berlin",
            "display_timezones": [
                {"label": "DE", "zone": "Europe/Berlin"},
                {"label": "Melbourne", "zone": "Australia/Melbourne"},
            ],
        },
        "people": [
            {"key": "ann-lee", "name": "Ann Lee", "email": "ann@example.org"},
            {"key": "bo-chen", "name": "Bo Chen", "email": "bo@example.org"},
            {"key": "cy-wu", "name": "Cy Wu"},
        ],
        "days": [
            {
                "date": "2031-07-01",
                "items": [
                    {"start": "10:00", "end": "10:45", "title": "Opening", "speakers": ["cy-wu"]},
                    {
                        "start": talk_start,
                        "end": talk_end,
                        "title": "Talk",
                        "speakers": ["bo-chen", "cy-wu"],
                        "chairs": ["ann-lee", "bo-chen"],
                    },
                ],
            }
        ],
    }


def test_reimport_moved_session_notifies_its_people_once(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        import_programme(programme())
    talk = Session.objects.get(title="Talk")
    uid = talk.calendar_uid
    assert OutgoingEmail.objects.count() == 0

    with django_capture_on_commit_callbacks(execute=True):
        result = import_programme(programme(talk_start="11:30", talk_end="12:30"))

    assert (result.sessions_updated, result.sessions_unchanged) == (1, 1)
    talk.refresh_from_db()
    assert (talk.start, talk.sequence) == (dt.datetime(2031, 7, 1, 9, 30, tzinfo=UTC), 1)
    assert recipients() == [["Ann Lee <ann@example.org>"], ["Bo Chen <bo@example.org>"]]
    message = message_to("bo@example.org")
    assert f"{labelled('Your role', speaker_and_chair())}\n" in message.body
    assert "11:30 DE | 19:30 Melbourne\nuntil 12:30 DE\n" in message.body
    part, calendar, vevent = invite_of(message)
    assert (part.get_param("method"), calendar["METHOD"]) == ("REQUEST", "REQUEST")
    assert (str(vevent["UID"]), vevent["SEQUENCE"]) == (uid, 1)
    assert vevent.decoded("DTSTART") == dt.datetime(2031, 7, 1, 9, 30, tzinfo=UTC)


def test_reimport_identical_programme_sends_nothing(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        import_programme(programme())
        result = import_programme(programme())

    assert result.sessions_unchanged == 2
    assert OutgoingEmail.objects.count() == 0
    assert mail.outbox == []


def test_person_removed_before_delivery_gets_no_session_change_email(db):
    from mailing.delivery import deliver
    from mailing.models import OutgoingEmail
    from workshop.models import SessionRole

    session = SessionFactory(start=dt.datetime(2031, 7, 1, 10, tzinfo=dt.UTC))
    role = SessionRoleFactory(session=session, person__email="gone@example.org")
    assert notify_session_people(session=session, changed_fields={"start"}) == 1
    SessionRole.objects.filter(pk=role.pk).delete()
    [row] = emails_about([role.person])
    assert deliver(row.pk) == OutgoingEmail.State.FAILED
    row.refresh_from_db()
    assert row.last_error == "The person no longer has a role in this session."
