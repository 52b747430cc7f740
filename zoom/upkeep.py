"""Finding Zoom rows whose task got lost (broker down at commit, worker killed mid-call)."""

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db.models import F, Q
from django.utils import timezone

from .models import ZoomMeeting, ZoomRegistrant
from .sync import lease

BATCH = 1000


@dataclass(frozen=True)
class Due:
    meetings: list[int]
    registrants: list[int]
    cancellations: list[int]  # meeting ids with registrants to cancel


def _due(now: dt.datetime) -> Q:
    # Unclaimed (or claimed by a worker silent for longer than the lease), and not backing
    # off; rows written a moment ago still have their own task on the way.
    grace = now - dt.timedelta(seconds=settings.EMAIL_SWEEP_GRACE_SECONDS)
    return (Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - lease())) & (
        Q(next_attempt_at__isnull=True, updated_at__lt=grace) | Q(next_attempt_at__lt=grace)
    )


def due(*, now: dt.datetime | None = None) -> Due:
    now = now or timezone.now()
    meetings = ZoomMeeting.objects.filter(_due(now)).filter(
        Q(state__in=(ZoomMeeting.State.CREATING, ZoomMeeting.State.DELETING))
        | Q(state=ZoomMeeting.State.READY, synced_version__lt=F("event__programme_version"))
    )
    registrants = ZoomRegistrant.objects.filter(_due(now)).filter(
        wanted=True,
        state=ZoomRegistrant.State.PENDING,
        meeting__state=ZoomMeeting.State.READY,
    )
    cancellations = ZoomRegistrant.objects.filter(_due(now)).filter(
        Q(state=ZoomRegistrant.State.ADDED) | Q(state=ZoomRegistrant.State.PENDING, attempts__gt=0),
        wanted=False,
    )
    return Due(
        meetings=list(meetings.order_by("pk").values_list("pk", flat=True)[:BATCH]),
        registrants=list(registrants.order_by("pk").values_list("pk", flat=True)[:BATCH]),
        cancellations=sorted(set(cancellations.values_list("meeting_id", flat=True)[:BATCH])),
    )
