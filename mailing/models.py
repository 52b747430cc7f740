"""The outbox: one row per email the system sends — what, to whom, how far it got.

The ledger knows nothing of what an email is about. A row names its kind (a feature app
registered a builder for it, see `mailing.registry`), its address, and the object it concerns
(`recipient`: a registration, a person, … as a generic relation), plus whatever ids the builder
needs in `context`. The message itself is built at send time from that, so a retried email
carries the data as they are then.
"""

import uuid

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from . import registry

# A row's state as its name (``__str__``) says it: in English the stored code itself (admin
# history has always shown these), translated like any other text.
_STATE_IN_NAME = {
    "queued": pgettext_lazy("state of an email, in its name", "queued"),
    "sending": pgettext_lazy("state of an email, in its name", "sending"),
    "sent": pgettext_lazy("state of an email, in its name", "sent"),
    "failed": pgettext_lazy("state of an email, in its name", "failed"),
    "skipped": pgettext_lazy("state of an email, in its name", "skipped"),
}


class OutgoingEmail(models.Model):
    class State(models.TextChoices):
        QUEUED = "queued", _("Queued")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")
        # Not sent on purpose, with the reason in last_error: nothing was left to say by the
        # time it was due (a participant cancelled before their reminder), or it was due while
        # the system was down and would now come too late.
        SKIPPED = "skipped", _("Not sent")

    uuid = models.UUIDField(_("UUID"), default=uuid.uuid4, unique=True, editable=False)
    # No choices here: the kinds are the feature apps' (registry.kinds()), not the outbox's.
    kind = models.CharField(_("kind"), max_length=30)
    to_address = models.EmailField(_("to address"), max_length=254)
    recipient_type = models.ForeignKey(
        ContentType,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recipient type"),
    )
    recipient_id = models.PositiveBigIntegerField(_("recipient ID"), null=True, blank=True)
    recipient = GenericForeignKey("recipient_type", "recipient_id")
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.QUEUED)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    claimed_at = models.DateTimeField(_("claimed at"), null=True, blank=True)
    next_attempt_at = models.DateTimeField(_("next attempt at"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    # What went out, kept for the organizers' record until the retention period ends.
    subject = models.CharField(_("subject"), max_length=300, blank=True)
    body_text = models.TextField(_("body text"), blank=True)
    context = models.JSONField(_("context"), default=dict, blank=True)
    # The recipient's language when the row was written (their ``language`` field): the
    # builder renders the email in it, whatever language the person who caused it uses.
    language = models.CharField(max_length=10, blank=True)
    # Emails that must exist at most once (a reminder per person, day and offset): a second
    # INSERT with the same key is refused by the database, however many schedulers race.
    dedup_key = models.CharField(
        _("deduplication key"), max_length=200, unique=True, null=True, blank=True, editable=False
    )
    # What the row's builder is waiting for before it can be sent (a personal join link);
    # empty when it is not waiting (`message.WaitForData`).
    waiting_for = models.CharField(_("waiting for"), max_length=200, blank=True)
    # Set when the person's data were erased (right to erasure or retention): from then on
    # nothing personal is written into the row again, not even by a send already on its way.
    erased_at = models.DateTimeField(_("erased at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("email")
        verbose_name_plural = _("emails")
        indexes = [
            models.Index(fields=["state", "next_attempt_at"], name="mailing_state_due_idx"),
            models.Index(fields=["recipient_type", "recipient_id"], name="mailing_recipient_idx"),
        ]

    def __str__(self) -> str:
        # No address: this is also what admin history (LogEntry.object_repr) keeps.
        number = f" #{self.pk}" if self.pk else ""
        state = _STATE_IN_NAME.get(self.state, self.state)
        return f"{self.kind_label}{number} ({state})"

    @property
    def kind_label(self) -> str:
        return registry.label(self.kind)

    @property
    def message_id(self) -> str:
        # Derived from the row, so a resend after a crash folds into the same message.
        return f"<{self.uuid}@{settings.SITE_DOMAIN}>"


def language_of(recipient: models.Model | None) -> str:
    """The language a recipient reads: their ``language`` field (registrations and people
    have one); empty for anyone else, who gets the site's default."""
    return str(getattr(recipient, "language", "") or "")


def supported_language(code: str | None) -> str:
    """One of ``settings.LANGUAGES`` for a page's or a browser's language (``de-AT`` →
    ``de``); empty when none fits."""
    try:
        return translation.get_supported_language_variant((code or "").lower())
    except LookupError:
        return ""
