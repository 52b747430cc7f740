"""Loading a programme file (format: docs/programme-format.md) into the database.

Two passes. `_Reader` checks the whole file, collects every problem with its path and turns
the rest into a `Programme` of plain values (UTC instants, person keys). Only a file without
problems reaches `_write`, which applies it in one transaction. Re-importing updates rows in
place, so a session keeps its pk and calendar UID and calendar apps see an update.

Whatever a file holds, the result is an import or a `ProgrammeError`, never another exception:
the reader lets through only values every supported database stores (integers within the
column, text without NUL or other control characters, years 1900–2200), and the file itself is
bounded (`IMPORT_MAX_BYTES`, YAML nesting and aliases; see `_Loader`). At most `MAX_PROBLEMS`
problems are kept, the rest only counted.

Problems are read by organizers (the command's output, and wherever an import is offered):
each is translated when it is reported, into the language active then (the command's, or the
request's). The paths in them (`days[0].items[2].start`) and the file's own keys stay as the
file writes them.
"""

import datetime as dt
import logging
import re
import zoneinfo
from collections import defaultdict
from dataclasses import dataclass, field
from itertools import zip_longest
from pathlib import Path

import yaml
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator, URLValidator
from django.db import transaction
from django.utils.formats import number_format
from django.utils.translation import gettext, gettext_lazy, ngettext, pgettext

from .addresses import validate_address
from .models import (
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
    slug_validator,
)
from .reminders import parse_reminder_offsets
from .services import (
    MEETING_FIELDS,
    TIME_FIELDS,
    announce_session_change,
    note_event_meeting_change,
    note_session_change,
    touch_programme,
)
from .validators import first_control_char, is_unreadable
from .zones import is_valid_zone

logger = logging.getLogger(__name__)

_EVENT_FIELDS = (
    "slug title subtitle kind description timezone display_timezones location online free "
    "language organizer target_groups subject_areas event_types contacts meeting registration "
    "reminders"
).split()
_SESSION_FIELDS = "start end kind title abstract speakers chairs commentators".split()
_ROLE_FIELDS = {
    "speakers": SessionRole.Role.SPEAKER,
    "chairs": SessionRole.Role.CHAIR,
    "commentators": SessionRole.Role.COMMENTATOR,
}
# Forms of dates and times in a file: (type, pattern, what the message asks for).
_DATE = (dt.date, r"\d{4}-\d{2}-\d{2}", gettext_lazy("a date as YYYY-MM-DD"))
_CLOCK = (dt.time, r"\d{2}:\d{2}", gettext_lazy('a time as "HH:MM"'))
_DATETIME = (
    dt.datetime,
    r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}",
    gettext_lazy("a local date and time as YYYY-MM-DDTHH:MM"),
)
_BAD_SLUG = gettext_lazy(
    "%(value)s is not a valid key: use lowercase letters, digits and single hyphens"
)
_TAG_MODELS = {"target_groups": TargetGroup, "subject_areas": SubjectArea, "event_types": EventType}

# Problems listed in full; past this many, only counted (a broken file can have thousands).
MAX_PROBLEMS = 100
# The years a programme may use: converting year 1 or 9999 between zones leaves the range of
# Python's datetime, and no event we publish is outside these.
MIN_YEAR, MAX_YEAR = 1900, 2200
# The upper bound of Django's PositiveIntegerField on every database we support (its range is
# that of a 32-bit integer column; PostgreSQL refuses more).
MAX_CAPACITY = 2_147_483_647
# Entries of a list stored with their position (a PositiveSmallIntegerField, ≤ 32767): display
# zones, contacts, sections, the speakers/chairs/commentators of a session.
MAX_ENTRIES = 1000
# The file: its nesting is at most about seven levels deep (top → days → day → items → session
# → speakers → key); aliases may repeat at most this many values in all (see `_Loader`).
MAX_DEPTH = 20
MAX_ALIAS_VALUES = 1000
DEFAULT_MAX_BYTES = 2 * 1024 * 1024
# Half of a UTF-16 pair, alone: Python strings can hold one (YAML's "\ud800" makes it), UTF-8
# and so no database can.
_SURROGATE = re.compile("[\ud800-\udfff]")


class ProgrammeError(Exception):
    """A programme that cannot be imported: `problems` names each fault with its path (at most
    `MAX_PROBLEMS` of them), `count` says how many there are in all."""

    def __init__(self, problems: list[str], count: int | None = None):
        self.problems = problems[:MAX_PROBLEMS]
        self.count = max(len(problems), count or 0)
        super().__init__("\n".join(self.lines()))

    def lines(self) -> list[str]:
        """The problems to show a person, with a last line counting those left out (in the
        language active now; the problems in the one active when they were found)."""
        omitted = self.count - len(self.problems)
        if not omitted:
            return self.problems
        more = ngettext(
            "... and %(count)d more problem", "... and %(count)d more problems", omitted
        ) % {"count": omitted}
        return [*self.problems, more]


