"""The archive search: a query and criteria → events, sessions and people, each group paged,
with highlighted snippets and facet counts.

Criteria are properties of events (subject area, type, target group, language, kind, dates,
upcoming/past); a session is in the results when its event meets them, a person when at
least one of their events does (without any criteria, every person whose text matches,
including people not yet in any programme). Breaks are not searched.

Facet counts follow the usual rule: the count next to a value is the number of results
(events + sessions + people) the search would give with that value chosen, given the query
and the criteria of the *other* facets (values of one facet combine with "or").

A search runs a fixed number of SQL queries whatever the data: the text is matched once per
kind (events, sessions, people), the small per-event facts (tags, language, dates) are
loaded once and the criteria and facet counts are computed in Python, then one page per kind
is loaded. Thirteen queries at most; see `tests/search/test_search.py`.
"""

import datetime as dt
import functools
import logging
import math
import re
import zoneinfo
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db import connection
from django.db.models import Case, Count, Exists, Max, Min, OuterRef, Prefetch, Q, Value, When
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from workshop.languages import language_name
from workshop.models import (
    Event,
    EventPerson,
    EventType,
    Person,
    Session,
    SessionRole,
    SubjectArea,
    TargetGroup,
)
from workshop.richtext import markdown_text as markdown_text_of

from . import backends
from .query import Node, parse

logger = logging.getLogger(__name__)

PER_PAGE = 10
ID_LIST_LIMIT = 5000
SNIPPET_LENGTH = 220
UPCOMING, PAST = "upcoming", "past"
KINDS = ("events", "sessions", "people")


# --- criteria --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Criteria:
    """What the results must meet besides the words; an empty set means "any"."""

    subject_areas: frozenset[int] = frozenset()
    event_types: frozenset[int] = frozenset()
    target_groups: frozenset[int] = frozenset()
    languages: frozenset[str] = frozenset()
    kinds: frozenset[str] = frozenset()
    when: frozenset[str] = frozenset()
    date_from: dt.date | None = None
    date_to: dt.date | None = None

    def __bool__(self) -> bool:
        return any(
            (
                self.subject_areas,
                self.event_types,
                self.target_groups,
                self.languages,
                self.kinds,
                self.when,
                self.date_from,
                self.date_to,
            )
        )


@dataclass(frozen=True)
class Dimension:
    """A facet: ``param`` is its URL parameter, ``attr`` its `Criteria` field."""

    param: str
    attr: str
    label: str  # lazy: translated when shown


DIMENSIONS = (
    Dimension("subject_area", "subject_areas", _("Subject area")),
    Dimension("event_type", "event_types", _("Type of event")),
    Dimension("target_group", "target_groups", _("Target group")),
    Dimension("language", "languages", _("Language")),
    Dimension("kind", "kinds", _("Kind of event")),
    Dimension("when", "when", pgettext_lazy("search facet", "When")),
)
WHEN_LABELS = {
    UPCOMING: pgettext_lazy("search facet", "Upcoming"),
    PAST: pgettext_lazy("search facet", "Past"),
}
_TAG_MODELS = {"subject_area": SubjectArea, "event_type": EventType, "target_group": TargetGroup}
DATES = "dates"  # the date range: a criterion without a facet


# --- results ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class FacetValue:
    value: str
    label: str
    count: int
    selected: bool


@dataclass(frozen=True)
class Facet:
    param: str
    label: str
    values: list[FacetValue]


@dataclass(frozen=True)
class EventHit:
    event: Event
    title: SafeString
    subtitle: SafeString
    organizer: SafeString
    snippet: SafeString


@dataclass(frozen=True)
class SessionHit:
    session: Session
    title: SafeString
    section: SafeString
    snippet: SafeString
    speakers: list[str]


@dataclass(frozen=True)
class PersonHit:
    person: Person
    name: SafeString
    affiliations: SafeString
    snippet: SafeString
    event_count: int


