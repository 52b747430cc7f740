"""The signed-in portal's "My slots" page and the personal calendar feed.

Who sees what: a person sees their own sessions with their roles, the time in their own zone
and in the event's zones, the other people of each session with their addresses, and the
meeting (no meeting for others, a private feed, escaped input)."""

import datetime as dt
import re
from zoneinfo import ZoneInfo

import icalendar
import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import User
from django.urls import reverse
from django.utils import timezone
from django.utils.html import strip_tags
from django.utils.translation import gettext, ngettext, pgettext

from portal.models import Paper
from portal.selectors import my_slots
from tests.factories import (
    DisplayZoneFactory,
    EventFactory,
    EventPersonFactory,
    PersonFactory,
    SectionFactory,
    SessionFactory,
    SessionRoleFactory,
)
from tests.workshop.pages import texts
from workshop.models import Person, SessionRole

SLOTS_URL = "/portal/"
EVIL = '"><img src=x onerror=alert(1)><script>alert(2)</script>'
EMAIL = re.compile(r"[\w.+-]+@example\.org")
SEED_MEETING = ["https://zoom.us/j/91234567890", "912 3456 7890", "LTF-1950x65"]

OPENING = (
    "Socialist Globalization and the Economic Dimensions of the Sino-Soviet Alliance and Split"
)
TRADE_FAIR = "China and the Leipzig Trade Fair (1950–1965)"
VAMOS_TALK = (
    "»Our Chinese comrades are determined to split and struggle.« The influence of the "
    "Sino-Soviet split on technological cooperation: the case of Hungarian railway experts "
    "in China"
)
ZANIER_TALK = (
    "High hopes and low expectations. Introducing technology in the PRC in the years of the "
    "Sino-Soviet Alliance"
)
HIRATA_TALK = (
    "The Soviet Union’s Today is Our Tomorrow: The USSR and China’s Developmental Vision, 1952–57"
)


def sign_in(client, person: Person, *, zone: str = "") -> User:
    person.user = User.objects.create_user(username=person.key, email=person.email)
    person.timezone = zone
    person.save()
    client.force_login(person.user)
    return person.user


def seed_person(key: str) -> Person:
    return Person.objects.get(key=key)


def with_seed_emails() -> None:
    for person in Person.objects.all():
        person.email = f"{person.key}@example.org"
        person.save(update_fields=["email"])


def slot_texts(response) -> list[str]:
    return texts(response, "portal-slot")


SPEAKER, CHAIR, COMMENTATOR = (
    SessionRole.Role.SPEAKER,
    SessionRole.Role.CHAIR,
    SessionRole.Role.COMMENTATOR,
)


def my_roles(*roles, affiliation: str = "") -> str:
    """A slot's roles line: "Your role: Speaker as Monash University"."""
    words = [ngettext("Your role:", "Your roles:", len(roles))]
    words += [str(role.label) for role in roles]
    if affiliation:
        words += [pgettext("representing an affiliation", "as"), affiliation]
    return " ".join(words)


def person_line(role, name_and_affiliation: str) -> str:
    """One of the other people of a session: "Chair Jan Zofka (GWZO)"."""
    return f"{role.label} {name_and_affiliation}"


# --- who may see the portal ------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "/portal/",
        "/portal/profile/",
        "/portal/sessions/1/abstract/",
        "/portal/sessions/1/paper/download/",
    ],
)
def test_portal_pages_redirect_anonymous_visitors_to_sign_in(client, db, url):
    response = client.get(url)

    assert response.status_code == 302
    assert response["Location"] == f"/portal/sign-in/?next={url}"


def test_portal_upload_redirects_anonymous_visitors_to_sign_in(client, db):
    response = client.post("/portal/sessions/1/paper/")

    assert response.status_code == 302
    assert response["Location"] == "/portal/sign-in/?next=/portal/sessions/1/paper/"


@pytest.mark.parametrize(
    "url", ["/portal/", "/portal/profile/", "/portal/sessions/1/paper/download/"]
)
def test_portal_pages_refuse_a_user_without_a_person_with_a_clear_403(client, sino_soviet, url):
    client.force_login(User.objects.create_user(username="registrant", email="r@example.org"))

    response = client.get(url)

    assert response.status_code == 403
    not_linked = gettext(
        "You are signed in as <strong>%(email)s</strong>, but this account is not linked to a "
        "speaker, chair or commentator of any programme."
    )
    assert texts(response, "lead") == [strip_tags(not_linked % {"email": "r@example.org"})]
    assert b"zoom.us" not in response.content


