"""Every write of the registration app: state changes and the emails they cause.

Each operation runs in one transaction, locks what it changes, writes the email rows it causes
in that same transaction, and the outbox hands them to the worker only after commit
(`mailing.services.queue_email`). Locks are always taken in one order: the event row first,
then registration rows (in id order), so no two operations can wait for each other.
Illegal transitions raise `ValidationError`; repeating a transition that already happened is a
no-op that sends nothing (two organizers approving at once send one email).
"""

import datetime as dt
import logging

from django.conf import settings
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max, QuerySet, TextField, Value
from django.db.models.functions import Concat
from django.utils import timezone, translation
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from mailing.models import supported_language
from mailing.services import (
    emails_about,
    erase_emails,
    follow_language,
    queue_emails,
)
from workshop.addresses import normalize_address
from workshop.models import Event
from workshop.zones import is_valid_zone
from zoom import services as zoom_services

from .emails import Kind
from .models import Registration, new_secret
from .selectors import (
    SeatsAfterApproval,
    registration_window,
    registration_with_address,
    seats_after_approval,
    seats_taken,
)

logger = logging.getLogger(__name__)

State = Registration.State


def _queue(kind: str, registration: Registration) -> None:
    _queue_each(kind, [registration])


def _queue_each(kind: str, registrations: list[Registration]) -> None:
    if kind == Kind.INVITATION:
        # Where the event's meeting is Zoom's, each invitation waits for its own join link.
        request_join_links(registrations)
    queue_emails(kind=kind, recipients=[(r, r.email) for r in registrations])


def request_join_links(registrations: list[Registration]) -> list[int]:
    """Approved participants get personal Zoom links (nothing without Zoom settings)."""
    return zoom_services.request_links(
        zoom_services.Joiner(holder=r, event_id=r.event_id, email=r.email, name=r.name)
        for r in registrations
        if r.may_see_meeting and r.erased_at is None
    )


@transaction.atomic
def register_participant(
    *,
    event: Event,
    name: str,
    email: str,
    career_stage: str,
    country: str,
    timezone_name: str,
    affiliation: str = "",
    message: str = "",
    language: str = settings.LANGUAGE_CODE,
    now: dt.datetime | None = None,
) -> tuple[Registration, bool]:
    """Create an unconfirmed registration and send the confirmation link.

    A second registration with the same address (in any case) creates nothing: the existing
    registrant is sent their personal link again. Callers show the same answer either way, so
    the form does not reveal who is registered. ``language`` is the language of the page
    they registered on: every email to them is written in it.
    """
    now = now or timezone.now()
    if not registration_window(event, now=now).is_open:
        raise ValidationError(_("Registration for this event is not open."))
    language = supported_language(language) or settings.LANGUAGE_CODE
    email = normalize_address(email)
    existing = registration_with_address(event, email)
    if existing is None:
        try:
            with transaction.atomic():
                registration = Registration.objects.create(
                    event=event,
                    name=name.strip(),
                    email=email,
                    affiliation=affiliation.strip(),
                    career_stage=career_stage,
                    country=country,
                    message=message.strip(),
                    timezone=timezone_name,
                    language=language,
                    consented_at=now,
                    privacy_notice_version=settings.PRIVACY_NOTICE_VERSION,
                )
        except IntegrityError:
            # A concurrent request registered the same address first: the lookup compares
            # exactly as the unique constraint does, so it finds that registration.
            existing = registration_with_address(event, email)
        else:
            _queue(Kind.CONFIRM, registration)
            logger.info("registration %s created for event %s", registration.pk, event.slug)
            return registration, True
    if existing.state in (State.EXPIRED, State.CANCELLED):
        return _register_again(
            existing,
            name=name,
            affiliation=affiliation,
            career_stage=career_stage,
            country=country,
            message=message,
            timezone_name=timezone_name,
            language=language,
            now=now,
        ), True
    _remind_of_link(existing, now=now)
    return existing, False


