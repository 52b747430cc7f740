"""Organizers approve in admin. Every action calls a service, never `queryset.update()`:
state changes and the email ledger must move together."""

import csv
import datetime as dt
import uuid

from django import forms
from django.contrib import admin, messages
from django.contrib.contenttypes.admin import GenericTabularInline
from django.contrib.contenttypes.forms import BaseGenericInlineFormSet
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.http import HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext, ngettext_lazy, pgettext
from django_countries.filters import CountryFilter

from mailing.models import OutgoingEmail
from mailing.services import follow_language
from workshop.models import Event
from zoom import selectors as zoom_selectors
from zoom import services as zoom_services

from . import organizer_messages, selectors, services
from .admin_forms import AddParticipantForm, ParticipantMessageForm
from .forms import (
    CAREER_STAGE_LABELS,
    DeclineForm,
    career_stage_from_typed,
    career_stage_label,
)
from .models import ParticipantMessage, Registration

APPROVE_PERMISSION = "registration.approve_registration"

# What an action reports: how many changed, and how many it passed over (by outcome).
REPORTS = {
    "approved": (
        ngettext_lazy(
            "%(count)s registration approved.", "%(count)s registrations approved.", "count"
        ),
        ngettext_lazy(
            "%(count)s skipped (already approved or not in a state that allows it).",
            "%(count)s skipped (already approved or not in a state that allows it).",
            "count",
        ),
    ),
    "approved_beyond": (
        ngettext_lazy(
            "%(count)s registration approved beyond capacity.",
            "%(count)s registrations approved beyond capacity.",
            "count",
        ),
        ngettext_lazy(
            "%(count)s skipped (already approved or not in a state that allows it).",
            "%(count)s skipped (already approved or not in a state that allows it).",
            "count",
        ),
    ),
    "declined": (
        ngettext_lazy(
            "%(count)s registration declined.", "%(count)s registrations declined.", "count"
        ),
        ngettext_lazy(
            "%(count)s skipped (already declined or not in a state that allows it).",
            "%(count)s skipped (already declined or not in a state that allows it).",
            "count",
        ),
    ),
    "waiting": (
        ngettext_lazy(
            "%(count)s registration moved to the waiting list.",
            "%(count)s registrations moved to the waiting list.",
            "count",
        ),
        ngettext_lazy(
            "%(count)s skipped (already moved to the waiting list or not in a state that "
            "allows it).",
            "%(count)s skipped (already moved to the waiting list or not in a state that "
            "allows it).",
            "count",
        ),
    ),
    "resent": (
        ngettext_lazy(
            "%(count)s registration sent the invitation again.",
            "%(count)s registrations sent the invitation again.",
            "count",
        ),
        ngettext_lazy(
            "%(count)s skipped (already sent the invitation again or not in a state that "
            "allows it).",
            "%(count)s skipped (already sent the invitation again or not in a state that "
            "allows it).",
            "count",
        ),
    ),
}
# The decline page names this many of the selected registrations, then counts the rest.
DECLINE_PAGE_LISTED = 100


class EmailsFormSet(BaseGenericInlineFormSet):
    @classmethod
    def get_default_prefix(cls):
        return "emails"  # as when the ledger had a foreign key to registrations


class OutgoingEmailInline(GenericTabularInline):
    model = OutgoingEmail
    formset = EmailsFormSet
    ct_field = "recipient_type"
    ct_fk_field = "recipient_id"
    fields = ("kind_display", "state", "attempts", "created_at", "sent_at", "last_error")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True
    verbose_name = gettext_lazy("email to this registrant")
    verbose_name_plural = gettext_lazy("emails to this registrant")

    def has_add_permission(self, request, obj=None):
        return False

    @admin.display(description=gettext_lazy("kind"))
    def kind_display(self, obj: OutgoingEmail) -> str:
        return obj.kind_label


class CareerStageFilter(admin.AllValuesFieldListFilter):
    """The career stages registrants chose, the default ones in the admin's language."""

    def choices(self, changelist):
        for choice in super().choices(changelist):
            if choice["display"] in CAREER_STAGE_LABELS:
                choice = {**choice, "display": career_stage_label(choice["display"])}
            yield choice


