"""The archive search page in German: help text with both sets of operators, facets, result
counts, pager, empty results and every parse error message; and the same page in English
stays English. The test data is German content (titles, names), so whatever English shows
up on a German page is interface text."""

import datetime as dt
import re
from html import unescape

import pytest
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext, ngettext, pgettext

from search.query import MAX_DEPTH, MAX_LENGTH, MAX_TERMS, QuerySyntaxError, parse
from tests.factories import (
    EventFactory,
    EventPersonFactory,
    PersonFactory,
    SectionFactory,
    SessionFactory,
    SessionRoleFactory,
)
from tests.support.german import english_leaks
from workshop.models import EventType, SubjectArea, TargetGroup

URL = reverse("search:search")
LEIPZIG = "Die Messestadt Leipzig im Kalten Krieg"
BUDAPEST = "Budapester Gespräche"
CONTENT = (
    LEIPZIG,
    BUDAPEST,
    "Handel zwischen Ost und West",
    "Leibniz-Institut für Länderkunde",
    "Jürgen Höfer",
    "Universität Leipzig",
    "Wirtschaftsgeschichte",
    "Kolloquium",
    "Forschende",
)


@pytest.fixture
def archive(db):
    """A past German workshop with 12 sessions (two pages) and an upcoming English seminar."""
    history = SubjectArea.objects.create(name="Wirtschaftsgeschichte")
    colloquium = EventType.objects.create(name="Kolloquium")
    researchers = TargetGroup.objects.create(name="Forschende")
    leipzig = EventFactory(
        slug="messestadt",
        title=LEIPZIG,
        subtitle="Handel zwischen Ost und West",
        kind="workshop",
        language="de",
        organizer="Leibniz-Institut für Länderkunde",
        description="Ein Workshop über die Leipziger Messe und den Osthandel.",
    )
    leipzig.subject_areas.add(history)
    leipzig.event_types.add(colloquium)
    leipzig.target_groups.add(researchers)
    section = SectionFactory(event=leipzig, title="Erster Teil")
    start = dt.datetime(2021, 7, 1, 10, tzinfo=dt.UTC)  # Thursday, 12:00 in Berlin
    sessions = [
        SessionFactory(
            event=leipzig,
            section=section,
            title=f"Messebericht Nummer {n}",
            abstract="Über den Handel auf der Leipziger Messe.",
            start=start + dt.timedelta(hours=n),
            end=start + dt.timedelta(hours=n, minutes=45),
        )
        for n in range(12)
    ]
    hoefer = PersonFactory(
        key="juergen-hoefer", name="Jürgen Höfer", bio="Forscht zur Leipziger Messe."
    )
    EventPersonFactory(event=leipzig, person=hoefer, affiliation="Universität Leipzig")
    SessionRoleFactory(session=sessions[0], person=hoefer)
    budapest = EventFactory(slug="budapest", title=BUDAPEST, kind="seminar", language="en")
    budapest.subject_areas.add(history)
    SessionFactory(event=budapest, title="Donauhandel im Wandel")
    return leipzig, budapest


def german(client, params=None) -> str:
    response = client.get(URL, params or {}, HTTP_ACCEPT_LANGUAGE="de")
    assert response.status_code == 200
    content = response.content.decode()
    assert '<html lang="de"' in content
    return content


def english(client, params=None) -> str:
    response = client.get(URL, params or {})
    assert response.status_code == 200
    content = response.content.decode()
    assert '<html lang="en"' in content
    return content


def flat(content: str) -> str:
    return " ".join(unescape(content).split())


def error_message(content: str) -> str:
    match = re.search(r'<div id="search-error"[^>]*>(.*?)</div>', content, re.S)
    return unescape(match.group(1)) if match else ""


def de(function, *args):
    with translation.override("de"):
        return function(*args)


# --- the page in German ----------------------------------------------------------------------


def test_german_search_page_without_query_explains_both_sets_of_operators(client, archive):
    content = german(client)

    assert english_leaks(content, allow=CONTENT) == []
    assert de(gettext, "Type words above, choose criteria, or both.") in content
    help_text = flat(content.split('id="search-help"')[1].split("</details>")[0])
    for operator in ("und", "oder", "nicht", "and", "or", "not"):
        assert f"<code>{operator}</code>" in help_text
    assert "<code>Philo nicht logie</code>" in help_text
    assert "<code>(Philo nicht logie) oder (Psycho und logie)</code>" in help_text
    assert "So suchen Sie" in help_text
    assert 'placeholder="z. B. „Leipziger Messe“ und (Handel oder Technik)"' in content
    # Facets with interface words in German, tag names as typed.
    text = flat(content)
    for label in ("Fachgebiet", "Veranstaltungsart", "Zielgruppe", "Sprache", "Wann"):
        assert f">{label}</h3>" in text
    assert f">{de(gettext, 'Kind of event')}</h3>" in text
    assert 'facet-label">Bevorstehend<' in text and 'facet-label">Vergangen<' in text
    assert 'facet-label">Deutsch<' in text and 'facet-label">Englisch<' in text
    assert "Wirtschaftsgeschichte" in text
    assert ">Zeitraum</h3>" in text and ">Von</label>" in text and ">Bis</label>" in text
    assert 'class="search-group' not in content


