"""Delivering one ledger row exactly once.

Delivery protocol (what makes a crashed worker or a dead SMTP server delay mail but never
duplicate or lose it):

1. claim: lock the row; skip it if it is sent or failed, or if another worker claimed it less
   than `EMAIL_CLAIM_LEASE_SECONDS` ago; otherwise mark it sending and count the attempt.
2. build the message from current data (the meeting link as it is now) with the builder
   registered for the row's kind, and send it over SMTP with a Message-ID derived from the row,
   so the one possible resend after a crash between 2 and 3 folds into the same message in the
   recipient's client.
3. mark it sent. A transient error puts the row back to queued with the next attempt time;
   a permanent one (5xx) marks it failed with the error, for the organizers to see.

Rows whose task got lost (broker down at commit, worker killed) are picked up again by the
periodic sweeper (`tasks.sweep_email_ledger`, rows chosen by `upkeep.due_for_handover`).
"""

import datetime as dt
import logging
import random
import re
import smtplib

from django.conf import settings
from django.db import transaction
from django.db.models import Case, F, TextField, Value, When
from django.utils import timezone, translation

from . import registry
from .message import SkipEmail, UndeliverableEmail, WaitForData, compose
from .models import OutgoingEmail, language_of

logger = logging.getLogger(__name__)

State = OutgoingEmail.State

# `deliver`'s answer for a row whose wait ended while it was being recorded: deliver it again.
WOKEN = "woken"


class TransientEmailError(Exception):
    """Delivery failed for a reason that may pass (server down, 4xx): try again later.

    `retry_in` is the delay already written to the row's `next_attempt_at`; the task retries
    after exactly that long, so the task and the sweeper agree on when the row is due."""

    def __init__(self, message: str, *, retry_in: int):
        super().__init__(message)
        self.retry_in = retry_in


def claim(pk: int, *, now: dt.datetime | None = None) -> OutgoingEmail | None:
    now = now or timezone.now()
    lease = dt.timedelta(seconds=settings.EMAIL_CLAIM_LEASE_SECONDS)
    with transaction.atomic():
        row = OutgoingEmail.objects.select_for_update().filter(pk=pk).first()
        if row is None:
            logger.warning("email %s does not exist (erased?); nothing to send", pk)
            return None
        if row.state in (State.SENT, State.FAILED, State.SKIPPED):
            return None
        if row.state == State.QUEUED and row.next_attempt_at and row.next_attempt_at > now:
            # Held back (a change notice waiting out its settle window, a retry's backoff):
            # whoever handed it over early comes back, or the sweeper does, once it is due.
            return None
        if row.state == State.SENDING and row.claimed_at and row.claimed_at > now - lease:
            return None
        row.state = State.SENDING
        row.claimed_at = now
        row.attempts += 1
        row.save(update_fields=["state", "claimed_at", "attempts"])
    return row


def is_permanent(error: Exception) -> bool:
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in error.recipients.values()]
        return bool(codes) and all(code >= 500 for code in codes)
    if isinstance(error, smtplib.SMTPResponseException):
        return error.smtp_code >= 500
    return False


# Anything shaped like an address (local@domain), as SMTP servers echo them in their replies.
_ADDRESS = re.compile(r"<?[^\s<>\"'(),;:\[\]]+@[^\s<>\"'(),;:\[\]]+>?")


