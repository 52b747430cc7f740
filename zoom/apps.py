from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ZoomConfig(AppConfig):
    name = "zoom"
    verbose_name = _("Zoom")
    default_auto_field = "django.db.models.BigAutoField"
    # Organizers see the meetings and registrants, retry them and delete meetings in Zoom.
    organizer_permissions = (
        "view_zoommeeting",
        "change_zoommeeting",
        "view_zoomregistrant",
        "change_zoomregistrant",
    )

    def ready(self) -> None:
        from . import receivers

        receivers.connect()
