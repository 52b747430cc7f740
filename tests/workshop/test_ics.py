import datetime as dt
import zoneinfo

import icalendar
import pytest
from django.urls import reverse
from django.utils.translation import gettext, ngettext

from tests.conftest import EXAMPLES_DIR
from tests.factories import (
    DisplayZoneFactory,
    EventFactory,
    EventPersonFactory,
    PersonFactory,
    SectionFactory,
    SessionFactory,
    SessionRoleFactory,
)
from workshop.ics import build_calendar, calendar_bytes, meeting_for
from workshop.models import Person, Session, SessionRole
from workshop.selectors import get_event, get_programme, get_session_slot
from workshop.zones import format_day_shift

# The interface words of a calendar entry, from the catalogue (the tests run in English).
ONLINE = gettext("Online")
TALK = str(Session.Kind.TALK.label)
BREAK = str(Session.Kind.BREAK.label)


def speakers(people: str, count: int = 1) -> str:
    return ngettext("Speaker: %(people)s", "Speakers: %(people)s", count) % {"people": people}


def chairs(people: str, count: int = 1) -> str:
    return ngettext("Chair: %(people)s", "Chairs: %(people)s", count) % {"people": people}


def comment(people: str) -> str:
    return gettext("Comment: %(people)s") % {"people": people}


UTC = dt.UTC
BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")
STAMP = dt.datetime(2031, 6, 1, 8, 0, tzinfo=UTC)

# Everything private in `build_workshop`: none of it may appear in a public response.
SECRETS = [
    b"zoom.us",
    b"5550001111",
    b"555 000 1111",
    b"s3cret-pass",
    b"7770002222",
    b"777 000 2222",
    b"other-pass",
    b"@example.org",
]


def build_workshop(slug="trade-fair-2031"):
    """A small programme with every kind of private data: the event's meeting, a session
    with its own meeting, people with email addresses."""
    event = EventFactory(
        slug=slug,
        title="Trade, Fairs; and Plans",
        timezone="Europe/Berlin",
        location="Leipzig",
        online=True,
    )
    DisplayZoneFactory(event=event, position=0, label="DE", zone="Europe/Berlin")
    DisplayZoneFactory(event=event, position=1, label="Norfolk, VA", zone="America/New_York")
    DisplayZoneFactory(event=event, position=2, label="Shanghai/Hongkong", zone="Asia/Shanghai")
    section = SectionFactory(event=event, title="Trade: Modalities and Platforms")
    talk = SessionFactory(
        event=event,
        section=section,
        title="China and the Leipzig Trade Fair (1950–1965)",
        start=dt.datetime(2031, 7, 1, 12, 30, tzinfo=BERLIN),
        end=dt.datetime(2031, 7, 1, 13, 30, tzinfo=BERLIN),
    )
    pause = SessionFactory(
        event=event,
        section=section,
        kind=Session.Kind.BREAK,
        title="",
        start=dt.datetime(2031, 7, 1, 14, 30, tzinfo=BERLIN),
        end=dt.datetime(2031, 7, 1, 15, 30, tzinfo=BERLIN),
    )
    late = SessionFactory(
        event=event,
        title="Late Panel",
        start=dt.datetime(2031, 7, 1, 19, 0, tzinfo=BERLIN),
        end=dt.datetime(2031, 7, 1, 20, 0, tzinfo=BERLIN),
        meeting_url="https://zoom.us/j/7770002222",
        meeting_id="777 000 2222",
        meeting_passcode="other-pass",
    )
    people = {}
    for key, name, affiliation in [
        ("tao-chen", "Tao Chen", "Tongji University, Shanghai"),
        ("anna-belogurova", "Anna Belogurova", "Berlin"),
        ("max-trecker", "Max Trecker", "GWZO"),
    ]:
        people[key] = Person.objects.filter(key=key).first() or PersonFactory(key=key, name=name)
        EventPersonFactory(event=event, person=people[key], affiliation=affiliation)
    SessionRoleFactory(session=talk, person=people["tao-chen"], role=SessionRole.Role.SPEAKER)
    SessionRoleFactory(session=talk, person=people["anna-belogurova"], role="chair")
    SessionRoleFactory(session=talk, person=people["max-trecker"], role="commentator")
    SessionRoleFactory(session=late, person=people["tao-chen"], role=SessionRole.Role.SPEAKER)
    return event, talk, pause, late