def _register_again(registration: Registration, *, now: dt.datetime, **fields) -> Registration:
    """A lapsed or cancelled registrant registers anew: same row, fresh consent."""
    registration = _lock(registration)
    registration.name = fields["name"].strip()
    registration.affiliation = fields["affiliation"].strip()
    registration.career_stage = fields["career_stage"]
    registration.country = fields["country"]
    registration.message = fields["message"].strip()
    registration.timezone = fields["timezone_name"]
    registration.language = fields["language"]
    registration.state = State.UNCONFIRMED
    registration.consented_at = now
    registration.privacy_notice_version = settings.PRIVACY_NOTICE_VERSION
    registration.confirmed_at = registration.decided_at = registration.cancelled_at = None
    registration.decided_by = None
    registration.waiting_since = None
    registration.decline_reason = ""
    registration.save()
    _queue(Kind.CONFIRM, registration)
    return registration


def _remind_of_link(registration: Registration, *, now: dt.datetime) -> None:
    # Someone may submit the form repeatedly with another person's address: one reminder
    # per window, so the form cannot be used to flood an inbox.
    since = now - dt.timedelta(minutes=settings.REGISTRATION_REMINDER_INTERVAL_MINUTES)
    if registration.emails.filter(kind=Kind.LINK_REMINDER, created_at__gte=since).exists():
        return
    _queue(Kind.LINK_REMINDER, registration)


def _lock(registration: Registration) -> Registration:
    return (
        Registration.objects.select_for_update(of=("self",))
        .select_related("event")
        .get(pk=registration.pk)
    )


def _lock_event(event_id: int) -> Event:
    # Every change of who holds a seat serializes on the event row: no overbooking.
    return Event.objects.select_for_update().get(pk=event_id)


def _lock_events_of(registrations: QuerySet[Registration]) -> list[int]:
    """Lock the events of these registrations, in id order, before any registration row:
    every service that locks both takes the event first (as a confirmation does), so two of
    them can never wait for each other."""
    event_ids = sorted(set(registrations.order_by().values_list("event_id", flat=True)))
    for event_id in event_ids:
        _lock_event(event_id)
    return event_ids


@transaction.atomic
def confirm_registration(*, registration: Registration, now: dt.datetime | None = None) -> bool:
    """Double opt-in. Returns False if there was nothing to confirm (already confirmed)."""
    event = _lock_event(registration.event_id)
    # The time is read under the event lock: confirmations are stamped in the order they take
    # seats, so the waiting list (`waiting_since`) is served in the order of confirmation.
    now = now or timezone.now()
    registration = _lock(registration)
    if registration.state == State.EXPIRED:
        raise ValidationError(_("This confirmation link has expired. Please register again."))
    if registration.state != State.UNCONFIRMED:
        return False
    registration.confirmed_at = now
    # Those already waiting come first, even for a seat that is free right now (freed by a
    # write that promoted nobody, e.g. an organizer moving someone to the waiting list): they
    # take the free seats before the newcomer is counted, who waits if none is left.
    promote_from_waiting_list(event=event, now=now)
    if event.capacity is not None and seats_taken(event) >= event.capacity:
        registration.state = State.WAITING
        registration.waiting_since = now
        kind = Kind.WAITING
    elif event.requires_approval:
        registration.state = State.PENDING
        kind = Kind.RECEIVED
    else:
        registration.state = State.APPROVED
        registration.decided_at = now
        kind = Kind.INVITATION
    registration.save()
    _queue(kind, registration)
    return True


def _decide(
    registrations: QuerySet[Registration],
    *,
    to_state: str,
    allowed_from: tuple[str, ...],
    email_kind: str | None,
    by,
    now: dt.datetime,
    reason: str = "",
) -> list[Registration]:
    """Move every registration in `allowed_from` to `to_state` with one email each.

    Rows already in `to_state` are skipped silently (idempotent); the caller checks other
    states. A fixed number of queries, whatever the number of registrations.
    """
    locked = list(
        registrations.select_for_update(of=("self",)).filter(state__in=allowed_from).order_by("pk")
    )
    for registration in locked:
        registration.state = to_state
        registration.decided_at = now
        registration.decided_by = by
        if to_state == State.DECLINED:
            registration.decline_reason = reason
        if to_state == State.WAITING:
            registration.waiting_since = now
    Registration.objects.bulk_update(
        locked, ["state", "decided_at", "decided_by", "decline_reason", "waiting_since"]
    )
    if email_kind:
        _queue_each(email_kind, locked)
    return locked


def _check_single(registration: Registration, *, allowed_from, to_state, refusal: str) -> bool:
    """For single-registration operations: False for a repeat, ValidationError if illegal
    (``refusal``, with the registration's ``%(state)s``)."""
    if registration.state == to_state:
        return False
    if registration.state not in allowed_from:
        raise ValidationError(refusal % {"state": registration.state_in_sentence})
    return True


