"""The mail ledger in admin: every email with its state, attempts and last error; failed ones
can be queued again. Rows are never added or deleted by hand."""

from django.contrib import admin

from . import registry, services
from .models import OutgoingEmail


class KindFilter(admin.SimpleListFilter):
    title = "kind"
    parameter_name = "kind"

    def lookups(self, request, model_admin):
        return sorted(((kind.name, kind.label) for kind in registry.kinds()), key=lambda k: k[1])

    def queryset(self, request, queryset):
        return queryset.filter(kind=self.value()) if self.value() else queryset


@admin.display(description="kind", ordering="kind")
def kind(obj: OutgoingEmail) -> str:
    """The kind's label (the column keeps the field's name, and so its CSS class)."""
    return obj.kind_label


@admin.register(OutgoingEmail)
class OutgoingEmailAdmin(admin.ModelAdmin):
    list_display = (
        "to_address",
        kind,
        "state",
        "attempts",
        "created_at",
        "sent_at",
        "short_error",
    )
    # Feature apps add their own filters (registration: by event) in their admin modules.
    list_filter = ["state", KindFilter]
    search_fields = ("to_address", "subject")
    date_hierarchy = "created_at"
    actions = ["retry"]
    fields = (
        "uuid",
        "kind_display",
        "to_address",
        "recipient_display",
        "state",
        "attempts",
        "last_error",
        "created_at",
        "claimed_at",
        "next_attempt_at",
        "sent_at",
        "erased_at",
        "subject",
        "body_text",
    )
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="kind")
    def kind_display(self, obj: OutgoingEmail) -> str:
        return kind(obj)

    @admin.display(description="about")
    def recipient_display(self, obj: OutgoingEmail) -> str:
        if obj.recipient_type_id is None:
            return "—"
        recipient = obj.recipient
        name = obj.recipient_type.name
        return f"{name}: {recipient}" if recipient is not None else f"{name} (deleted)"

    @admin.display(description="last error")
    def short_error(self, obj: OutgoingEmail) -> str:
        return (obj.last_error[:80] + "…") if len(obj.last_error) > 80 else obj.last_error

    @admin.action(description="Retry failed emails", permissions=["change"])
    def retry(self, request, queryset):
        done = services.retry_failed(emails=queryset)
        self.message_user(request, f"{done} failed email{'s' if done != 1 else ''} queued again.")
