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

from .addresses import canonical_or_typed, validate_address
from .reminders import DEFAULT_REMINDER_OFFSETS, validate_reminder_offsets
from .zones import validate_timezone_name

slug_validator = RegexValidator(
    r"^[a-z0-9]+(?:-[a-z0-9]+)*$",
    "Use lowercase letters, digits and single hyphens (e.g. sino-soviet-2021).",
)


def new_token() -> str:
    return secrets.token_urlsafe(24)


class Tag(models.Model):
    """A label from a fixed vocabulary (target group, subject area, event type)."""

    name = models.CharField(max_length=200, unique=True)

    class Meta:
        abstract = True
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class TargetGroup(Tag):
    pass


class SubjectArea(Tag):
    pass


class EventType(Tag):
    pass


class Event(models.Model):
    class Kind(models.TextChoices):
        WORKSHOP = "workshop", "Workshop"
        SEMINAR = "seminar", "Seminar"
        CONFERENCE = "conference", "Conference"
        LECTURE = "lecture", "Lecture"

    slug = models.SlugField(max_length=100, unique=True, validators=[slug_validator])
    title = models.CharField(max_length=300)
    subtitle = models.CharField(max_length=300, blank=True)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.WORKSHOP)
    description = models.TextField(blank=True, help_text="Markdown.")
    timezone = models.CharField(
        "time zone",
        max_length=64,
        validators=[validate_timezone_name],
        help_text="IANA name of the zone the programme is written in, e.g. Europe/Berlin. "
        "Session times in this admin are entered in this zone.",
    )
    location = models.CharField(max_length=200, blank=True)
    online = models.BooleanField(default=True)
    free = models.BooleanField(default=True)
    language = models.CharField(max_length=8, default="en", help_text="ISO 639-1 code.")
    organizer = models.CharField(max_length=300, blank=True, help_text="Organizing institution.")
    target_groups = models.ManyToManyField(TargetGroup, blank=True, related_name="events")
    subject_areas = models.ManyToManyField(SubjectArea, blank=True, related_name="events")
    event_types = models.ManyToManyField(EventType, blank=True, related_name="events")

    meeting_url = models.URLField(
        "meeting URL", max_length=500, blank=True, help_text="Never shown publicly."
    )
    meeting_id = models.CharField("meeting ID", max_length=100, blank=True)
    meeting_passcode = models.CharField(max_length=100, blank=True)

    registration_opens = models.DateTimeField(null=True, blank=True)
    registration_closes = models.DateTimeField(
        null=True, blank=True, help_text="Empty: registration closes when the first session starts."
    )
    capacity = models.PositiveIntegerField(
        null=True, blank=True, help_text="Empty: unlimited. Past it, registrations wait."
    )
    requires_approval = models.BooleanField(default=True)
    reminder_offsets = models.CharField(
        "reminders",
        max_length=100,
        blank=True,
        default=DEFAULT_REMINDER_OFFSETS,
        validators=[validate_reminder_offsets],
        help_text="How long before each day's first session approved participants and the "
        "people on the programme are reminded, e.g. “24h, 1h” (m, h, d). Empty: no reminders.",
    )
    # Part of the cache key of the rendered programme (workshop.fragments): raised by
    # workshop.services.touch_programme on every write that can change what the programme
    # shows, never written by Event.save() itself (workshop.receivers).
    programme_version = models.PositiveIntegerField(default=0, editable=False)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["slug"]
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

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="display_zones")
    position = models.PositiveSmallIntegerField(default=0)
    label = models.CharField(max_length=60)
    zone = models.CharField(max_length=64, validators=[validate_timezone_name])

    class Meta:
        ordering = ["event", "position", "id"]
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

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="sections")
    title = models.CharField(max_length=300)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["event", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["event", "title"], name="section_unique_title"),
        ]

    def __str__(self) -> str:
        return self.title


class Person(models.Model):
    key = models.SlugField(
        max_length=100,
        unique=True,
        validators=[slug_validator],
        help_text="Stable identifier used by programme files, e.g. tao-chen.",
    )
    name = models.CharField(max_length=200)
    # Canonical form (workshop.addresses), as registrations store theirs.
    email = models.EmailField(
        blank=True, validators=[validate_address], help_text="Never shown publicly."
    )
    bio = models.TextField(blank=True, help_text="Markdown.")
    # The portal login: a person signs in by emailed link, never with a password.
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="person",
        help_text="Created when the person is invited to the speaker portal.",
    )
    timezone = models.CharField(
        "time zone",
        max_length=64,
        blank=True,
        validators=[validate_timezone_name],
        help_text="Zone the person's portal and emails use; empty: UTC.",
    )
    # Secret part of the personal calendar feed URL (calendar apps cannot sign in).
    calendar_token = models.CharField(max_length=64, unique=True, default=new_token, editable=False)

    class Meta:
        ordering = ["name", "key"]
        verbose_name_plural = "people"

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

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="event_people")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="event_links")
    affiliation = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["event", "person__name"]
        verbose_name = "person at event"
        verbose_name_plural = "people at event"
        constraints = [
            models.UniqueConstraint(fields=["event", "person"], name="eventperson_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.person} ({self.affiliation})" if self.affiliation else str(self.person)


class EventContact(models.Model):
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="contacts")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="contact_for")
    role = models.CharField(max_length=200)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["event", "position", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["event", "person", "role"], name="eventcontact_unique_role"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.role}: {self.person}"


class Session(models.Model):
    class Kind(models.TextChoices):
        TALK = "talk", "Talk"
        KEYNOTE = "keynote", "Keynote"
        DISCUSSION = "discussion", "Discussion"
        BREAK = "break", "Break"
        OPENING = "opening", "Opening"
        CLOSING = "closing", "Closing"

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="sessions")
    section = models.ForeignKey(
        Section, on_delete=models.SET_NULL, null=True, blank=True, related_name="sessions"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.TALK)
    title = models.CharField(max_length=500, blank=True)
    abstract = models.TextField(blank=True, help_text="Markdown.")
    start = models.DateTimeField()
    end = models.DateTimeField()
    # Calendar identity (RFC 5545): the UID never changes; SEQUENCE rises with every change
    # of time or meeting link so calendar apps replace the old entry instead of adding one.
    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    sequence = models.PositiveIntegerField(default=0, editable=False)

    meeting_url = models.URLField(
        "meeting URL override",
        max_length=500,
        blank=True,
        help_text="Only if this session uses another meeting than the event. Never public.",
    )
    meeting_id = models.CharField("meeting ID override", max_length=100, blank=True)
    meeting_passcode = models.CharField("meeting passcode override", max_length=100, blank=True)

    people = models.ManyToManyField(Person, through="SessionRole", related_name="sessions")

    class Meta:
        ordering = ["start", "id"]
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
            raise ValidationError({"end": "A session must end after it starts."})
        if not self.title and self.kind != self.Kind.BREAK:
            raise ValidationError({"title": "Only a break may have no title."})


class SessionRole(models.Model):
    class Role(models.TextChoices):
        SPEAKER = "speaker", "Speaker"
        CHAIR = "chair", "Chair"
        COMMENTATOR = "commentator", "Commentator"

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="roles")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="roles")
    role = models.CharField(max_length=20, choices=Role.choices)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["session", "role", "position", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["session", "person", "role"], name="sessionrole_unique_person_role"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_role_display()}: {self.person}"
