import datetime as dt

import pytest
from django.db import IntegrityError
from django.utils.translation import gettext, ngettext, pgettext

from tests.conftest import EXAMPLES_DIR
from workshop.importer import (
    ImportResult,
    ProgrammeError,
    _Reader,
    _write,
    import_programme,
    import_programme_file,
)
from workshop.models import (
    DisplayZone,
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
WORKSHOP_FILE = EXAMPLES_DIR / "sino-soviet-2021.yaml"
SEMINAR_FILE = EXAMPLES_DIR / "seminar-hirata.yaml"
ALL_MODELS = [
    Event,
    DisplayZone,
    Section,
    Person,
    EventPerson,
    EventContact,
    Session,
    SessionRole,
    TargetGroup,
    SubjectArea,
    EventType,
]
DELETE = object()


def model_counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in ALL_MODELS}


def session_rows(event: Event) -> list[tuple]:
    return list(
        Session.objects.filter(event=event)
        .order_by("start")
        .values_list("pk", "uid", "sequence", "start", "end", "title", "section__title")
    )


def workshop_text() -> str:
    return WORKSHOP_FILE.read_text(encoding="utf-8")


def replace_once(text: str, old: str, new: str) -> str:
    assert text.count(old) == 1, old
    return text.replace(old, new)


def small_programme() -> dict:
    """A valid two-session programme; each rejection test breaks one thing in it."""
    return {
        "event": {
            "slug": "small-2031",
            "title": "A Small Workshop",
            "timezone": "Europe/Berlin",
            "display_timezones": [{"label": "DE", "zone": "Europe/Berlin"}],
            "contacts": [{"role": "Coordination", "person": "ann-lee"}],
        },
        "people": [{"key": "ann-lee", "name": "Ann Lee"}, {"key": "bo-chen", "name": "Bo Chen"}],
        "days": [
            {
                "date": "2031-07-01",
                "items": [
                    {"start": "10:00", "title": "Opening", "speakers": ["ann-lee"]},
                    {
                        "start": "11:00",
                        "end": "12:00",
                        "title": "Talk",
                        "speakers": ["bo-chen"],
                        "chairs": ["ann-lee"],
                    },
                ],
            }
        ],
    }


def changed(*edits) -> dict:
    """small_programme() with `(path, value)` edits: DELETE removes a key, an index one past
    the end of a list appends."""
    data = small_programme()
    for path, value in edits:
        *parents, last = path
        target = data
        for step in parents:
            target = target[step]
        if value is DELETE:
            del target[last]
        elif isinstance(target, list) and last == len(target):
            target.append(value)
        else:
            target[last] = value
    return data


def rejection(data) -> list[str]:
    before = model_counts()
    with pytest.raises(ProgrammeError) as excinfo:
        import_programme(data, source="test")
    assert model_counts() == before
    return excinfo.value.problems


# The importer's problems ("path: message"), worded by the catalogue (the tests run in English).
# Paths, keys and the values a file wrote (shown as repr) are the file's, not interface text.

ONE_LINE = "must be one line of text without control characters (found %(code)s)"
LAST_NEEDS_END = "required for the last session of the day"


def problem(path: str, msgid: str, /, **params) -> str:
    message = gettext(msgid)
    return f"{path}: {message % params if params else message}"


def required(path: str) -> str:
    return f"{path}: {pgettext('programme file', 'required')}"


def kind(name: str) -> str:
    """What a value is, as the messages name it: "a mapping", "a list", "text"…"""
    return pgettext("value in a programme file", name)


def expected(path: str, what: str, found: str) -> str:
    return problem(path, "expected %(expected)s, got %(found)s", expected=what, found=found)


def unknown_person(path: str, key: str) -> str:
    return problem(path, "unknown person %(key)s", key=repr(key))


def unknown_zone(path: str, zone: str) -> str:
    return problem(
        path,
        "unknown time zone %(value)s (expected an IANA name, e.g. Europe/Berlin)",
        value=repr(zone),
    )


def bad_key(path: str, key: str) -> str:
    return problem(
        path,
        "%(value)s is not a valid key: use lowercase letters, digits and single hyphens",
        value=repr(key),
    )


def bad_address(path: str, shown: str) -> str:
    return problem(
        path, "not an email address that mail can be delivered to: %(value)s", value=shown
    )


def ends_after_start(path: str, time: str) -> str:
    return problem(path, "must be after the start (%(time)s)", time=time)


def overlaps(path: str, other: str, time: str) -> str:
    return problem(path, "overlaps %(path)s, which runs until %(time)s", path=other, time=time)


def year(path: str, value: str) -> str:
    return problem(
        path,
        "expected a year from %(first)d to %(last)d, got %(value)s",
        first=1900,
        last=2200,
        value=value,
    )


def skipped_by_clocks(path: str, time: str, zone: str) -> str:
    return problem(
        path, "%(time)s does not exist in %(zone)s (clocks skip it)", time=time, zone=zone
    )


def at_most(path: str, limit: int, value: object) -> str:
    return problem(path, "must be at most %(limit)d, got %(value)s", limit=limit, value=value)


def too_many(path: str, count: int, limit: int) -> str:
    return problem(
        path, "too many entries (%(count)d, at most %(limit)d)", count=count, limit=limit
    )


def too_large(path: str, limit: str) -> str:
    return problem(
        path, "larger than the limit of %(limit)s bytes (setting IMPORT_MAX_BYTES)", limit=limit
    )


def at_line(line: int, column: int, message: str) -> str:
    """A problem PyYAML found while reading (its own message, in English) or the loader's."""
    where = gettext("line %(line)d, column %(column)d") % {"line": line, "column": column}
    return f"{where}: {message}"


def positive(value: str) -> str:
    return problem(
        "event.registration.capacity",
        "expected a positive whole number, got %(value)s",
        value=value,
    )


def language(value: str) -> str:
    return problem(
        "event.language",
        "expected a two-letter ISO 639-1 code such as 'en', got %(value)s",
        value=value,
    )


# Importing the examples