def describe(error: BaseException, *, address: str = "") -> str:
    """The error as the ledger stores it and the logs show it: its type and what the server
    said, with the recipient's address as ``<recipient>`` and any other address as
    ``<address>``. A refused recipient is named by the server's reply alone (smtplib's text
    would hold the name and address the message was sent to)."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        text = "; ".join(
            f"<recipient>: {code} {_text(reply)}" for code, reply in error.recipients.values()
        )
    elif isinstance(error, smtplib.SMTPResponseException):
        text = f"{error.smtp_code} {_text(error.smtp_error)}"
    else:
        text = str(error)
    return f"{type(error).__name__}: {_redact(text, address=address)}"


def _redact(text: str, *, address: str) -> str:
    if address:
        text = re.sub(f"<?{re.escape(address)}>?", "<recipient>", text, flags=re.IGNORECASE)
    return _ADDRESS.sub("<address>", text)


def _text(reply) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)


def retry_delay(attempts: int) -> int:
    """Exponential backoff with jitter, never longer than half the broker's visibility timeout.

    A task waiting for its countdown sits unacknowledged in the worker; Redis hands it to
    another worker once it has been out longer than the visibility timeout, so the countdown
    plus the SMTP conversation must fit well inside it. The cap applies after the jitter.
    """
    base = settings.EMAIL_RETRY_BASE_SECONDS * (2 ** min(max(attempts - 1, 0), 32))
    ceiling = max(
        1, min(settings.EMAIL_RETRY_MAX_SECONDS, settings.CELERY_BROKER_VISIBILITY_TIMEOUT // 2)
    )
    return max(1, min(int(base * random.uniform(0.8, 1.2)), ceiling))


def deliver(pk: int) -> str:
    """Send one ledger row. Returns the row's final state for this attempt, or 'skipped'.

    Raises TransientEmailError (with the row back in queued) when a retry makes sense.
    Log lines name the row by its id, never by its address or the person's name.
    """
    row = claim(pk)
    if row is None:
        return "skipped"
    try:
        # In the recipient's language, whoever caused the email and whatever the worker's.
        with translation.override(_language_now(row)):
            message = compose(row, registry.get(row.kind).build(row))
    except WaitForData as error:
        reason = _redact(str(error), address=row.to_address)[:200]
        _finish(
            row,
            state=State.QUEUED,
            waiting_for=reason,
            next_attempt_at=timezone.now() + dt.timedelta(seconds=error.retry_in),
            not_an_attempt=True,
        )
        if error.ready is not None and error.ready():
            # Made while we were recording the wait: not left to the sweeper.
            woken = OutgoingEmail.objects.filter(
                pk=row.pk, state=State.QUEUED, waiting_for=reason
            ).update(next_attempt_at=None, waiting_for="")
            if woken:
                return WOKEN
        logger.info("email %s waits: %s", row.pk, reason)
        return "waiting"
    except SkipEmail as error:
        reason = _redact(str(error), address=row.to_address)
        _finish(row, state=State.SKIPPED, error=reason)
        logger.info("email %s not needed: %s", row.pk, reason)
        return State.SKIPPED
    except UndeliverableEmail as error:
        reason = _redact(str(error), address=row.to_address)
        _finish(row, state=State.FAILED, error=reason)
        logger.warning("email %s not sent: %s", row.pk, reason)
        return State.FAILED
    except Exception as error:  # noqa: BLE001 — a bug in building; retrying would not help
        reason = _redact(f"Could not build the message: {error!r}", address=row.to_address)
        _finish(row, state=State.FAILED, error=reason)
        logger.exception("email %s could not be built", row.pk)
        return State.FAILED
    try:
        message.send(fail_silently=False)
    except Exception as error:  # noqa: BLE001 — classified just below
        reason = describe(error, address=row.to_address)
        if is_permanent(error):
            _finish(row, state=State.FAILED, error=reason)
            logger.error("email %s failed permanently: %s", row.pk, reason)
            return State.FAILED
        delay = retry_delay(row.attempts)
        _finish(
            row,
            state=State.QUEUED,
            error=reason,
            next_attempt_at=timezone.now() + dt.timedelta(seconds=delay),
        )
        logger.warning(
            "email %s attempt %d failed (%s); retry in %ss", row.pk, row.attempts, reason, delay
        )
        # Not chained to the original: Celery logs the retry's exception, with its cause.
        raise TransientEmailError(reason, retry_in=delay) from None
    _finish(row, state=State.SENT, subject=message.subject, body_text=message.body)
    logger.info(
        "email %s (%s) sent",
        row.pk,
        row.kind,
        extra={"email_id": row.pk, "email_kind": row.kind, "attempts": row.attempts},
    )
    return State.SENT


def _language_now(row: OutgoingEmail) -> str:
    """The recipient's language as it is at sending time (they may have changed it on their
    status page, or an organizer in admin, since the row was written); the row keeps the one
    used. A recipient that is gone leaves the row's."""
    language = language_of(row.recipient) or row.language
    if language != row.language:
        OutgoingEmail.objects.filter(pk=row.pk).update(language=language)
        row.language = language
    return language or settings.LANGUAGE_CODE


def _finish(
    row: OutgoingEmail,
    *,
    state: str,
    error: str = "",
    next_attempt_at=None,
    subject: str | None = None,
    body_text: str | None = None,
    waiting_for: str = "",
    not_an_attempt: bool = False,
) -> None:
    fields = {
        "state": state,
        "last_error": error[:2000],
        "next_attempt_at": next_attempt_at,
        "waiting_for": waiting_for,
    }
    if not_an_attempt:
        fields["attempts"] = F("attempts") - 1
    rows = OutgoingEmail.objects.filter(pk=row.pk)
    if state == State.SENT:
        fields["sent_at"] = timezone.now()
        fields["last_error"] = ""
        # The stored copy, unless the person's data were erased while the message was on its
        # way: decided in the same UPDATE that takes the row (after an erasure's lock), so
        # the copy built before the erasure can never land in the erased row.
        fields["subject"] = _unless_erased("subject", (subject or "")[:300])
        fields["body_text"] = _unless_erased("body_text", body_text or "")
        # The message went out: record it, unless another claim already did.
        rows = rows.exclude(state=State.SENT)
    else:
        # Only while the claim is still ours. Once our lease ran out, another worker may
        # have claimed the row again and sent it: a late error of ours must neither put it
        # back in the queue (a second send) nor mark a delivered email failed. An erasure
        # ends the claim too (the row is failed, and must not go back in the queue).
        rows = rows.filter(state=State.SENDING, attempts=row.attempts, erased_at__isnull=True)
    if not rows.update(**fields):
        logger.warning(
            "email %s: attempt %d ended %s after another claim took over; not recorded",
            row.pk,
            row.attempts,
            state,
        )


def _unless_erased(field: str, value: str) -> Case:
    return Case(
        When(erased_at__isnull=True, then=Value(value)),
        default=F(field),
        output_field=TextField(),
    )
