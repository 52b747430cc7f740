"""Registrants, their state, and the ledger of every email the system sends.

State changes happen only in `services.py`, under a row lock, together with the email row they
cause; the ledger row is the single source of truth for whether a message went out.
"""

import secrets
import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.urls import reverse
from django_countries.fields import CountryField

from workshop.models import Event, Person


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
    email = models.EmailField(max_length=254)
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
    cancelled_at = models.DateTimeField(null=True, blank=True)
    waiting_since = models.DateTimeField(null=True, blank=True)

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
        return f"{self.name} <{self.email}> — {self.event}"

    def get_absolute_url(self) -> str:
        return reverse("registration:status", kwargs={"secret": self.secret})

    @property
    def may_see_meeting(self) -> bool:
        return self.state in self.MEETING_STATES


class OutgoingEmail(models.Model):
    """One email the system sends: what, to whom, and how far it got."""

    class Kind(models.TextChoices):
        CONFIRM = "confirm", "Confirm your registration"
        LINK_REMINDER = "link_reminder", "Your registration link (second attempt)"
        RECEIVED = "received", "Registration received"
        WAITING = "waiting", "Waiting list"
        PROMOTED = "promoted", "Place freed up"
        INVITATION = "invitation", "Invitation with meeting link"
        DECLINED = "declined", "Registration declined"
        CANCELLED = "cancelled", "Registration cancelled"
        PORTAL_INVITATION = "portal_invitation", "Speaker portal invitation"
        PORTAL_SIGNIN = "portal_signin", "Speaker portal sign-in link"
        SESSION_CHANGED = "session_changed", "Session time changed"

    class State(models.TextChoices):
        QUEUED = "queued", "Queued"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(max_length=30, choices=Kind.choices)
    to_address = models.EmailField(max_length=254)
    registration = models.ForeignKey(
        Registration, on_delete=models.CASCADE, null=True, blank=True, related_name="emails"
    )
    person = models.ForeignKey(
        Person, on_delete=models.CASCADE, null=True, blank=True, related_name="emails"
    )
    state = models.CharField(max_length=10, choices=State.choices, default=State.QUEUED)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    # What went out, kept for the organizers' record until the retention period ends.
    subject = models.CharField(max_length=300, blank=True)
    body_text = models.TextField(blank=True)
    context = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "email"
        indexes = [models.Index(fields=["state", "next_attempt_at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} → {self.to_address} ({self.state})"

    @property
    def message_id(self) -> str:
        # Derived from the row, so a resend after a crash folds into the same message.
        return f"<{self.uuid}@{settings.SITE_DOMAIN}>"
