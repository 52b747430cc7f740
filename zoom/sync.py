"""The worker's side: one call to Zoom at a time, each safe to repeat.

Every row says what should be (`wanted`, the meeting's state and programme version) and what
Zoom holds; a task claims the row for a lease (so two workers never make the same call at
once), makes the call that closes the gap, and records the answer. A task that dies in the
middle (worker killed, Zoom silent) leaves the row claimed until the lease runs out; then the
sweeper hands it over again, and the retry first *looks* where the dead one may have written:
an added registrant is looked up by email before anyone adds it again.

Failures: a 429 waits what Zoom's ``Retry-After`` says; 5xx, timeouts and refused
connections back off exponentially; a permanent refusal (4xx) marks the row failed, with
Zoom's message, for organizers to see and retry in admin.
"""

import datetime as dt
import logging
import random
from dataclasses import dataclass

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone

from mailing.services import wake_waiting
from workshop.models import Event
from workshop.services import set_meeting

from . import payloads, signals
from .client import (
    ZoomClient,
    ZoomError,
    ZoomNotFound,
    ZoomRateLimited,
    ZoomRejected,
    ZoomUnavailable,
)
from .models import ZoomMeeting, ZoomRegistrant

logger = logging.getLogger(__name__)

CANCEL_BATCH = 30  # Zoom takes at most 30 registrants per status update


class RetryLater(Exception):
    """Zoom could not be reached or asked us to slow down; the row is due again in
    ``retry_in`` seconds (already written to it)."""

    def __init__(self, message: str, *, retry_in: int):
        super().__init__(message)
        self.retry_in = retry_in


def lease() -> dt.timedelta:
    # At least long enough for a call that times out, its token fetch and its retry.
    return dt.timedelta(
        seconds=max(settings.ZOOM_CLAIM_LEASE_SECONDS, settings.ZOOM_TIMEOUT_SECONDS * 4)
    )


def backoff(attempts: int) -> int:
    base = settings.ZOOM_RETRY_BASE_SECONDS * (2 ** min(max(attempts - 1, 0), 16))
    return max(1, min(int(base * random.uniform(0.8, 1.2)), settings.ZOOM_RETRY_MAX_SECONDS))


def delay_for(error: ZoomUnavailable, attempts: int) -> int:
    if isinstance(error, ZoomRateLimited):
        # Zoom's own word, plus a little spread so a storm's retries do not arrive at once.
        return max(1, int((error.retry_after or 1) + random.uniform(0, 1) + 0.999))
    return backoff(attempts)


def _claim(model: type[models.Model], pk: int, now: dt.datetime):
    with transaction.atomic():
        row = model.objects.select_for_update().filter(pk=pk).first()
        if row is None:
            return None
        if row.claimed_at and row.claimed_at > now - lease():
            return None  # another worker is at it
        if row.next_attempt_at and row.next_attempt_at > now:
            return None  # backing off; whoever is due comes back
        row.claimed_at = now
        row.attempts += 1
        row.save(update_fields=["claimed_at", "attempts"])
    return row


def _release(row, **fields) -> None:
    """End our claim, recording ``fields``, unless another claim took over meanwhile."""
    fields.setdefault("claimed_at", None)
    fields["updated_at"] = timezone.now()
    type(row).objects.filter(pk=row.pk, attempts=row.attempts).update(**fields)


def _describe(error: ZoomError) -> str:
    return str(error)[:1000]


def _wait(row, error: ZoomUnavailable) -> RetryLater:
    delay = delay_for(error, row.attempts)
    _release(
        row,
        last_error=_describe(error),
        next_attempt_at=timezone.now() + dt.timedelta(seconds=delay),
    )
    logger.warning("zoom: %s %s waits %ss: %s", type(row).__name__, row.pk, delay, error)
    return RetryLater(_describe(error), retry_in=delay)


# --- registrants ---------------------------------------------------------------------------


