"""The archive search on the seed programmes: matching, criteria, facets, snippets, the page,
privacy and query counts. Runs unchanged on SQLite and on PostgreSQL: the same query must give
the same results on both."""

import datetime as dt
import random
import re
from html import unescape
from html.parser import HTMLParser

import pytest
from django.db import connection
from django.urls import reverse
from django.utils.translation import gettext, ngettext, pgettext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from search.backends import leaf_pattern
from search.query import And, Not, Phrase, Term, make_and, make_or, render
from search.service import DIMENSIONS, Criteria, search
from tests.factories import (
    EventFactory,
    EventPersonFactory,
    PersonFactory,
    SectionFactory,
    SessionFactory,
    SessionRoleFactory,
)
from workshop.models import (
    Event,
    EventPerson,
    EventType,
    Person,
    Section,
    Session,
    SessionRole,
    SubjectArea,
    TargetGroup,
)

NOW = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)  # the workshop (2021) is past, the seminar (2027) not
EVIL = '"><img src=x onerror=alert(1)><script>alert(2)</script>'

SINO = "Economic Dimensions of the Sino-Soviet Alliance and Split"
HIRATA = (
    "The Soviet Union’s Today is Our Tomorrow: The USSR and China’s Developmental Vision, 1952–57"
)
OPENING = (
    "Socialist Globalization and the Economic Dimensions of the Sino-Soviet Alliance and Split"
)
JIANG = "Trade with Socialist Comrades? China and the Council for Mutual Economic Aid (1949–1959)"
LEIPZIG_FAIR = "China and the Leipzig Trade Fair (1950–1965)"
JERSILD = (
    "The »Socialist World System« from Beijing to Conakry. Sino-Soviet Conflict as a Model for "
    "Failure in the Global South, 1950–1964"
)
LIN = (
    "Rethinking the Stalinist Model: The Origin and Institutional Logic of the Great Leap "
    "Forward in China"
)
MARKU = (
    "Preparing for an alliance: China’s socialist model and Albania’s economic design in the "
    "early Cold War"
)
ZANIER = (
    "High hopes and low expectations. Introducing technology in the PRC in the years of the "
    "Sino-Soviet Alliance"
)
VAMOS = (
    "»Our Chinese comrades are determined to split and struggle.« The influence of the "
    "Sino-Soviet split on technological cooperation: the case of Hungarian railway experts in "
    "China"
)
SANCHEZ = "Toward a Political Economy of Socialism"
FINAL = "Final Discussion"
SINO_SESSIONS = {OPENING, JIANG, LEIPZIG_FAIR, JERSILD, LIN, MARKU, ZANIER, VAMOS, SANCHEZ, FINAL}
SINO_PEOPLE = {
    "Tao Chen", "Jan Zofka", "Huajie Jiang", "Péter Vámos", "Uwe Müller", "Anna Belogurova",
    "Max Trecker", "Austin Jersild", "Ylber Marku", "Steffi Marung", "Lin Chaochao",
    "Valeria Zanier", "Felix Boecking", "Bernd Schäfer", "Koji Hirata", "Elisabeth Kaske",
    "Oscar Sanchez-Sibony", "Ines Rößler", "Virginie Michaels",
}  # fmt: skip


@pytest.fixture
def seed(sino_soviet, hirata_seminar):
    return sino_soviet, hirata_seminar


def found(text: str = "", criteria: Criteria = Criteria(), **kwargs) -> dict[str, set[str]]:  # noqa: B008
    """Every result (all pages) by kind: event and session titles, people's names."""
    results = search(text, criteria, per_page=1000, now=NOW, **kwargs)
    return {
        "events": {hit.event.title for hit in results.events.items},
        "sessions": {hit.session.title for hit in results.sessions.items},
        "people": {hit.person.name for hit in results.people.items},
    }


def nothing() -> dict[str, set[str]]:
    return {"events": set(), "sessions": set(), "people": set()}


def tag_id(model, name: str) -> int:
    return model.objects.get(name=name).pk


# --- the announcement's examples -------------------------------------------------------------