APPROVABLE = (State.PENDING, State.WAITING, State.DECLINED)
DECLINABLE = (State.PENDING, State.WAITING, State.APPROVED)
WAITLISTABLE = (State.PENDING,)
CANCELLABLE = (State.UNCONFIRMED, State.PENDING, State.APPROVED, State.WAITING)


@transaction.atomic
def approve_registrations(
    *, registrations: QuerySet[Registration], by, beyond_capacity: bool = False, now=None
) -> int:
    """Approve; each newly approved registrant's invitation (meeting link) goes out once.
    Unconfirmed, cancelled and already approved ones are left alone.

    Approving a waiting or declined registration takes a seat (a pending one holds its seat
    already): past an event's capacity this is refused with the numbers, approving nothing,
    unless the organizer chose ``beyond_capacity``."""
    now = now or timezone.now()
    _lock_events_of(registrations)
    if not beyond_capacity:
        # Counted under the event locks: no confirmation or promotion can slip in between.
        over = seats_after_approval(registrations)
        if over:
            raise ValidationError(
                [
                    ValidationError(over_capacity_message(seats), code="over_capacity")
                    for seats in over
                ]
            )
    changed = _decide(
        registrations,
        to_state=State.APPROVED,
        allowed_from=APPROVABLE,
        email_kind=Kind.INVITATION,
        by=by,
        now=now,
    )
    logger.info(
        "approved %d registrations%s (by user %s)",
        len(changed),
        " beyond capacity" if beyond_capacity else "",
        getattr(by, "pk", None),
    )
    return len(changed)


def over_capacity_message(seats: SeatsAfterApproval) -> str:
    return ngettext(
        "“%(title)s” has %(capacity)s place: %(taken)s are taken and this approval would add "
        "%(adding)s, %(total)s in all (%(over)s over capacity).",
        "“%(title)s” has %(capacity)s places: %(taken)s are taken and this approval would add "
        "%(adding)s, %(total)s in all (%(over)s over capacity).",
        seats.capacity,
    ) % {
        "title": seats.title,
        "capacity": seats.capacity,
        "taken": seats.taken,
        "adding": seats.adding,
        "total": seats.total,
        "over": seats.over,
    }


@transaction.atomic
def decline_registrations(*, registrations, by, reason: str = "", now=None) -> int:
    """Decline, with the organizer's note in each email; freed seats go to the waiting list."""
    now = now or timezone.now()
    event_ids = _lock_events_of(registrations)
    changed = _decide(
        registrations,
        to_state=State.DECLINED,
        allowed_from=DECLINABLE,
        email_kind=Kind.DECLINED,
        by=by,
        now=now,
        reason=reason.strip(),
    )
    zoom_services.revoke_links(changed)
    for event_id in event_ids:
        promote_from_waiting_list(event=Event(pk=event_id), now=now)
    return len(changed)


@transaction.atomic
def move_to_waiting_list(*, registrations, by, now=None) -> int:
    now = now or timezone.now()
    _lock_events_of(registrations)
    changed = _decide(
        registrations,
        to_state=State.WAITING,
        allowed_from=WAITLISTABLE,
        email_kind=Kind.WAITING,
        by=by,
        now=now,
    )
    return len(changed)


@transaction.atomic
def resend_invitations(*, registrations, by) -> int:
    """An organizer's explicit resend: one new invitation per approved registration."""
    approved = list(registrations.filter(state=State.APPROVED).order_by("pk"))
    _queue_each(Kind.INVITATION, approved)
    logger.info("resent %d invitations (by user %s)", len(approved), getattr(by, "pk", None))
    return len(approved)


@transaction.atomic
def cancel_registration(*, registration: Registration, now=None) -> bool:
    """The registrant cancels; a freed seat goes to the first on the waiting list."""
    now = now or timezone.now()
    event = _lock_event(registration.event_id)
    registration = _lock(registration)
    if not _check_single(
        registration,
        allowed_from=CANCELLABLE,
        to_state=State.CANCELLED,
        refusal=_("Cannot cancel a registration that is %(state)s."),
    ):
        return False
    registration.state = State.CANCELLED
    registration.cancelled_at = now
    registration.save(update_fields=["state", "cancelled_at"])
    zoom_services.revoke_links([registration])
    _queue(Kind.CANCELLED, registration)
    promote_from_waiting_list(event=event, now=now)
    return True


