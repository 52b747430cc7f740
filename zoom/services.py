"""Writes of the Zoom app: what organizers and the feature apps ask Zoom to hold.

Nothing here calls Zoom. Each function writes what should be (a row, a flag) in the caller's
transaction and hands the row to the worker after commit (`zoom.tasks`), so a web request
never waits for Zoom, a rolled-back approval asks Zoom for nothing, and a Zoom outage only
delays. Without Zoom settings (`client.is_configured()`), people get the programme's fixed
meeting link as before, and these functions do nothing.
"""

import logging
from collections.abc import Iterable
from dataclasses import dataclass

from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.utils import timezone

from workshop.models import Event, Session

from . import client, tasks
from .models import ZoomMeeting, ZoomRegistrant

logger = logging.getLogger(__name__)

LIVE = (ZoomMeeting.State.CREATING, ZoomMeeting.State.READY)


def is_active() -> bool:
    """Whether Zoom settings are there (else everyone gets the programme's fixed link)."""
    return client.is_configured()


class MeetingExists(Exception):
    """The event (or session) has a Zoom meeting already."""


def request_meeting(event: Event, session: Session | None = None) -> ZoomMeeting:
    """An organizer asks for the Zoom meeting of an event (or of one session): the worker
    creates it, stores it as the meeting people join, and registers everyone who may join
    by then. A failed earlier attempt is tried again."""
    with transaction.atomic():
        existing = (
            ZoomMeeting.objects.select_for_update()
            .filter(event=event, session=session)
            .exclude(state=ZoomMeeting.State.DELETED)
            .first()
        )
        if existing is not None and existing.state != ZoomMeeting.State.FAILED:
            raise MeetingExists(str(existing))
        if existing is not None:
            _reopen(existing)
            meeting = existing
        else:
            meeting = ZoomMeeting.objects.create(event=event, session=session)
        _sync_meeting_after_commit(meeting.pk)
    return meeting


def request_deletion(meeting: ZoomMeeting) -> None:
    """An organizer deletes the Zoom meeting: the worker deletes it in Zoom (every personal
    link of it stops working) and takes it off the programme."""
    ZoomMeeting.objects.filter(pk=meeting.pk).exclude(state=ZoomMeeting.State.DELETED).update(
        state=ZoomMeeting.State.DELETING, last_error="", next_attempt_at=None
    )
    _sync_meeting_after_commit(meeting.pk)


def note_programme_change(event_id: int) -> None:
    """The programme moved: the worker brings the event's Zoom meetings to the new times."""
    for pk in ZoomMeeting.objects.filter(
        event_id=event_id, state=ZoomMeeting.State.READY
    ).values_list("pk", flat=True):
        _sync_meeting_after_commit(pk)


@dataclass(frozen=True)
class Joiner:
    """Someone who may join an event: a registration, a person on the programme."""

    holder: models.Model
    event_id: int
    email: str
    name: str


def request_links(joiners: Iterable[Joiner]) -> list[int]:
    """These people may join their events: register each with every Zoom meeting of their
    event, so each meeting gives them a personal join link. Repeating it is harmless; after
    a revocation it registers them again. A fixed number of queries for any number of
    people of one kind, plus one per person registered again."""
    joiners = [j for j in joiners if j.email]
    if not client.is_configured() or not joiners:
        return []
    holder_type = ContentType.objects.get_for_model(joiners[0].holder)
    meetings: dict[int, list[int]] = {}
    for meeting_pk, event_id in ZoomMeeting.objects.filter(
        event_id__in={j.event_id for j in joiners}, state__in=LIVE
    ).values_list("pk", "event_id"):
        meetings.setdefault(event_id, []).append(meeting_pk)
    if not meetings:
        return []
    existing = {
        (row.meeting_id, row.holder_id): row
        for row in ZoomRegistrant.objects.filter(
            holder_type=holder_type,
            holder_id__in=[j.holder.pk for j in joiners],
            meeting_id__in=[pk for pks in meetings.values() for pk in pks],
        )
    }
    new = []
    again = []
    for joiner in joiners:
        first, last = split_name(joiner.name)
        for meeting_pk in meetings.get(joiner.event_id, []):
            row = existing.get((meeting_pk, joiner.holder.pk))
            if row is None:
                new.append(
                    ZoomRegistrant(
                        meeting_id=meeting_pk,
                        holder_type=holder_type,
                        holder_id=joiner.holder.pk,
                        email=joiner.email,
                        first_name=first,
                        last_name=last,
                    )
                )
            elif not (row.wanted and row.state == ZoomRegistrant.State.ADDED):
                row.wanted = True
                row.erase_when_cancelled = False
                if row.state != ZoomRegistrant.State.ADDED:
                    # Cancelled or failed before: registered again, as they are now. (An
                    # added row whose cancellation had not gone out yet stays added.)
                    row.email, row.first_name, row.last_name = joiner.email, first, last
                    row.state = ZoomRegistrant.State.PENDING
                    row.last_error = ""
                    row.next_attempt_at = None
                row.save()
                if row.state == ZoomRegistrant.State.PENDING:
                    again.append(row.pk)
    # A concurrent request for the same person (an approval racing a new meeting) inserts
    # the same row: ignored here, and handed over by whoever wrote it.
    ZoomRegistrant.objects.bulk_create(new, ignore_conflicts=True)
    pks = (
        again
        + list(
            ZoomRegistrant.objects.filter(
                holder_type=holder_type,
                holder_id__in=[row.holder_id for row in new],
                meeting_id__in=[row.meeting_id for row in new],
                wanted=True,
                state=ZoomRegistrant.State.PENDING,
                attempts=0,
            ).values_list("pk", flat=True)
        )
        if new
        else again
    )
    _add_after_commit(pks)
    return pks


