"""The importer's problems in German: organizers read them, so each is translated when it is
reported, into the language active then (a German request's, or the command's). The paths
(`days[0].items[1].start`) and the file's own keys stay as the file writes them."""

import copy

import pytest
import yaml
from django.core.management import CommandError, call_command
from django.utils import translation
from django.utils.translation import gettext, ngettext

from tests.support.german import english_leaks
from workshop.importer import (
    _EVENT_FIELDS,
    _SESSION_FIELDS,
    ProgrammeError,
    import_programme,
)

# What the file itself names (keys, paths, values): not interface text.
FILE_WORDS = (
    *_EVENT_FIELDS,
    *_SESSION_FIELDS,
    "people",
    "days",
    "items",
    "registration.opens",
    "Europe/Berlin",
    "Atlantis/Nowhere",
    "Not A Slug",
)


def small_programme() -> dict:
    return {
        "event": {
            "slug": "small-2031",
            "title": "A Small Workshop",
            "timezone": "Europe/Berlin",
            "display_timezones": [{"label": "DE", "zone": "Europe/Berlin"}],
        },
        "people": [{"key": "ann-lee", "name": "Ann Lee"}, {"key": "bo-chen", "name": "Bo Chen"}],
        "days": [
            {
                "date": "2031-07-01",
                "items": [
                    {"start": "10:00", "end": "11:30", "title": "Opening"},
                    {"start": "11:00", "end": "12:00", "title": "Talk"},
                ],
            },
            {
                # Clocks in Berlin go from 02:00 to 03:00 on 30 March 2031.
                "date": "2031-03-30",
                "items": [{"start": "02:30", "end": "04:00", "title": "Night"}],
            },
        ],
    }


def broken_programme() -> dict:
    data = copy.deepcopy(small_programme())
    data["event"]["slug"] = "Not A Slug"
    data["event"]["display_timezones"][0]["zone"] = "Atlantis/Nowhere"
    data["event"]["registration"] = {
        "opens": "2031-06-01T09:00",
        "closes": "2031-05-01T09:00",
        "capacity": -3,
    }
    data["event"]["online"] = "ja"
    data["days"][0]["items"][1]["speakers"] = ["nobody"]
    data["days"][0]["items"][1]["title"] = ["a", "list"]
    return data


def problems_in(language: str, data) -> list[str]:
    with translation.override(language):
        with pytest.raises(ProgrammeError) as excinfo:
            import_programme(data, source="test")
        return excinfo.value.lines()


def messages(problems: list[str]) -> list[str]:
    """The problems without their paths (``path: message``)."""
    return [problem.split(": ", 1)[1] for problem in problems]


def test_problems_of_a_programme_are_german_in_a_german_context(db):
    german = problems_in("de", broken_programme())
    english = problems_in("en", broken_programme())
    assert len(german) == len(english) >= 9
    # The same problems at the same paths, every message translated.
    assert [p.split(": ", 1)[0] for p in german] == [p.split(": ", 1)[0] for p in english]
    for de, en in zip(messages(german), messages(english), strict=True):
        assert de != en
    for message in messages(german):
        assert english_leaks(message, allow=FILE_WORDS) == [], message


def test_a_time_the_clocks_skip_and_an_overlap_are_reported_in_german(db):
    problems = problems_in("de", small_programme())
    with translation.override("de"):
        skipped = gettext("%(time)s does not exist in %(zone)s (clocks skip it)") % {
            "time": "2031-03-30 02:30",
            "zone": "Europe/Berlin",
        }
        overlap = gettext("overlaps %(path)s, which runs until %(time)s") % {
            "path": "days[0].items[0]",
            "time": "2031-07-01 11:30",
        }
    assert problems == [f"days[1].items[0].start: {skipped}", f"days[0].items[1]: {overlap}"]
    assert skipped.startswith("2031-03-30 02:30 gibt es in Europe/Berlin nicht")
    assert overlap.startswith("überschneidet sich mit days[0].items[0]")


def test_yaml_problems_have_german_positions_and_loader_rules(db):
    text = "event:\n  slug: a\n  slug: b\n"
    [problem] = problems_in("de", text)
    with translation.override("de"):
        where = gettext("line %(line)d, column %(column)d") % {"line": 3, "column": 3}
        rule = gettext("duplicate key %(key)s") % {"key": "'slug'"}
    assert problem == f"{where}: {rule}"
    assert problem.startswith("Zeile 3, Spalte 3")


def test_the_count_of_problems_left_out_is_german(db):
    data = small_programme()
    data["days"][0]["items"][1]["speakers"] = [f"nobody-{n}" for n in range(150)]
    lines = problems_in("de", data)
    with translation.override("de"):
        more = ngettext("... and %(count)d more problem", "... and %(count)d more problems", 52) % {
            "count": 52
        }
    assert lines[-1] == more
    assert english_leaks(lines[-1]) == []


def test_the_command_reports_problems_in_the_active_language(db, tmp_path, capsys):
    """(The command's own lines, such as its summary, stay English.)"""
    path = tmp_path / "broken.yaml"
    path.write_text(yaml.safe_dump(small_programme()), encoding="utf-8")
    with translation.override("de"), pytest.raises(CommandError):
        call_command("import_programme", str(path))
    problem_lines = [
        line.strip() for line in capsys.readouterr().err.splitlines() if line.startswith("  ")
    ]
    assert problem_lines == problems_in("de", small_programme())