@pytest.fixture
def disciplines(db):
    event = EventFactory(slug="disciplines", title="Disciplines")
    for title in [
        "Philosophy of the Plan",
        "Slavic Philology",
        "Social Psychology",
        "Psychoanalysis and Revolution",
        "Geology of Manchuria",
    ]:
        SessionFactory(event=event, title=title)
    return event


def test_search_words_match_fragments(disciplines):
    assert found("logy")["sessions"] == {
        "Slavic Philology",
        "Social Psychology",
        "Geology of Manchuria",
    }


def test_search_philo_not_logy(disciplines):
    assert found("Philo not logy")["sessions"] == {"Philosophy of the Plan"}


def test_search_announcement_brackets(disciplines):
    assert found("(Philo not logy) or (Psycho and logy)")["sessions"] == {
        "Philosophy of the Plan",
        "Social Psychology",
    }


def test_search_phrase_and_bracketed_or(seed):
    assert found('"Sino-Soviet split" and (trade or technology)') == {
        "events": set(),
        "sessions": {VAMOS},
        "people": set(),
    }


def test_search_sino_soviet_phrase(seed):
    expected = {
        "events": {SINO, HIRATA},
        "sessions": {OPENING, JERSILD, ZANIER, VAMOS, HIRATA},
        "people": set(),
    }

    assert found('"Sino-Soviet"') == expected
    assert found("sino-soviet") == expected
    assert found("“SINO–SOVIET”") == expected  # typographic quotes, en dash, capitals


def test_search_leipzig_und_nicht_budapest(seed):
    PersonFactory(key="both-cities", name="Anna Kovács", bio="Studied in Leipzig and Budapest.")

    assert found("Leipzig") == {
        "events": set(),
        "sessions": {LEIPZIG_FAIR},
        "people": {"Elisabeth Kaske", "Steffi Marung", "Anna Kovács"},
    }
    assert found("Leipzig und nicht Budapest") == {
        "events": set(),
        "sessions": {LEIPZIG_FAIR},
        "people": {"Elisabeth Kaske", "Steffi Marung"},
    }
    assert found("Leipzig oder Budapest")["people"] == {
        "Elisabeth Kaske",
        "Steffi Marung",
        "Anna Kovács",
        "Péter Vámos",
    }


def test_search_phrase_spans_line_breaks(seed):
    # The seminar's description breaks the line after "core of".
    assert found('"at the core of China\'s First Five-Year Plan"')["events"] == {HIRATA}


def test_search_ignores_case_beyond_ascii_and_matches_typographic_variants(seed):
    assert found("VÁMOS")["people"] == {"Péter Vámos"}
    assert found("MÜLLER")["people"] == {"Uwe Müller"}
    assert found("RÖSSLER")["people"] == set()  # no ß → SS folding, on either database
    assert found("rößler")["people"] == {"Ines Rößler"}
    assert found("China's socialist")["sessions"] == {MARKU}  # ASCII apostrophe finds ’
    assert found('"Trade Fair (1950-1965)"')["sessions"] == {LEIPZIG_FAIR}  # hyphen finds –


def test_search_people_by_affiliation_at_any_event(seed):
    assert found("Cambridge")["people"] == {"Koji Hirata"}
    assert found("Monash") == {"events": {HIRATA}, "sessions": set(), "people": {"Koji Hirata"}}


def test_search_sessions_by_section_title(seed):
    assert found('"Development Models"')["sessions"] == {JERSILD, LIN, MARKU}


def test_search_not_keeps_sessions_without_a_section(seed):
    # The opening has no section: `not` must not lose it to SQL's NULL logic.
    assert found("not zzzz")["sessions"] == SINO_SESSIONS | {HIRATA}
    assert found("not Outlook")["sessions"] == SINO_SESSIONS - {SANCHEZ, FINAL} | {HIRATA}


def test_search_skips_breaks(seed):
    assert found("Lunch") == nothing()


# --- criteria without words ------------------------------------------------------------------


def test_search_criteria_subject_area_alone_finds_both_seed_events(seed):
    history = Criteria(subject_areas=frozenset({tag_id(SubjectArea, "History / archaeology")}))

    assert found("", history) == {
        "events": {SINO, HIRATA},
        "sessions": SINO_SESSIONS | {HIRATA},
        "people": SINO_PEOPLE,
    }


