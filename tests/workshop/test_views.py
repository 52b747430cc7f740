"""The public pages: event list, event with programme, session, person."""

import datetime as dt
import re
from html.parser import HTMLParser
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils.translation import gettext, ngettext, pgettext

from tests.factories import (
    DisplayZoneFactory,
    EventFactory,
    EventPersonFactory,
    PersonFactory,
    SectionFactory,
    SessionFactory,
    SessionRoleFactory,
)
from tests.workshop.pages import event_url, person_url, session_url, texts
from workshop.models import (
    Event,
    EventContact,
    EventPerson,
    EventType,
    Person,
    Section,
    Session,
    SessionRole,
    SubjectArea,
    TargetGroup,
)

UTC = dt.UTC
EVIL = '"><img src=x onerror=alert(1)><script>alert(2)</script>'


# --- helpers ---------------------------------------------------------------------------------

# Interface words around the content, taken from the catalogue (the tests run in English).
AND = pgettext("joins the last two names of a list", "and")
CHAIR = gettext("Chair:")
COMMENT = gettext("Comment:")
AFFILIATION = gettext("Affiliation at this event:")
ROLE = {role: str(role.label) for role in SessionRole.Role}
TALK = str(Session.Kind.TALK.label)
WORKSHOP = str(Event.Kind.WORKSHOP.label)
SEMINAR = str(Event.Kind.SEMINAR.label)
ONLINE = gettext("Online")
TIMES_TABLE_HEAD = " ".join(
    gettext(text) for text in ("Start and end in each time zone", "Zone", "Start", "End")
)


def day_shift(days: int) -> str:
    """``(+1 day)``, ``(−1 day)`` as the pages print it."""
    sign = "+" if days > 0 else "−"
    pattern = ngettext("%(sign)s%(count)s day", "%(sign)s%(count)s days", abs(days))
    return "(" + pattern % {"sign": sign, "count": abs(days)} + ")"


def your_time(when: str, yours: str) -> str:
    return gettext("%(when)s · your time: %(yours)s") % {"when": when, "yours": yours}


def until(end: str, yours: str) -> str:
    return gettext("until %(end)s · your time: %(yours)s") % {"end": end, "yours": yours}


def hosted_in(location: str) -> str:
    return gettext("hosted in %(location)s") % {"location": location}


def your_time_row(zone: str) -> str:
    return f"{gettext('Your time')} ({zone})"


def berlin(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=ZoneInfo("Europe/Berlin"))


def event_with_zones(zones: list[tuple[str, str]], **kwargs):
    event = EventFactory(**kwargs)
    for position, (label, zone) in enumerate(zones):
        DisplayZoneFactory(event=event, position=position, label=label, zone=zone)
    return event


# --- the seed workshop -----------------------------------------------------------------------

SEED_TIMES = [
    "12:00 DE | 6:00 Norfolk, VA | 18:00 Shanghai/Hongkong",
    "12:30 DE | 6:30 Norfolk, VA | 18:30 Shanghai/Hongkong",
    "13:30 DE | 7:30 Norfolk, VA | 19:30 Shanghai/Hongkong",
    "14:30 DE | 8:30 Norfolk, VA | 20:30 Shanghai/Hongkong",  # break
    "15:30 DE | 9:30 Norfolk, VA | 21:30 Shanghai/Hongkong",
    "9:30 DE | 3:30 Norfolk, VA | 15:30 Shanghai/Hongkong",
    "10:30 DE | 4:30 Norfolk, VA | 16:30 Shanghai/Hongkong",
    "11:30 DE | 5:30 Norfolk, VA | 17:30 Shanghai/Hongkong",
    "12:30 DE | 6:30 Norfolk, VA | 18:30 Shanghai/Hongkong",  # break
    "13:30 DE | 7:30 Norfolk, VA | 19:30 Shanghai/Hongkong",
    "14:30 DE | 8:30 Norfolk, VA | 20:30 Shanghai/Hongkong",
    "15:00 DE | 9:00 Norfolk, VA | 21:00 Shanghai/Hongkong",
]