def parse(content: bytes) -> icalendar.Calendar:
    return icalendar.Calendar.from_ical(content)


def programme_calendar(event, **kwargs):
    event = get_event(event.slug)
    return build_calendar(event, get_programme(event).slots, dtstamp=STAMP, **kwargs)


# --- the public feeds -------------------------------------------------------------------


@pytest.mark.django_db
def test_programme_ics_serves_an_inline_calendar(client):
    build_workshop()

    response = client.get("/events/trade-fair-2031/programme.ics")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert response["Content-Disposition"] == 'inline; filename="trade-fair-2031.ics"'
    calendar = parse(response.content)
    assert calendar["VERSION"] == "2.0"
    assert calendar["PRODID"] == "-//academic-events//Programme//EN"
    assert calendar["CALSCALE"] == "GREGORIAN"
    # NAME and X-WR-CALNAME are TEXT, so escaped (icalendar 7 reads them back raw).
    assert b"\r\nNAME:Trade\\, Fairs\\; and Plans\r\n" in response.content
    assert b"\r\nX-WR-CALNAME:Trade\\, Fairs\\; and Plans\r\n" in response.content
    assert "METHOD" not in calendar
    assert len(calendar.events) == 3


@pytest.mark.django_db
def test_programme_ics_url_is_reversible():
    assert reverse("workshop:programme_ics", kwargs={"slug": "x-1"}) == "/events/x-1/programme.ics"


@pytest.mark.django_db
def test_programme_ics_writes_each_session_as_a_utc_vevent(client):
    event, talk, pause, late = build_workshop()

    calendar = parse(client.get("/events/trade-fair-2031/programme.ics").content)

    by_uid = {str(vevent["UID"]): vevent for vevent in calendar.events}
    assert list(by_uid) == [talk.calendar_uid, pause.calendar_uid, late.calendar_uid]
    vevent = by_uid[talk.calendar_uid]
    assert vevent.start == dt.datetime(2031, 7, 1, 10, 30, tzinfo=UTC)
    assert vevent.end == dt.datetime(2031, 7, 1, 11, 30, tzinfo=UTC)
    assert vevent["DTSTART"].to_ical() == b"20310701T103000Z"
    assert vevent["DTEND"].to_ical() == b"20310701T113000Z"
    assert vevent["DTSTAMP"].to_ical().endswith(b"Z")
    assert vevent["SEQUENCE"] == 0
    assert str(vevent["SUMMARY"]) == "China and the Leipzig Trade Fair (1950–1965)"
    assert str(vevent["URL"]) == f"http://testserver/events/trade-fair-2031/sessions/{talk.pk}/"
    assert str(vevent["LOCATION"]) == ONLINE
    assert vevent.categories == [TALK]
    assert str(vevent["TRANSP"]) == "OPAQUE"
    assert str(vevent["STATUS"]) == "CONFIRMED"
    assert "CLASS" not in vevent
    assert "ORGANIZER" not in vevent
    assert "ATTENDEE" not in vevent
    assert str(vevent["DESCRIPTION"]) == (
        "Trade, Fairs; and Plans\n"
        "Trade: Modalities and Platforms\n"
        "\n"
        f"{speakers('Tao Chen (Tongji University, Shanghai)')}\n"
        f"{chairs('Anna Belogurova (Berlin)')}\n"
        f"{comment('Max Trecker (GWZO)')}\n"
        "\n"
        "1 July 2031: 12:30–13:30 DE | 6:30–7:30 Norfolk, VA | 18:30–19:30 Shanghai/Hongkong\n"
        "\n"
        f"http://testserver/events/trade-fair-2031/sessions/{talk.pk}/"
    )