@dataclass
class ImportResult:
    event: Event
    created: bool
    sessions_created: int = 0
    sessions_updated: int = 0
    sessions_unchanged: int = 0
    sessions_removed: int = 0
    people_created: int = 0
    people_updated: int = 0

    def summary(self) -> str:
        return (
            f"{'created' if self.created else 'updated'} event {self.event.slug}: "
            f"sessions {self.sessions_created} created, {self.sessions_updated} updated, "
            f"{self.sessions_unchanged} unchanged, {self.sessions_removed} removed; "
            f"people {self.people_created} created, {self.people_updated} updated"
        )


@dataclass
class PersonSpec:
    key: str
    name: str
    affiliation: str
    # None: the file does not say, so keep what another event's file may have set.
    email: str | None
    bio: str | None


@dataclass
class SessionSpec:
    path: str
    day: dt.date | None
    start_clock: dt.time | None
    end_clock: dt.time | None
    has_end: bool
    kind: str
    title: str
    abstract: str | None
    section: str | None
    roles: list[tuple[str, str, int]]  # (role, person key, position in its list)
    start: dt.datetime | None = None  # UTC, set once the whole day is read
    end: dt.datetime | None = None


@dataclass
class Programme:
    slug: str
    tzinfo: dt.tzinfo
    fields: dict[str, object]  # Event attributes as they will be saved
    tags: dict[str, list[str]]
    display_zones: list[tuple[str, str]]  # (label, zone)
    contacts: list[tuple[str, str]]  # (role, person key)
    people: list[PersonSpec] = field(default_factory=list)
    sections: list[str] = field(default_factory=list)
    sessions: list[SessionSpec] = field(default_factory=list)


class _Loader(yaml.SafeLoader):
    """YAML with YAML 1.2's plainer scalars: `12:30` stays text (YAML 1.1 reads the number
    750), so do `012345` (not octal) and `no` (Norwegian, not false); dates stay text so that a
    bad one is reported with its path. A key written twice in one mapping is an error instead
    of a silently lost value.

    Bounded, so that a small file cannot cost minutes and gigabytes: nesting deeper than
    `MAX_DEPTH` is an error (not a RecursionError), and so are aliases that repeat more than
    `MAX_ALIAS_VALUES` values in all ("billion laughs": ten kilobytes of `*alias` can stand for
    a million sessions). A few aliases (`chairs: *panel`) stay possible: the format does not
    need them, but they are YAML that organizers may well write. An alias inside the node its
    anchor names (a loop) is refused. A value the YAML types cannot hold (an integer of
    thousands of digits, `!!timestamp 2031-02-30`) is an error with its line."""

    def __init__(self, stream):
        super().__init__(stream)
        self._depth = 0
        self._open_anchors: set[str] = set()
        self._alias_values = 0

    def _error(self, message: str, mark) -> yaml.MarkedYAMLError:
        return yaml.composer.ComposerError(None, None, message, mark)

    def compose_node(self, parent, index):
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent):
            self._count_alias(event)
            return super().compose_node(parent, index)
        if self._depth >= MAX_DEPTH:
            raise self._error(
                gettext("nested deeper than %(depth)d levels") % {"depth": MAX_DEPTH},
                event.start_mark,
            )
        anchor = event.anchor
        self._depth += 1
        if anchor is not None:
            self._open_anchors.add(anchor)
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1
            self._open_anchors.discard(anchor)

    def _count_alias(self, event) -> None:
        if event.anchor in self._open_anchors:
            raise self._error(
                gettext("alias *%(anchor)s is inside the value it names (a loop)")
                % {"anchor": event.anchor},
                event.start_mark,
            )
        node = self.anchors.get(event.anchor)
        if node is None:
            return  # PyYAML reports the undefined alias
        # Count the values the alias stands for, stopping as soon as the budget is spent.
        stack = [node]
        while stack:
            node = stack.pop()
            self._alias_values += 1
            if self._alias_values > MAX_ALIAS_VALUES:
                raise self._error(
                    gettext(
                        "aliases expand to more than %(count)d values; write the repeated "
                        "parts out instead"
                    )
                    % {"count": MAX_ALIAS_VALUES},
                    event.start_mark,
                )
            if isinstance(node, yaml.SequenceNode):
                stack.extend(node.value)
            elif isinstance(node, yaml.MappingNode):
                stack.extend(item for pair in node.value for item in pair)

    def construct_object(self, node, deep=False):
        try:
            return super().construct_object(node, deep=deep)
        except (ValueError, OverflowError) as exc:
            raise yaml.constructor.ConstructorError(
                None, None, _scalar_error(node, exc), node.start_mark
            ) from None

    def construct_mapping(self, node, deep=False):
        seen = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if isinstance(key, str):
                if key in seen:
                    raise yaml.constructor.ConstructorError(
                        None,
                        None,
                        gettext("duplicate key %(key)s") % {"key": _show(key)},
                        key_node.start_mark,
                    )
                seen.add(key)
        return super().construct_mapping(node, deep=deep)


_BOOL_TAG, _INT_TAG = "tag:yaml.org,2002:bool", "tag:yaml.org,2002:int"
_REPLACED_TAGS = {_BOOL_TAG, _INT_TAG, "tag:yaml.org,2002:timestamp"}
_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag not in _REPLACED_TAGS]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    _BOOL_TAG, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)
_Loader.add_implicit_resolver(
    _INT_TAG, re.compile(r"^[-+]?(?:0|[1-9][0-9_]*)$"), list("-+0123456789")
)