def test_event_page_shows_every_seed_session_at_the_printed_times(client, sino_soviet):
    response = client.get(event_url(sino_soviet))

    assert response.status_code == 200
    assert texts(response, "programme-times") == SEED_TIMES
    assert texts(response, "programme-day-heading") == [
        "Thursday, 1 July 2021",
        "Friday, 2 July 2021",
    ]


def test_event_page_shows_seed_titles_speakers_chairs_and_commentators(client, sino_soviet):
    response = client.get(event_url(sino_soviet))

    titles = texts(response, "programme-title")
    assert len(titles) == 10
    assert titles[0] == (
        "Opening Socialist Globalization and the Economic Dimensions of the Sino-Soviet "
        "Alliance and Split"
    )
    assert titles[1] == (
        "Trade with Socialist Comrades? China and the Council for Mutual Economic Aid (1949–1959)"
    )
    speakers = texts(response, "programme-speakers")
    assert speakers[0] == f"Tao Chen (Tongji University, Shanghai) {AND} Jan Zofka (GWZO)"
    assert speakers[1] == "Huajie Jiang (Shanghai University)"
    assert speakers[3] == "Austin Jersild (Old Dominion University, Norfolk, VA)"
    assert speakers[4] == "Lin Chaochao (Fudan University, Shanghai)"
    assert texts(response, "programme-chairs")[:2] == [
        f"{CHAIR} Péter Vámos (Research Centre for the Humanities, Budapest)",
        f"{CHAIR} Anna Belogurova (Berlin)",
    ]
    assert f"{CHAIR} Tao Chen (Tongji University, Shanghai) {AND} Jan Zofka (GWZO)" in texts(
        response, "programme-chairs"
    )
    assert texts(response, "programme-commentators")[:2] == [
        f"{COMMENT} Uwe Müller (GWZO)",
        f"{COMMENT} Max Trecker (GWZO)",
    ]
    assert f"{COMMENT} Bernd Schäfer (Woodrow Wilson Center, Washington, DC)" in texts(
        response, "programme-commentators"
    )
    content = response.content.decode()
    tao = Person.objects.get(key="tao-chen")
    assert f'href="{person_url(tao)}"' in content
    vamos_talk = Session.objects.get(event=sino_soviet, title__startswith="»Our Chinese comrades")
    assert f'href="{session_url(vamos_talk)}"' in content


def test_event_page_shows_seed_sections_and_breaks(client, sino_soviet):
    response = client.get(event_url(sino_soviet))

    assert texts(response, "programme-section") == [
        "Trade: Modalities, Infrastructures and Platforms",
        "Transfers of Economic Development Models",
        "Transfers of Economic Development Models",
        "Technology Transfers: Technical Assistance and Industrial Cooperation",
        "Outlook and Conclusion",
    ]
    assert texts(response, "programme-break-title") == [
        "Late Lunch/Breakfast/Dinner break",
        "Lunch/Early Dinner/Wake-up Break",
    ]
    assert response.content.decode().count('class="programme-slot programme-break"') == 2


def test_event_page_shows_seed_announcement_facts(client, sino_soviet):
    response = client.get(event_url(sino_soviet))

    facts = texts(response, "event-facts")[0]
    where = gettext("Online event, hosted in %(location)s") % {"location": "Leipzig"}
    for label, value in [
        ("When", "1 July 2021, 12:00 – 2 July 2021, 15:30 (Europe/Berlin)"),
        ("Where", where),
        ("Organizer", "Leibniz Institute for the History and Culture of Eastern Europe (GWZO)"),
        ("Target groups", "Scientists and scholars, Students"),
        (
            "Subject areas",
            "Cultural sciences, Geosciences, History / archaeology, Politics, Social studies",
        ),
        ("Type of event", "Seminar / workshop / discussion"),
        ("Admission", pgettext("admission", "Free")),
        ("Language", gettext("English")),
    ]:
        assert f"{gettext(label)} {value}" in facts, label
    assert texts(response, "event-contacts") == [
        "Tao Chen · Concept and Coordination Jan Zofka · Concept and Coordination "
        "Ines Rößler · Knowledge Transfer and Networking "
        "Virginie Michaels · Press and public relations"
    ]
    assert texts(response, "lead") == [
        "Technology Transfers, Trade and Development Models in the Socialist World"
    ]
    content = response.content.decode()
    assert reverse("workshop:programme_ics", kwargs={"slug": sino_soviet.slug}) in content
    assert reverse("workshop:schedule_json", kwargs={"slug": sino_soviet.slug}) in content