def test_import_programme_file_creates_the_workshop(db):
    result = import_programme_file(WORKSHOP_FILE)

    event = result.event
    assert isinstance(result, ImportResult)
    assert result.created is True
    assert (result.sessions_created, result.sessions_updated, result.sessions_removed) == (12, 0, 0)
    assert (result.people_created, result.people_updated) == (19, 0)
    assert event.slug == "sino-soviet-2021"
    assert event.subtitle == (
        "Technology Transfers, Trade and Development Models in the Socialist World"
    )
    assert event.timezone == "Europe/Berlin"
    assert event.kind == Event.Kind.WORKSHOP
    assert (event.online, event.free, event.language) == (True, True, "en")
    assert event.meeting_url == "https://zoom.us/j/91234567890"
    assert (event.meeting_id, event.meeting_passcode) == ("912 3456 7890", "LTF-1950x65")
    assert event.registration_opens == dt.datetime(2021, 5, 15, 7, 0, tzinfo=UTC)
    assert event.registration_closes == dt.datetime(2021, 6, 30, 21, 59, tzinfo=UTC)
    assert (event.capacity, event.requires_approval) == (100, True)
    assert [t.name for t in event.target_groups.all()] == ["Scientists and scholars", "Students"]
    assert event.subject_areas.count() == 5
    assert [t.name for t in event.event_types.all()] == ["Seminar / workshop / discussion"]


def test_import_programme_file_builds_the_workshop_programme(db):
    event = import_programme_file(WORKSHOP_FILE).event

    sessions = list(event.sessions.order_by("start"))
    # Ten sessions and two breaks.
    assert len(sessions) == 12
    assert [s.title for s in sessions if s.kind == Session.Kind.BREAK] == [
        "Late Lunch/Breakfast/Dinner break",
        "Lunch/Early Dinner/Wake-up Break",
    ]
    assert sessions[0].start == dt.datetime(2021, 7, 1, 10, 0, tzinfo=UTC)
    assert sessions[0].end == dt.datetime(2021, 7, 1, 10, 30, tzinfo=UTC)
    assert sessions[-1].title == "Final Discussion"
    assert sessions[-1].end == dt.datetime(2021, 7, 2, 13, 30, tzinfo=UTC)
    assert all(s.sequence == 0 for s in sessions)
    assert [s.title for s in event.sections.all()] == [
        "Trade: Modalities, Infrastructures and Platforms",
        "Transfers of Economic Development Models",
        "Technology Transfers: Technical Assistance and Industrial Cooperation",
        "Outlook and Conclusion",
    ]
    assert sessions[0].section is None
    # The section repeated at the top of day 2 is the one that began on day 1.
    assert sessions[4].section_id == sessions[5].section_id
    assert sessions[4].start.date() == dt.date(2021, 7, 1)
    assert sessions[5].start.date() == dt.date(2021, 7, 2)
    assert event.event_people.count() == 19
    assert [(c.role, c.person.key) for c in event.contacts.all()] == [
        ("Concept and Coordination", "tao-chen"),
        ("Concept and Coordination", "jan-zofka"),
        ("Knowledge Transfer and Networking", "ines-roessler"),
        ("Press and public relations", "virginie-michaels"),
    ]
    assert [(z.label, z.zone) for z in event.display_zones.all()] == [
        ("DE", "Europe/Berlin"),
        ("Norfolk, VA", "America/New_York"),
        ("Shanghai/Hongkong", "Asia/Shanghai"),
    ]


def test_import_programme_file_records_roles_in_order(db):
    event = import_programme_file(WORKSHOP_FILE).event

    railway = event.sessions.get(title__startswith="»Our Chinese comrades")
    roles = [(r.role, r.person.key, r.position) for r in railway.roles.all()]
    assert roles == [
        ("chair", "tao-chen", 0),
        ("chair", "jan-zofka", 1),
        ("commentator", "elisabeth-kaske", 0),
        ("speaker", "peter-vamos", 0),
    ]
    opening = event.sessions.get(kind=Session.Kind.OPENING)
    assert [(r.role, r.person.key, r.position) for r in opening.roles.all()] == [
        ("speaker", "tao-chen", 0),
        ("speaker", "jan-zofka", 1),
    ]


def test_import_programme_file_creates_the_seminar_in_melbourne_time(db):
    result = import_programme_file(SEMINAR_FILE)

    event = result.event
    session = event.sessions.get()
    assert session.start == dt.datetime(2027, 3, 11, 6, 0, tzinfo=UTC)
    assert session.end == dt.datetime(2027, 3, 11, 7, 30, tzinfo=UTC)
    assert [r.person.key for r in session.roles.all()] == ["koji-hirata"]
    assert event.kind == Event.Kind.SEMINAR
    assert event.sections.count() == 0
    assert event.contacts.count() == 0
    assert (event.registration_opens, event.registration_closes) == (None, None)
    assert (event.capacity, event.requires_approval) == (50, True)
    assert [z.label for z in event.display_zones.all()] == ["Melbourne", "Shanghai", "Leipzig"]
    assert Person.objects.get(key="koji-hirata").bio.startswith("Senior Research Fellow")


def test_import_programme_accepts_text_and_applies_defaults(db):
    text = """
event: {slug: defaults-2031, title: Defaults, timezone: Europe/Berlin}
people: []
days:
  - date: 2031-07-01
    items:
      - {start: 10:00, title: First}
      - {start: 11:00, kind: break}
      - {start: 11:15, end: 12:00, title: Last}
"""
    result = import_programme(text, source="inline")

    event = result.event
    assert (event.kind, event.online, event.free, event.language) == ("workshop", True, True, "en")
    assert (event.requires_approval, event.capacity, event.meeting_url) == (True, None, "")
    sessions = list(event.sessions.order_by("start"))
    assert [(s.kind, s.title) for s in sessions] == [
        ("talk", "First"),
        ("break", ""),
        ("talk", "Last"),
    ]
    # An end left out is the next session's start.
    assert sessions[0].end == dt.datetime(2031, 7, 1, 9, 0, tzinfo=UTC)
    assert sessions[1].end == dt.datetime(2031, 7, 1, 9, 15, tzinfo=UTC)
    assert event.display_zones.count() == 0


# Re-importing


def test_reimport_unchanged_file_changes_nothing(db):
    first = import_programme_file(WORKSHOP_FILE)
    rows, counts = session_rows(first.event), model_counts()
    people = list(Person.objects.order_by("pk").values_list("pk", "key", "name"))

    second = import_programme_file(WORKSHOP_FILE)

    assert second.event.pk == first.event.pk
    assert second.created is False
    assert (second.sessions_created, second.sessions_updated) == (0, 0)
    assert (second.sessions_unchanged, second.sessions_removed) == (12, 0)
    assert (second.people_created, second.people_updated) == (0, 0)
    assert session_rows(second.event) == rows
    assert model_counts() == counts
    assert list(Person.objects.order_by("pk").values_list("pk", "key", "name")) == people


