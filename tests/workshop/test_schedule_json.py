import datetime as dt
import json
import re
import uuid
import zoneinfo
from urllib.parse import urlsplit

import pytest
from jsonschema import Draft7Validator, FormatChecker

from tests.conftest import SCHEMAS_DIR
from tests.factories import EventFactory, SessionFactory, SessionRoleFactory
from tests.workshop.test_ics import SECRETS, build_workshop
from workshop.models import Session
from workshop.schedule import build_schedule
from workshop.selectors import get_event, get_programme

SCHEMA = json.loads((SCHEMAS_DIR / "c3voc-schedule.schema.json").read_text())
# Draft 7's checker knows "date" but not "date-time", "uri" (they need optional packages)
# nor "uuid" (newer drafts): check those too, strictly.
FORMATS = FormatChecker()
FORMATS.checkers.update(Draft7Validator.FORMAT_CHECKER.checkers)
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")


@FORMATS.checks("date-time")
def is_date_time(value: object) -> bool:
    return not isinstance(value, str) or bool(
        RFC3339.match(value) and dt.datetime.fromisoformat(value).tzinfo
    )


@FORMATS.checks("uri")
def is_uri(value: object) -> bool:
    parts = urlsplit(value) if isinstance(value, str) else None
    return parts is None or bool(parts.scheme in {"http", "https"} and parts.netloc)


@FORMATS.checks("uuid", raises=ValueError)
def is_uuid(value: object) -> bool:
    return not isinstance(value, str) or str(uuid.UUID(value)) == value


VALIDATOR = Draft7Validator(SCHEMA, format_checker=FORMATS)


def schema_errors(document: dict) -> list[str]:
    return sorted(
        f"{'/'.join(map(str, error.absolute_path))}: {error.message}"
        for error in VALIDATOR.iter_errors(document)
    )


def test_schema_validator_checks_formats():
    document = {
        "schedule": {
            "version": "1",
            "base_url": "not a uri",
            "conference": {
                "acronym": "conf",
                "title": "T",
                "start": "2031-07-01",
                "end": "2031-07-01",
                "daysCount": 1,
                "timeslot_duration": "00:05",
                "days": [
                    {
                        "index": 1,
                        "date": "2031-07-01",
                        "day_start": "2031-07-01T00:00:00",
                        "day_end": "2031-07-02T00:00:00+02:00",
                        "rooms": {},
                    }
                ],
            },
        }
    }

    assert schema_errors(document) == [
        "schedule/base_url: 'not a uri' is not a 'uri'",
        "schedule/conference/days/0/day_start: '2031-07-01T00:00:00' is not a 'date-time'",
    ]


def schedule_for(slug: str) -> dict:
    return build_schedule(get_programme(get_event(slug)))


def all_events(document: dict) -> list[dict]:
    return [
        item
        for day in document["schedule"]["conference"]["days"]
        for items in day["rooms"].values()
        for item in items
    ]


# --- the seed workshop -------------------------------------------------------------------


def test_seed_schedule_json_validates_against_the_c3voc_schema(client, sino_soviet):
    response = client.get("/events/sino-soviet-2021/schedule.json")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response["Access-Control-Allow-Origin"] == "*"
    assert "Uwe Müller".encode() in response.content  # UTF-8, not \u escapes
    assert schema_errors(response.json()) == []


