"""Organizers approve in admin. Every action calls a service, never `queryset.update()`:
state changes and the email ledger must move together."""

import csv

from django.contrib import admin, messages
from django.contrib.contenttypes.admin import GenericTabularInline
from django.contrib.contenttypes.forms import BaseGenericInlineFormSet
from django.db.models import Count
from django.http import HttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone
from django_countries.filters import CountryFilter

from mailing.models import OutgoingEmail
from workshop.models import Event

from . import selectors, services
from .forms import DeclineForm
from .models import Registration

APPROVE_PERMISSION = "registration.approve_registration"
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
    verbose_name_plural = "emails to this registrant"

    def has_add_permission(self, request, obj=None):
        return False

    @admin.display(description="kind")
    def kind_display(self, obj: OutgoingEmail) -> str:
        return obj.kind_label


@admin.register(Registration)
class RegistrationAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "email",
        "event",
        "state",
        "career_stage",
        "country",
        "affiliation",
        "created_at",
        "confirmed_at",
    )
    # Only the countries registrants come from, not all 250.
    list_filter = ("state", "event", "career_stage", ("country", CountryFilter))
    search_fields = ("name", "email", "affiliation")
    list_select_related = ("event",)
    date_hierarchy = "created_at"
    actions = [
        "approve",
        "decline",
        "move_to_waiting_list",
        "resend_invitation",
        "export_csv",
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
                    "message",
                )
            },
        ),
        (
            "History",
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

    def has_add_permission(self, request):
        # Registrations come from participants, who consent and confirm their address.
        return False

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

    def _report(self, request, done: int, total: int, verb: str) -> None:
        skipped = total - done
        text = f"{done} registration{'s' if done != 1 else ''} {verb}."
        if skipped:
            text += f" {skipped} skipped (already {verb} or not in a state that allows it)."
        self.message_user(request, text, messages.SUCCESS if done else messages.WARNING)

    def _apply(self, request, queryset, service, verb: str, **options) -> None:
        # Counted first: the changelist's filter (e.g. "awaiting approval") no longer
        # matches the rows once they have changed.
        total = queryset.count()
        done = service(registrations=_rows(queryset), by=request.user, **options)
        self._report(request, done, total, verb)

    @admin.action(description="Approve (sends the meeting link)", permissions=["approve"])
    def approve(self, request, queryset):
        event_ids = set(_rows(queryset).order_by().values_list("event_id", flat=True))
        self._apply(request, queryset, services.approve_registrations, "approved")
        # Approving people from the waiting list (or declined ones) can pass the capacity;
        # the organizer may mean it, but must see it.
        for event in selectors.events_over_capacity(event_ids):
            self.message_user(
                request,
                f"“{event.title}” now has {event.taken} seats taken (approved or awaiting "
                f"approval) for a capacity of {event.capacity}: {event.taken - event.capacity} "
                "over capacity. Raise the capacity, or decline or wait-list registrations "
                "to make room.",
                messages.WARNING,
            )

    @admin.action(description="Decline…", permissions=["approve"])
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
                "title": "Decline registrations",
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

    @admin.action(description="Move to waiting list", permissions=["approve"])
    def move_to_waiting_list(self, request, queryset):
        self._apply(request, queryset, services.move_to_waiting_list, "moved to the waiting list")

    @admin.action(description="Resend invitation (approved only)", permissions=["approve"])
    def resend_invitation(self, request, queryset):
        self._apply(request, queryset, services.resend_invitations, "sent the invitation again")

    @admin.action(description="Erase personal data (cannot be undone)", permissions=["erase"])
    def erase(self, request, queryset):
        done = services.erase_registrations(registrations=_rows(queryset), by=request.user)
        self.message_user(request, f"Personal data of {done} registrations erased.")

    @admin.action(description="Export as CSV")
    def export_csv(self, request, queryset):
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        stamp = timezone.now().strftime("%Y%m%d-%H%M")
        response["Content-Disposition"] = f'attachment; filename="registrations-{stamp}.csv"'
        writer = csv.writer(response)
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
        ]
        writer.writerow(columns)
        for r in queryset.select_related("event").order_by("event__slug", "created_at"):
            row = [
                r.event.slug,
                r.name,
                r.email,
                r.affiliation,
                r.career_stage,
                r.country.code,
                r.timezone,
                r.state,
                r.created_at.isoformat(),
                r.confirmed_at.isoformat() if r.confirmed_at else "",
                r.message,
            ]
            writer.writerow([csv_safe(value) for value in row])
        return response


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

    title = "event"
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