def _scalar_error(node, exc: Exception) -> str:
    if node.tag == _INT_TAG:
        digits = sum(c.isdigit() for c in str(node.value))
        return gettext("a number of %(digits)d digits is too long") % {"digits": digits}
    kind = node.tag.rsplit(":", 1)[-1]  # the YAML type's name: int, float, timestamp, …
    return gettext("not a valid %(type)s: %(error)s") % {"type": kind, "error": exc}


def max_bytes() -> int:
    return getattr(settings, "IMPORT_MAX_BYTES", DEFAULT_MAX_BYTES)


def _too_large(limit: int) -> str:
    return gettext("larger than the limit of %(limit)s bytes (setting IMPORT_MAX_BYTES)") % {
        "limit": number_format(limit, force_grouping=True)
    }


def _parse_yaml(text: str) -> object:
    try:
        return yaml.load(text, Loader=_Loader)  # a SafeLoader: builds plain data only
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        if mark:
            where = gettext("line %(line)d, column %(column)d") % {
                "line": mark.line + 1,
                "column": mark.column + 1,
            }
        else:
            where = "YAML"
        # PyYAML's own messages are English; the loader's rules (`_Loader`) are translated.
        raise ProgrammeError([f"{where}: {exc.problem or exc.context}"]) from None
    except yaml.YAMLError as exc:
        raise ProgrammeError([f"YAML: {exc}"]) from None
    except (ValueError, OverflowError, RecursionError) as exc:  # none known: a last guard
        reason = _cannot_read(type(exc).__name__)
        raise ProgrammeError([f"YAML: {reason}"]) from None


def _cannot_read(error: object) -> str:
    return gettext("cannot read the file (%(error)s)") % {"error": error}


def _show(value: object, limit: int = 80) -> str:
    """`repr(value)` for a message: shortened, and safe for any value (an integer of 5,000
    digits or a nesting 10,000 deep has no repr)."""
    try:
        text = repr(value)
    except (ValueError, RecursionError):
        return _kind_of(value)
    return text if len(text) <= limit else f"{text[: limit - 5]}...{text[-2:]}"


def _blank(value: object) -> bool:
    """Left out, as `text` sees it: nothing, or text of spaces only."""
    return value is None or (isinstance(value, str) and not value.strip())


def _field_name(key: object) -> str:
    """A mapping key as part of a path: as written when it is plain text, else its repr."""
    if isinstance(key, str) and key.isprintable() and 0 < len(key) <= 60:
        return key
    return _show(key, 60)


def _kind_of(value: object) -> str:
    """What a value is, for a message (in the active language; other types by their name)."""
    if value is None:
        return pgettext("value in a programme file", "nothing")
    names = {
        dict: pgettext("value in a programme file", "a mapping"),
        list: pgettext("value in a programme file", "a list"),
        str: pgettext("value in a programme file", "text"),
        bool: pgettext("value in a programme file", "true/false"),
        int: pgettext("value in a programme file", "a number"),
    }
    return names.get(type(value), type(value).__name__)


def _expected(expected: object, found: object) -> str:
    return gettext("expected %(expected)s, got %(found)s") % {
        "expected": expected,
        "found": found,
    }