def promote_from_waiting_list(*, event: Event, now=None, capacity_removed: bool = False) -> int:
    """Fill free seats from the waiting list in the order people joined it (`waiting_since`,
    then id). Caller holds the event lock.

    Without a capacity, the waiting list holds only whom organizers put there by hand: they
    stay, unless the capacity was just removed (``capacity_removed``), which frees a seat for
    everyone waiting."""
    now = now or timezone.now()
    event = Event.objects.get(pk=event.pk)
    first_waiting = (
        Registration.objects.select_for_update()
        .filter(event=event, state=State.WAITING)
        .order_by("waiting_since", "pk")
    )
    if event.capacity is not None:
        free = event.capacity - seats_taken(event)
        if free <= 0:
            return 0
        first_waiting = first_waiting[:free]
    elif not capacity_removed:
        return 0
    waiting = list(first_waiting)
    for registration in waiting:
        if event.requires_approval:
            registration.state = State.PENDING
        else:
            registration.state = State.APPROVED
            registration.decided_at = now
    Registration.objects.bulk_update(waiting, ["state", "decided_at"])
    pending = [r for r in waiting if r.state == State.PENDING]
    approved = [r for r in waiting if r.state == State.APPROVED]
    _queue_each(Kind.PROMOTED, pending)
    _queue_each(Kind.INVITATION, approved)
    return len(waiting)


@transaction.atomic
def expire_unconfirmed(*, now=None) -> int:
    """Unconfirmed registrations past the confirmation period expire; registering again
    with the same address revives the row."""
    now = now or timezone.now()
    cutoff = now - dt.timedelta(hours=settings.REGISTRATION_CONFIRMATION_HOURS)
    stale = list(
        Registration.objects.select_for_update().filter(
            state=State.UNCONFIRMED, created_at__lt=cutoff
        )
    )
    for registration in stale:
        registration.state = State.EXPIRED
    Registration.objects.bulk_update(stale, ["state"])
    return len(stale)


ERASED_NAME = "(erased)"


@transaction.atomic
def erase_registrations(*, registrations, by, now=None) -> int:
    """Right to erasure: remove the personal data of these registrants everywhere, including
    the stored copies of the emails sent to them (which hold their personal links) and the
    admin history about them. The rows stay, anonymised, so counts and the ledger remain
    consistent; admin history keeps who did what when, not to whom. ``by`` is the organizer,
    or None for the retention run (`erase_past_registrations`)."""
    now = now or timezone.now()
    _lock_events_of(registrations)
    locked = list(registrations.select_for_update(of=("self",)).order_by("pk"))
    for registration in locked:
        erased_address = f"erased-{registration.pk}@invalid.example"
        if registration.state not in (State.DECLINED, State.CANCELLED, State.EXPIRED):
            registration.state = State.CANCELLED
            registration.cancelled_at = now
        registration.name = ERASED_NAME
        registration.email = erased_address
        registration.affiliation = ""
        registration.message = ""
        registration.decline_reason = ""
        registration.secret = new_secret()  # old personal links stop working
        registration.erased_at = now
    erase_emails(emails_about(locked), now=now)
    # Their personal Zoom links stop working, and the Zoom rows forget them once cancelled.
    zoom_services.revoke_links(locked, erase=True)
    Registration.objects.bulk_update(
        locked,
        [
            "state",
            "cancelled_at",
            "name",
            "email",
            "affiliation",
            "message",
            "decline_reason",
            "secret",
            "erased_at",
        ],
    )
    # "Chen Tao — Workshop" in Recent actions and the history pages: the entries stay (the
    # organizer, the time, what kind of change), named by the registration's number only.
    registration_type = ContentType.objects.get_for_model(Registration)
    LogEntry.objects.filter(
        content_type=registration_type,
        object_id__in=[str(registration.pk) for registration in locked],
    ).update(
        object_repr=Concat(
            Value("Registration "), "object_id", Value(" (erased)"), output_field=TextField()
        ),
        change_message="",
    )
    if by is not None:
        # The erasure itself joins the history: who erased which registration, and when.
        LogEntry.objects.bulk_create(
            LogEntry(
                user_id=by.pk,
                content_type=registration_type,
                object_id=str(registration.pk),
                object_repr=f"Registration {registration.pk} (erased)",
                action_flag=CHANGE,
                change_message="Erased the personal data.",
                action_time=now,
            )
            for registration in locked
        )
    logger.info(
        "erased %d registrations (by %s)",
        len(locked),
        f"user {by.pk}" if by is not None else "the retention period",
    )
    return len(locked)