@dataclass(frozen=True)
class ResultPage:
    """One page of one kind of result (a small stand-in for Django's ``Page``)."""

    kind: str
    items: list
    total: int
    number: int
    per_page: int

    @property
    def num_pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.num_pages

    @property
    def previous_page_number(self) -> int:
        return self.number - 1

    @property
    def next_page_number(self) -> int:
        return self.number + 1

    @property
    def start_index(self) -> int:
        return (self.number - 1) * self.per_page + 1 if self.total else 0

    @property
    def end_index(self) -> int:
        return min(self.total, self.number * self.per_page)


@dataclass(frozen=True)
class SearchResults:
    query: Node | None
    criteria: Criteria
    searched: bool  # False: neither words nor criteria, only the facets are computed
    events: ResultPage
    sessions: ResultPage
    people: ResultPage
    facets: list[Facet]

    @property
    def total(self) -> int:
        return self.events.total + self.sessions.total + self.people.total


# --- the search ------------------------------------------------------------------------------


@dataclass(slots=True)
class _EventFacts:
    id: int
    tzinfo: Any
    first_start: dt.datetime | None
    last_end: dt.datetime | None  # loaded only for a date range
    session_count: int  # sessions other than breaks
    values: dict[str, frozenset] = field(default_factory=dict)  # facet param → values
    all_keys: frozenset = frozenset()  # every (param, value) of the event
    passes_all: bool = False
    facet_keys: frozenset = frozenset()  # the (param, value) pairs it counts for


def search(
    query_text: str,
    criteria: Criteria = Criteria(),  # noqa: B008 (immutable)
    *,
    pages: dict[str, int] | None = None,
    per_page: int = PER_PAGE,
    now: dt.datetime | None = None,
) -> SearchResults:
    """Search events, sessions and people. ``pages`` maps ``events``/``sessions``/``people``
    to a 1-based page number (out of range: the nearest page).

    Raises `search.query.QuerySyntaxError` for a malformed query.
    """
    node = parse(query_text)
    now = now or timezone.now()
    pages = pages or {}
    postgres = connection.vendor == "postgresql"
    searched = node is not None or bool(criteria)

    dated = criteria.date_from is not None or criteria.date_to is not None
    facts, tag_names = _load_event_facts(now, dated=dated)
    if node is None:
        event_hits = dict.fromkeys(facts, 0.0)
        session_hits = {f.id: f.session_count for f in facts.values() if f.session_count}
        session_matches = None  # all sessions: paged in SQL
    else:
        event_hits = _event_hits(node, postgres)
        session_matches = _session_matches(node, postgres)
        session_hits = Counter(event_id for _, event_id in session_matches)
    people, people_by_event = _matching_people(node, postgres)

    _apply_criteria(facts, criteria)
    counts: Counter = Counter()
    for event in facts.values():
        weight = (event.id in event_hits) + session_hits.get(event.id, 0)
        if weight:
            for key in event.facet_keys:
                counts[key] += weight
    # A person counts once per facet value, however many of their events have it.
    people_by_key: dict[tuple[str, str], set[int]] = defaultdict(set)
    passing_ids = set() if criteria else set(people)
    for event_id, person_ids in people_by_event.items():
        event = facts.get(event_id)  # None: created after the facts were read
        if event is None:
            continue
        for key in event.facet_keys:
            people_by_key[key].update(person_ids)
        if criteria and event.passes_all:
            passing_ids.update(person_ids)
    for key, person_ids in people_by_key.items():
        counts[key] += len(person_ids)
    passing_people = [people[person_id] for person_id in passing_ids]

    facets = _facets(counts, criteria, tag_names)
    if not searched:
        empty = [ResultPage(kind, [], 0, 1, per_page) for kind in KINDS]
        return SearchResults(node, criteria, False, *empty, facets)

    regex = backends.highlight_regex(node)
    passing_events = [i for i in event_hits if _passes(facts, i)]
    events_page = _events_page(passing_events, event_hits, facts, regex, pages, per_page)
    sessions_page = _sessions_page(session_matches, session_hits, facts, regex, pages, per_page)
    people_page = _people_page(passing_people, regex, pages, per_page)
    return SearchResults(node, criteria, True, events_page, sessions_page, people_page, facets)


