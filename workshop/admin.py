"""Admin of the programme: events with their zones, sections, people and sessions.

Times are entered and shown in the event's own zone, never the server's (UTC): the event and
session change forms run, rendering included, with that zone activated and say at the top which
zone it is; changelists show each time in its event's zone with the zone named.
"""

import datetime as dt
import logging

from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Count, Min
from django.template.response import SimpleTemplateResponse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .admin_forms import (
    DisplayZoneForm,
    EventAdminForm,
    EventSectionChoiceField,
    SessionAdminForm,
    SessionInlineFormSet,
    format_in_zone,
    zone_note,
)
from .models import (
    DisplayZone,
    Event,
    EventContact,
    EventPerson,
    EventType,
    Person,
    Section,
    Session,
    SessionRole,
    SubjectArea,
    TargetGroup,
)
from .services import (
    MEETING_FIELDS,
    announce_session_change,
    note_event_meeting_change,
    note_session_change,
)
from .zones import is_valid_zone

logger = logging.getLogger(__name__)


def _get_or_none(queryset: models.QuerySet, pk):
    try:
        return queryset.filter(pk=pk).first()
    except (ValueError, TypeError, ValidationError):
        return None


class ZonedTimesMixin:
    """Runs the change form in the event's time zone and names that zone on the page.

    Django reads and shows datetimes in the *current* zone, both when a form is cleaned and
    when its template is rendered; a TemplateResponse renders after the view returns, so the
    response is rendered here, still inside `timezone.override`.
    """

    change_form_template = "admin/workshop/zoned_change_form.html"
    unknown_zone_note = ""

    def get_event_zone(self, request, object_id) -> tuple[str | None, dt.datetime | None]:
        """The zone of the form's times and an instant to name its offset at."""
        raise NotImplementedError

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        zone, at = self.get_event_zone(request, object_id)
        request.workshop_admin_zone = zone
        note = zone_note(zone, at=at) if zone else self.unknown_zone_note
        extra_context = {**(extra_context or {}), "zone_note": note}
        with timezone.override(zone or "UTC"):
            response = super().changeform_view(request, object_id, form_url, extra_context)
            if isinstance(response, SimpleTemplateResponse) and not response.is_rendered:
                response.render()
        return response


class ZoneHelpTextMixin:
    """Says on every datetime field which zone it is entered in (in its label too, where
    `zone_in_label`: a tabular inline shows help texts only as a tooltip)."""

    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    zone_in_label = False

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if field is not None and isinstance(db_field, models.DateTimeField):
            zone = getattr(request, "workshop_admin_zone", None)
            if zone:
                where = gettext("In %(zone)s.") % {"zone": zone}
            else:
                where = gettext("In the event’s time zone.")
            field.help_text = f"{where} {field.help_text}".strip()
            if zone and self.zone_in_label:
                field.label = f"{field.label} ({zone})"
        return field


# ---------------------------------------------------------------------------------------------
# Events


class DisplayZoneInline(admin.TabularInline):
    model = DisplayZone
    form = DisplayZoneForm
    fields = ["position", "label", "zone"]
    ordering = ["position", "id"]
    extra = 0
    verbose_name = _("display zone")
    verbose_name_plural = _("Display zones (columns of the programme; none: the event’s own zone)")


class SectionInline(admin.TabularInline):
    model = Section
    fields = ["title", "position"]
    ordering = ["position", "id"]
    extra = 0
    verbose_name = _("section")
    verbose_name_plural = _("Sections (panel headings)")


class EventContactInline(admin.TabularInline):
    model = EventContact
    fields = ["person", "role", "position"]
    autocomplete_fields = ["person"]
    ordering = ["position", "id"]
    extra = 0
    verbose_name = _("contact")
    verbose_name_plural = _("Contacts")


class EventPersonInline(admin.TabularInline):
    model = EventPerson
    fields = ["person", "affiliation"]
    autocomplete_fields = ["person"]
    extra = 0
    verbose_name = _("person at this event")
    verbose_name_plural = _("People at this event (with the affiliation printed for this event)")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("person").order_by("person__name")