def erase_past_registrations(*, now=None, batch_size: int = 500) -> int:
    """Retention: the registrations of events that ended more than
    ``REGISTRATION_RETENTION_DAYS`` ago are erased exactly as on a registrant's request
    (`erase_registrations`), with their ledger rows. Events without sessions have no end yet
    and wait. In batches, one transaction each, so a long backlog holds no lock for long."""
    now = now or timezone.now()
    cutoff = now - dt.timedelta(days=settings.REGISTRATION_RETENTION_DAYS)
    ended = Event.objects.annotate(last_end=Max("sessions__end")).filter(last_end__lt=cutoff)
    due = Registration.objects.filter(event__in=ended.values("pk"), erased_at__isnull=True)
    erased = 0
    while pks := list(due.order_by("pk").values_list("pk", flat=True)[:batch_size]):
        # Rows a concurrent run erased meanwhile are passed over (locked, then re-checked).
        erased += erase_registrations(
            registrations=Registration.objects.filter(pk__in=pks, erased_at__isnull=True),
            by=None,
            now=now,
        )
    if erased:
        logger.info("retention: erased %d registrations of past events", erased)
    return erased


@transaction.atomic
def fill_free_seats(*, event: Event, now=None) -> int:
    """After an event's capacity changed (raised or removed): the first waiting people take
    the free seats at once, with their email. Returns how many moved up.

    Runs inside the transaction that saved the event (a post_save receiver, in admin and in
    the importer), whose UPDATE already holds the event row: locking it again waits for
    nobody, and keeps the one lock order, event first, then registrations."""
    locked = _lock_event(event.pk)
    return promote_from_waiting_list(event=event, now=now, capacity_removed=locked.capacity is None)


# --- participant self-service ------------------------------------------------------------------

# Admin history (LogEntry) needs a user: changes a participant makes on their status page are
# logged as this account, so organizers see in a registration's History that the participant
# changed it, and what. Inactive, not staff, no usable password: nobody can sign in as it.
SELF_SERVICE_USERNAME = "participant-self-service"

# Cancelled and expired registrations are over: registering again (same address) revives the
# row with fresh details, so there is nothing to correct. A declined one stays editable: the
# organizers may still approve it, and then the invitation goes out with these details.
EDITABLE = (State.UNCONFIRMED, State.PENDING, State.APPROVED, State.WAITING, State.DECLINED)


def may_edit_details(registration: Registration) -> bool:
    return registration.state in EDITABLE and registration.erased_at is None


def self_service_account():
    account, _ = get_user_model().objects.get_or_create(
        username=SELF_SERVICE_USERNAME,
        defaults={
            "is_active": False,
            "first_name": "Participant",
            "last_name": "(on their status page)",
            "password": make_password(None),
        },
    )
    return account


@transaction.atomic
def update_registration_details(
    *,
    registration: Registration,
    name: str,
    affiliation: str,
    timezone_name: str,
    language: str | None = None,
    now: dt.datetime | None = None,
) -> list[str]:
    """The participant corrects their name, affiliation, time zone or language (emails are
    built at send time, so the next one uses them; the emails still queued for them move to a
    new language). The address is not theirs to change: it is the identity they confirmed
    (double opt-in). ``language`` None keeps it. Returns the labels of what changed, as admin
    words them, in the active language; nothing changed, nothing is written."""
    registration = _lock(registration)
    if not may_edit_details(registration):
        raise ValidationError(
            _("This registration is %(state)s: its details can no longer be changed."),
            params={"state": registration.state_in_sentence},
        )
    if not is_valid_zone(timezone_name):
        raise ValidationError(_("Choose a time zone from the list."))
    new = {"name": name.strip(), "affiliation": affiliation.strip(), "timezone": timezone_name}
    if language is not None:
        if language not in dict(settings.LANGUAGES):
            raise ValidationError(_("Choose a language from the list."))
        new["language"] = language
    if not new["name"]:
        raise ValidationError(_("Please enter your name."))
    changed = [field for field, value in new.items() if getattr(registration, field) != value]
    if not changed:
        return []
    for field in changed:
        setattr(registration, field, new[field])
    registration.clean_fields(
        exclude=[f.name for f in Registration._meta.fields if f.name not in changed]
    )
    registration.save(update_fields=changed)
    if "language" in changed:
        follow_language(registration)

    def labels() -> list[str]:
        return [
            str(capfirst(Registration._meta.get_field(field).verbose_name)) for field in changed
        ]

    # The labels of admin's own change form, so the History reads like an organizer's edit;
    # stored untranslated, as admin stores them, and shown in each reader's language.
    with translation.override(None):
        stored_labels = labels()
    LogEntry.objects.log_actions(
        user_id=self_service_account().pk,
        queryset=[registration],
        action_flag=CHANGE,
        change_message=[{"changed": {"fields": stored_labels}}],
        single_object=True,
    )
    logger.info("registration %s: the participant changed %s", registration.pk, changed)
    return labels()