def test_slots_page_is_never_cached(client, sino_soviet):
    sign_in(client, seed_person("tao-chen"))

    response = client.get(SLOTS_URL)

    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    assert "private" in response["Cache-Control"]


# --- the seed workshop -----------------------------------------------------------------------


def test_slots_seed_tao_chen_sees_his_three_slots_with_his_roles(client, sino_soviet):
    sign_in(client, seed_person("tao-chen"))

    response = client.get(SLOTS_URL)

    assert response.status_code == 200
    # All in 2021: past, latest first.
    assert texts(response, "portal-title") == [VAMOS_TALK, TRADE_FAIR, OPENING]
    tongji = "Tongji University, Shanghai"
    assert texts(response, "portal-my-roles") == [
        my_roles(CHAIR, affiliation=tongji),
        my_roles(SPEAKER, affiliation=tongji),
        my_roles(SPEAKER, affiliation=tongji),
    ]
    vamos, trade_fair, opening = slot_texts(response)
    assert texts(response, "portal-people") == [
        " ".join(
            [
                person_line(SPEAKER, "Péter Vámos (Research Centre for the Humanities, Budapest)"),
                person_line(CHAIR, "Jan Zofka (GWZO)"),
                person_line(COMMENTATOR, "Elisabeth Kaske (Universität Leipzig)"),
            ]
        ),
        " ".join(
            [
                person_line(CHAIR, "Anna Belogurova (Berlin)"),
                person_line(COMMENTATOR, "Max Trecker (GWZO)"),
            ]
        ),
        person_line(SPEAKER, "Jan Zofka (GWZO)"),
    ]
    assert texts(response, "portal-section") == [
        "Technology Transfers: Technical Assistance and Industrial Cooperation",
        "Trade: Modalities, Infrastructures and Platforms",
    ]
    assert "Opening" in opening


def test_slots_selector_seed_tao_chen_roles(sino_soviet):
    mine = my_slots(seed_person("tao-chen"), now=dt.datetime(2026, 11, 25, tzinfo=dt.UTC))

    assert mine.upcoming == []
    assert [(s.session.title, s.my_roles) for s in mine.past] == [
        (VAMOS_TALK, ["chair"]),
        (TRADE_FAIR, ["speaker"]),
        (OPENING, ["speaker"]),
    ]
    assert [h.name for h in mine.past[0].slot.chairs] == ["Tao Chen", "Jan Zofka"]


def test_slots_seed_koji_hirata_upcoming_first_with_each_events_affiliation(
    sino_soviet, hirata_seminar
):
    mine = my_slots(seed_person("koji-hirata"), now=dt.datetime(2026, 11, 25, tzinfo=dt.UTC))

    assert [(s.session.title, s.my_roles, s.my_affiliation) for s in mine.all] == [
        (HIRATA_TALK, ["speaker"], "Monash University"),
        (ZANIER_TALK, ["commentator"], "Cambridge University"),
    ]
    assert [s.upcoming for s in mine.all] == [True, False]


def test_slots_page_seed_koji_hirata_shows_both_events_affiliations(
    client, sino_soviet, hirata_seminar
):
    sign_in(client, seed_person("koji-hirata"))

    response = client.get(SLOTS_URL)

    assert response.status_code == 200
    by_title = dict(
        zip(texts(response, "portal-title"), texts(response, "portal-my-roles"), strict=True)
    )
    assert by_title == {
        HIRATA_TALK: my_roles(SPEAKER, affiliation="Monash University"),
        ZANIER_TALK: my_roles(COMMENTATOR, affiliation="Cambridge University"),
    }


def test_slots_page_lists_upcoming_soonest_first_then_past_latest_first(client, db):
    now = timezone.now()
    me = PersonFactory()
    event = EventFactory()
    titles = {
        "Long ago": -30,
        "Yesterday": -1,
        "Tomorrow": 1,
        "Next month": 30,
    }
    for title, days in titles.items():
        session = SessionFactory(
            event=event,
            title=title,
            start=now + dt.timedelta(days=days),
            end=now + dt.timedelta(days=days, hours=1),
        )
        SessionRoleFactory(session=session, person=me)
    under_way = SessionFactory(
        event=event,
        title="Under way",
        start=now - dt.timedelta(minutes=30),
        end=now + dt.timedelta(minutes=30),
    )
    SessionRoleFactory(session=under_way, person=me, role=SessionRole.Role.CHAIR)
    sign_in(client, me)

    response = client.get(SLOTS_URL)

    assert texts(response, "portal-title") == [
        "Under way",
        "Tomorrow",
        "Next month",
        "Yesterday",
        "Long ago",
    ]
    upcoming = texts(response, "portal-upcoming")[0]
    past = texts(response, "portal-past")[0]
    assert upcoming.index("Under way") < upcoming.index("Tomorrow") < upcoming.index("Next month")
    assert "Yesterday" in past and "Long ago" in past and "Tomorrow" not in past


