"""Zoom meetings made from the programme, and the people registered with them.

Both tables record what we want Zoom to hold and how far Zoom got, so every call can be
retried from the row alone: the worker compares the two and makes one call to close the gap
(`zoom.sync`). Nothing here is ever shown on a public page.
"""

from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from workshop.models import Event, Session


class ZoomWork(models.Model):
    """What the worker records about its calls for a row (`zoom.sync`): how often it tried,
    what Zoom last said, whose claim it is under, and when it is due again."""

    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True, editable=False)
    next_attempt_at = models.DateTimeField(_("next attempt at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        abstract = True


class ZoomMeeting(ZoomWork):
    """The Zoom meeting of an event (``session`` empty: every session without a meeting of
    its own), or of one session that has its own."""

    class State(models.TextChoices):
        CREATING = "creating", _("Being created")
        READY = "ready", _("Ready")
        DELETING = "deleting", _("Being deleted")
        DELETED = "deleted", _("Deleted")
        FAILED = "failed", _("Failed")

    event = models.ForeignKey(
        Event, on_delete=models.CASCADE, related_name="zoom_meetings", verbose_name=_("event")
    )
    session = models.ForeignKey(
        Session,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="zoom_meetings",
        verbose_name=_("session"),
    )
    state = models.CharField(
        _("state"), max_length=10, choices=State.choices, default=State.CREATING
    )
    zoom_id = models.BigIntegerField(_("Zoom meeting ID"), null=True, blank=True)
    join_url = models.URLField(_("join URL"), max_length=1000, blank=True)
    passcode = models.CharField(_("passcode"), max_length=100, blank=True)
    # What Zoom said about the occurrences of a recurring meeting (one per programme day).
    occurrences = models.JSONField(_("occurrences"), default=list, blank=True)
    # The programme_version the meeting in Zoom was last made to match; behind the event's,
    # the worker sends Zoom the new times.
    synced_version = models.PositiveIntegerField(_("synced with programme version"), default=0)

    class Meta:
        verbose_name = _("Zoom meeting")
        verbose_name_plural = _("Zoom meetings")
        ordering = ["-created_at"]
        constraints = [
            # One live meeting per event, and per session with a meeting of its own.
            models.UniqueConstraint(
                fields=["event"],
                condition=Q(session__isnull=True) & ~Q(state="deleted"),
                name="zoom_one_meeting_per_event",
            ),
            models.UniqueConstraint(
                fields=["session"],
                condition=Q(session__isnull=False) & ~Q(state="deleted"),
                name="zoom_one_meeting_per_session",
            ),
        ]

    def __str__(self) -> str:
        where = self.session.display_title if self.session_id else self.event.title
        return f"{where} ({self.get_state_display()})"

    @property
    def display_id(self) -> str:
        """The meeting ID as Zoom prints it: 123 4567 8901."""
        if not self.zoom_id:
            return ""
        digits = str(self.zoom_id)
        if len(digits) == 11:
            return f"{digits[:3]} {digits[3:7]} {digits[7:]}"
        if len(digits) == 10:
            return f"{digits[:3]} {digits[3:6]} {digits[6:]}"
        return digits


class ZoomRegistrant(ZoomWork):
    """One person (a registration, or a speaker, chair or commentator) registered with one
    Zoom meeting, so they join with a link of their own that can be taken back.

    ``wanted`` is what should be (may this person join?), ``state`` what Zoom holds; the
    worker closes the gap. A row that was wanted once is kept after cancellation, so a
    retry never adds the person again unless they are wanted again."""

    class State(models.TextChoices):
        PENDING = "pending", _("Waiting for Zoom")
        ADDED = "added", _("Registered with Zoom")
        CANCELLED = "cancelled", _("Cancelled in Zoom")
        FAILED = "failed", _("Failed")

    meeting = models.ForeignKey(
        ZoomMeeting,
        on_delete=models.CASCADE,
        related_name="registrants",
        verbose_name=_("Zoom meeting"),
    )
    holder_type = models.ForeignKey(
        ContentType, on_delete=models.PROTECT, related_name="+", verbose_name=_("holder type")
    )
    holder_id = models.PositiveBigIntegerField(_("holder ID"))
    holder = GenericForeignKey("holder_type", "holder_id")
    email = models.EmailField(_("email"), max_length=254, blank=True)
    first_name = models.CharField(_("first name"), max_length=200, blank=True)
    last_name = models.CharField(_("last name"), max_length=200, blank=True)
    wanted = models.BooleanField(_("may join"), default=True)
    state = models.CharField(
        _("state"), max_length=10, choices=State.choices, default=State.PENDING
    )
    zoom_registrant_id = models.CharField(_("Zoom registrant ID"), max_length=100, blank=True)
    join_url = models.URLField(_("personal join URL"), max_length=1000, blank=True)
    # Once cancelled in Zoom, forget the address and the link (the holder was erased).
    erase_when_cancelled = models.BooleanField(default=False, editable=False)

    class Meta:
        verbose_name = _("Zoom registrant")
        verbose_name_plural = _("Zoom registrants")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["meeting", "holder_type", "holder_id"], name="zoom_registrant_once"
            ),
        ]
        indexes = [
            models.Index(fields=["holder_type", "holder_id"], name="zoom_registrant_holder_idx"),
            models.Index(fields=["state", "wanted"], name="zoom_registrant_todo_idx"),
        ]

    def __str__(self) -> str:
        # No address: this is also what admin history keeps.
        return f"Zoom registrant #{self.pk} ({self.get_state_display()})"