def test_search_criteria_event_type_target_group_language_and_kind(seed):
    seminar_type = tag_id(EventType, "Seminar / workshop / discussion")
    students = tag_id(TargetGroup, "Students")

    assert found("", Criteria(event_types=frozenset({seminar_type})))["events"] == {SINO, HIRATA}
    assert found("", Criteria(target_groups=frozenset({students})))["events"] == {SINO}
    assert found("", Criteria(languages=frozenset({"en"})))["events"] == {SINO, HIRATA}
    assert found("", Criteria(languages=frozenset({"de"}))) == nothing()
    assert found("", Criteria(kinds=frozenset({"seminar"}))) == {
        "events": {HIRATA},
        "sessions": {HIRATA},
        "people": {"Koji Hirata"},
    }


def test_search_criteria_upcoming_and_past_relative_to_now(seed):
    assert found("", Criteria(when=frozenset({"upcoming"}))) == {
        "events": {HIRATA},
        "sessions": {HIRATA},
        "people": {"Koji Hirata"},
    }
    assert found("", Criteria(when=frozenset({"past"}))) == {
        "events": {SINO},
        "sessions": SINO_SESSIONS,
        "people": SINO_PEOPLE,
    }
    later = search("", Criteria(when=frozenset({"upcoming"})), now=NOW.replace(year=2028))
    assert later.total == 0


def test_search_criteria_date_range_in_the_events_own_zone(seed):
    def events(start, end):
        return found("", Criteria(date_from=start, date_to=end))["events"]

    assert events(dt.date(2021, 7, 2), dt.date(2021, 7, 2)) == {SINO}
    assert events(dt.date(2021, 7, 3), None) == {HIRATA}
    assert events(None, dt.date(2021, 6, 30)) == set()
    assert events(dt.date(2027, 3, 11), dt.date(2027, 3, 11)) == {HIRATA}  # Melbourne date


def test_search_criteria_count_people_in_a_role_but_not_listed_for_the_event(seed):
    sino, hirata = seed
    chair = PersonFactory(name="Unlisted Chair")
    SessionRoleFactory(session=hirata.sessions.get(), person=chair, role="chair")

    assert found("", Criteria(kinds=frozenset({"seminar"})))["people"] == {
        "Koji Hirata",
        "Unlisted Chair",
    }
    assert found("Unlisted", Criteria(kinds=frozenset({"workshop"}))) == nothing()


def test_search_words_with_criteria(seed):
    upcoming = Criteria(when=frozenset({"upcoming"}))

    assert found("china", upcoming) == {
        "events": {HIRATA},
        "sessions": {HIRATA},
        "people": {"Koji Hirata"},
    }


# --- facets ----------------------------------------------------------------------------------


# Facet labels from the catalogue and the model (the tests run in English).
WORKSHOP = str(Event.Kind.WORKSHOP.label)
SEMINAR = str(Event.Kind.SEMINAR.label)
UPCOMING = pgettext("search facet", "Upcoming")
PAST = pgettext("search facet", "Past")


def facet_counts(results) -> dict[str, dict[str, int]]:
    return {
        facet.param: {value.label: value.count for value in facet.values}
        for facet in results.facets
    }


def test_facets_count_everything_without_words_or_criteria(seed):
    results = search("", now=NOW)

    assert results.searched is False
    assert results.total == 0
    # Workshop: 1 event, 10 sessions (not the 2 breaks), 19 people; seminar: 1, 1, 1.
    assert facet_counts(results) == {
        "subject_area": {
            "Cultural sciences": 30,
            "Geosciences": 30,
            "History / archaeology": 32,
            "Politics": 30,
            "Social studies": 30,
        },
        "event_type": {"Seminar / workshop / discussion": 32},
        "target_group": {"Scientists and scholars": 30, "Students": 30},
        "language": {"English": 32},
        "kind": {WORKSHOP: 30, SEMINAR: 3},
        "when": {UPCOMING: 3, PAST: 30},
    }


