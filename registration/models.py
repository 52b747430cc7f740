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
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_countries.fields import CountryField

from mailing.models import OutgoingEmail
from workshop.addresses import canonical_or_typed, display_address, validate_address
from workshop.models import Event


def new_secret() -> str:
    return secrets.token_urlsafe(24)


class RegistrationState(models.TextChoices):
    UNCONFIRMED = "unconfirmed", _("Awaiting email confirmation")
    PENDING = "pending", _("Awaiting approval")
    APPROVED = "approved", _("Approved")
    WAITING = "waiting", _("On the waiting list")
    DECLINED = "declined", _("Declined")
    CANCELLED = "cancelled", _("Cancelled")
    EXPIRED = "expired", _("Expired (never confirmed)")


# The state as it reads inside a sentence ("This registration is %(state)s: …"): in English
# the label in lower case; German needs its own words (nouns keep their capitals).
STATE_IN_SENTENCE = {
    RegistrationState.UNCONFIRMED: pgettext_lazy(
        "this registration is …", "awaiting email confirmation"
    ),
    RegistrationState.PENDING: pgettext_lazy("this registration is …", "awaiting approval"),
    RegistrationState.APPROVED: pgettext_lazy("this registration is …", "approved"),
    RegistrationState.WAITING: pgettext_lazy("this registration is …", "on the waiting list"),
    RegistrationState.DECLINED: pgettext_lazy("this registration is …", "declined"),
    RegistrationState.CANCELLED: pgettext_lazy("this registration is …", "cancelled"),
    RegistrationState.EXPIRED: pgettext_lazy("this registration is …", "expired (never confirmed)"),
}


class Registration(models.Model):
    State = RegistrationState

    # States that hold a seat against the event's capacity.
    SEAT_STATES = (State.PENDING, State.APPROVED)
    # States in which the registrant may be sent the meeting details.
    MEETING_STATES = (State.APPROVED,)

    event = models.ForeignKey(
        Event, on_delete=models.PROTECT, related_name="registrations", verbose_name=_("event")
    )
    name = models.CharField(_("name"), max_length=200)
    # Canonical form (workshop.addresses): ASCII, so ``Lower`` compares alike everywhere.
    email = models.EmailField(_("email"), max_length=254, validators=[validate_address])
    affiliation = models.CharField(_("affiliation"), max_length=300, blank=True)
    career_stage = models.CharField(_("career stage"), max_length=100)
    country = CountryField(_("country"))
    message = models.TextField(_("message to the organizers"), max_length=2000, blank=True)
    timezone = models.CharField(_("time zone"), max_length=64, default="UTC")
    # Every email to the registrant is written in it: the language of the page they registered
    # on, changeable on their status page.
    language = models.CharField(
        _("language"), max_length=10, choices=settings.LANGUAGES, default=settings.LANGUAGE_CODE
    )

    state = models.CharField(
        _("state"), max_length=20, choices=State.choices, default=State.UNCONFIRMED
    )
    # The personal link: whoever holds it is the registrant. Unguessable, never listed.
    secret = models.CharField(
        _("secret"), max_length=64, unique=True, default=new_secret, editable=False
    )

    consented_at = models.DateTimeField(_("consented at"))
    privacy_notice_version = models.CharField(_("privacy notice version"), max_length=20)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    decline_reason = models.TextField(_("decline reason"), blank=True)
    # The organizer who entered this registration in admin (an invited guest); None when the
    # registrant used the form.
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("added by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    waiting_since = models.DateTimeField(_("waiting since"), null=True, blank=True)
    # When the personal data were erased (right to erasure, or the retention period ended).
    erased_at = models.DateTimeField(_("erased at"), null=True, blank=True, editable=False)
    # The emails sent to this registrant (ledger rows whose recipient is this registration);
    # filtered from the ledger as `OutgoingEmail.objects.filter(registration=…)`.
    emails = GenericRelation(
        OutgoingEmail,
        content_type_field="recipient_type",
        object_id_field="recipient_id",
        related_query_name="registration",
    )

    class Meta:
        verbose_name = _("registration")
        verbose_name_plural = _("registrations")
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
    def state_in_sentence(self) -> str:
        """The state for "This registration is %(state)s", in the active language."""
        return str(STATE_IN_SENTENCE.get(self.state, self.state))

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
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("body"), max_length=10000)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    recipient_count = models.PositiveIntegerField(_("recipient count"), default=0)

    class Meta:
        verbose_name = _("participant message")
        verbose_name_plural = _("participant messages")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.subject