def test_reimport_changed_times_update_in_place_and_bump_sequence(db):
    event = import_programme_file(WORKSHOP_FILE).event
    before = {row[5]: row for row in session_rows(event)}
    text = workshop_text()
    # The opening ends earlier (same day, start and title) ...
    text = replace_once(
        text, 'end: "12:30"\n        kind: opening', 'end: "12:20"\n        kind: opening'
    )
    # ... and the closing moves (a new start: matched by its title).
    text = replace_once(
        text, 'start: "14:30"\n        end: "15:00"', 'start: "14:40"\n        end: "15:00"'
    )

    result = import_programme(text)

    assert (result.sessions_created, result.sessions_updated) == (0, 2)
    assert (result.sessions_unchanged, result.sessions_removed) == (10, 0)
    after = {row[5]: row for row in session_rows(event)}
    assert set(after) == set(before)
    opening_title = (
        "Socialist Globalization and the Economic Dimensions of the Sino-Soviet Alliance and Split"
    )
    opening = Session.objects.get(title=opening_title)
    assert (opening.pk, opening.uid) == before[opening_title][:2]
    assert opening.end == dt.datetime(2021, 7, 1, 10, 20, tzinfo=UTC)
    assert opening.sequence == 1
    closing = Session.objects.get(title="Toward a Political Economy of Socialism")
    assert (closing.pk, closing.uid) == before[closing.title][:2]
    assert closing.start == dt.datetime(2021, 7, 2, 12, 40, tzinfo=UTC)
    assert closing.sequence == 1
    assert Session.objects.filter(sequence=0).count() == 10


def test_reimport_retitled_session_keeps_its_identity(db):
    event = import_programme_file(WORKSHOP_FILE).event
    before = Session.objects.get(title="Final Discussion")
    text = replace_once(workshop_text(), 'title: "Final Discussion"', 'title: "Closing Discussion"')

    result = import_programme(text)

    after = event.sessions.get(title="Closing Discussion")
    assert (after.pk, after.uid, after.sequence) == (before.pk, before.uid, 0)
    assert (result.sessions_updated, result.sessions_created, result.sessions_removed) == (1, 0, 0)


def test_reimport_removed_session_is_deleted(db):
    event = import_programme_file(WORKSHOP_FILE).event
    removed = Session.objects.get(title="Final Discussion")
    text = replace_once(
        workshop_text(),
        '      - start: "15:00"\n        end: "15:30"\n        kind: discussion\n'
        '        title: "Final Discussion"\n',
        "",
    )

    result = import_programme(text)

    assert (result.sessions_removed, result.sessions_unchanged) == (1, 11)
    assert event.sessions.count() == 11
    assert not Session.objects.filter(pk=removed.pk).exists()


def test_reimport_added_session_is_created(db):
    event = import_programme_file(WORKSHOP_FILE).event
    text = replace_once(
        workshop_text(),
        'title: "Final Discussion"\n',
        'title: "Final Discussion"\n      - {start: "15:30", end: "16:00", title: "Farewell"}\n',
    )

    result = import_programme(text)

    assert (result.sessions_created, result.sessions_unchanged) == (1, 12)
    farewell = event.sessions.get(title="Farewell")
    assert farewell.start == dt.datetime(2021, 7, 2, 13, 30, tzinfo=UTC)
    assert farewell.section.title == "Outlook and Conclusion"


def test_reimport_replaces_roles_contacts_zones_and_tags(db):
    event = import_programme_file(WORKSHOP_FILE).event
    text = workshop_text()
    text = replace_once(text, "chairs: [tao-chen, jan-zofka]", "chairs: [jan-zofka]")
    text = replace_once(
        text, '    - {role: "Press and public relations", person: virginie-michaels}\n', ""
    )
    text = replace_once(text, '    - {label: "Norfolk, VA", zone: America/New_York}\n', "")
    text = replace_once(
        text,
        'target_groups: ["Scientists and scholars", "Students"]',
        'target_groups: ["Students"]',
    )

    result = import_programme(text)

    railway = event.sessions.get(title__startswith="»Our Chinese comrades")
    assert [(r.role, r.person.key, r.position) for r in railway.roles.all()] == [
        ("chair", "jan-zofka", 0),
        ("commentator", "elisabeth-kaske", 0),
        ("speaker", "peter-vamos", 0),
    ]
    assert result.sessions_updated == 1
    assert [c.person.key for c in event.contacts.all()] == [
        "tao-chen",
        "jan-zofka",
        "ines-roessler",
    ]
    assert [z.label for z in event.display_zones.all()] == ["DE", "Shanghai/Hongkong"]
    assert [t.name for t in event.target_groups.all()] == ["Students"]
    # Tags are a shared vocabulary: one event dropping a tag does not delete it.
    assert TargetGroup.objects.filter(name="Scientists and scholars").exists()


def test_reimport_drops_people_no_longer_in_the_file_from_the_event_only(db):
    event = import_programme_file(WORKSHOP_FILE).event
    text = replace_once(
        workshop_text(),
        '  - {key: virginie-michaels, name: "Virginie Michaels", affiliation: "GWZO"}\n',
        "",
    )
    text = replace_once(
        text, '    - {role: "Press and public relations", person: virginie-michaels}\n', ""
    )

    import_programme(text)

    assert event.event_people.count() == 18
    assert not event.event_people.filter(person__key="virginie-michaels").exists()
    assert Person.objects.filter(key="virginie-michaels").exists()


def test_reimport_without_meeting_keeps_the_stored_meeting(db):
    event = import_programme_file(WORKSHOP_FILE).event
    text = replace_once(
        workshop_text(),
        '  meeting:\n    url: "https://zoom.us/j/91234567890"\n    id: "912 3456 7890"\n'
        '    passcode: "LTF-1950x65"\n',
        "",
    )

    import_programme(text)

    event.refresh_from_db()
    assert event.meeting_url == "https://zoom.us/j/91234567890"
    assert event.meeting_passcode == "LTF-1950x65"