def test_facets_count_for_the_query_and_the_other_criteria(seed):
    seminar = Criteria(kinds=frozenset({"seminar"}))

    plain = search("china", now=NOW)
    chosen = search("china", seminar, now=NOW)

    # "china": both events, 6 sessions (5 + 1), Koji Hirata (bio) who is in both events.
    assert (plain.events.total, plain.sessions.total, plain.people.total) == (2, 6, 1)
    assert facet_counts(plain)["subject_area"]["History / archaeology"] == 9
    assert facet_counts(plain)["subject_area"]["Cultural sciences"] == 7
    assert facet_counts(plain)["kind"] == {WORKSHOP: 7, SEMINAR: 3}
    assert facet_counts(plain)["when"] == {UPCOMING: 3, PAST: 7}
    # Choosing a kind restricts the other facets, not the kind facet itself.
    assert chosen.total == 3
    assert facet_counts(chosen)["kind"] == {WORKSHOP: 7, SEMINAR: 3}
    assert facet_counts(chosen)["subject_area"] == {"History / archaeology": 3}
    assert facet_counts(chosen)["when"] == {UPCOMING: 3}
    assert [v.selected for v in chosen.facets[4].values] == [False, True]


@pytest.mark.parametrize("text", ["", "china", "Leipzig oder Budapest", "not zzzz"])
def test_facet_count_is_the_total_after_choosing_the_value(seed, text):
    tags = {"subject_area", "event_type", "target_group"}
    attrs = {dimension.param: dimension.attr for dimension in DIMENSIONS}

    for facet in search(text, now=NOW).facets:
        for value in facet.values:
            chosen = int(value.value) if facet.param in tags else value.value
            criteria = Criteria(**{attrs[facet.param]: frozenset({chosen})})
            assert search(text, criteria, now=NOW).total == value.count, (facet.param, value)


# --- snippets and escaping -------------------------------------------------------------------


def test_search_highlights_matches_in_titles_and_snippets(seed):
    results = search('"Sino-Soviet split" and (trade or technology)', now=NOW)
    (hit,) = results.sessions.items

    # "technology" is in its section's title, not in "technological".
    assert "the <mark>Sino-Soviet split</mark> on technological" in hit.title
    assert hit.section == (
        "<mark>Technology</mark> Transfers: Technical Assistance and Industrial Cooperation"
    )

    (person,) = search("Stanford", now=NOW).people.items
    assert "PhD in History, <mark>Stanford</mark> (2018)" in person.snippet
    assert "*" not in person.snippet  # Markdown is read as text
    assert person.affiliations == "Cambridge University; Monash University"


def test_search_does_not_highlight_negated_terms(seed):
    (hit,) = search("Leipzig not Budapest", now=NOW).sessions.items

    assert hit.title == "China and the <mark>Leipzig</mark> Trade Fair (1950–1965)"


@pytest.fixture
def evil(db):
    event = EventFactory(title=f"Evil {EVIL}", description=f"Intro {EVIL} **bold** onerror")
    section = SectionFactory(event=event, title=EVIL)
    session = SessionFactory(event=event, section=section, title=EVIL, abstract=f"x {EVIL}")
    person = PersonFactory(name=f"Evil {EVIL}", bio=f"*Bio* {EVIL}")
    EventPersonFactory(event=event, person=person, affiliation=EVIL)
    SessionRoleFactory(session=session, person=person)
    return event


class _Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: set[str] = set()
        self.handlers: set[str] = set()

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        self.handlers.update(name for name, _ in attrs if name.startswith("on"))


def assert_no_markup_injected(content: str) -> None:
    tags = _Tags()
    tags.feed(content)
    assert "img" not in tags.tags
    assert tags.handlers == set()
    assert "<script>alert" not in content
    assert re.search(r"<script(?![^>]*\bsrc=)", content) is None


@pytest.mark.parametrize("text", ["onerror", "img", "alert", '"<script>"', "Evil"])
def test_search_escapes_data_in_results_and_snippets(client, evil, text):
    response = client.get(reverse("search:search"), {"q": text})
    content = response.content.decode()

    assert response.status_code == 200
    assert "<mark>" in content
    assert_no_markup_injected(content)


def test_search_snippet_shows_evil_text_escaped_and_marked(client, evil):
    content = client.get(reverse("search:search"), {"q": "onerror"}).content.decode()

    assert (
        "Evil &quot;&gt;&lt;img src=x <mark>onerror</mark>=alert(1)&gt;&lt;script&gt;alert(2)"
        "&lt;/script&gt;</a>" in content
    )