class RegistrationChangeForm(forms.ModelForm):
    """Admin's change form (admin sets the fields); a post without the language (an older
    form) keeps the one the registration has."""

    class Meta:
        model = Registration
        fields = ["language"]  # admin passes its own fieldsets

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "language" in self.fields:
            self.fields["language"].required = False

    def clean_language(self):
        return self.cleaned_data.get("language") or self.instance.language

    def clean_career_stage(self):
        return career_stage_from_typed(self.cleaned_data["career_stage"])


@admin.register(Registration)
class RegistrationAdmin(admin.ModelAdmin):
    form = RegistrationChangeForm
    list_display = (
        "name",
        "email",
        "event",
        "state",
        "career_stage_display",
        "country",
        "affiliation",
        "created_at",
        "confirmed_at",
    )
    # Only the countries registrants come from, not all 250.
    list_filter = (
        "state",
        "event",
        ("career_stage", CareerStageFilter),
        ("country", CountryFilter),
        "language",
    )
    search_fields = ("name", "email", "affiliation")
    list_select_related = ("event",)
    date_hierarchy = "created_at"
    actions = [
        "approve",
        "decline",
        "move_to_waiting_list",
        "resend_invitation",
        "export_csv",
        "email_participants",
        "retry_zoom_links",
        "erase",
    ]
    inlines = [OutgoingEmailInline]
    # The address was confirmed by its holder (double opt-in) and is unique per event: a
    # different address registers itself. The state changes only through the actions.
    readonly_fields = (
        "event",
        "state",
        "email",
        "created_at",
        "consented_at",
        "privacy_notice_version",
        "confirmed_at",
        "decided_at",
        "decided_by",
        "decline_reason",
        "cancelled_at",
        "waiting_since",
    )
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "event",
                    "state",
                    "name",
                    "email",
                    "affiliation",
                    "career_stage",
                    "country",
                    "timezone",
                    "language",
                    "message",
                )
            },
        ),
        (
            gettext_lazy("History"),
            {
                "fields": (
                    "created_at",
                    "consented_at",
                    "privacy_notice_version",
                    "confirmed_at",
                    "decided_at",
                    "decided_by",
                    "decline_reason",
                    "cancelled_at",
                    "waiting_since",
                )
            },
        ),
    )

    # Adding (add_registration, which organizers hold) enters a participant by hand, e.g. an
    # invited guest: its own form and the service, not the change form's model save.
    add_fieldsets = (
        (None, {"fields": ("event", "name", "email", "affiliation", "career_stage")}),
        (None, {"fields": ("country", "timezone", "language", "message")}),
        (gettext_lazy("Confirmation and approval"), {"fields": ("confirmation", "approve")}),
    )

    def add_view(self, request, form_url="", extra_context=None):
        """Admin's own add page, with `AddParticipantForm`; `services.add_participant` does the
        work, and its refusals (already registered, past capacity) show on the form."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        if request.method == "POST":
            form = AddParticipantForm(request.POST)
            if form.is_valid():
                try:
                    registration = services.add_participant(
                        by=request.user, **form.service_arguments()
                    )
                except ValidationError as refusal:
                    form.add_error(None, _refusal_on_form(refusal))
                else:
                    self.log_addition(request, registration, [{"added": {}}])
                    return self.response_add(request, registration)
        else:
            form = AddParticipantForm(initial=self.get_changeform_initial_data(request))
        admin_form = admin.helpers.AdminForm(form, self.add_fieldsets, {}, model_admin=self)
        context = {
            **self.admin_site.each_context(request),
            "title": _("Add a participant"),
            "adminform": admin_form,
            "object_id": None,
            "original": None,
            "is_popup": False,
            "to_field": None,
            "media": self.media + admin_form.media,
            "inline_admin_formsets": [],
            "errors": admin.helpers.AdminErrorList(form, []),
            "preserved_filters": self.get_preserved_filters(request),
            **(extra_context or {}),
        }
        return self.render_change_form(request, context, add=True, form_url=form_url)

    def has_erase_permission(self, request):
        return request.user.has_perm("registration.erase_registration")

    def has_delete_permission(self, request, obj=None):
        # Deleting would also delete the ledger rows; erasure keeps them, anonymised.
        return False

    def has_approve_permission(self, request):
        return request.user.has_perm(APPROVE_PERMISSION)

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)
        if hasattr(response, "context_data") and "cl" in response.context_data:
            changelist = response.context_data["cl"]
            # Per state across the whole event (or all events), not just the filtered state.
            queryset = changelist.root_queryset
            event_id = request.GET.get("event__id__exact")
            if event_id and event_id.isdigit():
                queryset = queryset.filter(event_id=event_id)
            counts = dict(queryset.order_by().values_list("state").annotate(n=Count("pk")))
            response.context_data["state_counts"] = [
                (label, counts.get(value, 0)) for value, label in Registration.State.choices
            ]
        return response

    @admin.display(description=gettext_lazy("career stage"), ordering="career_stage")
    def career_stage_display(self, obj: Registration) -> str:
        return career_stage_label(obj.career_stage)

    # Zoom: how each approved participant's personal link stands (only with Zoom set up).

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if zoom_services.is_active():
            queryset = zoom_selectors.with_link_state(queryset)
        return queryset

    def get_list_display(self, request):
        columns = super().get_list_display(request)
        if zoom_services.is_active():
            columns = (*columns, "zoom_link")
        return columns

    def get_readonly_fields(self, request, obj=None):
        fields = super().get_readonly_fields(request, obj)
        if zoom_services.is_active():
            fields = (*fields, "zoom_link_detail")
        return fields

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if zoom_services.is_active() and obj is not None:
            fieldsets = (
                *fieldsets,
                (gettext_lazy("Zoom"), {"fields": ("zoom_link_detail",)}),
            )
        return fieldsets

    @admin.display(description=gettext_lazy("Zoom link"))
    def zoom_link(self, obj: Registration) -> str:
        if getattr(obj, "zoom_failed", False):
            return format_html('<strong class="zoom-failed">{}</strong>', _("failed"))
        if getattr(obj, "zoom_waiting", False):
            return _("waiting for Zoom")
        if getattr(obj, "zoom_added", False):
            return _("personal link")
        return "–"

    @admin.display(description=gettext_lazy("Personal Zoom link"))
    def zoom_link_detail(self, obj: Registration) -> str:
        status = zoom_selectors.link_status([obj]).get(obj.pk)
        if status is None:
            return _("None (not approved, or no Zoom meeting for this event).")
        text = _("%(added)s of %(wanted)s meetings registered, %(failed)s failed.") % {
            "added": status.added,
            "wanted": status.wanted,
            "failed": status.failed,
        }
        if status.errors:
            text += " " + _("Zoom said: %(errors)s") % {"errors": " | ".join(status.errors)}
        return text

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if change and "language" in form.changed_data:
            # The emails still queued for them go out in the language now chosen.
            follow_language(obj)

    def _report(self, request, done: int, total: int, outcome: str) -> None:
        done_text, skipped_text = REPORTS[outcome]
        text = done_text % {"count": done}
        skipped = total - done
        if skipped:
            text += " " + skipped_text % {"count": skipped}
        self.message_user(request, text, messages.SUCCESS if done else messages.WARNING)

    def _apply(self, request, queryset, service, outcome: str, **options) -> None:
        # Counted first: the changelist's filter (e.g. "awaiting approval") no longer
        # matches the rows once they have changed.
        total = queryset.count()
        done = service(registrations=_rows(queryset), by=request.user, **options)
        self._report(request, done, total, outcome)

    @admin.action(
        description=gettext_lazy("Approve (sends the meeting link)"), permissions=["approve"]
    )
    def approve(self, request, queryset):
        # Approving people from the waiting list (or declined ones) can pass the capacity: the
        # service refuses, and the organizer is asked first, with the numbers; passing it
        # takes an explicit tick on that page (like Django's delete confirmation).
        confirmed = "apply" in request.POST
        beyond_capacity = confirmed and request.POST.get("beyond_capacity") == "on"
        total = queryset.count()  # before the changelist's filter stops matching
        try:
            done = services.approve_registrations(
                registrations=_rows(queryset), by=request.user, beyond_capacity=beyond_capacity
            )
        except ValidationError as refused:
            if confirmed:
                self.message_user(
                    request,
                    _(
                        "Nothing approved: %(reasons)s Tick “Approve beyond capacity” to "
                        "approve anyway."
                    )
                    % {"reasons": " ".join(refused.messages)},
                    messages.ERROR,
                )
                return None
            return self._approve_beyond_capacity_page(request, queryset, total)
        self._report(request, done, total, "approved_beyond" if beyond_capacity else "approved")
        return None

    def _approve_beyond_capacity_page(self, request, queryset, count: int):
        return TemplateResponse(
            request,
            "admin/registration/registration/approve_beyond_capacity.html",
            {
                **self.admin_site.each_context(request),
                "title": _("Approve beyond capacity?"),
                "seats": selectors.seats_after_approval(_rows(queryset)),
                "count": count,
                "selected": request.POST.getlist(admin.helpers.ACTION_CHECKBOX_NAME),
                "select_across": request.POST.get("select_across") == "1",
                "opts": self.model._meta,
                "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
            },
        )

    @admin.action(description=gettext_lazy("Decline…"), permissions=["approve"])
    def decline(self, request, queryset):
        if "apply" in request.POST:
            form = DeclineForm(request.POST)
            if form.is_valid():
                self._apply(
                    request,
                    queryset,
                    services.decline_registrations,
                    "declined",
                    reason=form.cleaned_data["reason"],
                )
                return None
        else:
            form = DeclineForm()
        # "Select all N" posts select_across instead of N boxes; the page keeps it that way,
        # since posting back thousands of ids would pass DATA_UPLOAD_MAX_NUMBER_FIELDS.
        select_across = request.POST.get("select_across") == "1"
        count = queryset.count()
        return TemplateResponse(
            request,
            "admin/registration/registration/decline.html",
            {
                **self.admin_site.each_context(request),
                "title": _("Decline registrations"),
                "form": form,
                "registrations": queryset.select_related("event")[:DECLINE_PAGE_LISTED],
                "count": count,
                "more": max(count - DECLINE_PAGE_LISTED, 0),
                "selected": request.POST.getlist(admin.helpers.ACTION_CHECKBOX_NAME),
                "select_across": select_across,
                "opts": self.model._meta,
                "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
            },
        )

    @admin.action(description=gettext_lazy("Move to waiting list"), permissions=["approve"])
    def move_to_waiting_list(self, request, queryset):
        self._apply(request, queryset, services.move_to_waiting_list, "waiting")

    @admin.action(
        description=gettext_lazy("Resend invitation (approved only)"), permissions=["approve"]
    )
    def resend_invitation(self, request, queryset):
        self._apply(request, queryset, services.resend_invitations, "resent")

    @admin.action(description=gettext_lazy("Email these participants…"), permissions=["change"])
    def email_participants(self, request, queryset):
        registrations = _rows(queryset)
        pressed = next((b for b in ("send", "preview") if b in request.POST), None)
        if pressed:
            form = ParticipantMessageForm(request.POST)
        else:
            # The token is this page's: posting it twice (a double click, the browser's
            # resubmit) finds the message it made the first time instead of sending again.
            form = ParticipantMessageForm(initial={"token": uuid.uuid4()})
        if pressed == "send" and form.is_valid():
            try:
                message, created = organizer_messages.send_participant_message(
                    registrations=registrations, by=request.user, **form.cleaned_data
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                self._report_participant_message(request, message, created)
                return None
        selection = organizer_messages.summarize(registrations, listed=DECLINE_PAGE_LISTED)
        preview = None
        if pressed == "preview" and form.is_valid() and selection.first is not None:
            preview = organizer_messages.preview_message(
                selection.first,
                subject=form.cleaned_data["subject"],
                body=form.cleaned_data["body"],
            )
        return TemplateResponse(
            request,
            "admin/registration/registration/email_participants.html",
            {
                **self.admin_site.each_context(request),
                "title": _("Email these participants"),
                "form": form,
                "selection": selection,
                "preview": preview,
                "join_link_texts": (
                    organizer_messages.JOIN_LINK_NOT_YET,
                    organizer_messages.JOIN_LINK_DECLINED,
                ),
                "selected": request.POST.getlist(admin.helpers.ACTION_CHECKBOX_NAME),
                "select_across": request.POST.get("select_across") == "1",
                "opts": self.model._meta,
                "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
            },
        )

    def _report_participant_message(self, request, message, created: bool) -> None:
        count = message.recipient_count
        if created:
            self.message_user(
                request,
                ngettext(
                    "The message “%(subject)s” is on its way to %(count)s recipient (one email "
                    "each).",
                    "The message “%(subject)s” is on its way to %(count)s recipients (one email "
                    "each).",
                    count,
                )
                % {"subject": message.subject, "count": count},
                messages.SUCCESS,
            )
        else:
            self.message_user(
                request,
                ngettext(
                    "This message was already sent (to %(count)s recipient); nothing was sent "
                    "again.",
                    "This message was already sent (to %(count)s recipients); nothing was sent "
                    "again.",
                    count,
                )
                % {"count": count},
                messages.WARNING,
            )

    @admin.action(
        description=gettext_lazy("Erase personal data (cannot be undone)"), permissions=["erase"]
    )
    def erase(self, request, queryset):
        done = services.erase_registrations(registrations=_rows(queryset), by=request.user)
        self.message_user(
            request,
            ngettext(
                "Personal data of %(count)s registration erased.",
                "Personal data of %(count)s registrations erased.",
                done,
            )
            % {"count": done},
        )

    @admin.action(description=gettext_lazy("Retry personal Zoom links"), permissions=["approve"])
    def retry_zoom_links(self, request, queryset):
        registrations = list(_rows(queryset))
        retried = zoom_services.retry_registrants(zoom_selectors.holder_rows(registrations))
        requested = services.request_join_links(registrations)
        count = retried + len(requested)
        self.message_user(
            request,
            ngettext(
                "%(count)s personal Zoom link is being requested again.",
                "%(count)s personal Zoom links are being requested again.",
                count,
            )
            % {"count": count},
            messages.SUCCESS if count else messages.WARNING,
        )

    @admin.action(description=gettext_lazy("Export as CSV"))
    def export_csv(self, request, queryset):
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        stamp = timezone.now().strftime("%Y%m%d-%H%M")
        response["Content-Disposition"] = f'attachment; filename="registrations-{stamp}.csv"'
        # The byte order mark makes Excel read UTF-8 (陈涛, Köln) instead of the local code page.
        response.write("\ufeff")
        writer = csv.writer(response)
        # Column names are keys for scripts and spreadsheets: not translated.
        columns = [
            "event",
            "name",
            "email",
            "affiliation",
            "career_stage",
            "country",
            "timezone",
            "state",
            "created_at",
            "confirmed_at",
            "message",
            "decision",
            "decided_by",
            "decided_at",
            "decline_note",
            "consent_version",
            "consented_at",
            "added_by",
            "language",
        ]
        writer.writerow(columns)
        rows = queryset.select_related("event", "decided_by", "added_by").order_by(
            "event__slug", "created_at", "pk"
        )
        for r in rows:
            row = [
                r.event.slug,
                r.name,
                r.email,
                r.affiliation,
                r.career_stage,
                r.country.code,
                r.timezone,
                r.state,
                _csv_time(r.created_at),
                _csv_time(r.confirmed_at),
                r.message,
                r.get_state_display(),
                r.decided_by.get_username() if r.decided_by else "",
                _csv_time(r.decided_at),
                r.decline_reason,
                r.privacy_notice_version,
                _csv_time(r.consented_at),
                r.added_by.get_username() if r.added_by else "",
                r.language,
            ]
            writer.writerow([csv_safe(value) for value in row])
        return response


def _csv_time(value) -> str:
    """ISO 8601 in UTC with its offset, to the second: one zone for every row, whoever
    exports, and a form spreadsheets and scripts read."""
    return value.astimezone(dt.UTC).isoformat(timespec="seconds") if value else ""


def _refusal_on_form(refusal: ValidationError) -> ValidationError:
    """The service's refusal as the add form shows it: an address already registered links
    to that registration."""
    # A refusal with several messages (one per event past its capacity) carries no code.
    if getattr(refusal, "code", None) == "already_registered":
        params = refusal.params
        url = reverse("admin:registration_registration_change", args=[params["pk"]])
        return ValidationError(
            format_html(
                _(
                    "{email} is already registered for this event ({state}): {link_start}open "
                    "the registration{link_end}."
                ),
                email=params["email"],
                state=params["state"],
                link_start=format_html('<a href="{}">', url),
                link_end=mark_safe("</a>"),
            )
        )
    return refusal


def _rows(queryset):
    """The selected registrations without the changelist's join on the event: the services
    lock what they select, and on PostgreSQL a joined event row would be locked too, in an
    order that can deadlock against a confirmation (which locks the event first)."""
    return queryset.select_related(None)


def csv_safe(value) -> str:
    """Spreadsheets run cells starting with = + - @ as formulas; defuse them."""
    text = str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


class EmailEventFilter(admin.SimpleListFilter):
    """The mail ledger (`mailing`) knows nothing of events; organizers filter it by event
    through the registrations its rows are about."""

    title = gettext_lazy("event")
    parameter_name = "registration_event"

    def lookups(self, request, model_admin):
        return [(str(event.pk), event.title) for event in Event.objects.order_by("slug")]

    def queryset(self, request, queryset):
        value = self.value()
        if value and value.isdigit():
            return queryset.filter(registration__event_id=int(value))
        return queryset


_ledger_admin = admin.site.get_model_admin(OutgoingEmail)
_ledger_admin.list_filter = [*_ledger_admin.list_filter, EmailEventFilter]


class EmailMessageFilter(admin.SimpleListFilter):
    """The ledger's rows of one organizers' message (linked from the message's page). Offered
    only while it is in use: listing every message ever written in the ledger's sidebar would
    cost each ledger page a query for nothing."""

    title = gettext_lazy("message from the organizers")
    parameter_name = "participant_message"

    def lookups(self, request, model_admin):
        value = self.value()
        if not (value and value.isdigit()):
            return []
        return [
            (str(pk), subject)
            for pk, subject in ParticipantMessage.objects.filter(pk=value).values_list(
                "pk", "subject"
            )
        ]

    def queryset(self, request, queryset):
        value = self.value()
        if value and value.isdigit():
            return queryset & organizer_messages.emails_of_message(int(value))
        return queryset


_ledger_admin.list_filter = [*_ledger_admin.list_filter, EmailMessageFilter]


@admin.register(ParticipantMessage)
class ParticipantMessageAdmin(admin.ModelAdmin):
    """The record of what organizers wrote to whom: read-only, written only by the action
    "Email these participants" on registrations."""

    list_display = ("subject", "created_by", "created_at", "recipient_count")
    list_select_related = ("created_by",)
    search_fields = ("subject",)
    date_hierarchy = "created_at"
    fields = ("subject", "body", "created_by", "created_at", "recipient_count", "emails")
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=gettext_lazy("emails"))
    def emails(self, obj: ParticipantMessage) -> str:
        counts = organizer_messages.email_states(obj)
        summary = ", ".join(f"{count} {str(label).lower()}" for label, count in counts)
        summary = summary or pgettext("emails", "none")
        url = reverse("admin:mailing_outgoingemail_changelist")
        return format_html(
            '{} — <a href="{}?participant_message={}">{}</a>',
            summary,
            url,
            obj.pk,
            _("show them in the mail ledger"),
        )
