"""Fuzzing the programme importer (issue 10, defect 9): programme documents that keep the valid
structure of a small programme but carry hostile values where its values go (huge integers,
NUL and other control characters, lone surrogates, odd zones, extreme dates, deep nesting,
wrong types), as Python data and as YAML text. Whatever comes in, the importer imports it or
raises `ProgrammeError` with at most 100 problems, each with its path: never another exception.
Each example runs in a transaction rolled back at its end; the suite runs on SQLite and on
PostgreSQL (whose refusals of NUL and of large integers were the original tracebacks)."""

import datetime as dt
import os
import re

import pytest
import yaml
from django.db import transaction
from django.utils.translation import gettext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.workshop.test_importer import hostile_yaml, small_programme
from workshop.importer import (
    MAX_CAPACITY,
    MAX_PROBLEMS,
    MAX_YEAR,
    MIN_YEAR,
    ImportResult,
    ProgrammeError,
    import_programme,
)
from workshop.zones import zone_choices

# Bounded so that the three fuzz tests take a few seconds in CI; a longer local run:
# `HYPOTHESIS_MAX_EXAMPLES=2000 python3 dev.py test tests/workshop/test_importer_fuzz.py`.
EXAMPLES = int(os.environ.get("HYPOTHESIS_MAX_EXAMPLES", "80"))
FUZZ = settings(
    database=None,
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
# Each of these examples imports (writes a whole programme): fewer of them.
STORED = settings(FUZZ, max_examples=max(10, EXAMPLES // 2))

HOSTILE_TEXT = [
    "",
    " ",
    "\x00",
    "Talk\x00",
    "a\tb",
    "line\nbreak",
    "\r\n",
    "\x1b[31mred",
    "\x7f",
    "\u2028",
    "\ud800",
    "x\udfffy",
    "\ufffd",
    "\u202eevil",
    "İstanbul",
    "K",
    "日本語",
    "🎉",
    "x" * 600,
    "-" * 101,
    "ann-lee",
    "bo-chen",
    "UPPER",
    "a--b",
]
ZONES = [
    "Europe/Berlin",
    "America/New_York",
    "Asia/Tokyo",
    "Pacific/Kiritimati",
    "Pacific/Pago_Pago",
    "Etc/GMT+12",
    "Etc/GMT-14",
    "UTC",
    "US/Eastern",
    "localtime",
    "Factory",
    "posixrules",
    "Mars/Olympus",
    "europe/berlin",
    "../../etc/passwd",
    "Europe/Berlin\x00",
]
EXTREME_DATES = [
    dt.date(1, 1, 1),
    dt.date(1899, 12, 31),
    dt.date(2200, 12, 31),
    dt.date(9999, 12, 31),
]
INTEGERS = [0, -1, 1, 2**31 - 1, 2**31, 2**32, 2**63, 10**30, -(10**30), 10**200]

texts = st.one_of(st.sampled_from(HOSTILE_TEXT), st.text(max_size=30))
integers = st.one_of(st.sampled_from(INTEGERS), st.integers())
dates = st.one_of(st.sampled_from(EXTREME_DATES), st.dates())
written_dates = dates.map(lambda d: d.isoformat())
written_datetimes = st.one_of(
    st.builds(lambda d: f"{d.isoformat()}T00:00", dates),
    st.builds(lambda d: f"{d.isoformat()}T23:59", dates),
    st.datetimes().map(lambda d: d.isoformat(timespec="minutes")),
)
clocks = st.one_of(
    st.times().map(lambda t: t.strftime("%H:%M")),
    st.sampled_from(["24:00", "9:30", "23:59", "00:00", "12:30:15", "٠٩:٣٠"]),
)
scalars = st.one_of(
    texts,
    integers,
    st.floats(),
    st.booleans(),
    st.none(),
    st.sampled_from(ZONES),
    dates,
    written_dates,
    written_datetimes,
    clocks,
    st.datetimes(timezones=st.just(dt.UTC)),
    st.times(),
    st.binary(max_size=4),
)
hostile_values = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=3),
        st.dictionaries(st.one_of(texts, st.integers()), children, max_size=3),
    ),
    max_leaves=8,
)
# Deep nesting, beyond what the file format uses (and beyond the loader's limit as YAML).