@pytest.mark.parametrize(
    "typed",
    [
        "<script>alert(3)</script><img src=x onerror=alert(4)> or onerror",  # valid
        '"><script>alert(3)</script><img src=x onerror=alert(4)>',  # unclosed quote
    ],
)
def test_search_escapes_the_query(client, evil, typed):
    response = client.get(reverse("search:search"), {"q": typed})
    content = response.content.decode()

    assert response.status_code == 200
    assert_no_markup_injected(content)
    assert typed_value(content) == typed


# --- the page --------------------------------------------------------------------------------


def typed_value(content: str) -> str:
    match = re.search(r'<input type="search" name="q" id="search-q" value="([^"]*)"', content)
    assert match, "no search box"
    return unescape(match.group(1))


def error_message(content: str) -> str:
    match = re.search(r'<div id="search-error"[^>]*>(.*?)</div>', content, re.S)
    return unescape(match.group(1)) if match else ""


def summary(content: str) -> str:
    """The line above the results: how many of each kind were found."""
    match = re.search(r'<p class="search-summary[^"]*">(.*?)</p>', content, re.S)
    assert match, "no search summary"
    return " ".join(unescape(match.group(1)).split())


def counted(total: int, events: int, sessions: int, people: int) -> str:
    """The summary line as the catalogue words it."""
    return gettext("%(total)s: %(events)s, %(sessions)s, %(people)s.") % {
        "total": ngettext("%(counter)s result", "%(counter)s results", total) % {"counter": total},
        "events": ngettext("%(counter)s event", "%(counter)s events", events) % {"counter": events},
        "sessions": ngettext("%(counter)s session", "%(counter)s sessions", sessions)
        % {"counter": sessions},
        "people": ngettext("%(counter)s person", "%(counter)s people", people)
        % {"counter": people},
    }


@pytest.mark.parametrize(
    ("typed", "msgid", "params"),
    [
        (
            "(trade or",
            "The search ends with “%(operator)s”: add a word after it.",
            {"operator": "or"},
        ),
        ("not", "The search ends with “%(operator)s”: add a word after it.", {"operator": "not"}),
        (
            '""',
            "Empty quotation marks at character %(position)s: put words between them or remove "
            "them.",
            {"position": 1},
        ),
        (
            ")",
            "The bracket “)” at character %(position)s closes a bracket that was never opened.",
            {"position": 1},
        ),
        (
            "and or",
            "“%(operator)s” at character %(position)s needs a word before it.",
            {"operator": "and", "position": 1},
        ),
        (
            "x" * 501,
            "The search is too long (%(length)s characters; at most %(limit)s).",
            {"length": 501, "limit": 500},
        ),
    ],
)
def test_search_page_explains_a_malformed_query_and_keeps_it(client, seed, typed, msgid, params):
    response = client.get(reverse("search:search"), {"q": typed, "kind": "seminar"})
    content = response.content.decode()

    assert response.status_code == 200
    assert error_message(content) == gettext(msgid) % params
    assert typed_value(content) == typed
    assert 'class="search-group' not in content
    assert '<input type="hidden" name="kind" value="seminar">' in content


def test_search_page_rejects_null_characters_with_a_message(client, seed):
    response = client.get(reverse("search:search"), {"q": "trade\x00"})

    assert response.status_code == 200
    assert error_message(response.content.decode()) == "Null characters are not allowed."


def test_search_page_shows_grouped_results_with_links(client, seed):
    sino, hirata = seed
    response = client.get(reverse("search:search"), {"q": "Hirata"})
    content = response.content.decode()

    assert response.status_code == 200
    assert typed_value(content) == "Hirata"
    assert summary(content) == counted(1, 0, 0, 1)
    person = Person.objects.get(key="koji-hirata")
    assert f'<a href="{person.get_absolute_url()}">Koji <mark>Hirata</mark></a>' in content


def test_search_page_links_sessions_and_events(client, seed):
    sino, hirata = seed
    session = Session.objects.get(title=LEIPZIG_FAIR)
    content = client.get(reverse("search:search"), {"q": "Leipzig Trade Fair"}).content.decode()

    assert f'href="{session.get_absolute_url()}"' in content
    assert f'href="{sino.get_absolute_url()}"' in content
    assert "Tao Chen" in content  # the speaker