@pytest.mark.django_db
def test_programme_ics_marks_breaks_transparent(client):
    event, talk, pause, late = build_workshop()

    calendar = parse(client.get("/events/trade-fair-2031/programme.ics").content)

    vevent = next(v for v in calendar.events if str(v["UID"]) == pause.calendar_uid)
    assert str(vevent["SUMMARY"]) == BREAK
    assert str(vevent["TRANSP"]) == "TRANSPARENT"
    assert vevent.categories == [BREAK]


@pytest.mark.django_db
def test_programme_ics_shows_next_day_in_far_zones(client):
    event, talk, pause, late = build_workshop()

    calendar = parse(client.get("/events/trade-fair-2031/programme.ics").content)

    vevent = next(v for v in calendar.events if str(v["UID"]) == late.calendar_uid)
    assert (
        "1 July 2031: 19:00–20:00 DE | 13:00–14:00 Norfolk, VA | "
        f"1:00–2:00 Shanghai/Hongkong ({format_day_shift(1)})"
    ) in str(vevent["DESCRIPTION"])


@pytest.mark.django_db
def test_session_ics_has_exactly_that_session(client):
    event, talk, pause, late = build_workshop()

    response = client.get(f"/events/trade-fair-2031/sessions/{talk.pk}.ics")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert (
        response["Content-Disposition"]
        == f'inline; filename="trade-fair-2031-session-{talk.pk}.ics"'
    )
    calendar = parse(response.content)
    assert [str(v["UID"]) for v in calendar.events] == [talk.calendar_uid]
    assert calendar.events[0].start == dt.datetime(2031, 7, 1, 10, 30, tzinfo=UTC)


@pytest.mark.django_db
def test_feeds_answer_404_for_unknown_or_foreign_sessions(client):
    event, talk, pause, late = build_workshop()
    other_event, other_talk, _, _ = build_workshop(slug="other-event")

    assert client.get("/events/no-such-event/programme.ics").status_code == 404
    assert client.get("/events/no-such-event/schedule.json").status_code == 404
    assert client.get(f"/events/no-such-event/sessions/{talk.pk}.ics").status_code == 404
    assert client.get("/events/trade-fair-2031/sessions/999999.ics").status_code == 404
    foreign = client.get(f"/events/trade-fair-2031/sessions/{other_talk.pk}.ics")
    assert foreign.status_code == 404


@pytest.mark.django_db
def test_feeds_refuse_post(client):
    build_workshop()

    assert client.post("/events/trade-fair-2031/programme.ics").status_code == 405


@pytest.mark.django_db
def test_programme_ics_runs_the_same_queries_for_one_or_many_sessions(
    client, django_assert_num_queries
):
    event = EventFactory(slug="tiny")
    session = SessionFactory(event=event)
    SessionRoleFactory(session=session)
    with django_assert_num_queries(9):
        client.get("/events/tiny/programme.ics")

    for _ in range(20):
        SessionRoleFactory(session=SessionFactory(event=event), role="chair")
    with django_assert_num_queries(9):
        response = client.get("/events/tiny/programme.ics")
    assert len(parse(response.content).events) == 21


# --- never leak the meeting or an address in public calendars -----------------------------


@pytest.mark.django_db
def test_public_responses_hold_no_meeting_details_or_emails(client):
    event, talk, pause, late = build_workshop()
    urls = [
        "/events/trade-fair-2031/programme.ics",
        "/events/trade-fair-2031/schedule.json",
        *(f"/events/trade-fair-2031/sessions/{s.pk}.ics" for s in (talk, pause, late)),
    ]

    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        content = response.content
        leaked = [secret for secret in SECRETS if secret in content]
        assert leaked == [], url