def nested(depth: int) -> list:
    value = []
    for _ in range(depth):
        value = [value]
    return value


deep = st.integers(min_value=1, max_value=60).map(nested)

# Where a small programme's values are (see small_programme()), plus a few new places.
PATHS = [
    ("event", "slug"),
    ("event", "title"),
    ("event", "subtitle"),
    ("event", "kind"),
    ("event", "description"),
    ("event", "timezone"),
    ("event", "language"),
    ("event", "location"),
    ("event", "online"),
    ("event", "target_groups"),
    ("event", "display_timezones"),
    ("event", "display_timezones", 0, "label"),
    ("event", "display_timezones", 0, "zone"),
    ("event", "contacts", 0, "role"),
    ("event", "contacts", 0, "person"),
    ("event", "meeting"),
    ("event", "registration"),
    ("event", "registration", "opens"),
    ("event", "registration", "closes"),
    ("event", "registration", "capacity"),
    ("event", "registration", "requires_approval"),
    ("people",),
    ("people", 0),
    ("people", 0, "key"),
    ("people", 0, "name"),
    ("people", 1, "affiliation"),
    ("people", 1, "email"),
    ("people", 1, "bio"),
    ("days",),
    ("days", 0),
    ("days", 0, "date"),
    ("days", 0, "items"),
    ("days", 0, "items", 0),
    ("days", 0, "items", 0, "start"),
    ("days", 0, "items", 0, "title"),
    ("days", 0, "items", 1, "end"),
    ("days", 0, "items", 1, "kind"),
    ("days", 0, "items", 1, "title"),
    ("days", 0, "items", 1, "abstract"),
    ("days", 0, "items", 1, "speakers"),
    ("days", 0, "items", 1, "speakers", 0),
    ("days", 0, "items", 1, "chairs"),
    ("unknown",),
]
VALUES_FOR = {
    "capacity": integers,
    "timezone": st.sampled_from(ZONES),
    "zone": st.sampled_from(ZONES),
    "date": st.one_of(written_dates, dates),
    "opens": written_datetimes,
    "closes": written_datetimes,
    "start": clocks,
    "end": clocks,
}
edits = st.lists(
    st.sampled_from(PATHS).flatmap(
        lambda path: st.tuples(
            st.just(path),
            st.one_of(VALUES_FOR.get(path[-1], hostile_values), hostile_values, deep),
        )
    ),
    min_size=1,
    max_size=4,
)


def base_programme() -> dict:
    data = small_programme()
    data["event"]["registration"] = {"capacity": 10, "opens": "2031-06-01T09:00"}
    return data


def edited(changes) -> dict:
    data = base_programme()
    for path, value in changes:
        *parents, last = path
        target = data
        try:
            for step in parents:
                target = target[step]
            target[last] = value
        except (KeyError, IndexError, TypeError):
            pass  # an earlier change replaced a parent: this one has no place left
    return data


def outcome(data) -> ImportResult | ProgrammeError:
    """Imports `data` in a transaction that is rolled back: the import or its rejection."""
    with transaction.atomic():
        try:
            result = import_programme(data, source="fuzz")
        except ProgrammeError as exc:
            result = exc
        transaction.set_rollback(True)
    if isinstance(result, ProgrammeError):
        assert 1 <= len(result.problems) <= MAX_PROBLEMS
        assert result.count >= len(result.problems)
        for problem in result.problems:
            assert isinstance(problem, str) and ": " in problem, problem
            assert "\x00" not in problem
    else:
        assert isinstance(result, ImportResult)
    return result


def as_yaml(data) -> str | None:
    try:
        return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
    except (yaml.YAMLError, ValueError, UnicodeError):
        return None


@pytest.mark.django_db
@FUZZ
@given(changes=edits)
def test_fuzzed_programmes_import_or_give_problems(changes):
    data = edited(changes)

    outcome(data)
    text = as_yaml(data)
    if text is not None:
        outcome(text)