def _passes(facts: dict[int, _EventFacts], event_id: int) -> bool:
    """Whether an event meets the criteria (an event newer than the facts does not: the
    search's queries do not share one snapshot)."""
    event = facts.get(event_id)
    return event is not None and event.passes_all


# --- loading ---------------------------------------------------------------------------------


def _load_event_facts(
    now: dt.datetime, *, dated: bool
) -> tuple[dict[int, _EventFacts], dict[str, dict[str, str]]]:
    """Every event's facet values and first start (and end, when ``dated``), and the names
    of the tags: 1 query for the events, 1 per tag vocabulary."""
    events = Event.objects.annotate(
        first_start=Min("sessions__start"),
        last_end=Max("sessions__end"),
        session_count=Count("sessions", filter=~Q(sessions__kind=Session.Kind.BREAK)),
        # Upcoming: not over yet, or no sessions yet (as on the event list).
        upcoming=Case(
            When(Q(last_end__isnull=True) | Q(last_end__gte=now), then=Value(True)),
            default=Value(False),
        ),
    ).order_by()
    # Datetimes are slow to load (Django converts each one in Python): the end only when a
    # date range asks for it.
    columns = ["id", "kind", "language", "timezone", "session_count", "upcoming", "first_start"]
    if dated:
        columns.append("last_end")
    single = functools.cache(lambda value: frozenset((value,)))  # shared, not one per event
    facts: dict[int, _EventFacts] = {}
    for event_id, kind, language, zone, session_count, upcoming, *dates in events.values_list(
        *columns
    ):
        facts[event_id] = _EventFacts(
            id=event_id,
            tzinfo=_zone(zone),
            first_start=dates[0],
            last_end=dates[1] if dated else None,
            session_count=session_count,
            values={
                "language": single(language),
                "kind": single(kind),
                "when": single(UPCOMING if upcoming else PAST),
            },
        )
    tag_names: dict[str, dict[str, str]] = {}
    for param, model in _TAG_MODELS.items():
        names: dict[str, str] = {}
        tags: dict[int, list[str]] = defaultdict(list)
        rows = model.objects.values_list("id", "name", "events__id").order_by()
        for tag_id, name, event_id in rows:
            names[str(tag_id)] = name
            if event_id is not None:
                tags[event_id].append(str(tag_id))
        tag_names[param] = names
        for event_id, event in facts.items():
            event.values[param] = frozenset(tags.get(event_id, ()))
    key = functools.cache(lambda param, value: (param, value))  # shared tuples
    for event in facts.values():
        event.all_keys = frozenset(
            [key(param, value) for param, values in event.values.items() for value in values]
        )
    return facts, tag_names


@functools.cache
def _zone(name: str) -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(name)


def _event_hits(node: Node, postgres: bool) -> dict[int, float]:
    """Matching event ids with their rank (0 on SQLite)."""
    events = Event.objects.filter(backends.text_filter(backends.EVENTS, node)).order_by()
    rank = backends.rank_expression(backends.EVENTS, node) if postgres else None
    if rank is None:
        return {event_id: 0.0 for event_id in events.values_list("id", flat=True)}
    return dict(events.annotate(rank=rank).values_list("id", "rank"))


def _session_matches(node: Node, postgres: bool) -> list[tuple[int, int]]:
    """``(session id, event id)`` of every matching session but breaks, best first: one pass
    over the sessions gives both the per-event counts and the order to page in."""
    sessions = (
        Session.objects.filter(backends.text_filter(backends.SESSIONS, node))
        .exclude(kind=Session.Kind.BREAK)
        .order_by()
    )
    ordering = ["-start", "-id"]
    rank = backends.rank_expression(backends.SESSIONS, node) if postgres else None
    if rank is not None:
        sessions = sessions.annotate(rank=rank)
        ordering.insert(0, "-rank")
    return list(sessions.order_by(*ordering).values_list("id", "event_id"))


@dataclass
class _PersonMatch:
    id: int
    name: str
    key: str
    rank: float
    event_count: int = 0