def test_seed_schedule_json_describes_the_conference(client, sino_soviet):
    document = client.get("/events/sino-soviet-2021/schedule.json").json()

    assert document["$schema"] == "https://c3voc.de/schedule/schema.json"
    assert document["generator"] == {"name": "academic-events", "version": "0.1.0"}
    schedule = document["schedule"]
    assert len(schedule["version"]) == 12
    assert schedule["url"] == "http://testserver/events/sino-soviet-2021/"
    conference = {
        k: v for k, v in schedule["conference"].items() if k not in {"days", "description"}
    }
    assert conference == {
        "acronym": "sino_soviet_2021",
        "title": "Economic Dimensions of the Sino-Soviet Alliance and Split",
        "start": "2021-07-01",
        "end": "2021-07-02",
        "daysCount": 2,
        "timeslot_duration": "00:30",
        "time_zone_name": "Europe/Berlin",
        "url": "http://testserver/events/sino-soviet-2021/",
        "rooms": [
            {
                "name": "Online",
                "slug": "online",
                "guid": conference["rooms"][0]["guid"],
                "type": "online",
            }
        ],
    }
    days = schedule["conference"]["days"]
    assert [
        (d["index"], d["date"], d["day_start"], d["day_end"], list(d["rooms"])) for d in days
    ] == [
        (1, "2021-07-01", "2021-07-01T00:00:00+02:00", "2021-07-02T00:00:00+02:00", ["Online"]),
        (2, "2021-07-02", "2021-07-02T00:00:00+02:00", "2021-07-03T00:00:00+02:00", ["Online"]),
    ]


def test_seed_schedule_json_times_are_in_the_event_zone(client, sino_soviet):
    document = client.get("/events/sino-soviet-2021/schedule.json").json()

    assert [(e["date"], e["start"], e["duration"], e["type"]) for e in all_events(document)] == [
        ("2021-07-01T12:00:00+02:00", "12:00", "00:30", "opening"),
        ("2021-07-01T12:30:00+02:00", "12:30", "01:00", "talk"),
        ("2021-07-01T13:30:00+02:00", "13:30", "01:00", "talk"),
        ("2021-07-01T14:30:00+02:00", "14:30", "01:00", "break"),
        ("2021-07-01T15:30:00+02:00", "15:30", "01:00", "talk"),
        ("2021-07-02T09:30:00+02:00", "09:30", "01:00", "talk"),
        ("2021-07-02T10:30:00+02:00", "10:30", "01:00", "talk"),
        ("2021-07-02T11:30:00+02:00", "11:30", "01:00", "talk"),
        ("2021-07-02T12:30:00+02:00", "12:30", "01:00", "break"),
        ("2021-07-02T13:30:00+02:00", "13:30", "01:00", "talk"),
        ("2021-07-02T14:30:00+02:00", "14:30", "00:30", "closing"),
        ("2021-07-02T15:00:00+02:00", "15:00", "00:30", "discussion"),
    ]
    assert all_events(document)[-1]["end"] == "2021-07-02T15:30:00+02:00"


def test_seed_schedule_json_lists_chairs_and_commentators_with_roles(client, sino_soviet):
    document = client.get("/events/sino-soviet-2021/schedule.json").json()
    session = Session.objects.get(
        event=sino_soviet, start=dt.datetime(2021, 7, 2, 11, 30, tzinfo=dt.UTC)
    )

    item = next(e for e in all_events(document) if e["id"] == session.pk)

    assert item["guid"] == str(session.uid)
    assert item["url"] == f"http://testserver/events/sino-soviet-2021/sessions/{session.pk}/"
    assert item["track"] == "Technology Transfers: Technical Assistance and Industrial Cooperation"
    assert item["room"] == "Online"
    assert item["language"] == "en"
    title_slug = "our-chinese-comrades-are-determined-to-split-and-struggle"
    assert item["slug"] == f"sino-soviet-2021-{session.pk}-{title_slug}"
    assert [(p["name"], p["role"], p["affiliation"], p["url"]) for p in item["persons"]] == [
        (
            "Péter Vámos",
            "speaker",
            "Research Centre for the Humanities, Budapest",
            "http://testserver/people/peter-vamos/",
        ),
        ("Tao Chen", "chair", "Tongji University, Shanghai", "http://testserver/people/tao-chen/"),
        ("Jan Zofka", "chair", "GWZO", "http://testserver/people/jan-zofka/"),
        (
            "Elisabeth Kaske",
            "commentator",
            "Universität Leipzig",
            "http://testserver/people/elisabeth-kaske/",
        ),
    ]
    assert item["description"] == (
        "Speaker: Péter Vámos (Research Centre for the Humanities, Budapest)\n"
        "Chairs: Tao Chen (Tongji University, Shanghai), Jan Zofka (GWZO)\n"
        "Comment: Elisabeth Kaske (Universität Leipzig)"
    )


