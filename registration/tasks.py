"""Celery tasks: thin wrappers that take ids and call the mail ledger or a service."""

import logging

from celery import shared_task
from django.conf import settings

from . import mail, services

logger = logging.getLogger(__name__)


@shared_task(
    name="registration.send_email",
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    max_retries=None,
)
def send_email(self, email_id: int) -> str:
    try:
        return mail.deliver(email_id)
    except mail.TransientEmailError as error:
        if self.request.is_eager:
            # In-process mode has no worker to wait for; the row stays queued with its error.
            return "queued"
        if self.request.retries >= settings.EMAIL_MAX_TASK_RETRIES:
            # Stop retrying here; the sweeper hands the still-queued row over again later.
            return "queued"
        # The countdown the row's next_attempt_at was set to (deliver chose it), so the
        # sweeper does not hand the row over again while this retry is still waiting.
        raise self.retry(exc=error, countdown=error.retry_in) from error


@shared_task(name="registration.sweep_email_ledger", acks_late=True)
def sweep_email_ledger() -> int:
    return mail.sweep_email_ledger()


@shared_task(name="registration.expire_unconfirmed", acks_late=True)
def expire_unconfirmed() -> int:
    return services.expire_unconfirmed()


@shared_task(name="registration.purge_sent_bodies", acks_late=True)
def purge_sent_bodies() -> int:
    return services.purge_sent_bodies()
