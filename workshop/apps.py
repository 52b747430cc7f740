from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _

# Organizers manage the programme fully.
PROGRAMME_MODELS = (
    "event",
    "displayzone",
    "section",
    "session",
    "sessionrole",
    "person",
    "eventperson",
    "eventcontact",
    "targetgroup",
    "subjectarea",
    "eventtype",
)


class WorkshopConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "workshop"
    verbose_name = _("Programme")
    # What the Organizers group may do here (see workshop.organizers).
    organizer_permissions = tuple(
        f"{action}_{model}"
        for model in PROGRAMME_MODELS
        for action in ("add", "change", "delete", "view")
    )

    def ready(self):
        # Models are loaded only once ready() runs.
        from . import checks, organizers, receivers  # noqa: F401 (checks: registers them)

        # Cache invalidation, decoupled from every write path (see workshop/receivers.py).
        receivers.connect()
        post_migrate.connect(organizers.create_organizers_group, dispatch_uid="workshop.organizers")