def test_seed_schedule_json_person_guid_is_stable_across_sessions(client, sino_soviet):
    document = client.get("/events/sino-soviet-2021/schedule.json").json()

    guids = {
        (person["name"], person["guid"])
        for item in all_events(document)
        for person in item["persons"]
        if person["name"] == "Tao Chen"
    }
    assert len(guids) == 1


def test_seed_schedule_json_version_is_stable_until_the_programme_changes(sino_soviet):
    first = schedule_for("sino-soviet-2021")["schedule"]["version"]
    assert schedule_for("sino-soviet-2021")["schedule"]["version"] == first

    session = Session.objects.filter(event=sino_soviet).order_by("start").last()
    session.end += dt.timedelta(minutes=15)
    session.save()

    assert schedule_for("sino-soviet-2021")["schedule"]["version"] != first


# --- the view ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_schedule_json_holds_no_meeting_details_or_emails(client):
    build_workshop()

    response = client.get("/events/trade-fair-2031/schedule.json")

    assert response.status_code == 200
    assert [secret for secret in SECRETS if secret in response.content] == []
    persons = [p for item in all_events(response.json()) for p in item["persons"]]
    assert {key for person in persons for key in person} == {
        "name",
        "public_name",
        "guid",
        "url",
        "biography",
        "affiliation",
        "role",
    }


@pytest.mark.django_db
def test_schedule_json_validates_for_the_factory_workshop(client):
    event, talk, pause, late = build_workshop()

    document = client.get("/events/trade-fair-2031/schedule.json").json()

    assert schema_errors(document) == []
    assert [(e["title"], e["type"], e["track"]) for e in all_events(document)] == [
        ("China and the Leipzig Trade Fair (1950–1965)", "talk", "Trade: Modalities and Platforms"),
        ("Break", "break", "Trade: Modalities and Platforms"),
        ("Late Panel", "talk", None),
    ]


@pytest.mark.django_db
def test_schedule_json_runs_the_same_queries_for_one_or_many_sessions(
    client, django_assert_num_queries
):
    event = EventFactory(slug="tiny")
    SessionRoleFactory(session=SessionFactory(event=event))
    with django_assert_num_queries(9):
        client.get("/events/tiny/schedule.json")

    for _ in range(20):
        SessionRoleFactory(session=SessionFactory(event=event), role="commentator")
    with django_assert_num_queries(9):
        response = client.get("/events/tiny/schedule.json")
    assert len(all_events(response.json())) == 21


# --- building the document ---------------------------------------------------------------


@pytest.mark.django_db
def test_build_schedule_lists_days_without_sessions():
    berlin = zoneinfo.ZoneInfo("Europe/Berlin")
    event = EventFactory(slug="gap-days")
    SessionFactory(
        event=event,
        start=dt.datetime(2031, 7, 1, 10, tzinfo=berlin),
        end=dt.datetime(2031, 7, 1, 11, tzinfo=berlin),
    )
    SessionFactory(
        event=event,
        start=dt.datetime(2031, 7, 3, 10, tzinfo=berlin),
        end=dt.datetime(2031, 7, 3, 11, tzinfo=berlin),
    )

    document = schedule_for("gap-days")

    conference = document["schedule"]["conference"]
    assert (conference["start"], conference["end"], conference["daysCount"]) == (
        "2031-07-01",
        "2031-07-03",
        3,
    )
    assert [(d["index"], d["date"], len(d["rooms"]["Online"])) for d in conference["days"]] == [
        (1, "2031-07-01", 1),
        (2, "2031-07-02", 0),
        (3, "2031-07-03", 1),
    ]
    assert schema_errors(document) == []


@pytest.mark.django_db
def test_build_schedule_of_an_empty_programme_validates():
    event = EventFactory(slug="empty-for-now")
    created = event.created_at.astimezone(event.tzinfo).date().isoformat()

    document = schedule_for("empty-for-now")

    conference = document["schedule"]["conference"]
    assert (
        conference["start"],
        conference["end"],
        conference["daysCount"],
        conference["days"],
    ) == (
        created,
        created,
        0,
        [],
    )
    assert schema_errors(document) == []