def test_event_page_defaults_your_time_to_utc(client, sino_soviet):
    response = client.get(event_url(sino_soviet))

    content = response.content.decode()
    assert (
        '<time class="viewer-time" datetime="2021-07-01T10:00:00+00:00" '
        'data-event-date="2021-07-01">10:00 UTC</time>' in content
    )
    assert 'data-viewer-zone-explicit="false"' in content
    assert texts(response, "viewer-time")[:2] == ["10:00 UTC", "10:30 UTC"]
    assert "viewer_tz" not in response.cookies


def test_event_page_viewer_zone_from_query_is_shown_and_remembered(client, sino_soviet):
    response = client.get(event_url(sino_soviet), {"tz": "Asia/Shanghai"})

    assert texts(response, "viewer-time")[0] == "18:00 Asia/Shanghai"
    assert response.cookies["viewer_tz"].value == "Asia/Shanghai"
    assert response.cookies["viewer_tz"]["samesite"] == "Lax"
    assert "Cookie" in response["Vary"]
    assert 'data-viewer-zone-explicit="true"' in response.content.decode()
    assert (
        '<option value="Asia/Shanghai" selected>Asia/Shanghai</option>' in response.content.decode()
    )

    again = client.get(event_url(sino_soviet))

    assert texts(again, "viewer-time")[0] == "18:00 Asia/Shanghai"


def test_event_page_viewer_zone_with_odd_offset(client, sino_soviet):
    response = client.get(event_url(sino_soviet), {"tz": "Asia/Kathmandu"})

    assert texts(response, "viewer-time")[:2] == ["15:45 Asia/Kathmandu", "16:15 Asia/Kathmandu"]


def test_event_page_viewer_zone_can_be_a_legacy_name(client, sino_soviet):
    response = client.get(event_url(sino_soviet), {"tz": "Asia/Katmandu"})

    assert texts(response, "viewer-time")[0] == "15:45 Asia/Katmandu"
    assert (
        '<option value="Asia/Katmandu" selected>Asia/Katmandu</option>' in response.content.decode()
    )


def test_event_page_empty_zone_forgets_the_choice(client, sino_soviet):
    client.get(event_url(sino_soviet), {"tz": "Asia/Shanghai"})

    response = client.get(event_url(sino_soviet), {"tz": ""})

    assert texts(response, "viewer-time")[0] == "10:00 UTC"
    assert response.cookies["viewer_tz"]["max-age"] == 0
    assert 'data-viewer-zone-explicit="false"' in response.content.decode()


@pytest.mark.parametrize("bad", ["Mars/Olympus", "<script>alert(1)</script>", "x" * 500])
def test_event_page_invalid_zone_is_ignored_with_a_message(client, sino_soviet, bad):
    response = client.get(event_url(sino_soviet), {"tz": bad})

    assert response.status_code == 200
    assert texts(response, "viewer-time")[0] == "10:00 UTC"
    [message] = zone_alerts(response)
    assert message == gettext(
        "“%(zone)s” is not a time zone name we know (try e.g. Asia/Shanghai); "
        "your time is shown as before."
    ) % {"zone": bad[:64]}
    assert "<script>alert(1)" not in response.content.decode()
    assert "viewer_tz" not in response.cookies


def test_event_page_invalid_zone_keeps_the_remembered_one(client, sino_soviet):
    client.get(event_url(sino_soviet), {"tz": "Asia/Shanghai"})

    response = client.get(event_url(sino_soviet), {"tz": "Mars/Olympus"})

    assert texts(response, "viewer-time")[0] == "18:00 Asia/Shanghai"
    assert len(zone_alerts(response)) == 1


def test_event_page_ignores_an_invalid_cookie(client, sino_soviet):
    client.cookies["viewer_tz"] = "Mars/Olympus"

    response = client.get(event_url(sino_soviet))

    assert texts(response, "viewer-time")[0] == "10:00 UTC"
    assert zone_alerts(response) == []