class SessionInline(ZoneHelpTextMixin, admin.TabularInline):
    model = Session
    formset = SessionInlineFormSet
    fields = ["kind", "title", "section", "start", "end"]
    ordering = ["start", "id"]
    extra = 0
    show_change_link = True
    zone_in_label = True
    verbose_name = _("session")
    verbose_name_plural = _("Sessions (open one for its people, abstract and meeting override)")

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "section":
            # Choices are the event's sections, loaded once by SessionInlineFormSet.
            kwargs["form_class"] = EventSectionChoiceField
            kwargs["queryset"] = Section.objects.none()
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(Event)
class EventAdmin(ZonedTimesMixin, ZoneHelpTextMixin, admin.ModelAdmin):
    form = EventAdminForm
    list_display = ["title", "slug", "kind", "first_session_start", "session_count"]
    list_filter = ["kind", "online", "free", "language"]
    search_fields = ["title", "subtitle", "slug", "organizer"]
    prepopulated_fields = {"slug": ["title"]}
    filter_horizontal = ["target_groups", "subject_areas", "event_types"]
    unknown_zone_note = _(
        "Times on this page are read in the event’s time zone: choose it in “Time zone” below."
    )
    fieldsets = [
        (_("Event"), {"fields": ["title", "subtitle", "slug", "kind", "timezone", "description"]}),
        (
            _("Announcement facts"),
            {
                "fields": [
                    "organizer",
                    "location",
                    ("online", "free"),
                    "language",
                    "target_groups",
                    "subject_areas",
                    "event_types",
                ]
            },
        ),
        (
            _("Registration"),
            {
                "fields": [
                    "registration_opens",
                    "registration_closes",
                    "capacity",
                    "requires_approval",
                    "reminder_offsets",
                ]
            },
        ),
        (
            _("Meeting"),
            {
                "classes": ["collapse"],
                "description": _(
                    "Never shown publicly: only approved registrants receive these "
                    "details, by email."
                ),
                "fields": ["meeting_url", "meeting_id", "meeting_passcode"],
            },
        ),
    ]
    inlines = [
        DisplayZoneInline,
        SectionInline,
        EventContactInline,
        EventPersonInline,
        SessionInline,
    ]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(first_start=Min("sessions__start"), session_count=Count("sessions"))
            .order_by("slug")  # GROUP BY drops Meta.ordering
        )

    @admin.display(description=_("first session"), ordering="first_start")
    def first_session_start(self, event: Event) -> str | None:
        return format_in_zone(event.first_start, event.timezone) or None

    @admin.display(description=_("sessions"), ordering="session_count")
    def session_count(self, event: Event) -> int:
        return event.session_count

    def get_event_zone(self, request, object_id):
        event = None
        if object_id is not None:
            event = _get_or_none(
                Event.objects.annotate(first_start=Min("sessions__start")), unquote(object_id)
            )
        posted = request.POST.get("timezone") if request.method == "POST" else None
        if is_valid_zone(posted):
            zone = posted
        else:
            zone = event.timezone if event is not None else None
        return zone, event.first_start if event is not None else None

    def save_related(self, request, form, formsets, change):
        # Sessions before sections: a section deleted on this page must not be written back
        # into a session row after the deletion has cleared it.
        formsets = sorted(formsets, key=lambda formset: formset.model is not Session)
        super().save_related(request, form, formsets, change)
        if change and MEETING_FIELDS.intersection(form.changed_data):
            note_event_meeting_change(form.instance)

    def save_formset(self, request, form, formset, change):
        if formset.model is Session:
            for session_form in formset.initial_forms:
                if session_form in formset.deleted_forms:
                    continue
                note_session_change(session_form.instance, session_form.changed_data)
        super().save_formset(request, form, formset, change)
        if formset.model is Session:
            for session_form in formset.initial_forms:
                if session_form not in formset.deleted_forms:
                    announce_session_change(
                        session=session_form.instance, changed_fields=session_form.changed_data
                    )


# ---------------------------------------------------------------------------------------------
# Sessions


class SessionRoleInline(admin.TabularInline):
    model = SessionRole
    fields = ["person", "role", "position"]
    autocomplete_fields = ["person"]
    ordering = ["role", "position", "id"]
    extra = 0
    verbose_name = _("person")
    verbose_name_plural = _("People (speakers, chairs, commentators)")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("person")


