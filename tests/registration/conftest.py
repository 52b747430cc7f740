import datetime as dt

import pytest
from django.utils import timezone

from tests.factories import DisplayZoneFactory, EventFactory, SessionFactory


@pytest.fixture
def open_event(db):
    """A two-session event next month whose registration is open now."""
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


def registrant_data(**overrides):
    data = {
        "name": "Chen Tao",
        "email": "chen@example.org",
        "affiliation": "Tongji University",
        "career_stage": "Scholar",
        "country": "CN",
        "timezone_name": "Asia/Shanghai",
        "message": "",
    }
    data.update(overrides)
    return data


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