def test_session_page_shows_seed_session_in_every_zone(client, sino_soviet):
    session = Session.objects.get(event=sino_soviet, title__startswith="»Our Chinese comrades")

    response = client.get(session_url(session), {"tz": "America/St_Johns"})

    assert response.status_code == 200
    assert texts(response, "session-date") == ["Friday, 2 July 2021, 13:30 Europe/Berlin"]
    assert texts(response, "session-times-table") == [
        f"{TIMES_TABLE_HEAD} DE 13:30 14:30 Norfolk, VA 7:30 8:30 "
        f"Shanghai/Hongkong 19:30 20:30 {your_time_row('America/St_Johns')} 9:00 10:00"
    ]
    assert texts(response, "session-kind") == [TALK]
    assert texts(response, "session-section") == [
        "Technology Transfers: Technical Assistance and Industrial Cooperation"
    ]
    speaker, chair, commentator = (ROLE[role] for role in SessionRole.Role)
    assert texts(response, "session-person") == [
        f"{speaker} Péter Vámos (Research Centre for the Humanities, Budapest)",
        f"{chair} Tao Chen (Tongji University, Shanghai)",
        f"{chair} Jan Zofka (GWZO)",
        f"{commentator} Elisabeth Kaske (Universität Leipzig)",
    ]
    ics = reverse("workshop:session_ics", kwargs={"slug": sino_soviet.slug, "pk": session.pk})
    assert f'href="{ics}"' in response.content.decode()


def test_session_page_renders_abstract_and_bio_markdown(client, hirata_seminar):
    session = Session.objects.get(event=hirata_seminar)

    response = client.get(session_url(session))

    content = response.content.decode()
    assert 'through the "156 Projects" — 25 collieries' in content
    assert "Author of <em>Making Mao's Steelworks:\nIndustrial Manchuria" in content
    assert texts(response, "session-person")[0].startswith(
        f"{ROLE[SessionRole.Role.SPEAKER]} Koji Hirata (Monash University) "
        "Senior Research Fellow in History"
    )


def test_person_page_keeps_each_events_affiliation(client, sino_soviet, hirata_seminar):
    koji = Person.objects.get(key="koji-hirata")

    response = client.get(person_url(koji))

    assert response.status_code == 200
    events = texts(response, "person-event")
    assert len(events) == 2
    assert events[0].startswith(
        "The Soviet Union’s Today is Our Tomorrow: The USSR and China’s Developmental Vision, "
        f"1952–57 {AFFILIATION} Monash University {ROLE[SessionRole.Role.SPEAKER]}"
    )
    assert your_time("Thursday, 11 March 2027, 17:00 Australia/Melbourne", "6:00 UTC") in events[0]
    assert events[1] == (
        "Economic Dimensions of the Sino-Soviet Alliance and Split "
        f"{AFFILIATION} Cambridge University "
        f"{ROLE[SessionRole.Role.COMMENTATOR]} High hopes and low expectations. Introducing "
        "technology in the PRC in the years of the Sino-Soviet Alliance · Technology Transfers: "
        "Technical Assistance and Industrial Cooperation "
        + your_time("Friday, 2 July 2021, 11:30 Europe/Berlin", "9:30 UTC")
    )


def test_person_page_lists_contact_roles(client, sino_soviet):
    tao = Person.objects.get(key="tao-chen")

    response = client.get(person_url(tao), {"tz": "Asia/Shanghai"})

    assert texts(response, "person-contacts") == [
        f"{gettext('Contact for')} Economic Dimensions of the Sino-Soviet Alliance and Split · "
        "Concept and Coordination"
    ]
    chair, speaker = ROLE[SessionRole.Role.CHAIR], ROLE[SessionRole.Role.SPEAKER]
    assert texts(response, "person-role") == [
        f"{chair} »Our Chinese comrades are determined to split and struggle.« The influence of "
        "the Sino-Soviet split on technological cooperation: the case of Hungarian railway "
        "experts in China · Technology Transfers: Technical Assistance and Industrial "
        "Cooperation "
        + your_time("Friday, 2 July 2021, 13:30 Europe/Berlin", "19:30 Asia/Shanghai"),
        f"{speaker} China and the Leipzig Trade Fair (1950–1965) · Trade: Modalities, "
        "Infrastructures and Platforms "
        + your_time("Thursday, 1 July 2021, 13:30 Europe/Berlin", "19:30 Asia/Shanghai"),
        f"{speaker} Socialist Globalization and the Economic Dimensions of the Sino-Soviet "
        "Alliance and Split "
        + your_time("Thursday, 1 July 2021, 12:00 Europe/Berlin", "18:00 Asia/Shanghai"),
    ]


