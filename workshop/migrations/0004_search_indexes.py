"""Trigram GIN indexes for the archive search (the search app), PostgreSQL only.

The search matches word fragments with case-insensitive regular expressions (``~*``); pg_trgm's
GIN operator class serves those (and LIKE/ILIKE). One index per searched text column, on the
exact expression Django writes for ``__iregex`` (``"column"::text``), so the planner can use
it. Nothing changes on SQLite, and no model state changes (the indexes are not in any model's
Meta, so makemigrations never sees them).
"""

from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations

INDEXES = [
    ("workshop_event_title_trgm", "workshop_event", "title"),
    ("workshop_event_subtitle_trgm", "workshop_event", "subtitle"),
    ("workshop_event_description_trgm", "workshop_event", "description"),
    ("workshop_event_organizer_trgm", "workshop_event", "organizer"),
    ("workshop_section_title_trgm", "workshop_section", "title"),
    ("workshop_session_title_trgm", "workshop_session", "title"),
    ("workshop_session_abstract_trgm", "workshop_session", "abstract"),
    ("workshop_person_name_trgm", "workshop_person", "name"),
    ("workshop_person_bio_trgm", "workshop_person", "bio"),
    ("workshop_eventperson_affiliation_trgm", "workshop_eventperson", "affiliation"),
]


def create_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, table, column in INDEXES:
        schema_editor.execute(
            f'CREATE INDEX IF NOT EXISTS "{name}" ON "{table}" '
            f'USING gin (("{column}"::text) gin_trgm_ops)'
        )


def drop_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _table, _column in INDEXES:
        schema_editor.execute(f'DROP INDEX IF EXISTS "{name}"')


class Migration(migrations.Migration):

    dependencies = [
        ("workshop", "0003_event_programme_version"),
    ]

    operations = [
        TrigramExtension(),
        migrations.RunPython(create_indexes, drop_indexes, elidable=False),
    ]