@pytest.mark.django_db
def test_build_calendar_private_carries_the_meeting():
    event, talk, pause, late = build_workshop()

    content = calendar_bytes(programme_calendar(event, private=True))

    assert [s for s in SECRETS if s in content] == [
        b"zoom.us",
        b"5550001111",
        b"555 000 1111",
        b"s3cret-pass",
        b"7770002222",
        b"777 000 2222",
        b"other-pass",
    ]
    vevents = {str(v["UID"]): v for v in parse(content).events}
    vevent = vevents[talk.calendar_uid]
    assert str(vevent["LOCATION"]) == "https://zoom.us/j/5550001111"
    assert str(vevent["CLASS"]) == "PRIVATE"
    assert (
        "\n\n"
        + gettext("Join: %(url)s") % {"url": "https://zoom.us/j/5550001111"}
        + "\n"
        + gettext("Meeting ID: %(id)s") % {"id": "555 000 1111"}
        + "\n"
        + gettext("Passcode: %(passcode)s") % {"passcode": "s3cret-pass"}
        + "\n\n"
    ) in str(vevent["DESCRIPTION"])
    assert str(vevents[late.calendar_uid]["LOCATION"]) == "https://zoom.us/j/7770002222"


@pytest.mark.django_db
def test_meeting_for_prefers_the_session_meeting():
    event, talk, pause, late = build_workshop()

    assert (meeting_for(late).url, meeting_for(late).id, meeting_for(late).passcode) == (
        "https://zoom.us/j/7770002222",
        "777 000 2222",
        "other-pass",
    )
    assert (meeting_for(talk).url, meeting_for(talk).id, meeting_for(talk).passcode) == (
        "https://zoom.us/j/5550001111",
        "555 000 1111",
        "s3cret-pass",
    )


@pytest.mark.django_db
def test_meeting_for_session_url_drops_the_event_id_and_passcode():
    session = SessionFactory(meeting_url="https://meet.example.net/room-7")

    meeting = meeting_for(session)

    assert (meeting.url, meeting.id, meeting.passcode) == (
        "https://meet.example.net/room-7",
        "",
        "",
    )


@pytest.mark.django_db
def test_meeting_for_session_passcode_overrides_the_event_passcode():
    session = SessionFactory(meeting_passcode="new-pass")

    meeting = meeting_for(session)

    assert (meeting.url, meeting.id, meeting.passcode) == (
        "https://zoom.us/j/5550001111",
        "555 000 1111",
        "new-pass",
    )


@pytest.mark.django_db
def test_build_calendar_refuses_addresses_in_a_public_calendar():
    event, talk, pause, late = build_workshop()

    with pytest.raises(ValueError, match="private calendars only"):
        programme_calendar(event, attendee="reader@example.org")
    with pytest.raises(ValueError, match="private calendars only"):
        programme_calendar(event, organizer_email="office@example.org")


# --- invitations (RFC 5546) --------------------------------------------------------------


@pytest.mark.django_db
def test_build_calendar_request_names_organizer_and_attendee():
    event, talk, pause, late = build_workshop()
    event = get_event(event.slug)

    calendar = build_calendar(
        event,
        [get_session_slot(event, talk.pk)],
        private=True,
        method="REQUEST",
        attendee="reader@example.org",
        attendee_name="Reader, Dear\r\nBcc: x@example.org",
        organizer_email="office@example.org",
        organizer_name="GWZO",
        dtstamp=STAMP,
    )

    content = calendar_bytes(calendar)
    assert not any(line.startswith(b"Bcc") for line in content.split(b"\r\n"))
    parsed = parse(content)
    assert parsed["METHOD"] == "REQUEST"
    vevent = parsed.events[0]
    assert str(vevent["ORGANIZER"]) == "mailto:office@example.org"
    assert vevent["ORGANIZER"].params["CN"] == "GWZO"
    attendee = vevent["ATTENDEE"]
    assert str(attendee) == "mailto:reader@example.org"
    assert dict(attendee.params) == {
        "CN": "Reader, Dear Bcc: x@example.org",
        "ROLE": "REQ-PARTICIPANT",
        "PARTSTAT": "NEEDS-ACTION",
        "RSVP": "FALSE",
    }
    assert vevent["DTSTAMP"].to_ical() == b"20310601T080000Z"


