"""Load the demo: both example programmes and the demo logins. Safe to run again."""

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

from workshop.importer import import_programme_file
from workshop.organizers import ensure_organizers_group

EXAMPLES_DIR = Path(__file__).resolve().parents[2] / "fixtures"

DEMO_USERS = [
    # (username, password, superuser) — documented in the README; demo only.
    ("organizer", "organizer", False),
    ("admin", "admin", True),
]


class Command(BaseCommand):
    help = "Import the example programmes and create the demo organizer and admin logins."

    def handle(self, *args, **options):
        for path in sorted(EXAMPLES_DIR.glob("*.yaml")):
            result = import_programme_file(path)
            self.stdout.write(f"{path.name}: {result.summary()}")
        organizers = ensure_organizers_group()
        User = get_user_model()
        for username, password, superuser in DEMO_USERS:
            user, created = User.objects.get_or_create(
                username=username,
                defaults={
                    "is_staff": True,
                    "is_superuser": superuser,
                    "email": f"{username}@example.org",
                },
            )
            if created:
                user.set_password(password)
                user.save()
            if not superuser:
                user.groups.add(organizers)
            self.stdout.write(f"Login {username} / {password}" + (" (created)" if created else ""))