def add_registrant(pk: int) -> str:
    """Register one wanted person with their meeting and store their personal link; then
    wake the emails that waited for it."""
    row = _claim(ZoomRegistrant, pk, timezone.now())
    if row is None:
        return "busy"
    meeting = row.meeting
    if not row.wanted or row.state != ZoomRegistrant.State.PENDING:
        _release(row)
        return "nothing to do"
    if meeting.state != ZoomMeeting.State.READY or not meeting.zoom_id:
        # Handed over again once the meeting is ready (`sync_meeting` → signals).
        _release(row, attempts=row.attempts - 1)
        return "meeting not ready"
    try:
        with ZoomClient() as api:
            found = None
            if row.attempts > 1:
                # An earlier attempt may have reached Zoom before it died: never add twice.
                found = api.find_registrant(meeting.zoom_id, row.email)
            answer = found or api.add_registrant(
                meeting.zoom_id,
                email=row.email,
                first_name=row.first_name,
                last_name=row.last_name,
            )
    except ZoomUnavailable as error:
        raise _wait(row, error) from None
    except ZoomRejected as error:
        _release(row, state=ZoomRegistrant.State.FAILED, last_error=_describe(error))
        logger.error("zoom: registrant %s refused: %s", row.pk, error)
        return "failed"
    with transaction.atomic():
        current = ZoomRegistrant.objects.select_for_update().get(pk=row.pk)
        current.state = ZoomRegistrant.State.ADDED
        current.zoom_registrant_id = str(answer.get("id") or answer.get("registrant_id") or "")
        current.join_url = answer.get("join_url") or ""
        current.last_error = ""
        current.next_attempt_at = None
        current.claimed_at = None
        current.save()
        if current.wanted:
            holder = current.holder
            if holder is not None:
                # After commit: an email that finds no link records its wait and then looks
                # again (`mailing.message.WaitForData.ready`); one of the two sees the other.
                transaction.on_commit(lambda: wake_waiting(holder))
    logger.info("zoom: registrant %s added to meeting %s", row.pk, meeting.pk)
    # Revoked while we were adding: the task takes it back at once.
    return "added" if current.wanted else "revoked"


def meeting_of(registrant_pk: int) -> int | None:
    return (
        ZoomRegistrant.objects.filter(pk=registrant_pk).values_list("meeting_id", flat=True).first()
    )


def _forget(row_fields: dict, erase: bool) -> dict:
    if erase:
        row_fields.update(email="", first_name="", last_name="", join_url="")
    return row_fields


def cancel_registrants(meeting_pk: int) -> int:
    """Cancel in Zoom every registrant of this meeting who may no longer join, 30 to a call.
    Returns how many were cancelled."""
    meeting = ZoomMeeting.objects.filter(pk=meeting_pk).first()
    if meeting is None:
        return 0
    with ZoomClient() as api:
        return _cancel_in_batches(api, meeting)


def _cancel_in_batches(api: ZoomClient, meeting: ZoomMeeting) -> int:
    done = 0
    while True:
        batch = _claim_cancellations(meeting)
        if not batch:
            return done
        try:
            to_cancel = []
            for row in batch:
                registrant_id = row.zoom_registrant_id
                if not registrant_id and meeting.zoom_id:
                    # An add that died before we stored its answer may still have reached Zoom.
                    found = api.find_registrant(meeting.zoom_id, row.email)
                    registrant_id = str(found["id"]) if found else ""
                if registrant_id:
                    to_cancel.append({"id": registrant_id, "email": row.email})
            if to_cancel and meeting.zoom_id and meeting.state != ZoomMeeting.State.DELETED:
                api.cancel_registrants(meeting.zoom_id, to_cancel)
        except ZoomNotFound:
            pass  # the meeting is gone in Zoom: nobody's link works any more
        except ZoomUnavailable as error:
            delay = delay_for(error, max(row.attempts for row in batch))
            for row in batch:
                _release(
                    row,
                    last_error=_describe(error),
                    next_attempt_at=timezone.now() + dt.timedelta(seconds=delay),
                )
            raise RetryLater(_describe(error), retry_in=delay) from None
        except ZoomRejected as error:
            for row in batch:
                _release(row, state=ZoomRegistrant.State.FAILED, last_error=_describe(error))
            logger.error("zoom: cancelling in meeting %s refused: %s", meeting.pk, error)
            return done
        for row in batch:
            _release(
                row,
                **_forget(
                    {
                        "state": ZoomRegistrant.State.CANCELLED,
                        "last_error": "",
                        "next_attempt_at": None,
                    },
                    row.erase_when_cancelled,
                ),
            )
        done += len(batch)
        logger.info("zoom: %d registrants cancelled in meeting %s", len(batch), meeting.pk)


def _claim_cancellations(meeting: ZoomMeeting) -> list[ZoomRegistrant]:
    now = timezone.now()
    with transaction.atomic():
        rows = list(
            ZoomRegistrant.objects.select_for_update(skip_locked=True)
            .filter(meeting=meeting, wanted=False)
            .filter(
                models.Q(state=ZoomRegistrant.State.ADDED)
                | models.Q(state=ZoomRegistrant.State.PENDING, attempts__gt=0)
            )
            .filter(models.Q(claimed_at__isnull=True) | models.Q(claimed_at__lt=now - lease()))
            .filter(models.Q(next_attempt_at__isnull=True) | models.Q(next_attempt_at__lte=now))
            .order_by("pk")[:CANCEL_BATCH]
        )
        for row in rows:
            row.claimed_at = now
            row.attempts += 1
        ZoomRegistrant.objects.bulk_update(rows, ["claimed_at", "attempts"])
    return rows


# --- meetings ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Plan:
    payload: dict
    days: list[payloads.Day]
    version: int


def plan(meeting: ZoomMeeting) -> Plan:
    event = Event.objects.get(pk=meeting.event_id)
    session = meeting.session
    days = payloads.days(event, payloads.sessions_of(event, session))
    return Plan(payloads.meeting_payload(event, session, days), days, event.programme_version)