class _Reader:
    """Reads a parsed file; every getter reports what is wrong and returns a usable default,
    so one pass finds every problem."""

    def __init__(self):
        self.problems: list[str] = []  # the first MAX_PROBLEMS
        self.count = 0  # all of them
        self.keys: dict[str, int] = {}  # person key -> index in people

    def problem(self, path: str, message: str) -> None:
        """Report a problem at ``path``: ``message`` is already translated (gettext)."""
        self.count += 1
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(f"{path}: {message}")

    def expect(self, path, value, kind: type, required: bool) -> bool:
        if isinstance(value, kind):
            return True
        if value is not None:
            self.problem(path, _expected(_kind_of(kind()), _kind_of(value)))
        elif required:
            self.problem(path, pgettext("programme file", "required"))
        return False

    def mapping(self, path, value, fields, *, required=False) -> dict | None:
        """The mapping at `path`, or None when it is missing or not a mapping."""
        if not self.expect(path, value, dict, required):
            return None
        for key in value:
            if key not in fields:
                name = _field_name(key)
                where = f"{path}.{name}" if path else name
                self.problem(
                    where,
                    gettext("unknown field (expected one of: %(fields)s)")
                    % {"fields": ", ".join(fields)},
                )
        return value

    def sequence(self, path, value, *, required=False, max_items=None) -> list:
        if not self.expect(path, value, list, required):
            return []
        if max_items is not None and len(value) > max_items:
            self.problem(
                path,
                gettext("too many entries (%(count)d, at most %(limit)d)")
                % {"count": len(value), "limit": max_items},
            )
            return value[:max_items]
        return value

    def text(
        self, path, value, *, required=False, max_length=None, default="", multi_line=False
    ) -> str:
        """Text as the database can store it and a page can show it: one line, unless
        `multi_line` (Markdown), and no NUL or other control characters either way."""
        if isinstance(value, int) and not isinstance(value, bool) and abs(value) < 10**100:
            value = str(value)
        if value is not None and not isinstance(value, str):
            self.problem(path, _expected(_kind_of(""), _kind_of(value)))
            return default
        value = (value or "").strip()
        if not self.storable(path, value, multi_line=multi_line):
            return default
        if not value and required:
            self.problem(path, pgettext("programme file", "required"))
        if max_length and len(value) > max_length:
            self.problem(
                path,
                gettext("too long (%(count)d characters, at most %(limit)d)")
                % {"count": len(value), "limit": max_length},
            )
        return value or default

    def storable(self, path, value: str, *, multi_line: bool) -> bool:
        control = first_control_char(value, multi_line=multi_line)
        if control is not None:
            code = f"U+{ord(control):04X}"
            if multi_line:
                message = gettext(
                    "must be text without control characters other than tabs and line breaks "
                    "(found %(code)s)"
                )
            else:
                message = gettext(
                    "must be one line of text without control characters (found %(code)s)"
                )
            self.problem(path, message % {"code": code})
            return False
        surrogate = _SURROGATE.search(value)
        if surrogate:
            code = f"U+{ord(surrogate.group()):04X}"
            self.problem(
                path,
                gettext("contains %(code)s, which is not a character (a lone surrogate)")
                % {"code": code},
            )
            return False
        if is_unreadable(value):
            self.problem(
                path,
                gettext(
                    "contains U+FFFD, the mark of a character that could not be read: type it again"
                ),
            )
            return False
        return True

    def valid(self, path, value, validator, message, *, required=False, max_length=None) -> str:
        """Text that ``validator`` accepts; else ``message`` (a lazy translation with a
        ``%(value)s`` placeholder) is the problem."""
        value = self.text(path, value, required=required, max_length=max_length)
        try:
            if value:
                validator(value)
        except ValidationError:
            self.problem(path, str(message) % {"value": _show(value)})
        return value

    def flag(self, path, value, default: bool) -> bool:
        if value is not None and not isinstance(value, bool):
            self.problem(
                path, gettext("expected true or false, got %(value)s") % {"value": _show(value)}
            )
        return value if isinstance(value, bool) else default

    def choice(self, path, value, choices, default: str) -> str:
        value = self.text(path, value, default=default)
        if value not in choices:
            self.problem(
                path,
                gettext("unknown kind %(value)s (expected one of: %(choices)s)")
                % {"value": _show(value), "choices": ", ".join(choices)},
            )
            return default
        return value

    def zone(self, path, value) -> str:
        value = self.text(path, value, required=True)
        if value and not is_valid_zone(value):
            self.problem(
                path,
                gettext("unknown time zone %(value)s (expected an IANA name, e.g. Europe/Berlin)")
                % {"value": _show(value)},
            )
            return ""
        return value

    def parsed(self, path, value, form, *, required=False):
        """A date, time or date-time written as text in `form` (or already parsed, when the
        programme comes as a dict from Python code), local (no UTC offset); dates in the years
        MIN_YEAR to MAX_YEAR."""
        kind, pattern, expected = form
        if isinstance(value, kind) and (kind is not dt.date or not isinstance(value, dt.datetime)):
            if getattr(value, "tzinfo", None) is not None:
                self.problem(
                    path,
                    gettext("expected %(expected)s without a UTC offset, got %(value)s")
                    % {"expected": expected, "value": value},
                )
                return None
            result, written = value, value.isoformat()
        else:
            written = self.text(path, value, required=required)
            try:
                ok = written and re.fullmatch(pattern, written, re.ASCII)
                result = kind.fromisoformat(written) if ok else None
            except ValueError:
                result = None
            if result is None:
                if written:
                    self.problem(path, _expected(expected, _show(written)))
                return None
        if kind is not dt.time and not MIN_YEAR <= result.year <= MAX_YEAR:
            self.problem(
                path,
                gettext("expected a year from %(first)d to %(last)d, got %(value)s")
                % {"first": MIN_YEAR, "last": MAX_YEAR, "value": written},
            )
            return None
        return result

    def instant(self, path, day: dt.date | None, clock: dt.time | None, tz) -> dt.datetime | None:
        """The UTC instant of a wall-clock time in `tz`. In the hour repeated when clocks go
        back, the first of the two (fold=0): the one an organizer most likely means."""
        if day is None or clock is None:
            return None
        naive = dt.datetime.combine(day, clock)
        local = naive.replace(tzinfo=tz)
        try:
            instant = local.astimezone(dt.UTC)
            exists = instant.astimezone(tz).replace(tzinfo=None) == naive
        except OverflowError:  # the years `parsed` accepts are far from the edges; a guard
            self.problem(
                path,
                gettext("%(time)s in %(zone)s is out of range")
                % {"time": f"{naive:%Y-%m-%d %H:%M}", "zone": tz},
            )
            return None
        if not exists:
            self.problem(
                path,
                gettext("%(time)s does not exist in %(zone)s (clocks skip it)")
                % {"time": f"{naive:%Y-%m-%d %H:%M}", "zone": tz},
            )
            return None
        return instant

    def local_datetime(self, path, value, tz) -> dt.datetime | None:
        naive = self.parsed(path, value, _DATETIME)
        return naive and self.instant(path, naive.date(), naive.time(), tz)

    def person(self, path, value) -> str:
        key = self.text(path, value, required=True)
        if key and key not in self.keys:
            self.problem(path, gettext("unknown person %(key)s") % {"key": _show(key)})
            return ""
        return key

    def read(self, data: object) -> Programme | None:
        if not isinstance(data, dict):
            self.problem(
                "file",
                gettext("expected a mapping of event, people and days, got %(found)s")
                % {"found": _kind_of(data)},
            )
            return None
        self.mapping("", data, ["event", "people", "days"])
        people = self.read_people(data.get("people"))  # first: event and days refer to them
        event = self.mapping("event", data.get("event"), _EVENT_FIELDS, required=True)
        # Without an event block, only its absence is worth reporting, not each field's.
        programme = (
            self.read_event(event) if event is not None else Programme("", dt.UTC, {}, {}, [], [])
        )
        programme.people = people
        self.read_days(programme, data.get("days"))
        return programme

    def read_people(self, raw) -> list[PersonSpec]:
        people = []
        for i, item in enumerate(self.sequence("people", raw)):
            path = f"people[{i}]"
            item = self.mapping(
                path, item, ["key", "name", "affiliation", "email", "bio"], required=True
            )
            if item is None:
                continue
            key = self.valid(
                f"{path}.key",
                item.get("key"),
                slug_validator,
                _BAD_SLUG,
                required=True,
                max_length=100,
            )
            if key in self.keys:
                self.problem(
                    f"{path}.key",
                    gettext("duplicate person key %(key)s (also %(other)s)")
                    % {"key": _show(key), "other": f"people[{self.keys[key]}]"},
                )
            elif key:
                self.keys[key] = i
            email, bio = item.get("email"), item.get("bio")
            people.append(
                PersonSpec(
                    key=key,
                    name=self.text(f"{path}.name", item.get("name"), required=True, max_length=200),
                    affiliation=self.text(
                        f"{path}.affiliation", item.get("affiliation"), max_length=300
                    ),
                    email=None
                    if email is None
                    else self.valid(
                        f"{path}.email",
                        email,
                        validate_address,
                        gettext_lazy(
                            "not an email address that mail can be delivered to: %(value)s"
                        ),
                        max_length=254,
                    ),
                    bio=None if bio is None else self.text(f"{path}.bio", bio, multi_line=True),
                )
            )
        return people

    def read_event(self, ev: dict) -> Programme:
        slug = self.valid(
            "event.slug", ev.get("slug"), slug_validator, _BAD_SLUG, required=True, max_length=100
        )
        tz_name = self.zone("event.timezone", ev.get("timezone"))
        tz = zoneinfo.ZoneInfo(tz_name) if tz_name else dt.UTC  # UTC: to go on checking times
        fields = {
            "title": self.text("event.title", ev.get("title"), required=True, max_length=300),
            "subtitle": self.text("event.subtitle", ev.get("subtitle"), max_length=300),
            "kind": self.choice(
                "event.kind", ev.get("kind"), Event.Kind.values, Event.Kind.WORKSHOP
            ),
            "description": self.text("event.description", ev.get("description"), multi_line=True),
            "timezone": tz_name,
            "location": self.text("event.location", ev.get("location"), max_length=200),
            "online": self.flag("event.online", ev.get("online"), True),
            "free": self.flag("event.free", ev.get("free"), True),
            "language": self.valid(
                "event.language",
                ev.get("language") or "en",
                RegexValidator(r"^[a-z]{2}\Z"),
                gettext_lazy("expected a two-letter ISO 639-1 code such as 'en', got %(value)s"),
            ),
            "organizer": self.text("event.organizer", ev.get("organizer"), max_length=300),
        }
        # Without a meeting block the stored one stays: links are often added later, by hand.
        if ev.get("meeting") is not None:
            meeting = self.mapping("event.meeting", ev["meeting"], ["url", "id", "passcode"]) or {}
            url_validator = URLValidator(schemes=["http", "https"])
            fields |= {
                "meeting_url": self.valid(
                    "event.meeting.url",
                    meeting.get("url"),
                    url_validator,
                    gettext_lazy("not a URL: %(value)s"),
                    max_length=500,
                ),
                "meeting_id": self.text("event.meeting.id", meeting.get("id"), max_length=100),
                "meeting_passcode": self.text(
                    "event.meeting.passcode", meeting.get("passcode"), max_length=100
                ),
            }
        fields |= self.read_registration(ev.get("registration"), tz)
        # Without `reminders` the stored offsets stay (organizers may set them in admin); a
        # new event gets the default.
        if "reminders" in ev:
            fields["reminder_offsets"] = self.reminders("event.reminders", ev["reminders"])

        tags = {}
        for name in _TAG_MODELS:
            values = self.sequence(f"event.{name}", ev.get(name))
            values = [
                self.text(f"event.{name}[{i}]", v, required=True, max_length=200)
                for i, v in enumerate(values)
            ]
            tags[name] = list(dict.fromkeys(v for v in values if v))

        zones = []
        for i, item in enumerate(
            self.sequence(
                "event.display_timezones", ev.get("display_timezones"), max_items=MAX_ENTRIES
            )
        ):
            path = f"event.display_timezones[{i}]"
            item = self.mapping(path, item, ["label", "zone"], required=True)
            if item is None:
                continue
            label = self.text(f"{path}.label", item.get("label"), required=True, max_length=60)
            if label and label in [z[0] for z in zones]:
                self.problem(
                    f"{path}.label", gettext("duplicate label %(label)s") % {"label": _show(label)}
                )
            zones.append((label, self.zone(f"{path}.zone", item.get("zone"))))

        contacts = []
        raw_contacts = self.sequence("event.contacts", ev.get("contacts"), max_items=MAX_ENTRIES)
        for i, item in enumerate(raw_contacts):
            path = f"event.contacts[{i}]"
            item = self.mapping(path, item, ["role", "person"], required=True)
            if item is None:
                continue
            role = self.text(f"{path}.role", item.get("role"), required=True, max_length=200)
            key = self.person(f"{path}.person", item.get("person"))
            if role and key and (role, key) in contacts:
                self.problem(
                    path,
                    gettext("%(person)s is already a contact as %(role)s")
                    % {"person": _show(key), "role": _show(role)},
                )
            contacts.append((role, key))
        return Programme(slug, tz, fields, tags, zones, contacts)

    def reminders(self, path, value) -> str:
        """``"24h, 1h"`` or ``[24h, 1h]``; empty, ``[]`` or nothing: no reminders."""
        if isinstance(value, list):
            items = self.sequence(path, value, max_items=20)
            value = ", ".join(
                self.text(f"{path}[{i}]", item, required=True) for i, item in enumerate(items)
            )
        text = self.text(path, value, max_length=100)
        try:
            parse_reminder_offsets(text)
        except ValidationError as error:
            self.problem(path, " ".join(error.messages))
            return ""
        return text

    def read_registration(self, raw, tz) -> dict[str, object]:
        fields = ["opens", "closes", "capacity", "requires_approval"]
        reg = self.mapping("event.registration", raw, fields) or {}
        opens = self.local_datetime("event.registration.opens", reg.get("opens"), tz)
        # No `closes`: registration closes when the first session starts (Event says so).
        closes = self.local_datetime("event.registration.closes", reg.get("closes"), tz)
        if opens and closes and closes <= opens:
            self.problem("event.registration.closes", gettext("must be after registration.opens"))
        capacity = reg.get("capacity")
        if capacity is not None and (type(capacity) is not int or capacity < 1):
            self.problem(
                "event.registration.capacity",
                gettext("expected a positive whole number, got %(value)s")
                % {"value": _show(capacity)},
            )
            capacity = None
        elif capacity is not None and capacity > MAX_CAPACITY:
            self.problem(
                "event.registration.capacity",
                gettext("must be at most %(limit)d, got %(value)s")
                % {"limit": MAX_CAPACITY, "value": _show(capacity, 200)},
            )
            capacity = None
        return {
            "registration_opens": opens,
            "registration_closes": closes,
            "capacity": capacity,
            "requires_approval": self.flag(
                "event.registration.requires_approval", reg.get("requires_approval"), True
            ),
        }

    def read_days(self, programme: Programme, raw) -> None:
        if raw == []:
            self.problem("days", gettext("a programme needs at least one day"))
        for d, day in enumerate(self.sequence("days", raw, required=True)):
            day = self.mapping(f"days[{d}]", day, ["date", "items"], required=True)
            if day is None:
                continue
            date = self.parsed(f"days[{d}].date", day.get("date"), _DATE, required=True)
            # A section does not run on into the next day: a day names its own first section.
            section, sessions = None, []
            for i, item in enumerate(
                self.sequence(f"days[{d}].items", day.get("items"), required=True)
            ):
                path = f"days[{d}].items[{i}]"
                if isinstance(item, dict) and "section" in item:
                    self.mapping(path, item, ["section"])
                    section = (
                        self.text(f"{path}.section", item["section"], required=True, max_length=300)
                        or None
                    )
                    if section and section not in programme.sections:
                        if len(programme.sections) == MAX_ENTRIES:
                            self.problem(
                                f"{path}.section",
                                gettext("more than %(limit)d sections") % {"limit": MAX_ENTRIES},
                            )
                        programme.sections.append(section)
                elif self.mapping(path, item, _SESSION_FIELDS, required=True) is not None:
                    sessions.append(self.read_session(path, item, date, section))
            if not sessions and isinstance(day.get("items"), list):
                self.problem(f"days[{d}].items", gettext("a day needs at least one session"))
            self.resolve_times(sessions, programme.tzinfo)
            programme.sessions.extend(sessions)
        self.check_overlaps(programme.sessions, programme.tzinfo)

    def read_session(self, path, item, date, section) -> SessionSpec:
        kind = self.choice(f"{path}.kind", item.get("kind"), Session.Kind.values, Session.Kind.TALK)
        title = self.text(f"{path}.title", item.get("title"), max_length=500)
        if not title and kind != Session.Kind.BREAK:
            self.problem(f"{path}.title", gettext("required (only a break may have no title)"))
        roles = []
        for name, role in _ROLE_FIELDS.items():
            keys = []
            values = self.sequence(f"{path}.{name}", item.get(name), max_items=MAX_ENTRIES)
            for i, value in enumerate(values):
                key = self.person(f"{path}.{name}[{i}]", value)
                if key in keys:
                    self.problem(
                        f"{path}.{name}[{i}]",
                        gettext("%(key)s is listed twice in %(field)s")
                        % {"key": _show(key), "field": name},
                    )
                elif key:
                    roles.append((role, key, len(keys)))
                    keys.append(key)
        return SessionSpec(
            path=path,
            day=date,
            start_clock=self.parsed(f"{path}.start", item.get("start"), _CLOCK, required=True),
            end_clock=self.parsed(f"{path}.end", item.get("end"), _CLOCK),
            has_end=not _blank(item.get("end")),
            kind=kind,
            title=title,
            abstract=self.text(
                f"{path}.abstract", item.get("abstract"), default=None, multi_line=True
            ),
            section=section,
            roles=roles,
        )

    def resolve_times(self, sessions: list[SessionSpec], tz) -> None:
        """Sets the UTC start and end of one day's sessions; a missing end is the next start."""
        for s in sessions:
            s.start = self.instant(f"{s.path}.start", s.day, s.start_clock, tz)
        for s, following in zip_longest(sessions, sessions[1:]):
            if s.has_end:
                s.end = self.instant(f"{s.path}.end", s.day, s.end_clock, tz)
            elif following is None:
                self.problem(f"{s.path}.end", gettext("required for the last session of the day"))
            elif s.start and following.start and following.start <= s.start:
                self.problem(
                    following.path,
                    gettext("starts before %(path)s: keep items in time order") % {"path": s.path},
                )
            else:
                s.end = following.start
            if s.start and s.end and s.end <= s.start:
                self.problem(
                    f"{s.path}.end",
                    gettext("must be after the start (%(time)s)")
                    % {"time": f"{s.start_clock:%H:%M}"},
                )
                s.end = None

    def check_overlaps(self, sessions: list[SessionSpec], tz) -> None:
        latest = None  # of the sessions so far, the one that ends last
        for s in sorted((s for s in sessions if s.start and s.end), key=lambda s: s.start):
            if latest and s.start < latest.end:
                until = latest.end.astimezone(tz)
                self.problem(
                    s.path,
                    gettext("overlaps %(path)s, which runs until %(time)s")
                    % {"path": latest.path, "time": f"{until:%Y-%m-%d %H:%M}"},
                )
            if latest is None or s.end > latest.end:
                latest = s


