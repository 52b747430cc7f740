from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MailingConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "mailing"
    verbose_name = _("Mail")
    # What the Organizers group may do here (see workshop.organizers): read the ledger and
    # retry failed emails; never add or delete rows.
    organizer_permissions = ("view_outgoingemail", "change_outgoingemail")

    def ready(self):
        # Registers the system checks; models are loaded only once ready() runs.
        from . import checks  # noqa: F401