def sync_meeting(pk: int) -> str:
    """Bring one meeting in Zoom to what its row says: create it, move it with the
    programme, or delete it."""
    row = _claim(ZoomMeeting, pk, timezone.now())
    if row is None:
        return "busy"
    try:
        with ZoomClient() as api:
            if row.state == ZoomMeeting.State.CREATING:
                return _create(api, row)
            if row.state == ZoomMeeting.State.READY:
                return _update(api, row)
            if row.state == ZoomMeeting.State.DELETING:
                return _delete(api, row)
    except ZoomUnavailable as error:
        raise _wait(row, error) from None
    except ZoomRejected as error:
        _release(row, state=ZoomMeeting.State.FAILED, last_error=_describe(error))
        logger.error("zoom: meeting %s refused: %s", row.pk, error)
        return "failed"
    _release(row)
    return "nothing to do"


def _create(api: ZoomClient, row: ZoomMeeting) -> str:
    wanted = plan(row)
    answer = api.create_meeting(wanted.payload)
    with transaction.atomic():
        # Stored before anything else can fail: a retry finds the meeting and never makes
        # a second one.
        ZoomMeeting.objects.filter(pk=row.pk).update(
            zoom_id=int(answer["id"]),
            join_url=answer.get("join_url") or "",
            passcode=answer.get("password") or "",
            occurrences=answer.get("occurrences") or [],
            state=ZoomMeeting.State.READY,
            last_error="",
            updated_at=timezone.now(),
        )
    row.refresh_from_db()
    _fit_occurrences(api, row, wanted)
    _publish_meeting(row)
    _release(row, synced_version=Event.objects.get(pk=row.event_id).programme_version)
    logger.info("zoom: meeting %s created in Zoom", row.pk)
    return "created"


def _update(api: ZoomClient, row: ZoomMeeting) -> str:
    wanted = plan(row)
    if row.synced_version >= wanted.version or not wanted.days:
        _release(row)
        return "in sync"
    api.update_meeting(row.zoom_id, wanted.payload)
    if wanted.payload.get("type") == 8:
        row.occurrences = api.get_meeting(row.zoom_id).get("occurrences") or []
        ZoomMeeting.objects.filter(pk=row.pk).update(occurrences=row.occurrences)
    _fit_occurrences(api, row, wanted)
    _release(row, synced_version=wanted.version, last_error="")
    logger.info("zoom: meeting %s moved with the programme", row.pk)
    return "updated"


def _fit_occurrences(api: ZoomClient, row: ZoomMeeting, wanted: Plan) -> None:
    if wanted.payload.get("type") != 8:
        return
    event = Event.objects.get(pk=row.event_id)
    for change in payloads.occurrence_plan(event, wanted.days, row.occurrences):
        if change.start is None:
            try:
                api.delete_meeting(row.zoom_id, occurrence_id=change.occurrence_id)
            except ZoomNotFound:
                pass
        else:
            api.update_meeting(
                row.zoom_id,
                {"start_time": payloads.zoom_time(change.start), "duration": change.minutes},
                occurrence_id=change.occurrence_id,
            )


def _publish_meeting(row: ZoomMeeting) -> None:
    """The new meeting becomes the one people join (never public), and everyone who may
    join by now is registered with it."""
    with transaction.atomic():
        target = row.session if row.session_id else Event.objects.get(pk=row.event_id)
        set_meeting(target, url=row.join_url, meeting_id=row.display_id, passcode=row.passcode)
        signals.meeting_ready.send(sender=ZoomMeeting, meeting=row)


def waiting_registrants(meeting_pk: int) -> list[int]:
    """Who waits to be registered with a meeting (handed over once it is ready)."""
    return list(
        ZoomRegistrant.objects.filter(
            meeting_id=meeting_pk, wanted=True, state=ZoomRegistrant.State.PENDING
        ).values_list("pk", flat=True)
    )


def _delete(api: ZoomClient, row: ZoomMeeting) -> str:
    if row.zoom_id:
        try:
            api.delete_meeting(row.zoom_id)
        except ZoomNotFound:
            pass  # deleted in Zoom already (by hand, or by our attempt that died)
    with transaction.atomic():
        row.registrants.exclude(state=ZoomRegistrant.State.CANCELLED).update(
            state=ZoomRegistrant.State.CANCELLED, wanted=False, updated_at=timezone.now()
        )
        row.registrants.filter(erase_when_cancelled=True).update(**_forget({}, erase=True))
        target = row.session if row.session_id else Event.objects.get(pk=row.event_id)
        if target.meeting_id == row.display_id:
            set_meeting(target, url="", meeting_id="", passcode="")
        _release(row, state=ZoomMeeting.State.DELETED, last_error="")
    logger.info("zoom: meeting %s deleted in Zoom", row.pk)
    return "deleted"
