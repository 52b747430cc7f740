from django.apps import AppConfig


class RegistrationConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "registration"
    verbose_name = "Registration"

    def ready(self):
        from django.db.models.signals import post_migrate

        from workshop.roles import create_organizers_group

        # After every migrate: permissions exist by then, and the group stays in step with them.
        post_migrate.connect(create_organizers_group, sender=self)