def test_event_list_shows_seed_events_upcoming_then_past(client, sino_soviet, hirata_seminar):
    response = client.get(reverse("workshop:event_list"))

    assert response.status_code == 200
    cards = texts(response, "event-card")
    assert cards == [
        f"{SEMINAR} The Soviet Union’s Today is Our Tomorrow: The USSR and China’s Developmental "
        f"Vision, 1952–57 Thursday, 11 March 2027, 17:00–18:30 (Australia/Melbourne) {ONLINE}",
        f"{WORKSHOP} Economic Dimensions of the Sino-Soviet Alliance and Split Technology "
        "Transfers, Trade and Development Models in the Socialist World 1 July 2021, 12:00 – "
        f"2 July 2021, 15:30 (Europe/Berlin) {ONLINE} {hosted_in('Leipzig')}",
    ]


# --- time zones: DST and odd offsets ---------------------------------------------------------


def test_event_page_follows_each_zones_own_dst_rules(client, db):
    # The US went to summer time on 9 March 2031, Europe on 30 March 2031.
    event = event_with_zones(
        [("Berlin", "Europe/Berlin"), ("New York", "America/New_York")], timezone="Europe/Berlin"
    )
    for day in (6, 17, 31):
        SessionFactory(event=event, start=berlin(2031, 3, day, 18), end=berlin(2031, 3, day, 19))

    response = client.get(event_url(event), {"tz": "UTC"})

    assert texts(response, "programme-day-heading") == [
        "Thursday, 6 March 2031",
        "Monday, 17 March 2031",
        "Monday, 31 March 2031",
    ]
    assert texts(response, "programme-times") == [
        "18:00 Berlin | 12:00 New York",
        "18:00 Berlin | 13:00 New York",
        "18:00 Berlin | 12:00 New York",
    ]
    assert texts(response, "viewer-time") == ["17:00 UTC", "17:00 UTC", "16:00 UTC"]
    assert texts(response, "programme-times-more") == [
        until("19:00 Berlin", "17:00 UTC"),
        until("19:00 Berlin", "17:00 UTC"),
        until("19:00 Berlin", "16:00 UTC"),
    ]


def test_event_page_shows_odd_offsets_and_day_shifts(client, db):
    event = event_with_zones(
        [
            ("Berlin", "Europe/Berlin"),
            ("Kathmandu", "Asia/Kathmandu"),
            ("Adelaide", "Australia/Adelaide"),
            ("St John's", "America/St_Johns"),
        ],
        timezone="Europe/Berlin",
    )
    SessionFactory(event=event, start=berlin(2031, 1, 15, 9), end=berlin(2031, 1, 15, 10))
    SessionFactory(event=event, start=berlin(2031, 7, 1, 22), end=berlin(2031, 7, 1, 23))

    response = client.get(event_url(event), {"tz": "Asia/Kathmandu"})

    next_day = day_shift(+1)
    assert texts(response, "programme-times") == [
        "9:00 Berlin | 13:45 Kathmandu | 18:30 Adelaide | 4:30 St John's",
        f"22:00 Berlin | 1:45 Kathmandu {next_day} | 5:30 Adelaide {next_day} | 17:30 St John's",
    ]
    assert texts(response, "viewer-time") == [
        "13:45 Asia/Kathmandu",
        f"1:45 Asia/Kathmandu {next_day}",
    ]
    assert (
        '<time datetime="2031-07-02T05:30:00+09:30">5:30 Adelaide '
        f'<span class="day-shift">{next_day}</span></time>' in response.content.decode()
    )


