"""Moving the test database between migration states, for tests of data migrations: a test
starts from an older schema, writes rows with its historical models, migrates forward and
checks them."""

from contextlib import contextmanager

from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor


def migrate(targets):
    """Migrate to ``targets`` (app, migration name or None); the historical models (apps) of
    the state reached."""
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    executor.loader.build_graph()
    # The state of what is applied now: migrating an app back also unapplies the other apps'
    # migrations that depend on it, so "the others at their newest" would be ahead of the tables.
    return executor.loader.project_state(list(executor.loader.applied_migrations)).apps


def latest():
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


@contextmanager
def schema_at(targets):
    """The database at ``targets`` (its historical models yielded); migrated to the newest
    schema again afterwards, whatever the test did."""
    try:
        yield migrate(targets)
    finally:
        migrate(latest())
        ContentType.objects.clear_cache()