def test_search_page_facet_links_toggle_criteria_and_reset_pages(client, seed):
    history = tag_id(SubjectArea, "History / archaeology")
    response = client.get(
        reverse("search:search"), {"q": "china", "kind": "seminar", "sessions_page": "2"}
    )
    content = unescape(response.content.decode())

    assert f'href="?q=china&kind=seminar&subject_area={history}"' in content
    assert 'href="?q=china"' in content  # un-choosing the kind
    assert 'href="?q=china&kind=seminar&kind=workshop"' in content


def test_search_page_without_words_or_criteria_shows_only_the_form(client, seed):
    content = client.get(reverse("search:search")).content.decode()

    assert gettext("Type words above, choose criteria, or both.") in content
    assert 'class="search-summary' not in content
    assert 'class="search-group' not in content
    assert "History / archaeology" in content  # the facets, with their counts


def test_search_page_criteria_from_the_query_string(client, seed):
    history = tag_id(SubjectArea, "History / archaeology")
    response = client.get(
        reverse("search:search"),
        {"subject_area": [str(history), "x", "99999"], "when": ["upcoming", "bogus"]},
    )

    assert summary(response.content.decode()) == counted(3, 1, 1, 1)


def test_search_page_reports_an_inverted_date_range(client, seed):
    response = client.get(
        reverse("search:search"), {"date_from": "2021-07-02", "date_to": "2021-07-01"}
    )

    assert error_message(response.content.decode()) == gettext(
        "The end date is before the start date."
    )


def test_search_pages_each_kind_on_its_own(client, seed):
    history = tag_id(SubjectArea, "History / archaeology")

    first = search("", Criteria(subject_areas=frozenset({history})), per_page=10, now=NOW)
    second = search(
        "",
        Criteria(subject_areas=frozenset({history})),
        pages={"sessions": 2, "people": 99},
        per_page=10,
        now=NOW,
    )

    assert (first.sessions.number, first.sessions.num_pages) == (1, 2)
    assert len(first.sessions.items) == 10
    assert (second.sessions.number, len(second.sessions.items)) == (2, 1)
    assert (second.people.number, len(second.people.items)) == (2, 9)  # clamped to the last
    assert (second.events.number, len(second.events.items)) == (1, 2)
    all_sessions = {h.session.pk for h in first.sessions.items + second.sessions.items}
    assert len(all_sessions) == 11

    response = client.get(reverse("search:search"), {"subject_area": history, "sessions_page": "2"})
    content = unescape(response.content.decode())
    assert f'href="?subject_area={history}"' in content  # "Previous": page 1 drops the param
    position = gettext("%(start)s–%(end)s of %(total)s · page %(number)s of %(pages)s")
    assert position % {"start": 11, "end": 11, "total": 11, "number": 2, "pages": 2} in content


def test_search_box_in_the_header_of_other_pages(client, seed):
    sino, hirata = seed
    action = f'action="{reverse("search:search")}"'

    assert action in client.get(reverse("workshop:event_list")).content.decode()
    assert action in client.get(sino.get_absolute_url()).content.decode()
    # On the search page itself, only the page's own box.
    assert client.get(reverse("search:search")).content.decode().count('name="q"') == 1


# --- privacy ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "zoom",
        "zoom.us",
        "91234567890",
        '"912 3456 7890"',
        "LTF-1950x65",
        "Hx9-156pr",
        "s3cret-pass",
        "5550001111",
        "@example.org",
        "secret.person",
    ],
)
def test_search_never_matches_or_shows_meeting_details_or_emails(client, seed, text):
    sino, hirata = seed
    event = EventFactory(title="Private details", description="About trade.")
    SessionFactory(
        event=event, title="Trade talk", meeting_url="https://zoom.us/j/1", meeting_passcode="pw"
    )
    person = PersonFactory(name="Trade Person", email="secret.person@example.org")
    EventPersonFactory(event=event, person=person)

    assert search(text, now=NOW).total == 0
    response = client.get(reverse("search:search"), {"q": f"trade or {text}"})
    # The results, not the box, title and facet links that repeat what was typed.
    content = response.content.decode().split('<div class="col-lg-9 search-results">', 1)[1]
    secrets = ["zoom.us", "91234567890", "912 3456 7890", "LTF-1950x65", "Hx9-156pr", "s3cret"]
    for secret in [*secrets, "secret.person", "example.org", "mailto:"]:
        assert secret not in content, secret
    assert "<mark>Trade</mark> talk" in content