def test_reimport_affiliations_stay_with_their_event(db):
    workshop = import_programme_file(WORKSHOP_FILE).event
    seminar = import_programme_file(SEMINAR_FILE).event
    result = import_programme_file(WORKSHOP_FILE)

    hirata = Person.objects.get(key="koji-hirata")
    assert EventPerson.objects.get(event=workshop, person=hirata).affiliation == (
        "Cambridge University"
    )
    assert EventPerson.objects.get(event=seminar, person=hirata).affiliation == "Monash University"
    # The workshop file has no bio: re-importing it keeps the one the seminar file set.
    assert hirata.bio.startswith("Senior Research Fellow in History at Monash University")
    assert Person.objects.filter(key="koji-hirata").count() == 1
    assert result.people_updated == 0


def test_reimport_updates_people_named_in_the_file(db):
    import_programme_file(SEMINAR_FILE)
    text = SEMINAR_FILE.read_text(encoding="utf-8")
    text = replace_once(
        text, 'name: "Koji Hirata"', 'name: "Kōji Hirata"\n    email: "kh@example.org"'
    )

    result = import_programme(text)

    hirata = Person.objects.get(key="koji-hirata")
    assert (hirata.name, hirata.email) == ("Kōji Hirata", "kh@example.org")
    assert (result.people_created, result.people_updated) == (0, 1)


# Rejections: every problem with its path, nothing written

