"""Celery tasks of the speaker portal: thin wrappers that call a service. (Delivering the
emails is the outbox's job: `mailing.tasks`.)"""

from celery import shared_task

from . import reminders


@shared_task(name="portal.queue_due_reminders", acks_late=True)
def queue_due_reminders() -> int:
    return reminders.queue_due_reminders()
