"""Forms, fields and formsets of the programme admin, and the helpers that name time zones.

Every datetime on these forms is read and shown in the current time zone, which the admin
sets to the event's own zone (see `ZonedChangeFormMixin` in `admin.py`); the helpers here only
describe that zone to the organizer and check what they entered.
"""

import datetime as dt
import zoneinfo
from functools import cache

from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.forms.models import BaseInlineFormSet
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .models import DisplayZone, Event, Section, Session
from .zones import zone_choices

# ---------------------------------------------------------------------------------------------
# Naming zones


@cache
def admin_zone_choices() -> list[tuple[str, str]]:
    return [("", "---------"), *zone_choices()]


def format_offset(offset: dt.timedelta | None) -> str:
    """``UTC+02:00``, ``UTC+05:45``, ``UTC−03:30``."""
    minutes = int((offset or dt.timedelta(0)).total_seconds() // 60)
    sign = "+" if minutes >= 0 else "−"
    hours, minutes = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours:02d}:{minutes:02d}"


def zone_abbreviation(local: dt.datetime) -> str:
    """``CEST`` where the zone has a lettered abbreviation, else its offset (``UTC+05:45``)."""
    name = local.tzname() or ""
    if name and name[0].isalpha() and name != "UTC":
        return name
    return format_offset(local.utcoffset())


def describe_zone(zone: str, *, at: dt.datetime | None = None) -> str:
    """``Europe/Berlin (CEST, UTC+02:00)``; the abbreviation and offset are those at `at`."""
    if zone == "UTC":
        return "UTC"
    local = (at or timezone.now()).astimezone(zoneinfo.ZoneInfo(zone))
    abbreviation = zone_abbreviation(local)
    offset = format_offset(local.utcoffset())
    if abbreviation == offset:
        return f"{zone} ({offset})"
    return f"{zone} ({abbreviation}, {offset})"


def observes_dst(zone: str, year: int) -> bool:
    tz = zoneinfo.ZoneInfo(zone)
    january = dt.datetime(year, 1, 1, 12, tzinfo=tz).utcoffset()
    july = dt.datetime(year, 7, 1, 12, tzinfo=tz).utcoffset()
    return january != july


def zone_note(zone: str, *, at: dt.datetime | None = None) -> str:
    """The sentence at the top of a change form that says in which zone its times are."""
    at = at or timezone.now()
    text = gettext("Times on this page are in %(zone)s, the event’s time zone.") % {
        "zone": describe_zone(zone, at=at)
    }
    if zone != "UTC" and observes_dst(zone, at.year):
        text += " " + gettext(
            "Daylight saving time applies: each time is read with the offset of its date."
        )
    return text


def format_in_zone(instant: dt.datetime | None, zone: str) -> str:
    """An instant as a changelist shows it: ``2021-07-01 12:00 CEST (Europe/Berlin)``."""
    if instant is None:
        return ""
    local = instant.astimezone(zoneinfo.ZoneInfo(zone))
    if zone == "UTC":
        return f"{local:%Y-%m-%d %H:%M} UTC"
    return f"{local:%Y-%m-%d %H:%M} {zone_abbreviation(local)} ({zone})"


def format_span(start: dt.datetime, end: dt.datetime) -> str:
    """A session's time in the current (the event's) zone: ``2021-07-01 12:00–12:30``."""
    start, end = timezone.localtime(start), timezone.localtime(end)
    if start.date() == end.date():
        return f"{start:%Y-%m-%d %H:%M}–{end:%H:%M}"
    return f"{start:%Y-%m-%d %H:%M}–{end:%Y-%m-%d %H:%M}"


def overlap_message(first: tuple[str, dt.datetime, dt.datetime], second) -> str:
    (title_a, start_a, end_a), (title_b, start_b, end_b) = first, second
    return gettext(
        "“%(title_a)s” (%(span_a)s) overlaps “%(title_b)s” (%(span_b)s). "
        "Sessions of one event may not overlap."
    ) % {
        "title_a": title_a,
        "span_a": format_span(start_a, end_a),
        "title_b": title_b,
        "span_b": format_span(start_b, end_b),
    }


# ---------------------------------------------------------------------------------------------
# Events


def _formfield(db_field, **kwargs):
    """Meeting links are https unless the organizer writes otherwise."""
    if isinstance(db_field, models.URLField):
        kwargs.setdefault("assume_scheme", "https")
    return db_field.formfield(**kwargs)


class EventAdminForm(forms.ModelForm):
    class Meta:
        model = Event
        fields = [
            *("title", "subtitle", "slug", "kind", "timezone", "description"),
            *("organizer", "location", "online", "free", "language"),
            *("target_groups", "subject_areas", "event_types"),
            *("registration_opens", "registration_closes", "capacity", "requires_approval"),
            *("meeting_url", "meeting_id", "meeting_passcode"),
        ]
        formfield_callback = _formfield

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "timezone" in self.fields:
            self.fields["timezone"].widget = forms.Select(choices=admin_zone_choices())
            self.fields["timezone"].help_text = gettext(
                "The zone the programme is written in. Every time on this page (sessions, "
                "registration) is entered in it. Changing it keeps the clock times on this "
                "page, so the sessions move to the same clock times in the new zone."
            )


