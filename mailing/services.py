"""Writes of the outbox: queueing emails, retrying failed ones, erasing what they hold.

A feature app writes its email rows in the same transaction as the change that causes them
(`queue_email`); the rows are handed to the worker only after that transaction commits, so a
worker never sees a row that may still roll back, and a rolled-back change sends nothing.
"""

import datetime as dt
import math
from collections.abc import Iterable

from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ImproperlyConfigured
from django.db import models, transaction
from django.db.models import CharField, TextField, Value
from django.db.models.functions import Cast, Concat
from django.utils import timezone

from . import registry
from .models import OutgoingEmail, language_of
from .tasks import hand_over

State = OutgoingEmail.State


def _check_kind(kind: str) -> None:
    if not registry.is_registered(kind):
        raise ImproperlyConfigured(f"No builder is registered for emails of kind {kind!r}.")


def queue_email(
    *,
    kind: str,
    to: str,
    recipient: models.Model | None = None,
    context: dict | None = None,
    not_before: dt.datetime | None = None,
) -> OutgoingEmail:
    """Write the row now; hand it to the worker once the surrounding transaction commits.
    ``recipient`` is what the email is about (the builder reads it back); ``context`` holds
    any other ids the builder needs, as JSON. ``not_before`` holds the email back until then
    (it is built then, from the data as they are then)."""
    return queue_emails(
        kind=kind, recipients=[(recipient, to)], context=context, not_before=not_before
    )[0]


def queue_emails(
    *,
    kind: str,
    recipients: Iterable[tuple[models.Model | None, str]],
    context: dict | None = None,
    not_before: dt.datetime | None = None,
) -> list[OutgoingEmail]:
    """One email of ``kind`` to each ``(recipient, address)``, in one INSERT, each with the
    same ``context``."""
    _check_kind(kind)
    rows = OutgoingEmail.objects.bulk_create(
        [
            OutgoingEmail(
                kind=kind,
                to_address=address,
                recipient=recipient,
                language=language_of(recipient),
                context=dict(context or {}),
                next_attempt_at=not_before,
            )
            for recipient, address in recipients
        ]
    )
    hand_over_after_commit([row.pk for row in rows], not_before=not_before)
    return rows


def queue_once(
    *,
    kind: str,
    emails: Iterable[tuple[str, models.Model | None, str, dict]],
    skip_reason: str = "",
) -> list[int]:
    """Emails that must exist at most once: ``(dedup_key, recipient, address, context)``
    each. A key already in the ledger (sent, queued, or written by a concurrent run) adds
    nothing, so running this twice sends each email once. With ``skip_reason`` the rows are
    written as skipped, never sent (the ledger says why). Returns the ids of the rows that
    are queued under these keys, handed over after commit."""
    _check_kind(kind)
    emails = list(emails)
    if not emails:
        return []
    state = State.SKIPPED if skip_reason else State.QUEUED
    OutgoingEmail.objects.bulk_create(
        [
            OutgoingEmail(
                kind=kind,
                to_address=address,
                recipient=recipient,
                language=language_of(recipient),
                context=context,
                dedup_key=key,
                state=state,
                last_error=skip_reason,
            )
            for key, recipient, address, context in emails
        ],
        ignore_conflicts=True,
    )
    if skip_reason:
        return []
    # Rows an earlier run queued but whose hand-over was lost are handed over again too:
    # a row handed over twice is still sent once (`delivery.claim`).
    pks = list(
        OutgoingEmail.objects.filter(
            dedup_key__in=[key for key, *_ in emails], state=State.QUEUED
        ).values_list("pk", flat=True)
    )
    hand_over_after_commit(pks)
    return pks


def hand_over_after_commit(pks: list[int], *, not_before: dt.datetime | None = None) -> None:
    if not pks:
        return

    def hand_over_when_due() -> None:
        countdown = 0
        if not_before is not None:
            countdown = max(0, math.ceil((not_before - timezone.now()).total_seconds()))
        hand_over(pks, countdown=countdown)

    transaction.on_commit(hand_over_when_due)


def follow_language(recipient: models.Model) -> int:
    """After a recipient changed their language: the emails still waiting for them (held
    change notices, reminders queued ahead) go out in the new one."""
    return (
        emails_about([recipient]).filter(state=State.QUEUED).update(language=language_of(recipient))
    )


def emails_about(objects: Iterable[models.Model]) -> models.QuerySet[OutgoingEmail]:
    """The ledger rows whose recipient is one of ``objects`` (all of one model)."""
    objects = list(objects)
    if not objects:
        return OutgoingEmail.objects.none()
    recipient_type = ContentType.objects.get_for_model(objects[0])
    return OutgoingEmail.objects.filter(
        recipient_type=recipient_type, recipient_id__in=[obj.pk for obj in objects]
    )


def wake_waiting(recipient: models.Model) -> int:
    """What a recipient's emails waited for is there now (`message.WaitForData`): they are
    handed over after commit instead of at their next look."""
    rows = emails_about([recipient]).filter(state=State.QUEUED).exclude(waiting_for="")
    pks = list(rows.values_list("pk", flat=True))
    OutgoingEmail.objects.filter(pk__in=pks, state=State.QUEUED).update(
        next_attempt_at=None, waiting_for=""
    )
    hand_over_after_commit(pks)
    return len(pks)


@transaction.atomic
def retry_failed(*, emails: models.QuerySet[OutgoingEmail]) -> int:
    """An organizer retries failed emails: back to queued, handed over after commit."""
    # An erased row failed because its person is gone: it has no address left to send to.
    pks = list(
        emails.filter(state=State.FAILED, erased_at__isnull=True).values_list("pk", flat=True)
    )
    OutgoingEmail.objects.filter(pk__in=pks).update(
        state=State.QUEUED, next_attempt_at=None, last_error=""
    )
    hand_over_after_commit(pks)
    return len(pks)


def erase_emails(emails: models.QuerySet[OutgoingEmail], *, now=None) -> int:
    """Right to erasure, in the ledger: what has not gone out yet never will, and the rows
    keep no address, subject, body, context or error text — only that an email of that kind
    existed (``erased-<recipient id>@invalid.example``) and when it was erased. A send already
    on its way records that it went out, never what it said (`delivery._finish`). Admin
    history about the rows forgets what they were called. Call it inside the erasing
    transaction."""
    now = now or timezone.now()
    pks = list(emails.values_list("pk", flat=True))
    rows = OutgoingEmail.objects.filter(pk__in=pks)
    rows.filter(state__in=(State.QUEUED, State.SENDING)).update(state=State.FAILED)
    erased = rows.update(
        to_address=Concat(
            Value("erased-"), Cast("recipient_id", CharField()), Value("@invalid.example")
        ),
        subject="",
        body_text="",
        context={},
        last_error="",
        erased_at=now,
    )
    LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(OutgoingEmail),
        object_id__in=[str(pk) for pk in pks],
    ).update(
        object_repr=Concat(
            Value("email "), "object_id", Value(" (erased)"), output_field=TextField()
        ),
        change_message="",
    )
    return erased