# --- the same semantics as a Python reference ------------------------------------------------


def _reference(node, texts: list[str]) -> bool:
    if isinstance(node, Term | Phrase):
        pattern = re.compile(leaf_pattern(node), re.IGNORECASE)
        return any(pattern.search(text) for text in texts)
    if isinstance(node, Not):
        return not _reference(node.operand, texts)
    results = [_reference(operand, texts) for operand in node.operands]
    return all(results) if isinstance(node, And) else any(results)


def reference_results(node) -> dict[str, set[str]]:
    events = {
        e.title: [e.title, e.subtitle, e.description, e.organizer] for e in Event.objects.all()
    }
    sessions = {
        s.title: [s.title, s.abstract, s.section.title if s.section else ""]
        for s in Session.objects.select_related("section").exclude(kind="break")
    }
    people = {
        p.name: [p.name, p.bio, *[link.affiliation for link in p.event_links.all()]]
        for p in Person.objects.prefetch_related("event_links")
    }
    return {
        kind: {title for title, texts in rows.items() if _reference(node, texts)}
        for kind, rows in (("events", events), ("sessions", sessions), ("people", people))
    }


VOCABULARY = [
    "china", "Soviet", "logy", "trade", "Leipzig", "GWZO", "university", "Koji", "1950",
    "split", "model", "ö", "Sino-Soviet split", "economic cooperation", "zzz", "a", "Monash",
]  # fmt: skip
search_leaves = st.sampled_from(VOCABULARY).map(lambda w: Phrase(w) if " " in w else Term(w))
search_asts = st.recursive(
    search_leaves,
    lambda children: (
        children.map(Not)
        | st.lists(children, min_size=2, max_size=3).map(make_and)
        | st.lists(children, min_size=2, max_size=3).map(make_or)
    ),
    max_leaves=6,
)