def test_slots_page_shows_several_roles_of_one_session(client, db):
    me = PersonFactory()
    session = SessionFactory(title="Round table")
    SessionRoleFactory(session=session, person=me, role=SessionRole.Role.CHAIR)
    SessionRoleFactory(session=session, person=me, role=SessionRole.Role.SPEAKER)
    sign_in(client, me)

    response = client.get(SLOTS_URL)

    assert texts(response, "portal-my-roles") == [my_roles(SPEAKER, CHAIR)]
    assert texts(response, "portal-people") == []
    assert gettext("Nobody else.") in slot_texts(response)[0]


def test_slots_page_without_sessions_says_so(client, db):
    sign_in(client, PersonFactory())

    response = client.get(SLOTS_URL)

    assert response.status_code == 200
    assert texts(response, "portal-slot") == []
    assert texts(response, "portal-empty") == [
        gettext(
            "You hold no role in any programme yet. Once organizers add you as a speaker, chair "
            "or commentator, your sessions appear here."
        )
    ]


# --- times -----------------------------------------------------------------------------------


def test_slots_page_shows_the_opening_in_my_zone_and_the_display_zones(client, sino_soviet):
    sign_in(client, seed_person("tao-chen"), zone="Asia/Shanghai")

    response = client.get(SLOTS_URL)

    assert texts(response, "portal-zone") == ["Asia/Shanghai"]
    assert texts(response, "portal-my-time") == [
        "Friday, 2 July 2021, 19:30–20:30 Asia/Shanghai",
        "Thursday, 1 July 2021, 19:30–20:30 Asia/Shanghai",
        "Thursday, 1 July 2021, 18:00–18:30 Asia/Shanghai",
    ]
    assert texts(response, "portal-event-times") == [
        "13:30 DE | 7:30 Norfolk, VA | 19:30 Shanghai/Hongkong",
        "13:30 DE | 7:30 Norfolk, VA | 19:30 Shanghai/Hongkong",
        "12:00 DE | 6:00 Norfolk, VA | 18:00 Shanghai/Hongkong",
    ]


def test_slots_page_defaults_to_utc_and_names_it(client, sino_soviet):
    sign_in(client, seed_person("tao-chen"))

    response = client.get(SLOTS_URL)

    assert texts(response, "portal-zone") == ["UTC"]
    assert texts(response, "portal-my-time")[-1] == "Thursday, 1 July 2021, 10:00–10:30 UTC"


def test_slots_page_names_the_end_date_when_my_zone_crosses_midnight(client, db):
    event = EventFactory(timezone="Europe/Berlin")
    DisplayZoneFactory(event=event, position=0, label="DE", zone="Europe/Berlin")
    session = SessionFactory(
        event=event,
        start=dt.datetime(2031, 7, 1, 16, 30, tzinfo=ZoneInfo("Europe/Berlin")),
        end=dt.datetime(2031, 7, 1, 17, 30, tzinfo=ZoneInfo("Europe/Berlin")),
    )
    me = PersonFactory()
    SessionRoleFactory(session=session, person=me)
    sign_in(client, me, zone="Asia/Tokyo")

    response = client.get(SLOTS_URL)

    assert texts(response, "portal-my-time") == [
        "Tuesday, 1 July 2031, 23:30–Wednesday, 2 July 2031, 0:30 Asia/Tokyo"
    ]
    assert texts(response, "portal-event-times") == ["16:30 DE"]


# --- people, addresses and the meeting -------------------------------------------------------


