"""Celery tasks of the outbox: thin wrappers around the delivery protocol and the upkeep.

Task names are explicit and stable: a task already waiting on the broker during a deploy
must find its code on the new workers.
"""

import logging
import threading
from collections.abc import Iterable

from celery import shared_task
from django.conf import settings
from django.db import connections

from . import delivery, upkeep

logger = logging.getLogger(__name__)


@shared_task(
    name="mailing.send_email",
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    max_retries=None,
)
def send_email(self, email_id: int) -> str:
    return _send(self, email_id)


def _send(task, email_id: int) -> str:
    try:
        outcome = delivery.deliver(email_id)
        if outcome == delivery.WOKEN:
            outcome = delivery.deliver(email_id)
        return outcome
    except delivery.TransientEmailError as error:
        if task.request.is_eager:
            # In-process mode has no worker to wait for; the row stays queued with its error.
            return "queued"
        if task.request.retries >= settings.EMAIL_MAX_TASK_RETRIES:
            # Stop retrying here; the sweeper hands the still-queued row over again later.
            return "queued"
        # The countdown the row's next_attempt_at was set to (deliver chose it), so the
        # sweeper does not hand the row over again while this retry is still waiting.
        raise task.retry(exc=error, countdown=error.retry_in) from error


def hand_over(pks: Iterable[int], *, countdown: int = 0) -> int:
    """Give rows to the broker, to be sent ``countdown`` seconds from now (rows held back
    until then, see `delivery.claim`). A broker that is down loses nothing: the rows stay
    queued and the sweeper hands them over again once they are due."""
    pks = list(pks)
    if countdown > 0 and send_email.app.conf.task_always_eager:
        return _hand_over_later_in_process(pks, countdown)
    handed = 0
    for pk in pks:
        try:
            send_email.apply_async((pk,), retry=False, countdown=countdown or None)
        except Exception:  # noqa: BLE001 — any broker failure; the ledger row is the truth
            logger.warning(
                "broker unavailable; email %s stays queued for the sweeper", pk, exc_info=True
            )
            break
        handed += 1
    return handed


def _hand_over_later_in_process(pks: list[int], countdown: int) -> int:
    """The embedded mode has no worker to hold a task back and no beat to sweep: a timer
    thread of this process hands the rows over once they are due. (A restart before then
    leaves them queued; with a worker, the sweeper would pick them up.)"""

    def later() -> None:
        try:
            hand_over(pks)
        finally:
            connections.close_all()

    timer = threading.Timer(countdown, later)
    timer.daemon = True
    timer.start()
    return 0


@shared_task(name="mailing.sweep_email_ledger", acks_late=True)
def sweep_email_ledger() -> int:
    """Hand over again every row whose task was lost (see `upkeep.due_for_handover`)."""
    pks = upkeep.due_for_handover()
    handed = hand_over(pks)
    if pks:
        logger.info("sweeper handed %d of %d stuck emails to the broker", handed, len(pks))
    return handed


@shared_task(name="mailing.purge_sent_bodies", acks_late=True)
def purge_sent_bodies() -> int:
    return upkeep.purge_sent_bodies()


# The names these tasks had when the outbox lived in the registration app. Tasks published
# before a deploy (a send waiting for its retry countdown, say) still carry the old names; the
# new workers must run them. Nothing publishes under these names any more.
@shared_task(
    name="registration.send_email",
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    max_retries=None,
)
def send_email_by_old_name(self, email_id: int) -> str:
    return _send(self, email_id)


@shared_task(name="registration.sweep_email_ledger", acks_late=True)
def sweep_email_ledger_by_old_name() -> int:
    return sweep_email_ledger()


@shared_task(name="registration.purge_sent_bodies", acks_late=True)
def purge_sent_bodies_by_old_name() -> int:
    return purge_sent_bodies()