@admin.register(Session)
class SessionAdmin(ZonedTimesMixin, ZoneHelpTextMixin, admin.ModelAdmin):
    form = SessionAdminForm
    list_display = ["display_title", "event", "kind", "start_in_event_zone", "section"]
    list_filter = ["event", "kind"]
    list_select_related = ["event", "section"]
    search_fields = ["title", "abstract", "people__name"]
    readonly_fields = ["uid", "sequence"]
    inlines = [SessionRoleInline]
    unknown_zone_note = _(
        "Times on this page are read in the time zone of the event you choose; "
        "after saving they are shown in it."
    )
    fieldsets = [
        (None, {"fields": ["event", "section", "kind", "title", "abstract"]}),
        (_("Time"), {"fields": ["start", "end"]}),
        (
            _("Meeting override"),
            {
                "classes": ["collapse"],
                "description": _(
                    "Only if this session uses another meeting than its event. "
                    "Never shown publicly."
                ),
                "fields": ["meeting_url", "meeting_id", "meeting_passcode"],
            },
        ),
        (
            _("Calendar identity"),
            {
                "classes": ["collapse"],
                "description": _(
                    "The UID never changes; the sequence rises whenever the time "
                    "or the meeting changes, so calendar apps replace the entry."
                ),
                "fields": ["uid", "sequence"],
            },
        ),
    ]

    @admin.display(description=_("title"), ordering="title")
    def display_title(self, session: Session) -> str:
        return session.display_title

    @admin.display(description=_("start (event’s zone)"), ordering="start")
    def start_in_event_zone(self, session: Session) -> str:
        return format_in_zone(session.start, session.event.timezone)

    def get_event_zone(self, request, object_id):
        session = None
        if object_id is not None:
            session = _get_or_none(Session.objects.select_related("event"), unquote(object_id))
        event = None
        if request.method == "POST":
            event = _get_or_none(Event.objects.only("timezone"), request.POST.get("event"))
        if event is None and session is not None:
            event = session.event
        if event is None and request.method != "POST":
            event = _get_or_none(Event.objects.only("timezone"), request.GET.get("event"))
        zone = event.timezone if event is not None and is_valid_zone(event.timezone) else None
        return zone, session.start if session is not None else None

    def save_model(self, request, obj, form, change):
        if change:
            note_session_change(obj, form.changed_data)
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        if change:
            # After the people inline is saved: whoever the session has now is told.
            announce_session_change(session=form.instance, changed_fields=form.changed_data)


# ---------------------------------------------------------------------------------------------
# People


class PersonEventInline(admin.TabularInline):
    """The person's affiliation at each event; people are added to events on the event."""

    model = EventPerson
    fields = ["event", "affiliation"]
    readonly_fields = ["event"]
    extra = 0
    verbose_name = _("affiliation at an event")
    verbose_name_plural = _("Affiliations by event (add people to an event on the event’s page)")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("event")

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Person)
class PersonAdmin(admin.ModelAdmin):
    list_display = ["name", "key", "email", "language", "role_count"]
    list_filter = ["language"]
    search_fields = ["name", "key", "email"]
    prepopulated_fields = {"key": ["name"]}
    fields = ["name", "key", "email", "language", "bio"]
    inlines = [PersonEventInline]

    def get_queryset(self, request):
        # Explicit order: GROUP BY drops Meta.ordering (the autocomplete lists this queryset).
        return (
            super()
            .get_queryset(request)
            .annotate(role_count=Count("roles"))
            .order_by("name", "key")
        )

    @admin.display(description=_("roles"), ordering="role_count")
    def role_count(self, person: Person) -> int:
        return person.role_count


# ---------------------------------------------------------------------------------------------
# Tags


class TagAdmin(admin.ModelAdmin):
    list_display = ["name", "event_count"]
    search_fields = ["name"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(event_count=Count("events")).order_by("name")

    @admin.display(description=_("events"), ordering="event_count")
    def event_count(self, tag) -> int:
        return tag.event_count


admin.site.register(TargetGroup, TagAdmin)
admin.site.register(SubjectArea, TagAdmin)
admin.site.register(EventType, TagAdmin)
