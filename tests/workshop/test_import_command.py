import datetime as dt
import io
import os
import subprocess
import sys

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils.translation import gettext, ngettext

from tests.conftest import EXAMPLES_DIR, REPO_DIR
from tests.workshop.test_importer import (
    ONE_LINE,
    alias_bomb,
    at_line,
    at_most,
    hostile_yaml,
    overlaps,
    required,
    too_large,
    unknown_person,
    unknown_zone,
    year,
)
from tests.workshop.test_importer import problem as importer_problem
from workshop.models import Event, EventPerson, Person, Session

WORKSHOP_FILE = EXAMPLES_DIR / "sino-soviet-2021.yaml"
SEMINAR_FILE = EXAMPLES_DIR / "seminar-hirata.yaml"
BROKEN = """\
event:
  slug: broken-2031
  title: Broken
  timezone: Europe/Leipzig
people:
  - {key: ann-lee, name: Ann Lee}
days:
  - date: 2031-07-01
    items:
      - {start: "10:00", end: "11:00", title: Talk, speakers: [ann-lee, jan-zofca]}
      - {start: "10:30", end: "11:30", title: Clash}
"""
BROKEN_PROBLEMS = [
    unknown_zone("event.timezone", "Europe/Leipzig"),
    unknown_person("days[0].items[0].speakers[1]", "jan-zofca"),
    overlaps("days[0].items[1]", "days[0].items[0]", "2031-07-01 11:00"),
]


def counts() -> tuple[int, int, int, int]:
    return (
        Event.objects.count(),
        Session.objects.count(),
        Person.objects.count(),
        EventPerson.objects.count(),
    )