@pytest.mark.django_db
def test_build_calendar_request_needs_an_organizer():
    event, talk, pause, late = build_workshop()

    with pytest.raises(ValueError, match="ORGANIZER"):
        programme_calendar(event, private=True, method="REQUEST", attendee="a@example.org")


@pytest.mark.django_db
def test_build_calendar_refuses_unknown_methods():
    event, talk, pause, late = build_workshop()

    with pytest.raises(ValueError, match="Unsupported METHOD"):
        programme_calendar(event, method="publish")


@pytest.mark.django_db
def test_build_calendar_cancel_keeps_uid_with_higher_sequence():
    event, talk, pause, late = build_workshop()
    Session.objects.filter(pk=talk.pk).update(sequence=3)
    event = get_event(event.slug)

    calendar = build_calendar(
        event,
        [get_session_slot(event, talk.pk)],
        private=True,
        method="CANCEL",
        organizer_email="office@example.org",
        dtstamp=STAMP,
    )

    vevent = parse(calendar_bytes(calendar)).events[0]
    assert str(vevent["UID"]) == talk.calendar_uid
    assert vevent["SEQUENCE"] == 3
    assert str(vevent["STATUS"]) == "CANCELLED"


@pytest.mark.django_db
def test_build_calendar_refuses_naive_dtstamp():
    event, talk, pause, late = build_workshop()

    with pytest.raises(ValueError, match="aware"):
        build_calendar(event, [], dtstamp=dt.datetime(2031, 1, 1))  # noqa: DTZ001


@pytest.mark.django_db
def test_build_calendar_writes_dtstamp_in_utc():
    event, talk, pause, late = build_workshop()
    event = get_event(event.slug)

    calendar = build_calendar(
        event,
        get_programme(event).slots,
        dtstamp=dt.datetime(2031, 6, 1, 10, 0, tzinfo=BERLIN),
    )

    assert {v["DTSTAMP"].to_ical() for v in calendar.events} == {b"20310601T080000Z"}


# --- escaping ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_build_calendar_round_trips_awkward_titles():
    title = 'Trade, "Aid"; Plans\\Models\r\nBcc: x@example.org\rX-Evil: 1 — 貿易 ☭ שלום ' * 3
    event = EventFactory(slug="escapes", title="Comma, semicolon; newline\nend")
    session = SessionFactory(event=event, title=title)
    event = get_event("escapes")

    content = calendar_bytes(build_calendar(event, get_programme(event).slots, dtstamp=STAMP))

    lines = content.split(b"\r\n")
    assert not any(line.startswith((b"Bcc", b"X-Evil")) for line in lines)
    assert all(len(line) <= 75 for line in lines)
    assert content.count(b"BEGIN:VEVENT") == 1
    assert b"\r" not in content.replace(b"\r\n", b"")
    assert b"\r\nNAME:Comma\\, semicolon\\; newline end\r\n" in content
    assert b"\r\nX-WR-CALNAME:Comma\\, semicolon\\; newline end\r\n" in content
    calendar = parse(content)
    # iCalendar text has no carriage return: line breaks come back as LF, nothing else changes.
    expected = title.replace("\r\n", "\n").replace("\r", "\n")
    assert str(calendar.events[0]["SUMMARY"]) == expected
    assert str(calendar.events[0]["UID"]) == session.calendar_uid


# --- time zones --------------------------------------------------------------------------