REJECTIONS = {
    "bad slug": ([(("event", "slug"), "Small 2031")], [bad_key("event.slug", "Small 2031")]),
    "missing title": ([(("event", "title"), DELETE)], [required("event.title")]),
    "missing timezone": ([(("event", "timezone"), DELETE)], [required("event.timezone")]),
    "unknown timezone": (
        [(("event", "timezone"), "Europe/Leipzig")],
        [unknown_zone("event.timezone", "Europe/Leipzig")],
    ),
    "unknown display zone": (
        [(("event", "display_timezones", 0, "zone"), "Mars/Olympus")],
        [unknown_zone("event.display_timezones[0].zone", "Mars/Olympus")],
    ),
    "duplicate display label": (
        [(("event", "display_timezones", 1), {"label": "DE", "zone": "Europe/Berlin"})],
        [problem("event.display_timezones[1].label", "duplicate label %(label)s", label="'DE'")],
    ),
    "unknown event kind": (
        [(("event", "kind"), "party")],
        [
            problem(
                "event.kind",
                "unknown kind %(value)s (expected one of: %(choices)s)",
                value="'party'",
                choices="workshop, seminar, conference, lecture",
            )
        ],
    ),
    "unknown speaker": (
        [(("days", 0, "items", 1, "speakers"), ["bo-chen", "jan-zofca"])],
        [unknown_person("days[0].items[1].speakers[1]", "jan-zofca")],
    ),
    "unknown chair": (
        [(("days", 0, "items", 1, "chairs"), ["nobody"])],
        [unknown_person("days[0].items[1].chairs[0]", "nobody")],
    ),
    "unknown commentator": (
        [(("days", 0, "items", 1, "commentators"), ["nobody"])],
        [unknown_person("days[0].items[1].commentators[0]", "nobody")],
    ),
    "unknown contact": (
        [(("event", "contacts", 0, "person"), "nobody")],
        [unknown_person("event.contacts[0].person", "nobody")],
    ),
    "duplicate contact": (
        [(("event", "contacts"), [{"role": "Coordination", "person": "ann-lee"}] * 2)],
        [
            problem(
                "event.contacts[1]",
                "%(person)s is already a contact as %(role)s",
                person="'ann-lee'",
                role="'Coordination'",
            )
        ],
    ),
    "person twice in one role": (
        [(("days", 0, "items", 1, "speakers"), ["bo-chen", "bo-chen"])],
        [
            problem(
                "days[0].items[1].speakers[1]",
                "%(key)s is listed twice in %(field)s",
                key="'bo-chen'",
                field="speakers",
            )
        ],
    ),
    "duplicate person key": (
        [(("people", 2), {"key": "ann-lee", "name": "Ann Again"})],
        [
            problem(
                "people[2].key",
                "duplicate person key %(key)s (also %(other)s)",
                key="'ann-lee'",
                other="people[0]",
            )
        ],
    ),
    "bad person key": (
        [(("people", 1, "key"), "Bo_Chen")],
        [
            bad_key("people[1].key", "Bo_Chen"),
            unknown_person("days[0].items[1].speakers[0]", "bo-chen"),
        ],
    ),
    "person without name": ([(("people", 1, "name"), DELETE)], [required("people[1].name")]),
    "bad email": (
        [(("people", 1, "email"), "bo at example")],
        [bad_address("people[1].email", "'bo at example'")],
    ),
    "email with an invisible character": (
        [(("people", 1, "email"), "bo@exa\u200bmple.org")],
        # shown escaped: the character is invisible
        [bad_address("people[1].email", "'bo@exa\\u200bmple.org'")],
    ),
    "bad date": (
        [(("days", 0, "date"), "2031-02-30")],
        [expected("days[0].date", gettext("a date as YYYY-MM-DD"), "'2031-02-30'")],
    ),
    "missing date": ([(("days", 0, "date"), DELETE)], [required("days[0].date")]),
    "time without leading zero": (
        [(("days", 0, "items", 1, "start"), "9:30")],
        [expected("days[0].items[1].start", gettext('a time as "HH:MM"'), "'9:30'")],
    ),
    "impossible time": (
        [(("days", 0, "items", 1, "end"), "25:00")],
        [expected("days[0].items[1].end", gettext('a time as "HH:MM"'), "'25:00'")],
    ),
    "missing start": (
        [(("days", 0, "items", 1, "start"), DELETE)],
        [required("days[0].items[1].start")],
    ),
    "end before start": (
        [(("days", 0, "items", 1, "end"), "10:30")],
        [ends_after_start("days[0].items[1].end", "11:00")],
    ),
    "end equal to start": (
        [(("days", 0, "items", 1, "end"), "11:00")],
        [ends_after_start("days[0].items[1].end", "11:00")],
    ),
    "last session without end": (
        [(("days", 0, "items", 1, "end"), DELETE)],
        [problem("days[0].items[1].end", LAST_NEEDS_END)],
    ),
    "overlap within a day": (
        [(("days", 0, "items", 0, "end"), "11:30")],
        [overlaps("days[0].items[1]", "days[0].items[0]", "2031-07-01 11:30")],
    ),
    "overlap across days": (
        [
            (
                ("days", 1),
                {
                    "date": "2031-07-01",
                    "items": [{"start": "11:30", "end": "12:30", "title": "Late"}],
                },
            )
        ],
        [overlaps("days[1].items[0]", "days[0].items[1]", "2031-07-01 12:00")],
    ),
    "items out of order": (
        [(("days", 0, "items", 1, "start"), "09:00")],
        [
            problem(
                "days[0].items[1]",
                "starts before %(path)s: keep items in time order",
                path="days[0].items[0]",
            )
        ],
    ),
    "talk without title": (
        [(("days", 0, "items", 1, "title"), DELETE)],
        [problem("days[0].items[1].title", "required (only a break may have no title)")],
    ),
    "unknown session kind": (
        [(("days", 0, "items", 1, "kind"), "lecture")],
        [
            problem(
                "days[0].items[1].kind",
                "unknown kind %(value)s (expected one of: %(choices)s)",
                value="'lecture'",
                choices="talk, keynote, discussion, break, opening, closing",
            )
        ],
    ),
    "unknown session field": (
        [(("days", 0, "items", 1, "speaker"), ["bo-chen"])],
        [
            problem(
                "days[0].items[1].speaker",
                "unknown field (expected one of: %(fields)s)",
                fields="start, end, kind, title, abstract, speakers, chairs, commentators",
            )
        ],
    ),
    "day without sessions": (
        [(("days", 0, "items"), [{"section": "Panel"}])],
        [problem("days[0].items", "a day needs at least one session")],
    ),
    "no days": ([(("days",), DELETE)], [required("days")]),
    "empty days": ([(("days",), [])], [problem("days", "a programme needs at least one day")]),
    "no event": ([(("event",), DELETE)], [required("event")]),
    "event not a mapping": (
        [(("event",), "small-2031")],
        [expected("event", kind("a mapping"), kind("text"))],
    ),
    "person not a mapping": (
        [(("people", 1), "bo-chen")],
        [
            expected("people[1]", kind("a mapping"), kind("text")),
            unknown_person("days[0].items[1].speakers[0]", "bo-chen"),
        ],
    ),
    "people not a list": (
        [(("people",), {"ann-lee": "Ann Lee"})],
        [
            expected("people", kind("a list"), kind("a mapping")),
            unknown_person("event.contacts[0].person", "ann-lee"),
            unknown_person("days[0].items[0].speakers[0]", "ann-lee"),
            unknown_person("days[0].items[1].speakers[0]", "bo-chen"),
            unknown_person("days[0].items[1].chairs[0]", "ann-lee"),
        ],
    ),
    "session not a mapping": (
        [(("days", 0, "items", 1), "Talk at 11")],
        [
            expected("days[0].items[1]", kind("a mapping"), kind("text")),
            problem("days[0].items[0].end", LAST_NEEDS_END),
        ],
    ),
    "title not text": (
        [(("days", 0, "items", 1, "title"), ["Talk"])],
        [
            expected("days[0].items[1].title", kind("text"), kind("a list")),
            problem("days[0].items[1].title", "required (only a break may have no title)"),
        ],
    ),
    "title too long": (
        [(("event", "title"), "x" * 301)],
        [
            problem(
                "event.title",
                "too long (%(count)d characters, at most %(limit)d)",
                count=301,
                limit=300,
            )
        ],
    ),
    "registration date without time": (
        [(("event", "registration"), {"opens": "2031-06-01"})],
        [
            expected(
                "event.registration.opens",
                gettext("a local date and time as YYYY-MM-DDTHH:MM"),
                "'2031-06-01'",
            )
        ],
    ),
    "registration closes before it opens": (
        [
            (
                ("event", "registration"),
                {"opens": "2031-06-01T09:00", "closes": "2031-05-31T09:00"},
            )
        ],
        [problem("event.registration.closes", "must be after registration.opens")],
    ),
    "capacity zero": (
        [(("event", "registration"), {"capacity": 0})],
        [positive("0")],
    ),
    "capacity text": (
        [(("event", "registration"), {"capacity": "many"})],
        [positive("'many'")],
    ),
    "capacity true": (
        [(("event", "registration"), {"capacity": True})],
        [positive("True")],
    ),
    "approval not a flag": (
        [(("event", "registration"), {"requires_approval": "yes please"})],
        [
            problem(
                "event.registration.requires_approval",
                "expected true or false, got %(value)s",
                value="'yes please'",
            )
        ],
    ),
    "three-letter language": (
        [(("event", "language"), "eng")],
        [language("'eng'")],
    ),
    "upper-case language": (
        [(("event", "language"), "EN")],
        [language("'EN'")],
    ),
    "meeting url not a url": (
        [(("event", "meeting"), {"url": "zoom meeting 123"})],
        [problem("event.meeting.url", "not a URL: %(value)s", value="'zoom meeting 123'")],
    ),
}


@pytest.mark.parametrize("name", REJECTIONS)
def test_import_programme_rejects_with_path(db, name):
    edits, expected = REJECTIONS[name]

    assert rejection(changed(*edits)) == expected


def test_import_programme_small_programme_is_valid(db):
    result = import_programme(small_programme())

    assert result.sessions_created == 2


def test_import_programme_reports_every_problem(db):
    data = changed(
        (("event", "timezone"), "Mars/Olympus"),
        (("people", 1, "name"), DELETE),
        (("days", 0, "items", 1, "chairs"), ["jan-zofca"]),
        (("days", 0, "items", 1, "end"), "10:30"),
    )

    assert rejection(data) == [
        required("people[1].name"),
        unknown_zone("event.timezone", "Mars/Olympus"),
        unknown_person("days[0].items[1].chairs[0]", "jan-zofca"),
        ends_after_start("days[0].items[1].end", "11:00"),
    ]


def test_import_programme_rejects_a_list_at_the_top(db):
    assert rejection("- event\n- days\n") == [
        problem(
            "file",
            "expected a mapping of event, people and days, got %(found)s",
            found=kind("a list"),
        )
    ]


def test_import_programme_rejects_unknown_top_level_field(db):
    data = changed((("speakers",), []))

    assert rejection(data) == [
        problem(
            "speakers", "unknown field (expected one of: %(fields)s)", fields="event, people, days"
        )
    ]