def import_programme_file(path: str | Path) -> ImportResult:
    path, limit = Path(path), max_bytes()
    try:
        with path.open("rb") as file:
            raw = file.read(limit + 1)  # no more: a file of gigabytes is refused unread
        if len(raw) > limit:
            raise ProgrammeError([f"{path}: {_too_large(limit)}"])
        text = raw.decode("utf-8-sig")  # editors on Windows may add a BOM
    except (OSError, UnicodeDecodeError) as exc:
        raise ProgrammeError([f"{path}: {_cannot_read(exc)}"]) from None
    return import_programme(text, source=str(path))


def import_programme(data: dict | str, *, source: str = "<programme>") -> ImportResult:
    """Creates or updates the event a programme describes: all of it or, on any problem,
    nothing. `data` is the file's text or the mapping it holds."""
    if isinstance(data, str):
        limit = max_bytes()
        if len(data) > limit or len(data.encode("utf-8", "surrogatepass")) > limit:
            raise ProgrammeError([f"file: {_too_large(limit)}"])
        data = _parse_yaml(data)
    reader = _Reader()
    programme = reader.read(data)
    if reader.count:
        logger.info("Rejected programme %s: %d problem(s)", source, reader.count)
        raise ProgrammeError(reader.problems, reader.count)
    result = _write(programme)
    # Logged on commit: a caller's transaction (the command's, over several files) may still
    # roll this import back.
    summary = result.summary()
    transaction.on_commit(lambda: logger.info("Imported programme %s: %s", source, summary))
    return result


