"""The mail ledger in admin: every email with its state, attempts and last error; failed ones
can be queued again. Rows are never added or deleted by hand."""

from django.contrib import admin
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from . import registry, services
from .models import OutgoingEmail


class KindFilter(admin.SimpleListFilter):
    title = _("kind")
    parameter_name = "kind"

    def lookups(self, request, model_admin):
        # Sorted by the label in the language of the page (labels are lazy translations).
        return sorted(
            ((kind.name, kind.label) for kind in registry.kinds()), key=lambda k: str(k[1])
        )

    def queryset(self, request, queryset):
        return queryset.filter(kind=self.value()) if self.value() else queryset


@admin.display(description=_("kind"), ordering="kind")
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
        "waiting_display",
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

    @admin.display(description=_("kind"))
    def kind_display(self, obj: OutgoingEmail) -> str:
        return kind(obj)

    @admin.display(description=_("about"))
    def recipient_display(self, obj: OutgoingEmail) -> str:
        if obj.recipient_type_id is None:
            return "—"
        recipient = obj.recipient
        # The model's verbose name, in the language of the page.
        name = obj.recipient_type.name
        if recipient is None:
            return gettext("%(model)s (deleted)") % {"model": name}
        return gettext("%(model)s: %(object)s") % {"model": name, "object": recipient}

    @admin.display(description=_("last error"))
    def short_error(self, obj: OutgoingEmail) -> str:
        if obj.waiting_for and obj.state == OutgoingEmail.State.QUEUED:
            return self.waiting_display(obj)
        return (obj.last_error[:80] + "…") if len(obj.last_error) > 80 else obj.last_error

    @admin.display(description=_("waiting for"))
    def waiting_display(self, obj: OutgoingEmail) -> str:
        if not obj.waiting_for:
            return "—"
        # Builders name what they wait for with a marked English text (gettext_noop).
        return gettext("Waiting for %(what)s") % {"what": gettext(obj.waiting_for)}

    @admin.action(description=_("Retry failed emails"), permissions=["change"])
    def retry(self, request, queryset):
        done = services.retry_failed(emails=queryset)
        self.message_user(
            request,
            ngettext(
                "%(count)d failed email queued again.",
                "%(count)d failed emails queued again.",
                done,
            )
            % {"count": done},
        )