def test_event_page_shows_a_negative_day_shift(client, db):
    event = event_with_zones(
        [("Berlin", "Europe/Berlin"), ("St John's", "America/St_Johns")], timezone="Europe/Berlin"
    )
    SessionFactory(event=event, start=berlin(2031, 1, 15, 3), end=berlin(2031, 1, 15, 4))

    response = client.get(event_url(event), {"tz": "America/Los_Angeles"})

    assert texts(response, "programme-times") == [f"3:00 Berlin | 22:30 St John's {day_shift(-1)}"]
    assert texts(response, "viewer-time") == [f"18:00 America/Los_Angeles {day_shift(-1)}"]


def test_event_page_without_display_zones_uses_the_event_zone(client, db):
    event = EventFactory(timezone="Asia/Kathmandu")
    SessionFactory(
        event=event,
        start=dt.datetime(2031, 7, 1, 4, 15, tzinfo=UTC),
        end=dt.datetime(2031, 7, 1, 5, 15, tzinfo=UTC),
    )

    response = client.get(event_url(event))

    assert texts(response, "programme-times") == ["10:00 Asia/Kathmandu"]


def test_session_page_shows_times_across_midnight(client, db):
    event = event_with_zones(
        [("Berlin", "Europe/Berlin"), ("Adelaide", "Australia/Adelaide")], timezone="Europe/Berlin"
    )
    session = SessionFactory(
        event=event, start=berlin(2031, 7, 1, 15, 30), end=berlin(2031, 7, 1, 16, 45)
    )

    response = client.get(session_url(session), {"tz": "Asia/Kathmandu"})

    assert texts(response, "session-times-table") == [
        f"{TIMES_TABLE_HEAD} Berlin 15:30 16:45 "
        f"Adelaide 23:00 0:15 {day_shift(+1)} {your_time_row('Asia/Kathmandu')} 19:15 20:30"
    ]


# --- event list ------------------------------------------------------------------------------


def test_event_list_orders_upcoming_soonest_first_then_past_latest_first(client, db):
    def event_on(title, start):
        event = EventFactory(title=title, timezone="Europe/Berlin", location="Leipzig")
        SessionFactory(event=event, start=start, end=start + dt.timedelta(hours=1))

    event_on("Past older", dt.datetime(2019, 5, 1, 10, tzinfo=UTC))
    event_on("Upcoming later", dt.datetime(2032, 5, 1, 10, tzinfo=UTC))
    event_on("Past newer", dt.datetime(2020, 5, 1, 10, tzinfo=UTC))
    event_on("Upcoming sooner", dt.datetime(2031, 7, 1, 10, tzinfo=UTC))
    EventFactory(title="No sessions yet", online=False, location="")

    response = client.get(reverse("workshop:event_list"))

    cards = texts(response, "event-card")
    online = f"{ONLINE} {hosted_in('Leipzig')}"
    assert cards == [
        f"{WORKSHOP} Upcoming sooner Tuesday, 1 July 2031, 12:00–13:00 (Europe/Berlin) {online}",
        f"{WORKSHOP} Upcoming later Saturday, 1 May 2032, 12:00–13:00 (Europe/Berlin) {online}",
        f"{WORKSHOP} No sessions yet {gettext('Dates to be announced')}",
        f"{WORKSHOP} Past newer Friday, 1 May 2020, 12:00–13:00 (Europe/Berlin) {online}",
        f"{WORKSHOP} Past older Wednesday, 1 May 2019, 12:00–13:00 (Europe/Berlin) {online}",
    ]


def test_event_list_with_no_events_says_so(client, db):
    response = client.get(reverse("workshop:event_list"))

    assert response.status_code == 200
    assert texts(response, "event-card") == []
    assert gettext("No upcoming events at the moment.") in response.content.decode()


# --- privacy and escaping --------------------------------------------------------------------


@pytest.fixture
def private_programme(db):
    event = event_with_zones([("DE", "Europe/Berlin")])
    session = SessionFactory(
        event=event,
        meeting_url="https://zoom.us/j/5550002222",
        meeting_id="555 000 2222",
        meeting_passcode="override-pass",
    )
    person = PersonFactory(email="secret.person@example.org", bio="Bio.")
    EventPersonFactory(event=event, person=person)
    SessionRoleFactory(session=session, person=person)
    EventContact.objects.create(event=event, person=person, role="Coordination")
    return event, session, person


