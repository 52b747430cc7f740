"""The borders between the apps are import-linter contracts (pyproject.toml): they hold for the
code as it is, and each kind of wrong arrow breaks one (CI runs `lint-imports` too)."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO_DIR

APPS = ("config", "workshop", "mailing", "zoom", "registration", "portal", "search")
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


def lint_imports(root: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"],
        cwd=root,
        # Wide enough that no contract's name is wrapped across lines.
        env={**os.environ, "COLUMNS": "250"},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_every_contract_holds():
    result = lint_imports(REPO_DIR)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "line", "contract"),
    [
        (
            "workshop/views.py",
            "from registration import models",
            "The programme (workshop) imports none of our other apps",
        ),
        (
            "mailing/delivery.py",
            "from portal import emails",
            "The outbox (mailing) imports no feature app",
        ),
        ("portal/views.py", "from registration import selectors", "Apps depend downwards"),
        (
            "search/views.py",
            "from mailing import services",
            "The archive search reads the programme only",
        ),
        (
            "registration/models.py",
            "from registration import services",
            "Models import no services, tasks, views, admin or forms",
        ),
        ("mailing/tasks.py", "from mailing import admin", "Tasks import no views or admin"),
        ("mailing/delivery.py", "from mailing import services", "No import cycles"),
    ],
)
def test_a_wrong_import_breaks_its_contract(tmp_path, module, line, contract):
    for app in APPS:
        shutil.copytree(REPO_DIR / app, tmp_path / app, ignore=shutil.ignore_patterns("*.pyc"))
    shutil.copy(REPO_DIR / "pyproject.toml", tmp_path)
    with (tmp_path / module).open("a") as source:
        source.write(f"\n{line}  # noqa\n")

    result = lint_imports(tmp_path)

    assert result.returncode == 1, result.stdout
    broken = [
        block for block in result.stdout.split("\n\n") if "BROKEN" in block and contract in block
    ]
    assert broken, result.stdout