def test_german_search_results_events_sessions_people_and_pager(client, archive):
    content = german(client, {"q": "Leipzig"})
    text = flat(content)

    assert english_leaks(content, allow=(*CONTENT, "Leipzig")) == []
    with translation.override("de"):
        summary = "{}: {}, {}, {}.".format(
            ngettext("%(counter)s result", "%(counter)s results", 14) % {"counter": 14},
            ngettext("%(counter)s event", "%(counter)s events", 1) % {"counter": 1},
            ngettext("%(counter)s session", "%(counter)s sessions", 12) % {"counter": 12},
            ngettext("%(counter)s person", "%(counter)s people", 1) % {"counter": 1},
        )
    assert summary == "14 Treffer: 1 Veranstaltung, 12 Programmpunkte, 1 Person."
    assert summary in text
    for heading in ("Veranstaltungen", "Programmpunkte", "Personen"):
        assert f"{heading} <span" in text
    assert "1 Veranstaltung</p>" in text  # Jürgen Höfer's events
    # Dates in German (the event's and each session's).
    assert "Donnerstag, 1. Juli 2021" in text
    # The sessions' pager: page 1 of 2.
    assert 'aria-label="Programmpunkte: Seiten"' in text
    assert "1–10 von 12 · Seite 1 von 2" in text
    assert de(pgettext, "pager", "Next") == "Weiter"
    assert 'rel="next">Weiter</a>' in text
    assert '<span class="page-link">Zurück</span>' in text


def test_german_search_second_page(client, archive):
    content = german(client, {"q": "Leipzig", "sessions_page": "2"})
    text = flat(content)

    assert english_leaks(content, allow=(*CONTENT, "Leipzig")) == []
    assert "11–12 von 12 · Seite 2 von 2" in text
    assert 'rel="prev">Zurück</a>' in text
    assert '<span class="page-link">Weiter</span>' in text


def test_german_search_without_results(client, archive):
    content = german(client, {"q": "Zeppelin"})

    assert english_leaks(content, allow=(*CONTENT, "Zeppelin")) == []
    assert de(
        gettext, "Nothing found. Try fewer words, a fragment of a word, or fewer criteria."
    ) in (content)
    assert "Nichts gefunden." in content
    for empty in ("No events.", "No sessions.", "No people."):
        assert de(gettext, empty) in content
    assert "Keine Programmpunkte." in content


def test_german_search_with_facets_selected(client, archive):
    history = SubjectArea.objects.get(name="Wirtschaftsgeschichte").pk
    content = german(
        client,
        {"subject_area": history, "kind": "workshop", "when": "past", "language": "de"},
    )
    text = flat(content)

    assert english_leaks(content, allow=CONTENT) == []
    assert text.count('class="facet-value facet-selected"') == 4
    assert text.count("(ausgewählt; entfernen)") == 4
    assert "Alle Kriterien entfernen" in text
    assert "Zeitraum übernehmen" in text
    assert "14 Treffer: 1 Veranstaltung, 12 Programmpunkte, 1 Person." in text


