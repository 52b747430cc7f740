"""Celery tasks of the registration app: thin wrappers that call a service. (Delivering the
emails is the outbox's job: `mailing.tasks`.)"""

from celery import shared_task

from . import reminders, services


@shared_task(name="registration.expire_unconfirmed", acks_late=True)
def expire_unconfirmed() -> int:
    return services.expire_unconfirmed()


@shared_task(name="registration.erase_past_registrations", acks_late=True)
def erase_past_registrations() -> int:
    return services.erase_past_registrations()


@shared_task(name="registration.queue_due_reminders", acks_late=True)
def queue_due_reminders() -> int:
    return reminders.queue_due_reminders()
