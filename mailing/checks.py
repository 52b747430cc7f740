"""System checks of the outbox, run by `manage.py check --database default` and by `migrate`
(so at every deploy): an email that waits to be sent must have code that can build it."""

from django.core.checks import Error, Tags, register
from django.db import connections

from . import registry
from .models import OutgoingEmail


@register(Tags.database)
def queued_kinds_have_builders(app_configs=None, databases=None, **kwargs):
    errors = []
    for alias in databases or ():
        connection = connections[alias]
        if OutgoingEmail._meta.db_table not in connection.introspection.table_names():
            continue  # not migrated yet
        waiting = (
            OutgoingEmail.objects.using(alias)
            .filter(state__in=(OutgoingEmail.State.QUEUED, OutgoingEmail.State.SENDING))
            .order_by()
            .values_list("kind", flat=True)
            .distinct()
        )
        for kind in sorted(set(waiting)):
            if not registry.is_registered(kind):
                errors.append(
                    Error(
                        f"Emails of kind {kind!r} wait to be sent, but no app registers a "
                        "builder for that kind.",
                        hint="Register one with mailing.registry.register() in the app's "
                        "AppConfig.ready(), or mark those rows failed in the ledger.",
                        obj=alias,
                        id="mailing.E001",
                    )
                )
    return errors