@settings(
    database=None,
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(node=search_asts)
def test_search_agrees_with_a_python_reference(seed, node):
    assert found(render(node)) == reference_results(node)


def test_search_ranks_title_matches_first_on_postgresql(seed):
    titles = [hit.session.title for hit in search('"Sino-Soviet"', now=NOW).sessions.items]

    if connection.vendor == "postgresql":
        assert titles[-1] == HIRATA  # only its abstract says Sino-Soviet
        assert set(titles[:-1]) == {OPENING, JERSILD, ZANIER, VAMOS}
    else:  # latest first
        assert titles == [HIRATA, VAMOS, ZANIER, JERSILD, OPENING]


# --- bounded queries -------------------------------------------------------------------------

QUERIES = [
    {"q": "china"},
    {"q": '"Sino-Soviet split" and (trade or technology)'},
    {"q": "(Philo not logy) or (Psycho and logy)", "events_page": "2", "sessions_page": "3"},
    {"q": "Leipzig und nicht Budapest", "when": "past"},
    {"subject_area": "SUBJECT", "when": "upcoming"},
    {"q": "university", "kind": "workshop", "date_from": "2021-01-01"},
    {},
]
MAX_QUERIES = 13


def build_archive(*, prefix: str, events: int, sessions_per_event: int, people: int):
    """An archive in a few bulk inserts: ``events`` events from 2015 to 2026 with their
    sections, sessions, tags, people and roles. Every fourth long text carries a sentence
    that each of `QUERIES` finds, so that every kind has hits whatever the size."""
    rng = random.Random(prefix)
    words = (
        "trade technology railway alliance socialist planning economy philology psychology "
        "philosophy geology china soviet cooperation industry transfer model "
        "archive history culture politics Sino-Soviet split council comrades"
    ).split()
    anchor = "The Sino-Soviet split: trade, Philosophy and Psychology at Leipzig university."

    def text(n: int) -> str:
        return " ".join(rng.choice(words) for _ in range(n))

    def long_text(n: int, index: int) -> str:
        return f"{text(n)} {anchor}" if index % 4 == 0 else text(n)

    areas = SubjectArea.objects.bulk_create(
        SubjectArea(name=f"{prefix} area {n}") for n in range(6)
    )
    types = EventType.objects.bulk_create(EventType(name=f"{prefix} type {n}") for n in range(3))
    groups = TargetGroup.objects.bulk_create(
        TargetGroup(name=f"{prefix} group {n}") for n in range(3)
    )
    start = dt.datetime(2015, 1, 1, 9, tzinfo=dt.UTC)
    created = Event.objects.bulk_create(
        Event(
            slug=f"{prefix}-{n}",
            title=f"{text(5)} {n}",
            subtitle=text(4),
            description=long_text(60, n),
            organizer=text(3),
            kind=Event.Kind.values[n % len(Event.Kind.values)],
            language=rng.choice(["en", "de"]),
            timezone="Europe/Berlin",
            meeting_url="https://zoom.us/j/5550001111",
            meeting_passcode="s3cret-pass",
        )
        for n in range(events)
    )
    Event.subject_areas.through.objects.bulk_create(
        Event.subject_areas.through(event_id=e.pk, subjectarea_id=a.pk)
        for e in created
        for a in rng.sample(areas, 2)
    )
    Event.event_types.through.objects.bulk_create(
        Event.event_types.through(event_id=e.pk, eventtype_id=rng.choice(types).pk) for e in created
    )
    Event.target_groups.through.objects.bulk_create(
        Event.target_groups.through(event_id=e.pk, targetgroup_id=rng.choice(groups).pk)
        for e in created
    )
    sections = Section.objects.bulk_create(
        Section(event=e, title=f"{text(3)} {k}", position=k) for e in created for k in range(2)
    )
    persons = Person.objects.bulk_create(
        Person(key=f"{prefix}-{n}", name=f"{text(1)} {n}", bio=long_text(40, n), email=f"{n}@x.org")
        for n in range(people)
    )
    sessions = []
    for index, event in enumerate(created):
        first = start + dt.timedelta(days=index * 4000 // events)
        for k in range(sessions_per_event):
            sessions.append(
                Session(
                    event=event,
                    section=sections[2 * index + k % 2] if k else None,
                    kind=Session.Kind.BREAK if k == 5 else Session.Kind.TALK,
                    title=text(8),
                    abstract=long_text(80, k + index),
                    start=first + dt.timedelta(hours=k),
                    end=first + dt.timedelta(hours=k, minutes=50),
                )
            )
    sessions = Session.objects.bulk_create(sessions, batch_size=2000)
    links = set()
    roles = []
    for n, session in enumerate(sessions):
        person = persons[n % people]
        links.add((session.event_id, person.pk))
        roles.append(SessionRole(session=session, person=person, role="speaker"))
    SessionRole.objects.bulk_create(roles, batch_size=2000)
    EventPerson.objects.bulk_create(
        (EventPerson(event_id=e, person_id=p, affiliation=text(3)) for e, p in links),
        batch_size=2000,
    )
    return created


def _params(query: dict) -> dict:
    history = str(tag_id(SubjectArea, "History / archaeology"))
    return {key: history if value == "SUBJECT" else value for key, value in query.items()}


@pytest.mark.slow
def test_search_runs_a_bounded_number_of_queries(client, seed, django_assert_max_num_queries):
    def counts() -> list[int]:
        result = []
        for query in QUERIES:
            params = _params(query)
            with django_assert_max_num_queries(MAX_QUERIES) as captured:
                response = client.get(reverse("search:search"), params)
            assert response.status_code == 200
            result.append(len(captured))
        return result

    seed_only = counts()  # some groups empty: their pages cost nothing
    build_archive(prefix="small", events=5, sessions_per_event=10, people=10)
    small = counts()
    build_archive(prefix="large", events=2000, sessions_per_event=10, people=3000)
    assert Session.objects.count() == 20000 + 50 + 13
    large = counts()

    # Words: events, sessions, people matched once each; facts and tags (4); people's events;
    # one page per kind with its speakers and affiliations. Criteria alone: no text queries
    # but the session page's ids. Neither: the facets only.
    assert small == large == [13, 13, 13, 13, 12, 13, 6]
    assert all(a <= b for a, b in zip(seed_only, small, strict=True))
