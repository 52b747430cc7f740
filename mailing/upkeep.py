"""The ledger's periodic upkeep (run by `celery beat` through `tasks.py`): finding rows whose
task got lost, and forgetting the stored bodies of old emails."""

import datetime as dt

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from .models import OutgoingEmail

State = OutgoingEmail.State


def due_for_handover(*, now: dt.datetime | None = None) -> list[int]:
    """Rows whose task was lost: queued and due (with some slack, so a task that is merely
    waiting in the queue is not doubled), or claimed by a worker that has been silent for
    longer than the lease. At most EMAIL_SWEEP_BATCH, oldest first."""
    now = now or timezone.now()
    grace = now - dt.timedelta(seconds=settings.EMAIL_SWEEP_GRACE_SECONDS)
    lease = now - dt.timedelta(seconds=settings.EMAIL_CLAIM_LEASE_SECONDS)
    due = OutgoingEmail.objects.filter(
        Q(state=State.QUEUED, next_attempt_at__isnull=True, created_at__lt=grace)
        | Q(state=State.QUEUED, next_attempt_at__lt=grace)
        | Q(state=State.SENDING, claimed_at__lt=lease)
    ).order_by("pk")
    return list(due.values_list("pk", flat=True)[: settings.EMAIL_SWEEP_BATCH])


def purge_sent_bodies(*, now: dt.datetime | None = None) -> int:
    """Stored copies of sent emails hold personal links: keep them only for the retention
    period (they serve organizers answering "did you send me the link?")."""
    now = now or timezone.now()
    cutoff = now - dt.timedelta(days=settings.EMAIL_BODY_RETENTION_DAYS)
    return (
        OutgoingEmail.objects.filter(sent_at__lt=cutoff)
        .exclude(body_text="")
        .update(body_text="", context={})
    )