@pytest.mark.django_db
def test_build_calendar_exports_kathmandu_quarter_hour_offset():
    kathmandu = zoneinfo.ZoneInfo("Asia/Kathmandu")
    event = EventFactory(slug="kathmandu", timezone="Asia/Kathmandu")
    SessionFactory(
        event=event,
        start=dt.datetime(2031, 7, 1, 9, 0, tzinfo=kathmandu),
        end=dt.datetime(2031, 7, 1, 10, 15, tzinfo=kathmandu),
    )
    event = get_event("kathmandu")

    vevent = programme_calendar(event).events[0]

    assert vevent["DTSTART"].to_ical() == b"20310701T031500Z"
    assert vevent["DTEND"].to_ical() == b"20310701T043000Z"
    assert "1 July 2031: 9:00–10:15 Asia/Kathmandu" in str(vevent["DESCRIPTION"])


@pytest.mark.django_db
def test_build_calendar_exports_st_johns_across_the_dst_change():
    st_johns = zoneinfo.ZoneInfo("America/St_Johns")
    event = EventFactory(slug="st-johns", timezone="America/St_Johns")
    before, across, after = (
        SessionFactory(event=event, start=start, end=end)
        for start, end in [
            # Newfoundland springs forward on 9 March 2031, 2:00 NST (−3:30) → 3:00 NDT (−2:30).
            (
                dt.datetime(2031, 3, 8, 12, 0, tzinfo=st_johns),
                dt.datetime(2031, 3, 8, 13, 0, tzinfo=st_johns),
            ),
            (
                dt.datetime(2031, 3, 9, 1, 0, tzinfo=st_johns),
                dt.datetime(2031, 3, 9, 4, 0, tzinfo=st_johns),
            ),
            (
                dt.datetime(2031, 3, 9, 12, 0, tzinfo=st_johns),
                dt.datetime(2031, 3, 9, 13, 0, tzinfo=st_johns),
            ),
        ]
    )
    event = get_event("st-johns")

    calendar = programme_calendar(event)

    times = {str(v["UID"]): (v["DTSTART"].to_ical(), v["DTEND"].to_ical()) for v in calendar.events}
    assert times == {
        before.calendar_uid: (b"20310308T153000Z", b"20310308T163000Z"),
        across.calendar_uid: (b"20310309T043000Z", b"20310309T063000Z"),
        after.calendar_uid: (b"20310309T143000Z", b"20310309T153000Z"),
    }


# --- the seed workshop -------------------------------------------------------------------

SEED_TIMES_UTC = [
    # 1 July 2021 (CEST, UTC+2): 12:00, 12:30, 13:30, 14:30 (break), 15:30 Berlin.
    ((2021, 7, 1, 10, 0), (2021, 7, 1, 10, 30)),
    ((2021, 7, 1, 10, 30), (2021, 7, 1, 11, 30)),
    ((2021, 7, 1, 11, 30), (2021, 7, 1, 12, 30)),
    ((2021, 7, 1, 12, 30), (2021, 7, 1, 13, 30)),
    ((2021, 7, 1, 13, 30), (2021, 7, 1, 14, 30)),
    # 2 July 2021: 9:30, 10:30, 11:30, 12:30 (break), 13:30, 14:30, 15:00 Berlin.
    ((2021, 7, 2, 7, 30), (2021, 7, 2, 8, 30)),
    ((2021, 7, 2, 8, 30), (2021, 7, 2, 9, 30)),
    ((2021, 7, 2, 9, 30), (2021, 7, 2, 10, 30)),
    ((2021, 7, 2, 10, 30), (2021, 7, 2, 11, 30)),
    ((2021, 7, 2, 11, 30), (2021, 7, 2, 12, 30)),
    ((2021, 7, 2, 12, 30), (2021, 7, 2, 13, 0)),
    ((2021, 7, 2, 13, 0), (2021, 7, 2, 13, 30)),
]


def utc(*args):
    return dt.datetime(*args, tzinfo=UTC)