def _matching_people(
    node: Node | None, postgres: bool
) -> tuple[dict[int, _PersonMatch], dict[int, set[int]]]:
    """Matching people, and per event the matching people who take part in it (as a person
    of the event or in a session role): 2 queries."""
    people = Person.objects.order_by()
    if node is not None:
        people = people.filter(backends.text_filter(backends.PEOPLE, node))
    rank = backends.rank_expression(backends.PEOPLE, node) if postgres else None
    if rank is not None:
        rows = people.annotate(rank=rank).values_list("id", "name", "key", "rank")
    else:
        rows = people.values_list("id", "name", "key")
    matches = {row[0]: _PersonMatch(*row[:3], rank=row[3] if rank else 0.0) for row in rows}
    by_event: dict[int, set[int]] = defaultdict(set)
    if not matches:
        return matches, by_event
    event_people = EventPerson.objects.all()
    session_roles = SessionRole.objects.exclude(  # roles of people not listed for the event
        Exists(
            EventPerson.objects.filter(
                person_id=OuterRef("person_id"), event_id=OuterRef("session__event_id")
            )
        )
    )
    if node is not None:
        # The ids themselves when they are few (the query's text is not matched again),
        # else the matching query as a subquery (SQLite caps the parameters of a query).
        ids = list(matches) if len(matches) <= ID_LIST_LIMIT else people.values("id")
        event_people = event_people.filter(person_id__in=ids)
        session_roles = session_roles.filter(person_id__in=ids)
    links = (
        event_people.values_list("person_id", "event_id")
        .order_by()
        .union(session_roles.values_list("person_id", "session__event_id").order_by(), all=True)
    )
    for person_id, event_id in links:
        by_event[event_id].add(person_id)
    counts = Counter(person_id for person_ids in by_event.values() for person_id in person_ids)
    for person_id, count in counts.items():
        matches[person_id].event_count = count
    return matches, by_event


# --- criteria and facets ---------------------------------------------------------------------


def _local_dates(event: _EventFacts) -> tuple[dt.date, dt.date] | None:
    if event.first_start is None or event.last_end is None:
        return None
    return (
        event.first_start.astimezone(event.tzinfo).date(),
        event.last_end.astimezone(event.tzinfo).date(),
    )


def _apply_criteria(facts: dict[int, _EventFacts], criteria: Criteria) -> None:
    """Mark each event: does it meet all criteria, and which facet values does it count for.

    An event counts for a facet's values when it meets the criteria of every *other* facet:
    all of them when it meets all criteria, only the one facet it fails otherwise.
    """
    selected = [
        (d.param, chosen)
        for d in DIMENSIONS
        if (chosen := {str(v) for v in getattr(criteria, d.attr)})
    ]
    dated = criteria.date_from is not None or criteria.date_to is not None
    for event in facts.values():
        failed = [param for param, chosen in selected if not (event.values[param] & chosen)]
        if dated:
            dates = _local_dates(event)
            if (
                dates is None
                or (criteria.date_from and dates[1] < criteria.date_from)
                or (criteria.date_to and dates[0] > criteria.date_to)
            ):
                failed.append(DATES)
        event.passes_all = not failed
        if not failed:
            event.facet_keys = event.all_keys
        elif len(failed) == 1 and failed[0] != DATES:
            event.facet_keys = frozenset((failed[0], v) for v in event.values[failed[0]])
        else:
            event.facet_keys = frozenset()


def _value_labels(param: str, values: set[str]) -> dict[str, str]:
    """Labels in the active language: call while the page's language is active."""
    if param == "language":
        return {v: language_name(v) for v in values}
    if param == "kind":
        return {v: str(Event.Kind(v).label) if v in Event.Kind.values else v for v in values}
    return {v: str(label) for v, label in WHEN_LABELS.items()}