MALFORMED = [
    ("(Handel oder", "Die Suche endet mit „oder“: Ergänzen Sie danach ein Wort."),
    ("nicht", "Die Suche endet mit „nicht“: Ergänzen Sie danach ein Wort."),
    (
        '""',
        "Leere Anführungszeichen an Stelle 1: Setzen Sie Wörter dazwischen oder entfernen Sie "
        "die Anführungszeichen.",
    ),
    (
        "„Leipziger Messe",
        "Das Anführungszeichen an Stelle 1 wird nicht geschlossen: Setzen Sie ein schließendes "
        "“ hinter die Wortfolge.",
    ),
    (
        "()",
        "Leere Klammern an Stelle 1: Setzen Sie Wörter dazwischen oder entfernen Sie die Klammern.",
    ),
    ("(Handel", "Die Klammer „(“ an Stelle 1 wird nicht geschlossen: Ergänzen Sie eine „)“."),
    (
        "Handel )",
        "Die Klammer „)“ an Stelle 8 schließt eine Klammer, die nie geöffnet wurde.",
    ),
    ("und Messe", "Vor „und“ an Stelle 1 fehlt ein Wort."),
    ("Handel und oder Messe", "Ergänzen Sie ein Wort zwischen „und“ und „oder“ (Stelle 12)."),
    (
        "(" * (MAX_DEPTH + 1) + "x" + ")" * (MAX_DEPTH + 1),
        f"Die Suche verschachtelt Klammern oder „nicht“ zu tief (höchstens {MAX_DEPTH} Ebenen).",
    ),
    (
        "x" * (MAX_LENGTH + 1),
        f"Die Suche ist zu lang ({MAX_LENGTH + 1} Zeichen; höchstens {MAX_LENGTH}).",
    ),
    (
        " ".join(["Wort"] * (MAX_TERMS + 1)),
        f"Die Suche enthält zu viele Wörter und Wortfolgen ({MAX_TERMS + 1}; "
        f"höchstens {MAX_TERMS}).",
    ),
]


@pytest.mark.parametrize(("typed", "message"), MALFORMED)
def test_german_search_explains_each_malformed_query(client, archive, typed, message):
    content = german(client, {"q": typed, "kind": "seminar"})

    assert error_message(content) == message
    assert english_leaks(content, allow=(*CONTENT, typed)) == []
    assert 'class="search-group' not in content
    assert '<input type="hidden" name="kind" value="seminar">' in content


@pytest.mark.parametrize(("typed", "message"), MALFORMED)
def test_english_search_explains_each_malformed_query_in_english(client, archive, typed, message):
    content = english(client, {"q": typed})

    with pytest.raises(QuerySyntaxError) as caught:
        parse(typed)
    assert error_message(content) == caught.value.message != message


def test_query_error_message_takes_the_language_it_is_shown_in():
    with translation.override("en"), pytest.raises(QuerySyntaxError) as caught:
        parse("(Handel")

    with translation.override("de"):
        assert caught.value.message == (
            "Die Klammer „(“ an Stelle 1 wird nicht geschlossen: Ergänzen Sie eine „)“."
        )
        assert str(caught.value) == caught.value.message
    with translation.override("en"):
        assert caught.value.message == (
            "The bracket “(” at character 1 is never closed: add a “)”."
        )


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"q": "Handel\x00"}, "Nullzeichen sind nicht erlaubt."),
        (
            {"date_from": "2021-07-02", "date_to": "2021-07-01"},
            "Das Enddatum liegt vor dem Anfangsdatum.",
        ),
        ({"date_from": "2021-13-45"}, "Bitte ein gültiges Datum eingeben."),
    ],
)
def test_german_search_form_errors(client, archive, params, message):
    content = german(client, params)

    assert error_message(content) == message
    assert english_leaks(content, allow=CONTENT) == []


# --- the page in English stays English -------------------------------------------------------

GERMAN_INTERFACE = (
    "Treffer",
    "Veranstaltung",
    "Programmpunkt",
    "Personen",
    "Seite",
    "Zurück",
    "Weiter",
    "So suchen Sie",
    "Kriterien",
    "Zeitraum",
    "Bevorstehend",
    "Vergangen",
    "Fachgebiet",
    "Stelle",
    "Nichts gefunden",
)


def _no_german(content: str) -> None:
    text = flat(content)
    for content_text in CONTENT:
        text = text.replace(content_text, " ")
    assert [word for word in GERMAN_INTERFACE if word in text] == []


def test_english_search_page_stays_english(client, archive):
    content = english(client)
    _no_german(content)
    assert "Type words above, choose criteria, or both." in content
    assert "How to search" in content
    assert 'placeholder="e.g. &quot;Sino-Soviet split&quot; and (trade or technology)"' in content
    assert ">Subject area</h3>" in content
    assert 'facet-label">Upcoming<' in content and 'facet-label">Past<' in content
    assert 'facet-label">German<' in content and 'facet-label">English<' in content

    results = english(client, {"q": "Leipzig"})
    _no_german(results)
    assert "14 results: 1 event, 12 sessions, 1 person." in flat(results)
    assert "1–10 of 12 · page 1 of 2" in flat(results)
    assert "Thursday, 1 July 2021" in flat(results)

    nothing = english(client, {"q": "Zeppelin"})
    _no_german(nothing)
    assert "Nothing found." in nothing

    chosen = english(client, {"kind": "workshop", "when": "past"})
    _no_german(chosen)
    assert flat(chosen).count("(chosen; remove)") == 2
    assert "Clear all criteria" in chosen