def test_slots_page_shows_co_panelists_addresses_and_no_one_elses(client, sino_soviet):
    with_seed_emails()
    sign_in(client, seed_person("tao-chen"))

    response = client.get(SLOTS_URL)

    assert sorted(set(EMAIL.findall(response.content.decode()))) == [
        "anna-belogurova@example.org",
        "elisabeth-kaske@example.org",
        "jan-zofka@example.org",
        "max-trecker@example.org",
        "peter-vamos@example.org",
    ]
    assert texts(response, "portal-email") == [
        "peter-vamos@example.org",
        "jan-zofka@example.org",
        "elisabeth-kaske@example.org",
        "anna-belogurova@example.org",
        "max-trecker@example.org",
        "jan-zofka@example.org",
    ]


def test_public_pages_do_not_show_the_addresses_the_portal_shows(client, sino_soviet):
    with_seed_emails()
    trade_fair = sino_soviet.sessions.get(title=TRADE_FAIR)

    for url in [
        sino_soviet.get_absolute_url(),
        trade_fair.get_absolute_url(),
        seed_person("tao-chen").get_absolute_url(),
    ]:
        response = client.get(url)
        assert response.status_code == 200
        assert EMAIL.findall(response.content.decode()) == []


def test_slots_page_shows_the_events_meeting(client, sino_soviet):
    sign_in(client, seed_person("tao-chen"))

    response = client.get(SLOTS_URL)

    assert texts(response, "portal-meeting-url") == [SEED_MEETING[0]] * 3
    assert texts(response, "portal-meeting-id") == [SEED_MEETING[1]] * 3
    assert texts(response, "portal-meeting-passcode") == [SEED_MEETING[2]] * 3


def test_slots_page_shows_a_sessions_own_meeting(client, db):
    event = EventFactory()
    session = SessionFactory(
        event=event,
        meeting_url="https://zoom.us/j/7770002222",
        meeting_id="777 000 2222",
        meeting_passcode="other-pass",
    )
    me = PersonFactory()
    SessionRoleFactory(session=session, person=me)
    sign_in(client, me)

    response = client.get(SLOTS_URL)

    assert texts(response, "portal-meeting-url") == ["https://zoom.us/j/7770002222"]
    assert texts(response, "portal-meeting-id") == ["777 000 2222"]
    assert texts(response, "portal-meeting-passcode") == ["other-pass"]
    assert b"5550001111" not in response.content


def test_slots_page_escapes_what_others_typed(client, db):
    event = EventFactory(title=EVIL)
    section = SectionFactory(event=event, title=EVIL)
    session = SessionFactory(event=event, section=section, title=EVIL, abstract=EVIL)
    me = PersonFactory()
    other = PersonFactory(name=EVIL)
    EventPersonFactory(event=event, person=other, affiliation=EVIL)
    SessionRoleFactory(session=session, person=me)
    SessionRoleFactory(session=session, person=other, role=SessionRole.Role.CHAIR)
    sign_in(client, me)

    response = client.get(SLOTS_URL)

    content = response.content.decode()
    assert response.status_code == 200
    assert "<img src=x" not in content
    assert "<script>alert" not in content
    assert "&lt;img src=x onerror=alert(1)&gt;" in content
    assert texts(response, "portal-title") == [EVIL]


# --- query counts ----------------------------------------------------------------------------


