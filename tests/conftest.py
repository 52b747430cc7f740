from pathlib import Path

import pytest

REPO_DIR = Path(__file__).resolve().parent.parent
EXAMPLES_DIR = REPO_DIR / "workshop" / "fixtures"
SCHEMAS_DIR = REPO_DIR / "tests" / "data" / "schemas"


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


@pytest.fixture
def open_event(db):
    """A two-session event next month whose registration is open now."""
    import datetime as dt

    from django.utils import timezone

    from tests.factories import DisplayZoneFactory, EventFactory, SessionFactory

    start = (timezone.now() + dt.timedelta(days=30)).replace(minute=0, second=0, microsecond=0)
    event = EventFactory(
        slug="open-workshop",
        title="Open Workshop",
        timezone="Europe/Berlin",
        requires_approval=True,
        organizer="Institute of Testing",
    )
    DisplayZoneFactory(event=event, label="DE", zone="Europe/Berlin", position=0)
    DisplayZoneFactory(event=event, label="Shanghai", zone="Asia/Shanghai", position=1)
    SessionFactory(
        event=event, title="Opening talk", start=start, end=start + dt.timedelta(hours=1)
    )
    SessionFactory(
        event=event,
        title="Coffee",
        kind="break",
        start=start + dt.timedelta(hours=1),
        end=start + dt.timedelta(hours=1, minutes=30),
    )
    return event


@pytest.fixture
def organizer(db):
    """Staff in the Organizers group: what organizers may do, and nothing more."""
    from django.contrib.auth.models import User

    from workshop.organizers import ensure_organizers_group

    user = User.objects.create(username="olga", email="olga@example.org", is_staff=True)
    user.groups.add(ensure_organizers_group())
    return user


@pytest.fixture
def organizer_client(client, organizer):
    client.force_login(organizer)
    return client


@pytest.fixture(autouse=True)
def tasks_in_process():
    """Unit tests run Celery tasks in-process, as the embedded default does; the integration
    tests start a real worker and switch this off."""
    from config.celery import app

    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = previous


@pytest.fixture(autouse=True)
def english_unless_asked():
    """Each test starts in the source language and leaves none behind: LocaleMiddleware
    activates a request's language in the thread that served it, the test's own."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def notices_without_settle_window(settings):
    """Programme change notices go out at once unless a test sets a settle window: in-process
    mode would otherwise hold them in a timer thread that outlives the test."""
    settings.NOTICE_SETTLE_SECONDS = 0


# Integration fixtures: a real Redis broker, SMTP server and Celery worker (tests/support).


@pytest.fixture
def mail_timings(settings):
    """This process uses the same short ledger timings as the worker (sweeper, lease)."""
    from tests.support.worker import FAST_TIMINGS

    for name, value in FAST_TIMINGS.items():
        setattr(settings, name, value)


@pytest.fixture
def redis_broker(transactional_db, mail_timings):
    """The tests' own Redis database, flushed, with this process's Celery app publishing to
    it and eager mode off. Fails (never skips) if Redis is not reachable."""
    import redis

    from config.celery import app
    from tests.support.worker import TEST_BROKER_URL, check_redis, use_broker

    check_redis(TEST_BROKER_URL)
    client = redis.Redis.from_url(TEST_BROKER_URL)
    client.flushdb()
    previous = app.conf.broker_url
    use_broker(app, TEST_BROKER_URL)
    yield client
    use_broker(app, previous)
    client.flushdb()
    client.close()


@pytest.fixture
def smtp_server():
    """A recording SMTP server on loopback, listening; `.stop()` makes it refuse."""
    from tests.support.smtp import RecordingSMTPServer

    server = RecordingSMTPServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def celery_worker(redis_broker, smtp_server, transactional_db, tmp_path):
    """Start real workers with `celery_worker()`; all are stopped (or killed) at teardown,
    before the test database is flushed."""
    from tests.support.worker import TEST_BROKER_URL, CeleryWorker

    workers = []

    def start(**options):
        worker = CeleryWorker(
            broker_url=TEST_BROKER_URL,
            smtp_port=smtp_server.port,
            log_path=tmp_path / f"worker-{len(workers)}.log",
            name=f"w{len(workers)}",
            **options,
        )
        workers.append(worker)
        return worker.start()

    yield start
    for worker in workers:
        worker.stop()
    for worker in workers:
        # Shown by pytest only when the test failed.
        print(f"--- {worker.log_path.name} ---\n{worker.log()[-6000:]}")
