"""Compile the translation catalogues (``locale/*/LC_MESSAGES/django.po`` → ``.mo``) in pure
Python, so a machine without GNU gettext (only Python and pip) serves every language.

``python -m config.catalogues`` writes each ``.mo`` whose ``.po`` changed since; ``dev.py``
runs it before serving or testing, the Dockerfile when it builds the image. The ``.mo`` files
are build output, never committed, so they cannot fall behind the ``.po`` files in the repo.
"""

import subprocess
import sys
from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parent.parent
LOCALE = ROOT / "locale"


# How the catalogue is extracted (GNU gettext's xgettext, so a developer's machine or CI only):
# file-level locations keep the .po stable when lines move; tests, benchmarks and build output
# hold no product strings.
MAKEMESSAGES = [
    "makemessages",
    "--all",
    "--add-location=file",
    "--no-obsolete",
    *(
        "--ignore=" + pattern
        for pattern in (
            ".venv*",
            "tests",
            "bench",
            "var",
            "staticfiles",
            "test-artifacts",
            ".i18n-work",
            "docs",
        )
    ),
]


def extract(python: str = sys.executable, *, cwd: Path = ROOT, env: dict | None = None) -> None:
    """Update every ``.po`` from the sources (``manage.py makemessages``)."""
    subprocess.run([python, "manage.py", *MAKEMESSAGES], check=True, cwd=cwd, env=env)


def catalogues() -> list[Path]:
    return sorted(LOCALE.glob("*/LC_MESSAGES/*.po"))


def compiled(po_path: Path) -> bytes:
    """The ``.mo`` bytes of a catalogue; fuzzy entries are left out, as msgfmt does."""
    catalogue = polib.pofile(str(po_path))
    target = po_path.with_suffix(".mo.tmp")
    catalogue.save_as_mofile(str(target))
    try:
        return target.read_bytes()
    finally:
        target.unlink()


def compile_all() -> list[Path]:
    """Write the ``.mo`` of every catalogue whose compiled bytes differ from what is there;
    returns the ones written."""
    written = []
    for po_path in catalogues():
        mo_path = po_path.with_suffix(".mo")
        data = compiled(po_path)
        if not mo_path.exists() or mo_path.read_bytes() != data:
            mo_path.write_bytes(data)
            written.append(mo_path)
    return written


if __name__ == "__main__":
    for path in compile_all():
        print(f"Compiled {path.relative_to(ROOT)}", file=sys.stderr)