def _facets(
    counts: Counter, criteria: Criteria, tag_names: dict[str, dict[str, str]]
) -> list[Facet]:
    facets = []
    for dimension in DIMENSIONS:
        chosen = {str(v) for v in getattr(criteria, dimension.attr)}
        present = {value for (param, value), n in counts.items() if param == dimension.param}
        values = present | chosen
        if dimension.param in _TAG_MODELS:
            names = tag_names.get(dimension.param, {})
            labels = {v: names.get(v, f"#{v}") for v in values}
        else:
            labels = _value_labels(dimension.param, values)
        if dimension.param == "kind":
            order = {v: i for i, v in enumerate(Event.Kind.values)}
            ordered = sorted(values, key=lambda v: (order.get(v, len(order)), v))
        elif dimension.param == "when":
            ordered = [v for v in (UPCOMING, PAST) if v in values]
        else:
            ordered = sorted(values, key=lambda v: (labels.get(v, v).casefold(), v))
        facets.append(
            Facet(
                dimension.param,
                dimension.label,
                [
                    FacetValue(
                        value=v,
                        label=labels.get(v, v),
                        count=counts.get((dimension.param, v), 0),
                        selected=v in chosen,
                    )
                    for v in ordered
                ],
            )
        )
    return facets


# --- pages -----------------------------------------------------------------------------------


def _page_number(pages: dict[str, int], kind: str, total: int, per_page: int) -> int:
    last = max(1, math.ceil(total / per_page))
    return min(max(1, pages.get(kind, 1)), last)


def _events_page(
    passing: list[int],
    event_hits: dict[int, float],
    facts: dict[int, _EventFacts],
    regex: re.Pattern | None,
    pages: dict[str, int],
    per_page: int,
) -> ResultPage:
    """Best rank first, then the latest events; 1 query."""

    def order(event_id: int):
        start = facts[event_id].first_start
        return (-event_hits[event_id], start is None, -start.timestamp() if start else 0, event_id)

    ordered = sorted(passing, key=order)
    number = _page_number(pages, "events", len(ordered), per_page)
    ids = ordered[(number - 1) * per_page : number * per_page]
    loaded = (
        Event.objects.only(
            "id",
            "slug",
            "title",
            "subtitle",
            "kind",
            "description",
            "organizer",
            "timezone",
            "location",
            "online",
        )  # fmt: skip
        .annotate(first_start=Min("sessions__start"), last_end=Max("sessions__end"))
        .in_bulk(ids)
    )
    items = []
    for event in (loaded[i] for i in ids if i in loaded):  # not deleted meanwhile
        items.append(
            EventHit(
                event=event,
                title=highlight(event.title, regex),
                subtitle=highlight(event.subtitle, regex),
                organizer=highlight(event.organizer, regex),
                snippet=snippet(plain_text(event.description), regex),
            )
        )
    return ResultPage("events", items, len(ordered), number, per_page)


def _sessions_page(
    matches: list[tuple[int, int]] | None,
    session_hits: dict[int, int],
    facts: dict[int, _EventFacts],
    regex: re.Pattern | None,
    pages: dict[str, int],
    per_page: int,
) -> ResultPage:
    """Best rank first (PostgreSQL), then the latest sessions; 2 queries (the page, its
    speakers), 3 without words (the page's ids first)."""
    passing = [event_id for event_id in session_hits if _passes(facts, event_id)]
    total = sum(session_hits[event_id] for event_id in passing)
    number = _page_number(pages, "sessions", total, per_page)
    if not total:
        return ResultPage("sessions", [], 0, number, per_page)
    offset = (number - 1) * per_page
    if matches is not None:
        ids = [s for s, e in matches if _passes(facts, e)][offset : offset + per_page]
    else:  # criteria alone: every session of the passing events
        sessions = Session.objects.exclude(kind=Session.Kind.BREAK)
        if len(passing) < len(session_hits):
            sessions = sessions.filter(event_id__in=passing)
        ids = list(
            sessions.order_by("-start", "-id").values_list("id", flat=True)[
                offset : offset + per_page
            ]
        )
    speakers = (
        SessionRole.objects.filter(role=SessionRole.Role.SPEAKER)
        .select_related("person")
        .only("id", "session_id", "role", "position", "person__id", "person__name")
        .order_by("position", "id")
    )
    loaded = (
        Session.objects.select_related("event", "section")
        .only(
            "id",
            "title",
            "abstract",
            "kind",
            "start",
            "end",
            "event",
            "section",
            "event__id",
            "event__slug",
            "event__title",
            "event__timezone",
            "section__id",
            "section__title",
        )  # fmt: skip
        .prefetch_related(Prefetch("roles", queryset=speakers, to_attr="speaker_roles"))
        .in_bulk(ids)
    )
    items = []
    for session in (loaded[i] for i in ids if i in loaded):
        items.append(
            SessionHit(
                session=session,
                title=highlight(session.display_title, regex),
                section=highlight(session.section.title if session.section else "", regex),
                snippet=snippet(plain_text(session.abstract), regex),
                speakers=[role.person.name for role in session.speaker_roles],
            )
        )
    return ResultPage("sessions", items, total, number, per_page)