@pytest.fixture
def broken_file(tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text(BROKEN, encoding="utf-8")
    return path


def run_command(*args) -> tuple[str, str]:
    stdout, stderr = io.StringIO(), io.StringIO()
    call_command("import_programme", *map(str, args), stdout=stdout, stderr=stderr)
    return stdout.getvalue(), stderr.getvalue()


def test_import_programme_command_prints_a_summary_per_file(db):
    stdout, stderr = run_command(WORKSHOP_FILE, SEMINAR_FILE)

    assert stdout.splitlines() == [
        f"{WORKSHOP_FILE}: created event sino-soviet-2021: sessions 12 created, 0 updated, "
        "0 unchanged, 0 removed; people 19 created, 0 updated",
        f"{SEMINAR_FILE}: created event hirata-156-projects: sessions 1 created, 0 updated, "
        "0 unchanged, 0 removed; people 0 created, 1 updated",
    ]
    assert stderr == ""
    assert counts() == (2, 13, 19, 20)


def test_import_programme_command_reports_a_reimport_as_unchanged(db):
    run_command(WORKSHOP_FILE)

    stdout, _ = run_command(WORKSHOP_FILE)

    assert stdout == (
        f"{WORKSHOP_FILE}: updated event sino-soviet-2021: sessions 0 created, 0 updated, "
        "12 unchanged, 0 removed; people 0 created, 0 updated\n"
    )


def test_import_programme_command_rejects_with_every_problem_and_writes_nothing(db, broken_file):
    run_command(SEMINAR_FILE)
    before = counts()
    stderr = io.StringIO()

    with pytest.raises(CommandError) as excinfo:
        call_command(
            "import_programme",
            str(WORKSHOP_FILE),
            str(broken_file),
            stdout=io.StringIO(),
            stderr=stderr,
        )

    assert str(excinfo.value) == "1 of 2 file(s) rejected; nothing imported."
    assert stderr.getvalue().splitlines() == [
        f"{broken_file}: 3 problem(s)",
        *(f"  {problem}" for problem in BROKEN_PROBLEMS),
    ]
    # The valid workshop file was not imported either: the command is all or nothing.
    assert counts() == before
    assert not Event.objects.filter(slug="sino-soviet-2021").exists()


def test_import_programme_command_reports_malformed_yaml_and_missing_files(db, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("event:\n  title: [unclosed\n", encoding="utf-8")
    stderr = io.StringIO()

    with pytest.raises(CommandError):
        call_command("import_programme", str(bad), str(tmp_path / "missing.yaml"), stderr=stderr)

    lines = stderr.getvalue().splitlines()
    assert lines[:2] == [
        f"{bad}: 1 problem(s)",
        "  " + at_line(3, 1, "expected ',' or ']', but got '<stream end>'"),  # PyYAML's words
    ]
    assert lines[2] == f"{tmp_path / 'missing.yaml'}: 1 problem(s)"
    cannot_read = gettext("cannot read the file (%(error)s)").split("%(error)s")[0]
    assert lines[3].startswith(f"  {tmp_path / 'missing.yaml'}: {cannot_read}")
    assert counts() == (0, 0, 0, 0)


# The real command line, against the test database (committed data, hence transactional_db).


def database_url() -> str:
    settings = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{settings['NAME']}"
    user = (
        f"{settings['USER']}:{settings['PASSWORD']}" if settings["PASSWORD"] else settings["USER"]
    )
    return f"postgres://{user}@{settings['HOST']}:{settings['PORT']}/{settings['NAME']}"


def manage(*args) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", "import_programme", *map(str, args)],
        cwd=REPO_DIR,
        env={**os.environ, "DATABASE_URL": database_url()},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_manage_py_import_programme_exits_0_and_imports(transactional_db):
    process = manage(SEMINAR_FILE)

    assert process.returncode == 0, process.stderr
    assert process.stdout.endswith(
        "created event hirata-156-projects: sessions 1 created, 0 updated, 0 unchanged, "
        "0 removed; people 1 created, 0 updated\n"
    )
    session = Session.objects.get(event__slug="hirata-156-projects")
    assert session.start == dt.datetime(2027, 3, 11, 6, 0, tzinfo=dt.UTC)


def test_manage_py_import_programme_exits_1_with_problems_on_stderr(transactional_db, broken_file):
    process = manage(SEMINAR_FILE, broken_file)

    assert process.returncode == 1
    assert process.stdout == ""
    for problem in BROKEN_PROBLEMS:
        assert f"  {problem}\n" in process.stderr
    assert "1 of 2 file(s) rejected; nothing imported." in process.stderr
    assert counts() == (0, 0, 0, 0)


# Hostile files (issue 10, defect 9): a problem list and exit status 1, never a traceback.

HOSTILE_FILES = {
    "capacity.yaml": (
        {"capacity": "2147483648"},
        at_most("event.registration.capacity", 2147483647, 2147483648),
    ),
    "capacity-10e30.yaml": (
        {"capacity": "1" + "0" * 30},
        at_most("event.registration.capacity", 2147483647, "1" + "0" * 30),
    ),
    "nul.yaml": (
        {"title": '"Small\\0Workshop"'},
        importer_problem("event.title", ONE_LINE, code="U+0000"),
    ),
    "tokyo-year-1.yaml": (
        {"zone": "Asia/Tokyo", "date": "0001-01-01", "start": '"00:00"', "end": '"01:00"'},
        year("days[0].date", "0001-01-01"),
    ),
    "new-york-year-9999.yaml": (
        {"zone": "America/New_York", "date": "9999-12-31", "start": '"22:00"', "end": '"23:00"'},
        year("days[0].date", "9999-12-31"),
    ),
    "localtime.yaml": ({"zone": "localtime"}, unknown_zone("event.timezone", "localtime")),
    "factory.yaml": ({"zone": "Factory"}, unknown_zone("event.timezone", "Factory")),
}


@pytest.fixture
def hostile_files(tmp_path):
    paths = []
    for name, (fields, _) in HOSTILE_FILES.items():
        path = tmp_path / name
        path.write_text(hostile_yaml(**fields), encoding="utf-8")
        paths.append(path)
    return paths


def test_import_programme_command_lists_problems_of_hostile_files(db, hostile_files):
    stderr = io.StringIO()

    with pytest.raises(CommandError) as excinfo:
        call_command("import_programme", *map(str, hostile_files), stderr=stderr)

    assert str(excinfo.value) == "7 of 7 file(s) rejected; nothing imported."
    expected = []
    for path, (_, problem) in zip(hostile_files, HOSTILE_FILES.values(), strict=True):
        expected += [f"{path}: 1 problem(s)", f"  {problem}"]
    assert stderr.getvalue().splitlines() == expected
    assert counts() == (0, 0, 0, 0)


def test_manage_py_import_programme_exits_1_without_traceback_for_hostile_files(
    transactional_db, hostile_files
):
    process = manage(SEMINAR_FILE, *hostile_files)

    assert process.returncode == 1
    assert "Traceback" not in process.stderr
    assert process.stdout == ""
    for path, (_, problem) in zip(hostile_files, HOSTILE_FILES.values(), strict=True):
        assert f"{path}: 1 problem(s)\n  {problem}\n" in process.stderr
    assert "7 of 8 file(s) rejected; nothing imported." in process.stderr
    assert counts() == (0, 0, 0, 0)


def test_import_programme_command_refuses_an_alias_bomb_with_one_problem(db, tmp_path):
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text(alias_bomb(), encoding="utf-8")
    stderr = io.StringIO()

    with pytest.raises(CommandError):
        call_command("import_programme", str(bomb), stderr=stderr)

    lines = stderr.getvalue().splitlines()
    assert lines[0] == f"{bomb}: 1 problem(s)"
    assert len(lines) == 2
    assert lines[1].endswith(
        gettext(
            "aliases expand to more than %(count)d values; write the repeated parts out instead"
        )
        % {"count": 1000}
    )
    assert counts() == (0, 0, 0, 0)


def test_import_programme_command_prints_at_most_100_problems(db, tmp_path):
    path = tmp_path / "many.yaml"
    nameless = "".join(f", {{key: p-{i}}}" for i in range(5000))
    path.write_text(
        hostile_yaml().replace("name: Ann Lee}", f"name: Ann Lee}}{nameless}"), encoding="utf-8"
    )
    stderr = io.StringIO()

    with pytest.raises(CommandError):
        call_command("import_programme", str(path), stderr=stderr)

    lines = stderr.getvalue().splitlines()
    assert lines[0] == f"{path}: 5000 problem(s)"
    assert lines[1] == "  " + required("people[1].name")
    assert lines[100] == "  " + required("people[100].name")
    more = ngettext("... and %(count)d more problem", "... and %(count)d more problems", 4900)
    assert lines[101:] == ["  " + more % {"count": 4900}]


def test_import_programme_command_refuses_a_file_over_the_size_limit(db, tmp_path, settings):
    settings.IMPORT_MAX_BYTES = 1024
    path = tmp_path / "big.yaml"
    path.write_text(hostile_yaml() + "#" * 2000 + "\n", encoding="utf-8")
    stderr = io.StringIO()

    with pytest.raises(CommandError):
        call_command("import_programme", str(path), stderr=stderr)

    assert stderr.getvalue().splitlines() == [
        f"{path}: 1 problem(s)",
        "  " + too_large(str(path), "1,024"),
    ]