@pytest.mark.django_db
def test_build_schedule_writes_kathmandu_quarter_hour_offset():
    kathmandu = zoneinfo.ZoneInfo("Asia/Kathmandu")
    event = EventFactory(slug="kathmandu", timezone="Asia/Kathmandu")
    SessionFactory(
        event=event,
        start=dt.datetime(2031, 7, 1, 9, 0, tzinfo=kathmandu),
        end=dt.datetime(2031, 7, 1, 10, 15, tzinfo=kathmandu),
    )

    document = schedule_for("kathmandu")

    [item] = all_events(document)
    assert (item["date"], item["start"], item["end"], item["duration"]) == (
        "2031-07-01T09:00:00+05:45",
        "09:00",
        "2031-07-01T10:15:00+05:45",
        "01:15",
    )
    conference = document["schedule"]["conference"]
    assert (conference["time_zone_name"], conference["timeslot_duration"]) == (
        "Asia/Kathmandu",
        "00:15",
    )
    assert schema_errors(document) == []


@pytest.mark.django_db
def test_build_schedule_writes_st_johns_across_the_dst_change():
    st_johns = zoneinfo.ZoneInfo("America/St_Johns")
    event = EventFactory(slug="st-johns", timezone="America/St_Johns")
    # Newfoundland springs forward on 9 March 2031, 2:00 NST (−3:30) → 3:00 NDT (−2:30):
    # 1:00 to 4:00 on the wall clock is two hours.
    SessionFactory(
        event=event,
        start=dt.datetime(2031, 3, 9, 1, 0, tzinfo=st_johns),
        end=dt.datetime(2031, 3, 9, 4, 0, tzinfo=st_johns),
    )
    SessionFactory(
        event=event,
        start=dt.datetime(2031, 3, 9, 12, 0, tzinfo=st_johns),
        end=dt.datetime(2031, 3, 9, 13, 0, tzinfo=st_johns),
    )

    document = schedule_for("st-johns")

    assert [(e["date"], e["start"], e["end"], e["duration"]) for e in all_events(document)] == [
        ("2031-03-09T01:00:00-03:30", "01:00", "2031-03-09T04:00:00-02:30", "02:00"),
        ("2031-03-09T12:00:00-02:30", "12:00", "2031-03-09T13:00:00-02:30", "01:00"),
    ]
    [day] = document["schedule"]["conference"]["days"]
    assert (day["day_start"], day["day_end"]) == (
        "2031-03-09T00:00:00-03:30",
        "2031-03-10T00:00:00-02:30",
    )
    assert document["schedule"]["conference"]["time_zone_name"] == "America/St_Johns"
    assert schema_errors(document) == []


@pytest.mark.django_db
def test_build_schedule_leaves_out_zone_names_the_schema_refuses():
    event = EventFactory(slug="fixed-offset", timezone="Etc/GMT-14")
    SessionFactory(
        event=event,
        start=dt.datetime(2031, 7, 1, 8, tzinfo=dt.UTC),
        end=dt.datetime(2031, 7, 1, 9, tzinfo=dt.UTC),
    )

    document = schedule_for("fixed-offset")

    assert "time_zone_name" not in document["schedule"]["conference"]
    assert all_events(document)[0]["date"] == "2031-07-01T22:00:00+14:00"
    assert schema_errors(document) == []


@pytest.mark.django_db
def test_build_schedule_slugs_awkward_titles():
    event = EventFactory(slug="awk")
    cjk = SessionFactory(event=event, title="貿易与技术")
    mixed = SessionFactory(event=event, title="»Our Chinese comrades«, ‘split’; 1950–1964!")
    short = EventFactory(slug="ab")
    SessionFactory(event=short)

    items = all_events(schedule_for("awk"))

    assert [item["slug"] for item in items] == [
        f"awk-{cjk.pk}",
        f"awk-{mixed.pk}-our-chinese-comrades-split-19501964",
    ]
    assert schema_errors(schedule_for("awk")) == []
    assert schedule_for("ab")["schedule"]["conference"]["acronym"] == "ab__"
    assert schema_errors(schedule_for("ab")) == []
