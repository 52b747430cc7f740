from django.apps import AppConfig


class WorkshopConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "workshop"
    verbose_name = "Programme"

    def ready(self):
        from . import signals

        # Cache invalidation, decoupled from every write path (see workshop/signals.py).
        signals.connect()