def revoke_links(holders, *, erase: bool = False) -> int:
    """``holders`` (all of one model) may no longer join: the worker cancels them in Zoom,
    so their personal links stop working. With ``erase``, the rows forget the address and
    link as soon as Zoom has cancelled them (at once, if Zoom never had them)."""
    holders = list(holders)
    if not holders:
        return 0
    rows = ZoomRegistrant.objects.filter(
        holder_type=ContentType.objects.get_for_model(holders[0]),
        holder_id__in=[holder.pk for holder in holders],
    )
    never_reached = rows.filter(state=ZoomRegistrant.State.PENDING, attempts=0)
    never_reached_update = {"wanted": False, "state": ZoomRegistrant.State.CANCELLED}
    if erase:
        never_reached_update.update(email="", first_name="", last_name="", join_url="")
    never_reached.update(**never_reached_update, updated_at=timezone.now())
    update = {"wanted": False, "next_attempt_at": None, "updated_at": timezone.now()}
    if erase:
        update["erase_when_cancelled"] = True
    touched = rows.exclude(state=ZoomRegistrant.State.CANCELLED)
    meeting_ids = set(touched.values_list("meeting_id", flat=True))
    count = touched.update(**update)
    if erase:
        # Rows Zoom had cancelled already have nothing left to do but forget.
        rows.filter(state=ZoomRegistrant.State.CANCELLED).update(
            email="", first_name="", last_name="", join_url=""
        )
    for meeting_id in meeting_ids:
        _cancel_after_commit(meeting_id)
    return count


def retry_registrants(rows: models.QuerySet[ZoomRegistrant]) -> int:
    """An organizer retries registrants that failed: back to waiting, handed over again."""
    pks = list(rows.filter(state=ZoomRegistrant.State.FAILED).values_list("pk", flat=True))
    ZoomRegistrant.objects.filter(pk__in=pks).update(
        state=ZoomRegistrant.State.PENDING, last_error="", next_attempt_at=None
    )
    wanted = list(
        ZoomRegistrant.objects.filter(pk__in=pks, wanted=True).values_list("pk", flat=True)
    )
    _add_after_commit(wanted)
    for meeting_id in set(
        ZoomRegistrant.objects.filter(pk__in=pks, wanted=False).values_list("meeting_id", flat=True)
    ):
        _cancel_after_commit(meeting_id)
    return len(pks)


def retry_meetings(meetings: models.QuerySet[ZoomMeeting]) -> int:
    pks = list(meetings.filter(state=ZoomMeeting.State.FAILED).values_list("pk", flat=True))
    for meeting in ZoomMeeting.objects.filter(pk__in=pks):
        _reopen(meeting)
        _sync_meeting_after_commit(meeting.pk)
    return len(pks)


def _reopen(meeting: ZoomMeeting) -> None:
    """A failed meeting is tried again from where it got: created in Zoom or not."""
    meeting.state = ZoomMeeting.State.READY if meeting.zoom_id else ZoomMeeting.State.CREATING
    meeting.last_error = ""
    meeting.next_attempt_at = None
    meeting.save(update_fields=["state", "last_error", "next_attempt_at", "updated_at"])


def split_name(name: str) -> tuple[str, str]:
    """Zoom wants a first name (required) and a last name; people give us one name."""
    parts = " ".join(name.split()).rsplit(" ", 1)
    if len(parts) == 2:
        return parts[0][:64], parts[1][:64]
    return (parts[0] or "Participant")[:64], ""


def _sync_meeting_after_commit(pk: int) -> None:
    transaction.on_commit(lambda: _publish(tasks.sync_meeting, pk))


def _add_after_commit(pks: list[int]) -> None:
    if pks:
        transaction.on_commit(lambda: [_publish(tasks.add_registrant, pk) for pk in pks])


def _cancel_after_commit(meeting_pk: int) -> None:
    transaction.on_commit(lambda: _publish(tasks.cancel_registrants, meeting_pk))


def _publish(task, *args) -> None:
    """A broker that is down loses nothing: the rows say what is left to do and the sweeper
    (`tasks.sweep`) hands them over again."""
    try:
        task.apply_async(args, retry=False)
    except Exception:  # noqa: BLE001 — any broker failure; the row is the truth
        logger.warning(
            "broker unavailable; %s(%s) left to the sweeper", task.name, args, exc_info=True
        )
