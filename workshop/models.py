"""The programme: events, their display zones, sections, sessions, people and their roles.

Times are stored as aware UTC datetimes; an event's own zone (`Event.timezone`) is the zone its
programme is written in, and `DisplayZone` rows are the columns the programme shows. Meeting
details live here but are never rendered by public pages, feeds or exports.
"""

import datetime as dt
import secrets
import uuid
import zoneinfo
from functools import cached_property

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from .addresses import canonical_or_typed, validate_address
from .reminders import DEFAULT_REMINDER_OFFSETS, validate_reminder_offsets
from .zones import validate_timezone_name

slug_validator = RegexValidator(
    r"^[a-z0-9]+(?:-[a-z0-9]+)*$",
    _("Use lowercase letters, digits and single hyphens (e.g. sino-soviet-2021)."),
)


def new_token() -> str:
    return secrets.token_urlsafe(24)


class Tag(models.Model):
    """A label from a fixed vocabulary (target group, subject area, event type)."""

    name = models.CharField(_("name"), max_length=200, unique=True)

    class Meta:
        abstract = True
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class TargetGroup(Tag):
    class Meta(Tag.Meta):
        verbose_name = _("target group")
        verbose_name_plural = _("target groups")


class SubjectArea(Tag):
    class Meta(Tag.Meta):
        verbose_name = _("subject area")
        verbose_name_plural = _("subject areas")


class EventType(Tag):
    class Meta(Tag.Meta):
        verbose_name = _("event type")
        verbose_name_plural = _("event types")


