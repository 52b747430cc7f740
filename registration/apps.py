from django.apps import AppConfig


class RegistrationConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "registration"
    verbose_name = "Registration"
    # What the Organizers group may do here (see workshop.organizers): read and decide,
    # never add or delete registrations by hand.
    organizer_permissions = (
        "view_registration",
        "change_registration",
        "approve_registration",
        "erase_registration",
    )

    def ready(self):
        # The builders import models, which are loaded only once ready() runs.
        from . import receivers
        from .emails import register_kinds

        register_kinds()
        receivers.connect()
