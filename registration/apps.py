from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RegistrationConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "registration"
    verbose_name = _("Registration")
    # What the Organizers group may do here (see workshop.organizers): read, decide, and add
    # a participant by hand (an invited guest, through `services.add_participant`); never
    # delete registrations (erasure keeps the ledger consistent).
    organizer_permissions = (
        "view_registration",
        "add_registration",
        "change_registration",
        "approve_registration",
        "erase_registration",
        "view_participantmessage",
    )

    def ready(self):
        # The builders import models, which are loaded only once ready() runs.
        from . import notice_emails, organizer_messages, receivers, reminders
        from .emails import register_kinds

        register_kinds()
        notice_emails.register_kind()
        reminders.register_kind()
        organizer_messages.register_kind()
        receivers.connect()
