from pathlib import Path

import pytest

REPO_DIR = Path(__file__).resolve().parent.parent
EXAMPLES_DIR = REPO_DIR / "workshop" / "fixtures"
SHARED_DIR = REPO_DIR.parent / "shared"


@pytest.fixture
def sino_soviet(db):
    """The seed workshop (1–2 July 2021), imported from its programme file."""
    from workshop.importer import import_programme_file

    return import_programme_file(EXAMPLES_DIR / "sino-soviet-2021.yaml").event


@pytest.fixture
def hirata_seminar(db):
    """The seed seminar talk, imported from its programme file."""
    from workshop.importer import import_programme_file

    return import_programme_file(EXAMPLES_DIR / "seminar-hirata.yaml").event


@pytest.fixture(autouse=True)
def tasks_in_process():
    """Unit tests run Celery tasks in-process, as the embedded default does; the integration
    tests start a real worker and switch this off."""
    from config.celery import app

    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = previous