def test_seed_programme_ics_has_every_session_at_its_utc_instant(client, sino_soviet):
    response = client.get("/events/sino-soviet-2021/programme.ics")

    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    calendar = parse(response.content)
    # 12 sessions: 10 with people or a title of their own, 2 breaks (kept, TRANSPARENT).
    assert len(calendar.events) == 12
    assert [(v.start, v.end) for v in calendar.events] == [
        (utc(*start), utc(*end)) for start, end in SEED_TIMES_UTC
    ]
    assert [str(v["TRANSP"]) for v in calendar.events].count("OPAQUE") == 10
    assert [str(v["SUMMARY"]) for v in calendar.events if str(v["TRANSP"]) == "TRANSPARENT"] == [
        "Late Lunch/Breakfast/Dinner break",
        "Lunch/Early Dinner/Wake-up Break",
    ]
    for vevent in calendar.events:
        assert vevent["DTSTAMP"].to_ical().endswith(b"Z")
        assert vevent["DTSTART"].to_ical().endswith(b"Z")
        assert vevent["SEQUENCE"] == 0
        assert str(vevent["LOCATION"]) == ONLINE


def test_seed_programme_ics_uids_are_unique_and_survive_reimport(client, sino_soviet):
    from workshop.importer import import_programme_file

    first = [
        str(v["UID"])
        for v in parse(client.get("/events/sino-soviet-2021/programme.ics").content).events
    ]
    import_programme_file(EXAMPLES_DIR / "sino-soviet-2021.yaml")
    second = [
        str(v["UID"])
        for v in parse(client.get("/events/sino-soviet-2021/programme.ics").content).events
    ]

    assert len(set(first)) == 12
    assert second == first
    assert first == [
        s.calendar_uid for s in Session.objects.filter(event=sino_soviet).order_by("start")
    ]


def test_seed_programme_ics_describes_people_by_role(client, sino_soviet):
    calendar = parse(client.get("/events/sino-soviet-2021/programme.ics").content)

    description = str(calendar.events[1]["DESCRIPTION"])
    assert (
        "Economic Dimensions of the Sino-Soviet Alliance and Split\n"
        "Trade: Modalities, Infrastructures and Platforms\n"
        "\n"
        f"{speakers('Huajie Jiang (Shanghai University)')}\n"
        f"{chairs('Péter Vámos (Research Centre for the Humanities, Budapest)')}\n"
        f"{comment('Uwe Müller (GWZO)')}\n"
        "\n"
        "1 July 2021: 12:30–13:30 DE | 6:30–7:30 Norfolk, VA | 18:30–19:30 Shanghai/Hongkong\n"
    ) in description
    description = str(calendar.events[9]["DESCRIPTION"])
    tao_and_jan = "Tao Chen (Tongji University, Shanghai), Jan Zofka (GWZO)"
    assert (
        speakers("Péter Vámos (Research Centre for the Humanities, Budapest)") + "\n" in description
    )
    assert chairs(tao_and_jan, 2) + "\n" in description
    assert comment("Elisabeth Kaske (Universität Leipzig)") + "\n" in description
    opening = str(calendar.events[0]["DESCRIPTION"])
    assert speakers(tao_and_jan, 2) + "\n" in opening


def test_seed_session_ics_has_one_vevent_with_its_uid(client, sino_soviet):
    session = Session.objects.filter(event=sino_soviet).order_by("start")[1]

    calendar = parse(client.get(f"/events/sino-soviet-2021/sessions/{session.pk}.ics").content)

    assert [str(v["UID"]) for v in calendar.events] == [session.calendar_uid]
    assert calendar.events[0].start == utc(2021, 7, 1, 10, 30)


def test_seed_public_feeds_hold_no_meeting_details(client, sino_soviet):
    secrets = [b"zoom.us", b"91234567890", b"912 3456 7890", b"LTF-1950x65"]
    urls = ["/events/sino-soviet-2021/programme.ics", "/events/sino-soviet-2021/schedule.json"]
    urls += [
        f"/events/sino-soviet-2021/sessions/{pk}.ics"
        for pk in sino_soviet.sessions.values_list("pk", flat=True)
    ]

    for url in urls:
        content = client.get(url).content
        assert [s for s in secrets if s in content] == [], url

    content = calendar_bytes(programme_calendar(sino_soviet, private=True))
    assert [s for s in secrets if s in content] == secrets