HOSTILE_SCALARS = [
    "2147483648",
    "1" + "0" * 30,
    "1" * 5000,
    "-1",
    "1e999",
    "-.inf",
    ".nan",
    "0x1F",
    "0o17",
    "1_000",
    "~",
    "null",
    "yes",
    '"a\\0b"',
    '"\\uD800"',
    '"\\x1b[0m"',
    '"\\uFFFD"',
    '"\\u2028"',
    "!!timestamp 2031-02-30",
    "!!timestamp 0001-01-01",
    "!!timestamp 9999-12-31T23:59:59-12:00",
    "!!timestamp 2031-07-01 10:00:00 +14:00",
    "!!binary AAAA",
    "!!binary not-base64!",
    "!!float abc",
    "!!int 12abc",
    "!!set {a, b}",
    "!!omap [a: 1]",
    "!!python/object/apply:os.system [echo]",
    "!!str",
    "*undefined",
    "&a [*a]",
    "&b {x: *b}",
    "[" * 30 + "]" * 30,
    "{a: " * 30 + "1" + "}" * 30,
    "[a, [b, [c]]]",
    "{start: 10:00}",
    "localtime",
    "Factory",
    "0001-01-01",
    "9999-12-31",
    '"24:00"',
    "? [a, b]\n  : c",
    "'unclosed",
    "|\n  block",
    "@reserved",
    "%TAG",
]
FIELDS = ["zone", "title", "capacity", "date", "start", "end"]


@pytest.mark.django_db
@FUZZ
@given(
    values=st.dictionaries(
        st.sampled_from(FIELDS),
        st.one_of(st.sampled_from(HOSTILE_SCALARS), st.text(max_size=20).map(repr)),
        min_size=1,
        max_size=3,
    )
)
def test_hostile_yaml_scalars_import_or_give_problems(values):
    outcome(hostile_yaml(**values))


def test_fuzz_helpers_make_valid_programmes_when_unchanged(db):
    assert isinstance(outcome(base_programme()), ImportResult)
    assert isinstance(outcome(as_yaml(base_programme())), ImportResult)


# What the importer accepts, the database stores: values at the edges of every rule.
one_line = st.text(
    alphabet=st.characters(
        exclude_categories=["Cc", "Cs", "Zl", "Zp"], exclude_characters="\ufffd"
    ),
    min_size=1,
    max_size=300,
).filter(lambda text: text.strip())
multi_line = st.text(
    alphabet=st.characters(exclude_categories=["Cc", "Cs"], include_characters="\t\n"),
    max_size=200,
)
edge_dates = st.dates(min_value=dt.date(MIN_YEAR, 1, 1), max_value=dt.date(MAX_YEAR, 12, 31))


def message_pattern(msgid: str) -> re.Pattern:
    """A problem whose message is the catalogue's ``msgid``, any values in its placeholders."""
    parts = re.split(r"%\(\w+\)[sd]", gettext(msgid))
    return re.compile(": " + ".+".join(re.escape(part) for part in parts) + "$")


@pytest.mark.django_db
@STORED
@given(
    title=one_line,
    abstract=multi_line,
    capacity=st.one_of(st.integers(1, MAX_CAPACITY), st.just(MAX_CAPACITY)),
    zone=st.sampled_from([name for name, _ in zone_choices()]),
    day=st.one_of(
        edge_dates, st.sampled_from([dt.date(MIN_YEAR, 1, 1), dt.date(MAX_YEAR, 12, 31)])
    ),
)
def test_accepted_values_are_stored(title, abstract, capacity, zone, day):
    skipped_by_clocks = message_pattern("%(time)s does not exist in %(zone)s (clocks skip it)")
    data = base_programme()
    data["event"]["title"] = title
    data["event"]["timezone"] = zone
    data["event"]["registration"] = {"capacity": capacity}
    data["days"][0]["date"] = day.isoformat()
    data["days"][0]["items"][1]["abstract"] = abstract

    with transaction.atomic():
        try:
            event = import_programme(data, source="fuzz").event
        except ProgrammeError as exc:
            # Only a wall-clock time that the zone skips that day may refuse these values.
            assert all(skipped_by_clocks.search(p) for p in exc.problems), exc.problems
        else:
            event.refresh_from_db()
            assert (event.title, event.capacity) == (title.strip(), capacity)
            assert event.sessions.get(title="Talk").abstract == abstract.strip()
        transaction.set_rollback(True)