def build_slots(me: Person, count: int) -> None:
    """``count`` sessions of ``me`` over several events, each with zones, a section, three
    other people with affiliations and, for every other one, a paper."""
    events = []
    for n in range(max(1, count // 5)):
        event = EventFactory()
        for position, zone in enumerate(["Europe/Berlin", "America/New_York", "Asia/Shanghai"]):
            DisplayZoneFactory(event=event, position=position, zone=zone)
        EventPersonFactory(event=event, person=me, affiliation=f"Affiliation {n}")
        events.append((event, SectionFactory(event=event)))
    for n in range(count):
        event, section = events[n % len(events)]
        session = SessionFactory(event=event, section=section, abstract="*Abstract*")
        SessionRoleFactory(session=session, person=me, role=SessionRole.Role.SPEAKER)
        for role in SessionRole.Role.values:
            other = PersonFactory()
            EventPersonFactory(event=event, person=other)
            SessionRoleFactory(session=session, person=other, role=role, position=1)
        if n % 2:
            Paper.objects.create(
                session=session,
                uploaded_by=me,
                file=f"papers/{n}.pdf",
                original_name=f"paper-{n}.pdf",
                size=1234,
            )


# Session, user, person; sessions (with event, section, paper), roles, display zones,
# affiliations.
SLOTS_PAGE_QUERIES = 7


@pytest.mark.parametrize("count", [1, 30])
def test_slots_page_runs_a_fixed_number_of_queries(
    client, db, django_assert_max_num_queries, count
):
    me = PersonFactory()
    build_slots(me, count)
    sign_in(client, me)

    with django_assert_max_num_queries(SLOTS_PAGE_QUERIES) as captured:
        response = client.get(SLOTS_URL)

    assert response.status_code == 200
    assert len(texts(response, "portal-slot")) == count
    assert len(captured) == SLOTS_PAGE_QUERIES


@pytest.mark.parametrize("count", [1, 30])
def test_calendar_feed_runs_a_fixed_number_of_queries(
    client, db, django_assert_max_num_queries, count
):
    me = PersonFactory()
    build_slots(me, count)

    with django_assert_max_num_queries(5) as captured:
        response = client.get(feed_path(me))

    assert response.status_code == 200
    assert len(icalendar.Calendar.from_ical(response.content).walk("VEVENT")) == count
    assert len(captured) == 5


# --- the personal calendar feed --------------------------------------------------------------


def feed_path(person: Person) -> str:
    return reverse("portal:calendar_feed", kwargs={"token": person.calendar_token})


def test_slots_page_shows_the_feed_address_and_its_webcal_variant(client, sino_soviet):
    tao = seed_person("tao-chen")
    sign_in(client, tao)

    response = client.get(SLOTS_URL)

    content = response.content.decode()
    assert f'value="http://testserver/portal/calendar/{tao.calendar_token}.ics"' in content
    assert f'href="webcal://testserver/portal/calendar/{tao.calendar_token}.ics"' in content


def test_calendar_feed_holds_my_slots_only_with_the_meeting(client, sino_soviet):
    tao = seed_person("tao-chen")

    response = client.get(feed_path(tao))  # no sign-in: calendar apps cannot

    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert response["Cache-Control"] == "private, no-store"
    calendar = icalendar.Calendar.from_ical(response.content)
    events = calendar.walk("VEVENT")
    assert [str(e["SUMMARY"]) for e in events] == [OPENING, TRADE_FAIR, VAMOS_TALK]
    assert [str(e["LOCATION"]) for e in events] == [SEED_MEETING[0]] * 3
    assert all("Passcode: LTF-1950x65" in str(e["DESCRIPTION"]) for e in events)
    assert [e.decoded("DTSTART") for e in events] == [
        dt.datetime(2021, 7, 1, 10, 0, tzinfo=dt.UTC),
        dt.datetime(2021, 7, 1, 11, 30, tzinfo=dt.UTC),
        dt.datetime(2021, 7, 2, 11, 30, tzinfo=dt.UTC),
    ]
    uids = {str(e["UID"]) for e in events}
    assert uids == {
        s.calendar_uid for s in sino_soviet.sessions.filter(roles__person=tao).distinct()
    }
    assert str(calendar["X-WR-CALNAME"]) == "My sessions: Tao Chen"


def test_calendar_feed_of_several_events(client, sino_soviet, hirata_seminar):
    response = client.get(feed_path(seed_person("koji-hirata")))

    events = icalendar.Calendar.from_ical(response.content).walk("VEVENT")
    assert [(str(e["SUMMARY"]), str(e["LOCATION"])) for e in events] == [
        (ZANIER_TALK, SEED_MEETING[0]),
        (HIRATA_TALK, "https://zoom.us/j/98765432100"),
    ]


def test_calendar_feed_unknown_token_is_404(client, sino_soviet):
    response = client.get("/portal/calendar/not-a-token.ics")

    assert response.status_code == 404


def test_calendar_feed_reset_makes_the_old_address_404(client, sino_soviet):
    tao = seed_person("tao-chen")
    user = sign_in(client, tao)
    old_path = feed_path(tao)

    response = client.post("/portal/profile/", {"action": "reset-calendar"})

    assert response.status_code == 302
    assert response["Location"] == "/portal/profile/"
    tao.refresh_from_db()
    assert client.get(old_path).status_code == 404
    new = client.get(feed_path(tao))
    assert new.status_code == 200
    assert len(icalendar.Calendar.from_ical(new.content).walk("VEVENT")) == 3
    entry = LogEntry.objects.get(object_id=str(tao.pk), content_type__model="person")
    assert entry.user == user
    assert entry.get_change_message() == "Changed calendar feed address."
    assert tao.calendar_token in client.get(SLOTS_URL).content.decode()