# --- participants added by organizers --------------------------------------------------------

# The consent of a hand-added participant (an invited guest): they ticked no privacy box, the
# organizer entered them. Fits `privacy_notice_version` (20 characters).
CONSENT_BY_ORGANIZER = "by organizer"


def _already_registered(existing: Registration) -> ValidationError:
    return ValidationError(
        _("%(email)s is already registered for this event (%(state)s)."),
        code="already_registered",
        params={
            "email": existing.email_for_display,
            "state": existing.state_in_sentence,
            "pk": existing.pk,
        },
    )


@transaction.atomic
def add_participant(
    *,
    event: Event,
    by,
    name: str,
    email: str,
    career_stage: str,
    country: str,
    timezone_name: str,
    affiliation: str = "",
    message: str = "",
    language: str = settings.LANGUAGE_CODE,
    send_confirmation: bool,
    approve: bool,
    now: dt.datetime | None = None,
) -> Registration:
    """An organizer enters a participant, whatever the registration window says.

    With ``send_confirmation`` the participant gets the confirmation email and goes on as a
    registrant who used the form. Without it they count as confirmed now and go where a
    confirmation takes them (awaiting approval, the waiting list, or approved), with that
    email; with ``approve`` as well they are approved at once, which, like every approval,
    is refused past the capacity (nothing is then added). An address already registered for
    the event (in any case, in any state) is refused with code ``already_registered``.
    ``language``: the one their emails are written in (the organizer chooses it)."""
    now = now or timezone.now()
    if approve and send_confirmation:
        raise ValidationError(_("A participant who still has to confirm cannot be approved yet."))
    if not is_valid_zone(timezone_name):
        raise ValidationError(_("Choose a time zone from the list."))
    language = supported_language(language) or settings.LANGUAGE_CODE
    email = normalize_address(email)
    existing = registration_with_address(event, email)
    if existing is not None:
        raise _already_registered(existing)
    fields = {
        "event": event,
        "name": name.strip(),
        "email": email,
        "affiliation": affiliation.strip(),
        "career_stage": career_stage.strip(),
        "country": country,
        "message": message.strip(),
        "timezone": timezone_name,
        "language": language,
        "added_by": by,
        "consented_at": now,
        "privacy_notice_version": CONSENT_BY_ORGANIZER,
    }
    if approve:
        # Confirmed, but holding no seat until approved: approving then takes a seat, and the
        # capacity check of `approve_registrations` applies to it as to any other.
        fields.update(state=State.WAITING, confirmed_at=now)
    try:
        with transaction.atomic():
            registration = Registration.objects.create(**fields)
    except IntegrityError:
        # Another request added the same address first (the unique constraint).
        existing = registration_with_address(event, email)
        if existing is None:
            raise
        raise _already_registered(existing) from None
    if send_confirmation:
        _queue(Kind.CONFIRM, registration)
    elif approve:
        approve_registrations(
            registrations=Registration.objects.filter(pk=registration.pk), by=by, now=now
        )
    else:
        confirm_registration(registration=registration, now=now)
    logger.info(
        "registration %s added by user %s for event %s",
        registration.pk,
        getattr(by, "pk", None),
        event.slug,
    )
    return Registration.objects.select_related("event").get(pk=registration.pk)