def _assign(obj, values: dict[str, object]) -> bool:
    changed = [name for name, value in values.items() if getattr(obj, name) != value]
    for name in changed:
        setattr(obj, name, values[name])
    return bool(changed)


def _replace_if_changed(current, wanted: list, fields: tuple[str, ...]) -> bool:
    """Replaces the rows of `current` (a queryset in its model's order) by `wanted`, unless
    they already agree, so that re-importing an unchanged file writes nothing."""

    def values(rows):
        return [tuple(getattr(row, f) for f in fields) for row in rows]

    if values(current) == values(wanted):
        return False
    current.delete()
    current.model.objects.bulk_create(wanted)
    return True


@transaction.atomic
def _write(programme: Programme) -> ImportResult:
    # Locked so that two imports of one event cannot interleave (PostgreSQL; SQLite serializes).
    event = Event.objects.select_for_update().filter(slug=programme.slug).first()
    result = ImportResult(event=event or Event(slug=programme.slug), created=event is None)
    event = result.event
    meeting_changed = not result.created and any(
        name in programme.fields and programme.fields[name] != getattr(event, name)
        for name in MEETING_FIELDS
    )
    if _assign(event, programme.fields) or result.created:
        event.save()
    for name, tag_model in _TAG_MODELS.items():
        getattr(event, name).set(
            [tag_model.objects.get_or_create(name=tag)[0] for tag in programme.tags[name]]
        )
    zones = [
        DisplayZone(event=event, position=i, label=label, zone=zone)
        for i, (label, zone) in enumerate(programme.display_zones)
    ]
    _replace_if_changed(event.display_zones.all(), zones, ("position", "label", "zone"))
    people = _write_people(event, programme, result)
    contacts = [
        EventContact(event=event, person=people[key], role=role, position=i)
        for i, (role, key) in enumerate(programme.contacts)
    ]
    _replace_if_changed(event.contacts.all(), contacts, ("position", "role", "person_id"))
    _write_sessions(event, programme, people, result)
    if meeting_changed:
        note_event_meeting_change(event)
    # bulk_create above sends no signal: the cached programme is refreshed here.
    touch_programme([event.pk])
    return result


