"""The German catalogue is complete, matches the sources, and is what the site serves."""

import os
import re
import shutil
import sys

import polib
import pytest
from django.utils import translation
from django.utils.translation import gettext

from config import catalogues
from tests.conftest import REPO_DIR

PLACEHOLDER = re.compile(r"%\([a-z_0-9]+\)[sd]|%[sd]|\{[a-z_0-9]*\}")


def german_catalogue() -> polib.POFile:
    return polib.pofile(str(REPO_DIR / "locale" / "de" / "LC_MESSAGES" / "django.po"))


def key(entry: polib.POEntry) -> tuple:
    return (entry.msgctxt or "", entry.msgid, entry.msgid_plural or "")


def test_every_german_entry_is_translated_and_none_is_fuzzy():
    catalogue = german_catalogue()
    assert len(catalogue) > 0
    assert not catalogue.metadata_is_fuzzy
    assert [e.msgid for e in catalogue.untranslated_entries()] == []
    assert [e.msgid for e in catalogue.fuzzy_entries()] == []
    assert [e.msgid for e in catalogue.obsolete_entries()] == []


def test_every_translation_keeps_the_placeholders_of_its_source():
    """A lost or misspelt %(name)s would crash or silently drop a value in German only."""
    wrong = []
    for entry in german_catalogue():
        sources = [entry.msgid] + ([entry.msgid_plural] if entry.msgid_plural else [])
        expected = set(PLACEHOLDER.findall(" ".join(sources)))
        translations = list(entry.msgstr_plural.values()) if entry.msgid_plural else [entry.msgstr]
        for text in translations:
            found = set(PLACEHOLDER.findall(text))
            # A German singular may say "ein" where English says "%(count)s".
            if found != expected and not (entry.msgid_plural and found < expected):
                wrong.append((entry.msgid, text))
    assert wrong == []


def test_the_site_serves_the_compiled_german():
    with translation.override("de"):
        assert gettext("Academic events") == "Wissenschaftliche Veranstaltungen"
    with translation.override("en"):
        assert gettext("Academic events") == "Academic events"


def test_the_compiled_catalogue_is_built_from_the_po_file():
    for po_path in catalogues.catalogues():
        assert po_path.with_suffix(".mo").read_bytes() == catalogues.compiled(po_path)


def test_extracting_the_texts_anew_changes_nothing(tmp_path):
    """Every marked text of the sources is in the catalogue, and nothing else: `python3 dev.py
    messages` after a change of texts was not forgotten. Needs GNU gettext (CI installs it and
    sets CI_REQUIRE_GETTEXT, so there the check cannot be skipped)."""
    if shutil.which("xgettext") is None:
        if os.environ.get("CI_REQUIRE_GETTEXT"):
            pytest.fail("GNU gettext (xgettext) is missing; CI installs it.")
        pytest.skip("GNU gettext (xgettext) is not installed")
    copy = tmp_path / "repo"
    shutil.copytree(
        REPO_DIR,
        copy,
        ignore=shutil.ignore_patterns(
            ".git", ".venv*", "var", "staticfiles", "test-artifacts", "__pycache__", "*.mo"
        ),
    )
    env = {**os.environ, "DJANGO_DEBUG": "1", "DJANGO_VAR_DIR": str(tmp_path / "var")}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    catalogues.extract(sys.executable, cwd=copy, env=env)
    for po_path in catalogues.catalogues():
        committed = polib.pofile(str(po_path))
        extracted = polib.pofile(str(copy / po_path.relative_to(REPO_DIR)))
        assert sorted(map(key, extracted)) == sorted(map(key, committed)), po_path
        assert [e.msgid for e in extracted.fuzzy_entries()] == []
        where = {key(e): sorted(e.occurrences) for e in committed}
        assert {key(e): sorted(e.occurrences) for e in extracted} == where