class DisplayZoneForm(forms.ModelForm):
    class Meta:
        model = DisplayZone
        fields = ["position", "label", "zone"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["zone"].widget = forms.Select(choices=admin_zone_choices())


# ---------------------------------------------------------------------------------------------
# Sessions


class EventSectionChoiceField(forms.ModelChoiceField):
    """A session's section, from its event's sections only.

    In the event's session inline the sections are loaded once for the whole formset
    (`limit_to`), not once per row: rendering and validating fifty rows costs no queries.
    """

    default_error_messages = {
        "invalid_choice": _(
            "Choose one of this event’s sections. A section added on this page "
            "can be chosen once the event has been saved."
        ),
    }

    def limit_to(self, sections: list[Section]) -> None:
        self._sections_by_pk = {str(section.pk): section for section in sections}
        self.choices = [("", self.empty_label), *((s.pk, str(s)) for s in sections)]

    def to_python(self, value):
        sections = getattr(self, "_sections_by_pk", None)
        if sections is None:
            return super().to_python(value)
        if value in self.empty_values:
            return None
        key = str(value.pk if isinstance(value, Section) else value)
        if key not in sections:
            raise ValidationError(
                self.error_messages["invalid_choice"],
                code="invalid_choice",
                params={"value": value},
            )
        return sections[key]


def _session_label(cleaned_data: dict) -> str:
    title = cleaned_data.get("title")
    if title:
        return title
    kind = cleaned_data.get("kind")
    if kind in Session.Kind.values:
        return str(Session.Kind(kind).label)
    return gettext("Untitled session")


class SessionInlineFormSet(BaseInlineFormSet):
    """The sessions of one event: sections of that event only, and no two sessions overlap."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self._sections = list(Section.objects.filter(event=self.instance))
        else:
            self._sections = []

    def add_fields(self, form, index):
        super().add_fields(form, index)
        field = form.fields.get("section")
        if isinstance(field, EventSectionChoiceField):
            field.limit_to(self._sections)

    def clean(self):
        super().clean()
        spans = []
        for form in self.forms:
            data = getattr(form, "cleaned_data", None)
            if not data or (self.can_delete and self._should_delete_form(form)):
                continue
            start, end = data.get("start"), data.get("end")
            if start is None or end is None or end <= start:
                continue  # the form itself reports these
            spans.append((_session_label(data), start, end))
        spans.sort(key=lambda span: (span[1], span[2]))
        errors = []
        latest = None  # the span reaching furthest so far
        for span in spans:
            if latest is not None and span[1] < latest[2]:
                errors.append(overlap_message(latest, span))
            if latest is None or span[2] > latest[2]:
                latest = span
        if errors:
            raise ValidationError(errors, code="overlap")


class SessionAdminForm(forms.ModelForm):
    """One session: its section from its event's sections, and no overlap with the others."""

    class Meta:
        model = Session
        fields = [
            *("event", "section", "kind", "title", "abstract", "start", "end"),
            *("meeting_url", "meeting_id", "meeting_passcode"),
        ]
        formfield_callback = _formfield

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields.get("section")
        if field is not None:
            event_id = self._event_id()
            field.queryset = (
                Section.objects.filter(event_id=event_id)
                if event_id is not None
                else Section.objects.none()
            )
            field.error_messages = {
                **field.error_messages,
                "invalid_choice": gettext("Choose one of the sections of this session’s event."),
            }
            if event_id is None:
                field.help_text = gettext(
                    "Choose the event and save; then its sections can be chosen."
                )

    def _event_id(self) -> int | None:
        if self.is_bound:
            raw = self.data.get(self.add_prefix("event"))
        else:
            raw = self.initial.get("event") or self.instance.event_id
        raw = getattr(raw, "pk", raw)
        try:
            return int(raw)
        except (TypeError, ValueError):
            return None

    def clean(self):
        cleaned = super().clean()
        event, start, end = cleaned.get("event"), cleaned.get("start"), cleaned.get("end")
        if event is not None and start is not None and end is not None and end > start:
            clash = (
                Session.objects.filter(event=event, start__lt=end, end__gt=start)
                .exclude(pk=self.instance.pk)
                .order_by("start", "id")
                .first()
            )
            if clash is not None:
                raise ValidationError(
                    overlap_message(
                        (_session_label(cleaned), start, end),
                        (clash.display_title, clash.start, clash.end),
                    ),
                    code="overlap",
                )
        return cleaned
