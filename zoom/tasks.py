"""Celery tasks of the Zoom app: thin wrappers around `zoom.sync`, each retried with the
delay its row was given (Zoom's Retry-After, or backoff). Names are explicit and stable.

Registrant tasks take turns (``ZOOM_CALLS_PER_SECOND`` across every worker process) so a bulk
approval of hundreds stays below Zoom's per-second limits; what still meets a 429 waits what
Zoom says. A task lost on the way (broker down, worker killed) is picked up by `sweep`.
"""

import logging
import time

from celery import shared_task
from django.conf import settings
from django.core.cache import cache

from . import sync, upkeep

logger = logging.getLogger(__name__)

MAX_TASK_RETRIES = 20


def take_call_slot() -> None:
    """Wait for a free one of this second's ZOOM_CALLS_PER_SECOND slots, shared by every worker
    process through the cache (Redis in production).

    Not Celery's ``rate_limit``: a rate-limited task keeps one of the worker's prefetch slots
    while it waits, so a bulk approval filled them all, the worker fetched nothing else (no
    email went out until every add had run), and on Redis it slowed to about one task a
    second (tests/zoom/test_worker.py)."""
    rate = max(1, settings.ZOOM_CALLS_PER_SECOND)
    while True:
        now = time.time()
        slot = int(now * rate)
        if cache.add(f"zoom:call-slot:{slot}", 1, timeout=5):
            return
        time.sleep(max(0.0, (slot + 1) / rate - now))


def _retrying(task, run, *args) -> str:
    try:
        return run(*args)
    except sync.RetryLater as error:
        if task.request.is_eager or task.request.retries >= MAX_TASK_RETRIES:
            return "waiting"  # the row is due again; the sweeper hands it over then
        raise task.retry(exc=error, countdown=error.retry_in) from error


@shared_task(
    name="zoom.add_registrant",
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    max_retries=None,
)
def add_registrant(self, registrant_id: int) -> str:
    take_call_slot()
    outcome = _retrying(self, sync.add_registrant, registrant_id)
    if outcome == "revoked":
        meeting_id = sync.meeting_of(registrant_id)
        if meeting_id is not None:
            cancel_registrants.apply_async((meeting_id,), retry=False)
    return outcome


@shared_task(
    name="zoom.cancel_registrants",
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    max_retries=None,
)
def cancel_registrants(self, meeting_id: int) -> int | str:
    return _retrying(self, sync.cancel_registrants, meeting_id)


@shared_task(
    name="zoom.sync_meeting",
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    max_retries=None,
)
def sync_meeting(self, meeting_id: int) -> str:
    outcome = _retrying(self, sync.sync_meeting, meeting_id)
    if outcome == "created":
        # Everyone registered while the meeting was being made (approved meanwhile).
        for pk in sync.waiting_registrants(meeting_id):
            add_registrant.apply_async((pk,), retry=False)
    return outcome


@shared_task(name="zoom.sweep", acks_late=True)
def sweep() -> int:
    """Hand over again every row whose task was lost (`upkeep.due`)."""
    due = upkeep.due()
    for pk in due.meetings:
        sync_meeting.apply_async((pk,), retry=False)
    for pk in due.registrants:
        add_registrant.apply_async((pk,), retry=False)
    for pk in due.cancellations:
        cancel_registrants.apply_async((pk,), retry=False)
    total = len(due.meetings) + len(due.registrants) + len(due.cancellations)
    if total:
        logger.info("zoom sweeper handed over %d stuck rows", total)
    return total