def _write_people(event: Event, programme: Programme, result: ImportResult) -> dict[str, Person]:
    people = {p.key: p for p in Person.objects.filter(key__in=[s.key for s in programme.people])}
    links = {link.person_id: link for link in event.event_people.all()}
    for spec in programme.people:
        values = {"name": spec.name, "email": spec.email, "bio": spec.bio}
        values = {name: value for name, value in values.items() if value is not None}
        person = people.get(spec.key)
        if person is None:
            person = people[spec.key] = Person.objects.create(key=spec.key, **values)
            result.people_created += 1
        elif _assign(person, values):
            person.save()
            result.people_updated += 1
        # Affiliations belong to the event: another event's EventPerson rows are left alone.
        link = links.pop(person.pk, None) or EventPerson(event=event, person=person)
        if _assign(link, {"affiliation": spec.affiliation}) or link.pk is None:
            link.save()
    EventPerson.objects.filter(pk__in=[link.pk for link in links.values()]).delete()
    return people


def _write_sessions(
    event: Event, programme: Programme, people: dict[str, Person], result: ImportResult
) -> None:
    sections = {s.title: s for s in event.sections.all()}
    for position, title in enumerate(programme.sections):
        section = sections[title] = sections.get(title) or Section(event=event, title=title)
        if _assign(section, {"position": position}) or section.pk is None:
            section.save()
    event.sections.exclude(title__in=programme.sections).delete()

    existing = list(event.sessions.prefetch_related("roles"))
    matches = _match_sessions(existing, programme.sessions, programme.tzinfo)
    for i, spec in enumerate(programme.sessions):
        session = matches.get(i) or Session(event=event)
        is_new = session.pk is None
        moved = not is_new and (session.start, session.end) != (spec.start, spec.end)
        if moved:
            note_session_change(session, TIME_FIELDS)
        values = {
            "section_id": sections[spec.section].pk if spec.section else None,
            "kind": spec.kind,
            "title": spec.title,
            "start": spec.start,
            "end": spec.end,
        }
        if spec.abstract is not None:
            # A file without an abstract keeps the one the speaker wrote in the portal.
            values["abstract"] = spec.abstract
        changed = _assign(session, values)
        if changed or is_new:
            session.save()
        # Sorted as the model orders roles, so that an unchanged list compares equal.
        roles = [
            SessionRole(session=session, person=people[key], role=role, position=position)
            for role, key, position in sorted(spec.roles, key=lambda r: (r[0], r[2]))
        ]
        current = SessionRole.objects.none() if is_new else session.roles.all()
        changed = _replace_if_changed(current, roles, ("role", "person_id", "position")) or changed
        if moved:
            # After its roles: the people the file now names are told.
            announce_session_change(session=session, changed_fields=TIME_FIELDS)
        if is_new:
            result.sessions_created += 1
        elif changed:
            result.sessions_updated += 1
        else:
            result.sessions_unchanged += 1
    matched = {session.pk for session in matches.values()}
    removed = [session.pk for session in existing if session.pk not in matched]
    Session.objects.filter(pk__in=removed).delete()
    result.sessions_removed = len(removed)


def _match_sessions(existing: list[Session], specs: list[SessionSpec], tz) -> dict[int, Session]:
    """Pairs the file's sessions (by index) with stored ones: by local day, start and title;
    then by title alone (a session moved); then by day and start (a session retitled). Each
    rule sees only what the earlier ones left; ties pair in time order."""
    rules = [
        lambda day, clock, title: (day, clock, title),
        lambda day, clock, title: title or None,  # untitled breaks are matched by time only
        lambda day, clock, title: (day, clock),
    ]
    matches, unmatched = {}, list(existing)
    for rule in rules:
        pool = defaultdict(list)
        for session in unmatched:
            local = session.start.astimezone(tz)
            pool[rule(local.date(), local.time(), session.title)].append(session)
        for i, spec in enumerate(specs):
            key = rule(spec.day, spec.start_clock, spec.title)
            if i not in matches and key is not None and pool.get(key):
                matches[i] = pool[key].pop(0)
                unmatched.remove(matches[i])
    return matches