def test_import_programme_reports_malformed_yaml_with_line_and_column(db):
    text = 'event:\n  slug: x\n  title: "unclosed\npeople: []\n'

    assert rejection(text) == [
        at_line(5, 1, "found unexpected end of stream"),  # PyYAML's own words
    ]


def test_import_programme_reports_duplicate_yaml_keys_with_line(db):
    text = "event:\n  slug: x\n  slug: y\n"

    assert rejection(text) == [at_line(3, 3, gettext("duplicate key %(key)s") % {"key": "'slug'"})]


def test_import_programme_reads_plain_scalars_as_written(db):
    text = """
event:
  {slug: plain-2031, title: Plain, timezone: Europe/Berlin, language: no, online: false,
   meeting: {passcode: 012345}}
days:
  - date: 2031-07-01
    items:
      - {start: 12:30, end: 13:30, title: Noon}
"""
    event = import_programme(text).event

    assert event.sessions.get().start == dt.datetime(2031, 7, 1, 10, 30, tzinfo=UTC)
    assert event.meeting_passcode == "012345"
    assert (event.language, event.online) == ("no", False)


def test_import_programme_file_reports_a_missing_file(db, tmp_path):
    with pytest.raises(ProgrammeError) as excinfo:
        import_programme_file(tmp_path / "nowhere.yaml")

    assert len(excinfo.value.problems) == 1
    cannot_read = gettext("cannot read the file (%(error)s)").split("%(error)s")[0]
    assert excinfo.value.problems[0].startswith(f"{tmp_path / 'nowhere.yaml'}: {cannot_read}")


def test_invalid_reimport_leaves_the_old_programme_intact(db):
    event = import_programme_file(WORKSHOP_FILE).event
    rows, counts = session_rows(event), model_counts()
    text = workshop_text()
    text = replace_once(text, 'title: "Final Discussion"', 'title: "Closing Discussion"')
    text = replace_once(text, "chairs: [valeria-zanier]", "chairs: [valeria-zanier, jan-zofka]")
    text = replace_once(text, "speakers: [valeria-zanier]", "speakers: [jan-zofka]")
    text = replace_once(text, "commentators: [koji-hirata]", "commentators: [koji-hirata, koji]")

    with pytest.raises(ProgrammeError) as excinfo:
        import_programme(text)

    assert excinfo.value.problems == [unknown_person("days[1].items[4].commentators[1]", "koji")]
    assert session_rows(event) == rows
    assert model_counts() == counts


def test_write_rolls_back_everything_on_a_database_error(db):
    import_programme_file(SEMINAR_FILE)
    counts = model_counts()
    reader = _Reader()
    programme = reader.read(small_programme())
    assert reader.problems == []
    # A session that the database refuses (end before start) after people and sections are in.
    programme.sessions[-1].end = programme.sessions[-1].start - dt.timedelta(hours=1)

    with pytest.raises(IntegrityError):
        _write(programme)

    assert model_counts() == counts
    assert not Event.objects.filter(slug="small-2031").exists()


# Time zones and daylight-saving time


def test_import_programme_rejects_a_time_in_the_spring_forward_gap(db):
    data = changed(
        (("days", 0, "date"), "2031-03-30"),
        (("days", 0, "items", 0, "start"), "01:30"),
        (("days", 0, "items", 1, "start"), "02:30"),
        (("days", 0, "items", 1, "end"), "03:30"),
    )

    assert rejection(data) == [
        skipped_by_clocks("days[0].items[1].start", "2031-03-30 02:30", "Europe/Berlin")
    ]


def test_import_programme_rejects_a_registration_time_in_the_gap(db):
    data = changed((("event", "registration"), {"opens": "2031-03-30T02:15"}))

    assert rejection(data) == [
        skipped_by_clocks("event.registration.opens", "2031-03-30 02:15", "Europe/Berlin")
    ]


def test_import_programme_takes_the_first_of_a_repeated_hour(db):
    data = changed(
        (("days", 0, "date"), "2031-10-26"),
        (("days", 0, "items", 0, "start"), "02:30"),
        (("days", 0, "items", 1, "start"), "04:00"),
        (("days", 0, "items", 1, "end"), "05:00"),
    )

    event = import_programme(data).event

    first = event.sessions.order_by("start").first()
    # 02:30 summer time (UTC+2); the clocks then go back, so the session lasts 2½ hours.
    assert first.start == dt.datetime(2031, 10, 26, 0, 30, tzinfo=UTC)
    assert first.end == dt.datetime(2031, 10, 26, 3, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("zone", "date", "expected_start"),
    [
        ("America/St_Johns", "2031-07-01", dt.datetime(2031, 7, 1, 12, 30, tzinfo=UTC)),
        ("America/St_Johns", "2031-01-15", dt.datetime(2031, 1, 15, 13, 30, tzinfo=UTC)),
        ("Asia/Kathmandu", "2031-07-01", dt.datetime(2031, 7, 1, 4, 15, tzinfo=UTC)),
        ("Australia/Melbourne", "2031-01-15", dt.datetime(2031, 1, 14, 23, 0, tzinfo=UTC)),
    ],
)
def test_import_programme_stores_utc_for_odd_offsets(db, zone, date, expected_start):
    data = changed((("event", "timezone"), zone), (("days", 0, "date"), date))

    event = import_programme(data).event

    assert event.sessions.order_by("start").first().start == expected_start
    assert event.timezone == zone


def test_reimport_with_a_new_meeting_link_raises_every_session_sequence(db):
    text = (EXAMPLES_DIR / "seminar-hirata.yaml").read_text()
    import_programme(text)
    before = dict(Session.objects.values_list("uid", "sequence"))
    import_programme(text.replace("98765432100", "98765432199"))
    after = dict(Session.objects.values_list("uid", "sequence"))
    assert after == {uid: sequence + 1 for uid, sequence in before.items()}


def test_reimport_without_abstract_keeps_the_abstract_the_speaker_wrote(db):
    text = (EXAMPLES_DIR / "sino-soviet-2021.yaml").read_text()
    import_programme(text)
    session = Session.objects.get(title="China and the Leipzig Trade Fair (1950–1965)")
    session.abstract = "Written by the speaker in the portal."
    session.save()
    import_programme(text)
    session.refresh_from_db()
    assert session.abstract == "Written by the speaker in the portal."