def _people_page(
    passing: list[_PersonMatch],
    regex: re.Pattern | None,
    pages: dict[str, int],
    per_page: int,
) -> ResultPage:
    """Best rank first (PostgreSQL), then by name; 2 queries (the people, their
    affiliations)."""
    ordered = sorted(passing, key=lambda p: (-p.rank, p.name.casefold(), p.key, p.id))
    number = _page_number(pages, "people", len(ordered), per_page)
    matches = ordered[(number - 1) * per_page : number * per_page]
    if not matches:
        return ResultPage("people", [], len(ordered), number, per_page)
    ids = [match.id for match in matches]
    loaded = Person.objects.only("id", "key", "name", "bio").in_bulk(ids)
    affiliations: dict[int, list[str]] = defaultdict(list)
    for person_id, affiliation in (
        EventPerson.objects.filter(person_id__in=ids)
        .exclude(affiliation="")
        .order_by("id")
        .values_list("person_id", "affiliation")
    ):
        if affiliation not in affiliations[person_id]:
            affiliations[person_id].append(affiliation)
    items = [
        PersonHit(
            person=person,
            name=highlight(person.name, regex),
            affiliations=highlight("; ".join(affiliations[person.pk]), regex),
            snippet=snippet(plain_text(person.bio), regex),
            event_count=match.event_count,
        )
        for match in matches
        if (person := loaded.get(match.id)) is not None
    ]
    return ResultPage("people", items, len(ordered), number, per_page)


# --- snippets --------------------------------------------------------------------------------

_BLANKS = re.compile(r"\s+")


def plain_text(markdown_text: str) -> str:
    """What a Markdown text reads as: no markup, whitespace collapsed."""
    return _BLANKS.sub(" ", markdown_text_of(markdown_text)).strip()


def highlight(text: str, regex: re.Pattern | None) -> SafeString:
    """``text`` escaped, with every match of ``regex`` in ``<mark>``."""
    if not text:
        return mark_safe("")
    if regex is None:
        return escape(text)
    parts, last = [], 0
    for match in regex.finditer(text):
        parts.append(escape(text[last : match.start()]))
        parts.append(f"<mark>{escape(match.group())}</mark>")
        last = match.end()
    parts.append(escape(text[last:]))
    return mark_safe("".join(parts))  # every piece of text is escaped above


def snippet(text: str, regex: re.Pattern | None, length: int = SNIPPET_LENGTH) -> SafeString:
    """About ``length`` characters of ``text`` around its first match (its beginning when
    nothing matches), cut at spaces, highlighted."""
    text = _BLANKS.sub(" ", text).strip()
    if len(text) <= length:
        return highlight(text, regex)
    match = regex.search(text) if regex else None
    start = 0
    if match is not None and match.end() > length - length // 4:
        start = max(0, match.start() - length // 3)
        space = text.find(" ", start, match.start())
        if space != -1:
            start = space + 1
    end = start + length
    if end < len(text):
        space = text.rfind(" ", start + length // 2, end)
        if space != -1:
            end = space
    body = highlight(text[start:end], regex)
    prefix = "… " if start > 0 else ""
    suffix = " …" if end < len(text) else ""
    return mark_safe(f"{prefix}{body}{suffix}")  # body is escaped by highlight
