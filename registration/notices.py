"""Programme change notices to approved participants: writes.

The programme announces what changed (`workshop.signals`, via `registration.receivers`), inside
the transaction that changes it. Here each change joins the event's open `ChangeNotice`: the
first change of a quiet event opens one, due ``NOTICE_SETTLE_SECONDS`` later, with one held-back
ledger row per approved participant; further changes until then join it, so an organizer who
moves a session twice in five minutes sends one email, not two. The email is built when it
is due, from the programme as it is then (`registration.notice_emails`).

Only approved participants are told (they hold the meeting data); sessions that are over and
breaks are not announced. Locks: the event row first, as every registration service does.
"""

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy

from mailing.models import OutgoingEmail
from mailing.services import queue_emails
from workshop.models import Event, Session

from .models import ChangeNotice, Registration

KIND = "programme_change"
LABEL = gettext_lazy("Programme change notice")

MOVED, ADDED, CANCELLED, MEETING = "moved", "added", "cancelled", "meeting"

# A notice stops taking changes a little before it is due: a worker building it then must
# not miss a change that commits while it reads.
CLOSING_MARGIN = dt.timedelta(seconds=1)


def _instant(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).isoformat()


def _is_over(*ends: dt.datetime, now: dt.datetime) -> bool:
    return all(end <= now for end in ends)


def note_session_moved(*, session: Session, previous=None, now=None) -> None:
    now = now or timezone.now()
    if session.is_break:
        return
    old_start, old_end = previous or (None, None)
    if _is_over(session.end, *([old_end] if old_end else []), now=now):
        return
    change = {"what": MOVED, "session_id": session.pk}
    if old_start is not None:
        change.update(old_start=_instant(old_start), old_end=_instant(old_end))
    _record(session.event_id, change, now=now)


def note_session_added(*, session: Session, now=None) -> None:
    now = now or timezone.now()
    if session.is_break or _is_over(session.end, now=now):
        return
    _record(session.event_id, {"what": ADDED, "session_id": session.pk}, now=now)


def note_session_cancelled(*, session: Session, now=None) -> None:
    """The session row is gone by the time the email is built: the change keeps what the
    withdrawal needs (calendar identity, title, the time participants were told)."""
    now = now or timezone.now()
    if session.is_break or _is_over(session.end, now=now):
        return
    _record(
        session.event_id,
        {
            "what": CANCELLED,
            "session_id": session.pk,
            "uid": str(session.uid),
            # The withdrawal is one more change of the entry: clients apply a CANCEL only if
            # its SEQUENCE is not lower than the one they hold.
            "sequence": session.sequence + 1,
            "title": session.display_title,
            "kind": session.kind,
            "start": _instant(session.start),
            "end": _instant(session.end),
        },
        now=now,
    )


def note_meeting_changed(*, event: Event, session: Session | None = None, now=None) -> None:
    now = now or timezone.now()
    if session is not None and (session.is_break or _is_over(session.end, now=now)):
        return
    _record(event.pk, {"what": MEETING, "session_id": session.pk if session else None}, now=now)


@transaction.atomic  # a save outside any transaction (the shell) still locks correctly
def _record(event_id: int, change: dict, *, now: dt.datetime) -> None:
    event = Event.objects.select_for_update().get(pk=event_id)
    if not Session.objects.filter(event=event, end__gt=now).exists():
        return  # the event is over: nothing to announce
    approved = list(
        Registration.objects.filter(
            event=event, state=Registration.State.APPROVED, erased_at__isnull=True
        ).order_by("pk")
    )
    notice = (
        ChangeNotice.objects.select_for_update()
        .filter(event=event, send_at__gt=now + CLOSING_MARGIN)
        .order_by("-send_at")
        .first()
    )
    if notice is None:
        if not approved:
            return
        notice = ChangeNotice.objects.create(
            event=event,
            send_at=now + dt.timedelta(seconds=settings.NOTICE_SETTLE_SECONDS),
            changes=merge_change([], change),
        )
        told: set[int] = set()
    else:
        notice.changes = merge_change(notice.changes, change)
        notice.save(update_fields=["changes"])
        told = set(
            OutgoingEmail.objects.filter(kind=KIND, context__notice_id=notice.pk).values_list(
                "recipient_id", flat=True
            )
        )
    # Everyone approved now is told, including whoever was approved after the notice opened:
    # their invitation may predate this change.
    queue_emails(
        kind=KIND,
        recipients=[(r, r.email) for r in approved if r.pk not in told],
        context={"notice_id": notice.pk},
        not_before=notice.send_at,
    )


def merge_change(changes: list[dict], change: dict) -> list[dict]:
    """The notice's changes with ``change`` folded in: a session moved twice is one move
    (from where participants last saw it); a session added and removed again within the
    window was never announced and is not now; a cancellation replaces earlier entries of
    its session and keeps the time participants knew."""
    session_id = change["session_id"]
    same = [c for c in changes if c["session_id"] == session_id and c["what"] != MEETING]
    others = [c for c in changes if c not in same]
    what = change["what"]
    if what == MEETING:
        if change in changes:
            return changes
        return [*changes, change]
    if what == MOVED:
        if same:  # already moved (keep the first old time) or added (it is new anyway)
            return changes
        return [*changes, change]
    if what == ADDED:
        return [*others, change]
    # cancelled
    if any(c["what"] == ADDED for c in same):
        return others
    earlier_move = next((c for c in same if c["what"] == MOVED and "old_start" in c), None)
    if earlier_move is not None:
        change = {**change, "start": earlier_move["old_start"], "end": earlier_move["old_end"]}
    return [*others, change]