# Hostile input (issue 10, defect 9): every one is a problem with its path, never an exception.


def lone_surrogate(path: str) -> str:
    return problem(
        path, "contains %(code)s, which is not a character (a lone surrogate)", code="U+D800"
    )


MAX_INT = 2_147_483_647  # PositiveIntegerField's upper bound on SQLite and PostgreSQL alike
MANY_KEYS = [f"p-{i}" for i in range(1001)]  # more than a PositiveSmallIntegerField position

HOSTILE = {
    "capacity past the integer column": (
        [(("event", "registration"), {"capacity": MAX_INT + 1})],
        [at_most("event.registration.capacity", MAX_INT, MAX_INT + 1)],
    ),
    "capacity 10**30": (
        [(("event", "registration"), {"capacity": 10**30})],
        [at_most("event.registration.capacity", MAX_INT, 10**30)],
    ),
    "NUL in the event title": (
        [(("event", "title"), "Small\x00Workshop")],
        [problem("event.title", ONE_LINE, code="U+0000")],
    ),
    "NUL in a person's name": (
        [(("people", 1, "name"), "Bo\x00Chen")],
        [problem("people[1].name", ONE_LINE, code="U+0000")],
    ),
    "line break in a session title": (
        [(("days", 0, "items", 1, "title"), "Talk\nBcc: everyone@example.org")],
        [
            problem("days[0].items[1].title", ONE_LINE, code="U+000A"),
            # As for a title that is not text at all ("title not text").
            problem("days[0].items[1].title", "required (only a break may have no title)"),
        ],
    ),
    "escape character in an affiliation": (
        [(("people", 1, "affiliation"), "Uni\x1b[31m")],
        [problem("people[1].affiliation", ONE_LINE, code="U+001B")],
    ),
    "NUL in an abstract": (
        [(("days", 0, "items", 1, "abstract"), "First line\nsecond\x00")],
        [
            problem(
                "days[0].items[1].abstract",
                "must be text without control characters other than tabs and line breaks "
                "(found %(code)s)",
                code="U+0000",
            )
        ],
    ),
    "unreadable character in a bio": (
        [(("people", 1, "bio"), "Caf\ufffd")],
        [
            problem(
                "people[1].bio",
                "contains U+FFFD, the mark of a character that could not be read: type it again",
            )
        ],
    ),
    "lone surrogate in a title": (
        [(("event", "title"), "Small \ud800")],
        [lone_surrogate("event.title")],
    ),
    "NUL in a person key": (
        [(("people", 0, "key"), "ann\x00lee")],
        [
            problem("people[0].key", ONE_LINE, code="U+0000"),
            unknown_person("event.contacts[0].person", "ann-lee"),
            unknown_person("days[0].items[0].speakers[0]", "ann-lee"),
            unknown_person("days[0].items[1].chairs[0]", "ann-lee"),
        ],
    ),
    "year 1 in Tokyo": (
        [
            (("event", "timezone"), "Asia/Tokyo"),
            (("days", 0, "date"), "0001-01-01"),
            (("days", 0, "items", 0, "start"), "00:00"),
        ],
        [year("days[0].date", "0001-01-01")],
    ),
    "year 9999 in New York": (
        [
            (("event", "timezone"), "America/New_York"),
            (("days", 0, "date"), "9999-12-31"),
            (("days", 0, "items", 1, "end"), "23:00"),
        ],
        [year("days[0].date", "9999-12-31")],
    ),
    "registration opening in year 1": (
        [
            (("event", "timezone"), "Asia/Tokyo"),
            (("event", "registration"), {"opens": "0001-01-01T00:00"}),
        ],
        [year("event.registration.opens", "0001-01-01T00:00")],
    ),
    "registration closing in year 9999": (
        [
            (("event", "timezone"), "America/New_York"),
            (("event", "registration"), {"closes": "9999-12-31T23:59"}),
        ],
        [year("event.registration.closes", "9999-12-31T23:59")],
    ),
    "date object in year 1": (
        [(("days", 0, "date"), dt.date(1, 1, 1))],
        [year("days[0].date", "0001-01-01")],
    ),
    "timezone localtime": (
        [(("event", "timezone"), "localtime")],
        [unknown_zone("event.timezone", "localtime")],
    ),
    "timezone Factory": (
        [(("event", "timezone"), "Factory")],
        [unknown_zone("event.timezone", "Factory")],
    ),
    "display zone localtime": (
        [(("event", "display_timezones", 0, "zone"), "localtime")],
        [unknown_zone("event.display_timezones[0].zone", "localtime")],
    ),
    "too many display zones": (
        [
            (
                ("event", "display_timezones"),
                [{"label": f"Z{i}", "zone": "UTC"} for i in range(1001)],
            )
        ],
        [too_many("event.display_timezones", 1001, 1000)],
    ),
    "too many sections": (
        [
            (
                ("days", 0, "items"),
                [{"section": f"S{i}"} for i in range(1001)]
                + [{"start": "10:00", "end": "11:00", "title": "Talk"}],
            )
        ],
        [problem("days[0].items[1000].section", "more than %(limit)d sections", limit=1000)],
    ),
    "too many speakers for the position column": (
        [
            (
                ("people",),
                [{"key": k, "name": k} for k in ["ann-lee", "bo-chen", *MANY_KEYS]],
            ),
            (("days", 0, "items", 1, "speakers"), MANY_KEYS),
        ],
        [too_many("days[0].items[1].speakers", 1001, 1000)],
    ),
}


@pytest.mark.parametrize("name", HOSTILE)
def test_import_programme_reports_hostile_values_with_their_path(db, name):
    edits, expected = HOSTILE[name]

    assert rejection(changed(*edits)) == expected


