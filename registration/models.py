"""Registrants and their state.

State changes happen only in `services.py`, under a row lock, together with the email rows
they cause (in the outbox, `mailing`); the ledger row is the single source of truth for whether
a message went out.
"""

import secrets

from django.conf import settings
from django.contrib.contenttypes.fields import GenericRelation
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.urls import reverse
from django_countries.fields import CountryField

from mailing.models import OutgoingEmail
from workshop.addresses import canonical_or_typed, display_address, validate_address
from workshop.models import Event


def new_secret() -> str:
    return secrets.token_urlsafe(24)


class RegistrationState(models.TextChoices):
    UNCONFIRMED = "unconfirmed", "Awaiting email confirmation"
    PENDING = "pending", "Awaiting approval"
    APPROVED = "approved", "Approved"
    WAITING = "waiting", "On the waiting list"
    DECLINED = "declined", "Declined"
    CANCELLED = "cancelled", "Cancelled"
    EXPIRED = "expired", "Expired (never confirmed)"


class Registration(models.Model):
    State = RegistrationState

    # States that hold a seat against the event's capacity.
    SEAT_STATES = (State.PENDING, State.APPROVED)
    # States in which the registrant may be sent the meeting details.
    MEETING_STATES = (State.APPROVED,)

    event = models.ForeignKey(Event, on_delete=models.PROTECT, related_name="registrations")
    name = models.CharField(max_length=200)
    # Canonical form (workshop.addresses): ASCII, so ``Lower`` compares alike everywhere.
    email = models.EmailField(max_length=254, validators=[validate_address])
    affiliation = models.CharField(max_length=300, blank=True)
    career_stage = models.CharField(max_length=100)
    country = CountryField()
    message = models.TextField("message to the organizers", max_length=2000, blank=True)
    timezone = models.CharField("time zone", max_length=64, default="UTC")

    state = models.CharField(max_length=20, choices=State.choices, default=State.UNCONFIRMED)
    # The personal link: whoever holds it is the registrant. Unguessable, never listed.
    secret = models.CharField(max_length=64, unique=True, default=new_secret, editable=False)

    consented_at = models.DateTimeField()
    privacy_notice_version = models.CharField(max_length=20)
    created_at = models.DateTimeField(auto_now_add=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    decline_reason = models.TextField(blank=True)
    # The organizer who entered this registration in admin (an invited guest); None when the
    # registrant used the form.
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    cancelled_at = models.DateTimeField(null=True, blank=True)
    waiting_since = models.DateTimeField(null=True, blank=True)
    # When the personal data were erased (right to erasure, or the retention period ended).
    erased_at = models.DateTimeField(null=True, blank=True, editable=False)
    # The emails sent to this registrant (ledger rows whose recipient is this registration);
    # filtered from the ledger as `OutgoingEmail.objects.filter(registration=…)`.
    emails = GenericRelation(
        OutgoingEmail,
        content_type_field="recipient_type",
        object_id_field="recipient_id",
        related_query_name="registration",
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        permissions = [
            ("approve_registration", "Can approve, decline and wait-list"),
            ("erase_registration", "Can erase a registrant's personal data"),
        ]
        constraints = [
            # One registration per address per event, whatever the case of the address.
            models.UniqueConstraint(
                "event", Lower("email"), name="registration_unique_email_per_event"
            ),
            models.CheckConstraint(
                condition=Q(state__in=RegistrationState.values), name="registration_state_valid"
            ),
        ]
        indexes = [
            models.Index(fields=["event", "state"]),
            models.Index(fields=["state", "waiting_since"]),
        ]

    def __str__(self) -> str:
        # No address: admin history keeps this text (LogEntry.object_repr) for good.
        return f"{self.name} — {self.event}"

    def save(self, *args, **kwargs):
        self.email = canonical_or_typed(self.email)
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("registration:status", kwargs={"secret": self.secret})

    @property
    def email_for_display(self) -> str:
        """The address as the registrant typed its domain (``exämple.org``, not IDNA)."""
        return display_address(self.email)

    @property
    def may_see_meeting(self) -> bool:
        return self.state in self.MEETING_STATES


class ChangeNotice(models.Model):
    """The programme changes of one event within one settle window (``NOTICE_SETTLE_SECONDS``
    from the first of them): each approved participant gets one email that lists them all
    (`registration.notices`). ``changes`` is a list of ``{"what": "moved" | "added" |
    "cancelled" | "meeting", "session_id": …, …}``, with the old time of a moved session and
    the calendar identity of a cancelled one (its row is gone by the time the email is built)."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    send_at = models.DateTimeField()
    changes = models.JSONField(default=list)

    class Meta:
        indexes = [models.Index(fields=["event", "send_at"])]

    def __str__(self) -> str:
        return f"Changes to {self.event} ({len(self.changes)})"


class ParticipantMessage(models.Model):
    """A message organizers wrote in admin to selected registrants: one ledger row per
    recipient (kind ``message``), built at send time with the placeholders filled in."""

    # The form's own: posting the same form twice (a double click, a reload) sends nothing twice.
    token = models.UUIDField(unique=True)
    subject = models.CharField(max_length=200)
    body = models.TextField(max_length=10000)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    recipient_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.subject