def test_pages_never_show_meeting_details_or_emails(client, private_programme):
    event, session, person = private_programme

    for url in [
        reverse("workshop:event_list"),
        event_url(event),
        session_url(session),
        person_url(person),
    ]:
        content = client.get(url).content.decode()
        for secret in [
            "zoom.us",
            "5550001111",
            "555 000 1111",
            "s3cret-pass",
            "5550002222",
            "555 000 2222",
            "override-pass",
            "secret.person@example.org",
            "mailto:",
        ]:
            assert secret not in content, (url, secret)


@pytest.fixture
def evil_programme(db):
    event = event_with_zones(
        [(EVIL[:60], "Europe/Berlin")],
        title=EVIL,
        subtitle=EVIL,
        description=f"Intro {EVIL} [x](javascript:alert(3))",
        location=EVIL,
        organizer=EVIL,
    )
    event.target_groups.add(TargetGroup.objects.create(name=EVIL))
    section = SectionFactory(event=event, title=EVIL)
    session = SessionFactory(event=event, section=section, title=EVIL, abstract=f"**Hi** {EVIL}")
    person = PersonFactory(name=EVIL, bio=f"*Bio* {EVIL}")
    EventPersonFactory(event=event, person=person, affiliation=EVIL)
    SessionRoleFactory(session=session, person=person)
    EventContact.objects.create(event=event, person=person, role=EVIL)
    return event, session, person


class _MessageAlerts(HTMLParser):
    """The text of each page message (``.alert[role=alert]``); the registration box's own
    alerts about its window carry ``data-window`` and are not messages."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.alerts: list[list[str]] = []
        self.depth = 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if self.depth:
            self.depth += 1
        elif (
            "alert" in (attrs.get("class") or "").split()
            and attrs.get("role") == "alert"
            and "data-window" not in attrs
        ):
            self.depth = 1
            self.alerts.append([])

    def handle_endtag(self, tag):
        if self.depth:
            self.depth -= 1

    def handle_data(self, data):
        if self.depth:
            self.alerts[-1].append(data)


def zone_alerts(response) -> list[str]:
    """Alerts about the viewer's zone (the registration box has alerts of its own)."""
    parser = _MessageAlerts()
    parser.feed(response.content.decode())
    return [" ".join("".join(parts).split()) for parts in parser.alerts]