def hostile_yaml(
    *,
    zone="Europe/Berlin",
    title='"A Small Workshop"',
    capacity="10",
    date="2031-07-01",
    start='"10:00"',
    end='"11:00"',
) -> str:
    return f"""\
event:
  slug: hostile-2031
  title: {title}
  timezone: {zone}
  registration: {{capacity: {capacity}}}
people: [{{key: ann-lee, name: Ann Lee}}]
days:
  - date: {date}
    items:
      - {{start: {start}, end: {end}, title: Talk, speakers: [ann-lee]}}
"""


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        (
            {"capacity": "2147483648"},
            at_most("event.registration.capacity", MAX_INT, 2147483648),
        ),
        (
            {"capacity": "1" + "0" * 30},
            at_most("event.registration.capacity", MAX_INT, "1" + "0" * 30),
        ),
        ({"title": '"Small\\0Workshop"'}, problem("event.title", ONE_LINE, code="U+0000")),
        ({"title": '"Small \\uD800"'}, lone_surrogate("event.title")),
        (
            {"zone": "Asia/Tokyo", "date": "0001-01-01", "start": '"00:00"', "end": '"01:00"'},
            year("days[0].date", "0001-01-01"),
        ),
        (
            {
                "zone": "America/New_York",
                "date": "9999-12-31",
                "start": '"22:00"',
                "end": '"23:00"',
            },
            year("days[0].date", "9999-12-31"),
        ),
        ({"zone": "localtime"}, unknown_zone("event.timezone", "localtime")),
        ({"zone": "Factory"}, unknown_zone("event.timezone", "Factory")),
        (
            {"capacity": "1" * 5000},
            at_line(5, 28, gettext("a number of %(digits)d digits is too long") % {"digits": 5000}),
        ),
        (
            {"date": "!!timestamp 2031-02-30"},
            at_line(
                8,
                11,
                gettext("not a valid %(type)s: %(error)s")
                % {"type": "timestamp", "error": "day is out of range for month"},  # Python's
            ),
        ),
    ],
)
def test_import_programme_reports_hostile_yaml_with_its_path(db, fields, expected):
    assert rejection(hostile_yaml(**fields)) == [expected]


def test_hostile_yaml_template_is_valid(db):
    assert import_programme(hostile_yaml()).sessions_created == 1


def alias_bomb(width: int = 1000) -> str:
    """About 10 KB whose aliases expand to `width` days of `width` sessions each, every one
    naming an unknown person: a million sessions and millions of problems, if aliases were
    expanded freely."""
    session = '&s {start: "10:00", end: "11:00", title: T, speakers: [nobody]}'
    items = ", ".join([session] + ["*s"] * (width - 1))
    days = ", ".join([f"&day {{date: 2031-07-01, items: [{items}]}}"] + ["*day"] * (width - 1))
    return f"event: {{slug: bomb, title: Bomb, timezone: UTC}}\ndays: [{days}]\n"


def test_import_programme_refuses_an_alias_bomb(db):
    text = alias_bomb()
    assert len(text) < 20_000

    problems = rejection(text)

    assert len(problems) == 1
    assert problems[0].startswith("line 2, column ")
    assert problems[0].endswith(
        gettext(
            "aliases expand to more than %(count)d values; write the repeated parts out instead"
        )
        % {"count": 1000}
    )


def test_import_programme_accepts_a_few_aliases(db):
    text = """\
event: {slug: aliases-2031, title: Aliases, timezone: Europe/Berlin}
people: [{key: ann-lee, name: Ann Lee}, {key: bo-chen, name: Bo Chen}]
days:
  - date: 2031-07-01
    items:
      - {start: "10:00", end: "11:00", title: One, chairs: &panel [ann-lee, bo-chen]}
      - {start: "11:00", end: "12:00", title: Two, chairs: *panel}
"""
    event = import_programme(text).event

    assert [[r.person.key for r in s.roles.all()] for s in event.sessions.order_by("start")] == [
        ["ann-lee", "bo-chen"],
        ["ann-lee", "bo-chen"],
    ]


def test_import_programme_refuses_an_alias_inside_its_own_anchor(db):
    text = "event: &loop {slug: loop, title: Loop, timezone: UTC, description: *loop}\n"

    problems = rejection(text)

    assert len(problems) == 1
    assert problems[0].startswith("line 1, column ")
    assert problems[0].endswith(
        gettext("alias *%(anchor)s is inside the value it names (a loop)") % {"anchor": "loop"}
    )


def test_import_programme_refuses_deep_nesting(db):
    text = "event: " + "[" * 5000 + "]" * 5000 + "\n"

    assert rejection(text) == [
        at_line(1, 27, gettext("nested deeper than %(depth)d levels") % {"depth": 20})
    ]


def test_import_programme_lists_the_first_100_problems_and_counts_the_rest(db):
    data = changed((("days", 0, "items", 1, "speakers"), [f"nobody-{i}" for i in range(250)]))

    with pytest.raises(ProgrammeError) as excinfo:
        import_programme(data)

    error = excinfo.value
    assert error.count == 250
    assert len(error.problems) == 100
    assert error.problems[0] == unknown_person("days[0].items[1].speakers[0]", "nobody-0")
    assert error.problems[-1] == unknown_person("days[0].items[1].speakers[99]", "nobody-99")
    assert error.lines()[-1] == ngettext(
        "... and %(count)d more problem", "... and %(count)d more problems", 150
    ) % {"count": 150}
    assert str(error).splitlines() == error.lines()


def test_import_programme_refuses_text_over_the_size_limit(db, settings):
    settings.IMPORT_MAX_BYTES = 1000
    text = hostile_yaml() + "# " + "x" * 1000 + "\n"

    assert rejection(text) == [too_large("file", "1,000")]


def test_import_programme_file_refuses_a_file_over_the_size_limit(db, settings, tmp_path):
    settings.IMPORT_MAX_BYTES = 1000
    path = tmp_path / "big.yaml"
    path.write_text(hostile_yaml() + "# " + "é" * 600 + "\n", encoding="utf-8")

    with pytest.raises(ProgrammeError) as excinfo:
        import_programme_file(path)

    assert excinfo.value.problems == [too_large(str(path), "1,000")]


def test_import_programme_default_size_limit_is_2_mib(settings):
    assert settings.IMPORT_MAX_BYTES == 2 * 1024 * 1024


def test_import_programme_takes_an_empty_end_as_no_end(db):
    # Found by the fuzz test: `end: ""` was an end of None, and the database refused it.
    assert rejection(hostile_yaml(end='""')) == [problem("days[0].items[0].end", LAST_NEEDS_END)]
    data = changed((("days", 0, "items", 0, "end"), "  "))

    first = import_programme(data).event.sessions.order_by("start").first()

    assert first.end == dt.datetime(2031, 7, 1, 9, 0, tzinfo=UTC)
