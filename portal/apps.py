from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "portal"
    verbose_name = _("Speaker portal")

    def ready(self):
        # The builders and receivers import models, which are loaded only once ready() runs.
        from . import receivers, reminders
        from .emails import register_kinds

        register_kinds()
        reminders.register_kind()
        receivers.connect()