class Event(models.Model):
    class Kind(models.TextChoices):
        WORKSHOP = "workshop", _("Workshop")
        SEMINAR = "seminar", _("Seminar")
        CONFERENCE = "conference", _("Conference")
        LECTURE = "lecture", _("Lecture")

    slug = models.SlugField(_("slug"), max_length=100, unique=True, validators=[slug_validator])
    title = models.CharField(_("title"), max_length=300)
    subtitle = models.CharField(_("subtitle"), max_length=300, blank=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.WORKSHOP)
    description = models.TextField(_("description"), blank=True, help_text=_("Markdown."))
    timezone = models.CharField(
        _("time zone"),
        max_length=64,
        validators=[validate_timezone_name],
        help_text=_(
            "IANA name of the zone the programme is written in, e.g. Europe/Berlin. "
            "Session times in this admin are entered in this zone."
        ),
    )
    location = models.CharField(_("location"), max_length=200, blank=True)
    online = models.BooleanField(_("online"), default=True)
    free = models.BooleanField(_("free"), default=True)
    language = models.CharField(
        _("language"), max_length=8, default="en", help_text=_("ISO 639-1 code.")
    )
    organizer = models.CharField(
        _("organizer"), max_length=300, blank=True, help_text=_("Organizing institution.")
    )
    target_groups = models.ManyToManyField(
        TargetGroup, verbose_name=_("target groups"), blank=True, related_name="events"
    )
    subject_areas = models.ManyToManyField(
        SubjectArea, verbose_name=_("subject areas"), blank=True, related_name="events"
    )
    event_types = models.ManyToManyField(
        EventType, verbose_name=_("event types"), blank=True, related_name="events"
    )

    meeting_url = models.URLField(
        _("meeting URL"), max_length=500, blank=True, help_text=_("Never shown publicly.")
    )
    meeting_id = models.CharField(_("meeting ID"), max_length=100, blank=True)
    meeting_passcode = models.CharField(_("meeting passcode"), max_length=100, blank=True)

    registration_opens = models.DateTimeField(_("registration opens"), null=True, blank=True)
    registration_closes = models.DateTimeField(
        _("registration closes"),
        null=True,
        blank=True,
        help_text=_("Empty: registration closes when the first session starts."),
    )
    capacity = models.PositiveIntegerField(
        _("capacity"),
        null=True,
        blank=True,
        help_text=_("Empty: unlimited. Past it, registrations wait."),
    )
    requires_approval = models.BooleanField(_("requires approval"), default=True)
    reminder_offsets = models.CharField(
        _("reminders"),
        max_length=100,
        blank=True,
        default=DEFAULT_REMINDER_OFFSETS,
        validators=[validate_reminder_offsets],
        help_text=_(
            "How long before each day's first session approved participants and the "
            "people on the programme are reminded, e.g. “24h, 1h” (m, h, d). Empty: no reminders."
        ),
    )
    # Part of the cache key of the rendered programme (workshop.fragments): raised by
    # workshop.services.touch_programme on every write that can change what the programme
    # shows, never written by Event.save() itself (workshop.receivers).
    programme_version = models.PositiveIntegerField(default=0, editable=False)

    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["slug"]
        verbose_name = _("event")
        verbose_name_plural = _("events")
        constraints = [
            models.CheckConstraint(
                condition=Q(registration_opens__isnull=True)
                | Q(registration_closes__isnull=True)
                | Q(registration_closes__gt=F("registration_opens")),
                name="event_registration_closes_after_opens",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("workshop:event_detail", kwargs={"slug": self.slug})

    @cached_property
    def tzinfo(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.timezone)


class DisplayZone(models.Model):
    """One column of the programme: a label ("Norfolk, VA") and the zone it stands for."""

    event = models.ForeignKey(
        Event, on_delete=models.CASCADE, related_name="display_zones", verbose_name=_("event")
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    label = models.CharField(_("label"), max_length=60)
    zone = models.CharField(_("zone"), max_length=64, validators=[validate_timezone_name])

    class Meta:
        ordering = ["event", "position", "id"]
        verbose_name = _("display zone")
        verbose_name_plural = _("display zones")
        constraints = [
            models.UniqueConstraint(fields=["event", "label"], name="displayzone_unique_label"),
        ]

    def __str__(self) -> str:
        return f"{self.label} ({self.zone})"

    @cached_property
    def tzinfo(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.zone)


class Section(models.Model):
    """A panel heading; one section may continue over several days."""

    event = models.ForeignKey(
        Event, on_delete=models.CASCADE, related_name="sections", verbose_name=_("event")
    )
    title = models.CharField(_("title"), max_length=300)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["event", "position", "id"]
        verbose_name = _("section")
        verbose_name_plural = _("sections")
        constraints = [
            models.UniqueConstraint(fields=["event", "title"], name="section_unique_title"),
        ]

    def __str__(self) -> str:
        return self.title


class Person(models.Model):
    key = models.SlugField(
        _("key"),
        max_length=100,
        unique=True,
        validators=[slug_validator],
        help_text=_("Stable identifier used by programme files, e.g. tao-chen."),
    )
    name = models.CharField(_("name"), max_length=200)
    # Canonical form (workshop.addresses), as registrations store theirs.
    email = models.EmailField(
        _("email"),
        blank=True,
        validators=[validate_address],
        help_text=_("Never shown publicly."),
    )
    bio = models.TextField(_("bio"), blank=True, help_text=_("Markdown."))
    # The portal login: a person signs in by emailed link, never with a password.
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="person",
        verbose_name=_("user"),
        help_text=_("Created when the person is invited to the speaker portal."),
    )
    timezone = models.CharField(
        _("time zone"),
        max_length=64,
        blank=True,
        validators=[validate_timezone_name],
        help_text=_("Zone the person's portal and emails use; empty: UTC."),
    )
    language = models.CharField(
        _("language"),
        max_length=10,
        choices=settings.LANGUAGES,
        blank=True,
        help_text=_(
            "Language of the person's emails; empty: the language of the page they first "
            "sign in to the portal on (until then, English)."
        ),
    )
    # Secret part of the personal calendar feed URL (calendar apps cannot sign in).
    calendar_token = models.CharField(max_length=64, unique=True, default=new_token, editable=False)

    class Meta:
        ordering = ["name", "key"]
        verbose_name = _("person")
        verbose_name_plural = _("people")

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        if self.email:
            self.email = canonical_or_typed(self.email)
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("workshop:person_detail", kwargs={"key": self.key})


class EventPerson(models.Model):
    """A person as part of one event, with the affiliation recorded for that event.

    Affiliations change over a career; an old programme keeps the one it printed.
    """

    event = models.ForeignKey(
        Event, on_delete=models.CASCADE, related_name="event_people", verbose_name=_("event")
    )
    person = models.ForeignKey(
        Person, on_delete=models.CASCADE, related_name="event_links", verbose_name=_("person")
    )
    affiliation = models.CharField(_("affiliation"), max_length=300, blank=True)

    class Meta:
        ordering = ["event", "person__name"]
        verbose_name = _("person at event")
        verbose_name_plural = _("people at event")
        constraints = [
            models.UniqueConstraint(fields=["event", "person"], name="eventperson_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.person} ({self.affiliation})" if self.affiliation else str(self.person)


class EventContact(models.Model):
    event = models.ForeignKey(
        Event, on_delete=models.CASCADE, related_name="contacts", verbose_name=_("event")
    )
    person = models.ForeignKey(
        Person, on_delete=models.CASCADE, related_name="contact_for", verbose_name=_("person")
    )
    role = models.CharField(_("role"), max_length=200)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["event", "position", "id"]
        verbose_name = _("event contact")
        verbose_name_plural = _("event contacts")
        constraints = [
            models.UniqueConstraint(
                fields=["event", "person", "role"], name="eventcontact_unique_role"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.role}: {self.person}"


class Session(models.Model):
    class Kind(models.TextChoices):
        TALK = "talk", _("Talk")
        KEYNOTE = "keynote", _("Keynote")
        DISCUSSION = "discussion", _("Discussion")
        BREAK = "break", _("Break")
        OPENING = "opening", _("Opening")
        CLOSING = "closing", _("Closing")

    event = models.ForeignKey(
        Event, on_delete=models.CASCADE, related_name="sessions", verbose_name=_("event")
    )
    section = models.ForeignKey(
        Section,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="sessions",
        verbose_name=_("section"),
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.TALK)
    title = models.CharField(_("title"), max_length=500, blank=True)
    abstract = models.TextField(_("abstract"), blank=True, help_text=_("Markdown."))
    start = models.DateTimeField(_("start"))
    end = models.DateTimeField(_("end"))
    # Calendar identity (RFC 5545): the UID never changes; SEQUENCE rises with every change
    # of time or meeting link so calendar apps replace the old entry instead of adding one.
    uid = models.UUIDField(_("UID"), default=uuid.uuid4, unique=True, editable=False)
    sequence = models.PositiveIntegerField(_("sequence"), default=0, editable=False)

    meeting_url = models.URLField(
        _("meeting URL override"),
        max_length=500,
        blank=True,
        help_text=_("Only if this session uses another meeting than the event. Never public."),
    )
    meeting_id = models.CharField(_("meeting ID override"), max_length=100, blank=True)
    meeting_passcode = models.CharField(_("meeting passcode override"), max_length=100, blank=True)

    people = models.ManyToManyField(
        Person, through="SessionRole", related_name="sessions", verbose_name=_("people")
    )

    class Meta:
        ordering = ["start", "id"]
        verbose_name = _("session")
        verbose_name_plural = _("sessions")
        indexes = [models.Index(fields=["event", "start"])]
        constraints = [
            models.CheckConstraint(condition=Q(end__gt=F("start")), name="session_end_after_start"),
            models.CheckConstraint(
                condition=~Q(title="") | Q(kind="break"), name="session_title_unless_break"
            ),
        ]

    def __str__(self) -> str:
        return self.title or self.get_kind_display()

    def get_absolute_url(self) -> str:
        return reverse("workshop:session_detail", kwargs={"slug": self.event.slug, "pk": self.pk})

    @property
    def display_title(self) -> str:
        return self.title or self.get_kind_display()

    @property
    def is_break(self) -> bool:
        return self.kind == self.Kind.BREAK

    @property
    def event_date(self) -> dt.date:
        """The session's date in its event's own zone: the day the programme lists it under,
        and the date a display zone's "+1 day" is counted from."""
        return self.start.astimezone(self.event.tzinfo).date()

    @property
    def calendar_uid(self) -> str:
        # Not derived from the site's domain: moving the site must not duplicate entries
        # in the calendars that already hold this session.
        return f"{self.uid}@academic-events"

    def clean(self) -> None:
        super().clean()
        if self.start and self.end and self.end <= self.start:
            raise ValidationError({"end": _("A session must end after it starts.")})
        if not self.title and self.kind != self.Kind.BREAK:
            raise ValidationError({"title": _("Only a break may have no title.")})


class SessionRole(models.Model):
    class Role(models.TextChoices):
        # As labels before names on the programme ("Speaker: Tao Chen").
        SPEAKER = "speaker", pgettext_lazy("session role", "Speaker")
        CHAIR = "chair", pgettext_lazy("session role", "Chair")
        COMMENTATOR = "commentator", pgettext_lazy("session role", "Commentator")

    session = models.ForeignKey(
        Session, on_delete=models.CASCADE, related_name="roles", verbose_name=_("session")
    )
    person = models.ForeignKey(
        Person, on_delete=models.CASCADE, related_name="roles", verbose_name=_("person")
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["session", "role", "position", "id"]
        verbose_name = _("session role")
        verbose_name_plural = _("session roles")
        constraints = [
            models.UniqueConstraint(
                fields=["session", "person", "role"], name="sessionrole_unique_person_role"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_role_display()}: {self.person}"