class _TagCollector(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: set[str] = set()
        self.handlers: set[str] = set()

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        self.handlers.update(name for name, _ in attrs if name.startswith("on"))


def test_pages_escape_and_sanitize_user_text(client, evil_programme):
    event, session, person = evil_programme

    for url in [
        reverse("workshop:event_list"),
        event_url(event),
        session_url(session),
        person_url(person),
    ]:
        response = client.get(url)
        content = response.content.decode()
        assert response.status_code == 200
        collector = _TagCollector()
        collector.feed(content)
        assert "img" not in collector.tags, url
        assert collector.handlers == set(), url
        assert "<script>" not in content, url
        assert "alert(2)" not in content.replace("&lt;script&gt;alert(2)", ""), url
        assert "javascript:" not in content, url
        assert "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;" in content, url


def test_markdown_is_rendered_and_sanitized(client, db):
    event = EventFactory(
        description="**Bold** and [a link](https://example.org/x).\n\n- one\n- two\n\n"
        '<iframe src="https://evil.example"></iframe><a href="#" onclick="x()">c</a>'
    )

    content = client.get(event_url(event)).content.decode()

    assert "<strong>Bold</strong>" in content
    assert (
        '<a href="https://example.org/x" rel="nofollow noopener noreferrer">a link</a>' in content
    )
    assert "<li>one</li>" in content
    assert "<iframe" not in content
    assert "onclick" not in content


def test_pages_load_localtime_js_without_inline_scripts(client, private_programme):
    event, session, person = private_programme

    for url in [event_url(event), session_url(session), person_url(person)]:
        content = client.get(url).content.decode()
        scripts = re.findall(r"<script\b[^>]*>", content)
        assert '<script src="/static/js/localtime.js" defer>' in scripts, url
        assert all("src=" in tag for tag in scripts), url
        assert re.search(r"<[a-z]+\b[^>]*\son[a-z]+\s*=", content) is None, url


# --- 404 -------------------------------------------------------------------------------------


def test_pages_404_for_unknown_objects(client, db):
    event = EventFactory()
    other = EventFactory()
    foreign_session = SessionFactory(event=other)

    urls = [
        reverse("workshop:event_detail", kwargs={"slug": "no-such-event"}),
        reverse("workshop:session_detail", kwargs={"slug": "no-such-event", "pk": 1}),
        reverse("workshop:session_detail", kwargs={"slug": event.slug, "pk": 999999}),
        reverse("workshop:session_detail", kwargs={"slug": event.slug, "pk": foreign_session.pk}),
        reverse("workshop:person_detail", kwargs={"key": "no-such-person"}),
    ]

    assert [client.get(url).status_code for url in urls] == [404] * 5


# --- bounded queries -------------------------------------------------------------------------


def build_programme(*, sessions: int, people: int, slug: str):
    """An event with ``sessions`` sessions (three roles each) over ``people`` people, built in
    a handful of queries."""
    event = event_with_zones(
        [("DE", "Europe/Berlin"), ("NY", "America/New_York"), ("SH", "Asia/Shanghai")], slug=slug
    )
    event.target_groups.add(TargetGroup.objects.create(name=f"Scholars {slug}"))
    event.subject_areas.add(SubjectArea.objects.create(name=f"History {slug}"))
    event.event_types.add(EventType.objects.create(name=f"Workshop {slug}"))
    sections = Section.objects.bulk_create(
        Section(event=event, title=f"Section {n}", position=n)
        for n in range(max(1, sessions // 10))
    )
    persons = Person.objects.bulk_create(
        Person(key=f"{slug}-p{n}", name=f"Person {n}", bio=f"Bio *{n}*", email=f"p{n}@example.org")
        for n in range(people)
    )
    EventPerson.objects.bulk_create(
        EventPerson(event=event, person=p, affiliation=f"University {n}")
        for n, p in enumerate(persons)
    )
    EventContact.objects.bulk_create(
        EventContact(event=event, person=p, role="Coordination", position=n)
        for n, p in enumerate(persons[:3])
    )
    start = dt.datetime(2031, 7, 1, 6, tzinfo=UTC)
    created = Session.objects.bulk_create(
        Session(
            event=event,
            section=sections[n // 10 % len(sections)],
            kind=Session.Kind.BREAK if n % 7 == 6 else Session.Kind.TALK,
            title=f"Talk {n}",
            abstract=f"Abstract *{n}*",
            start=start + dt.timedelta(hours=n),
            end=start + dt.timedelta(hours=n, minutes=45),
        )
        for n in range(sessions)
    )
    SessionRole.objects.bulk_create(
        SessionRole(session=s, person=persons[(n + offset) % people], role=role, position=0)
        for n, s in enumerate(created)
        for offset, role in enumerate(SessionRole.Role.values)
    )
    return event, created, persons


def count_queries(client, url, assert_max, limit):
    with assert_max(limit) as captured:
        response = client.get(url, {"tz": "Asia/Kathmandu"})
    assert response.status_code == 200
    return len(captured)


@pytest.mark.parametrize(
    ("page", "limit"),
    [("event", 9), ("session", 9), ("person", 4), ("list", 1)],
)
def test_pages_run_a_fixed_number_of_queries(
    client, db, django_assert_max_num_queries, page, limit
):
    small = build_programme(sessions=1, people=3, slug="small")
    big = build_programme(sessions=200, people=300, slug="big")
    for n in range(30):
        extra = EventFactory(slug=f"extra-{n}")
        SessionFactory(event=extra)

    def url_for(programme):
        event, sessions, persons = programme
        if page == "event":
            return event_url(event)
        if page == "session":
            return session_url(sessions[0])
        if page == "person":
            return person_url(persons[0])
        return reverse("workshop:event_list")

    counts = [
        count_queries(client, url_for(programme), django_assert_max_num_queries, limit)
        for programme in (small, big)
    ]

    assert counts == [limit, limit]


def test_big_programme_renders_every_session(client, db):
    event, sessions, persons = build_programme(sessions=200, people=300, slug="big")

    response = client.get(event_url(event))

    assert len(texts(response, "programme-times")) == 200
    assert len(texts(response, "programme-break-title")) == 28
    assert len(persons) == 300
