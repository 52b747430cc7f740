"""`manage.py import_programme FILE [FILE ...]`: create or update events from programme files."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from workshop.importer import ProgrammeError, import_programme_file


class Command(BaseCommand):
    help = (
        "Create or update events from programme files (YAML). A file that breaks a rule is "
        "reported with every problem; if any file is rejected, nothing is imported."
    )

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+", type=Path, metavar="FILE")

    def handle(self, *args, files: list[Path], **options):
        results, rejected = [], 0
        # One transaction for all files: files often share people, and a command that fails
        # should leave the database as it found it.
        with transaction.atomic():
            for path in files:
                try:
                    results.append((path, import_programme_file(path)))
                except ProgrammeError as exc:
                    rejected += 1
                    self.stderr.write(f"{path}: {exc.count} problem(s)")
                    for line in exc.lines():  # at most 100, then how many more
                        self.stderr.write(f"  {line}")
            if rejected:
                raise CommandError(
                    f"{rejected} of {len(files)} file(s) rejected; nothing imported."
                )
        for path, result in results:
            self.stdout.write(f"{path}: {result.summary()}")
