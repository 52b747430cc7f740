"""Zoom in admin: "Create Zoom meeting" on events and sessions, the meetings and registrants
with what Zoom answered, and retry / delete actions (each calls the same service as the
rest of the app; the worker does the calls)."""

from django.contrib import admin, messages
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from workshop.models import Event, Session

from . import services
from .models import ZoomMeeting, ZoomRegistrant


def _not_configured(modeladmin, request) -> bool:
    if services.is_active():
        return False
    modeladmin.message_user(
        request,
        _(
            "Zoom is not set up: set ZOOM_ACCOUNT_ID, ZOOM_CLIENT_ID and ZOOM_CLIENT_SECRET "
            "(README, Zoom). Until then, participants get the meeting link typed into the "
            "programme."
        ),
        messages.ERROR,
    )
    return True


def _request(modeladmin, request, targets) -> None:
    created, existing = 0, []
    for event, session in targets:
        try:
            with transaction.atomic():
                services.request_meeting(event, session)
            created += 1
        except services.MeetingExists as error:
            existing.append(str(error))
    if created:
        modeladmin.message_user(
            request,
            ngettext(
                "%(count)s Zoom meeting is being created. Its join link replaces the meeting "
                "link, and everyone approved gets a personal link, within a minute or so "
                "(see Zoom meetings).",
                "%(count)s Zoom meetings are being created. Their join links replace the "
                "meeting links, and everyone approved gets a personal link, within a minute "
                "or so (see Zoom meetings).",
                created,
            )
            % {"count": created},
        )
    if existing:
        modeladmin.message_user(
            request,
            _("These have a Zoom meeting already: %(names)s") % {"names": "; ".join(existing)},
            messages.WARNING,
        )


@admin.action(description=gettext_lazy("Create Zoom meeting"), permissions=["change"])
def create_event_meeting(modeladmin, request, queryset):
    if _not_configured(modeladmin, request):
        return
    _request(modeladmin, request, [(event, None) for event in queryset])


@admin.action(
    description=gettext_lazy("Create Zoom meeting of its own for this session"),
    permissions=["change"],
)
def create_session_meeting(modeladmin, request, queryset):
    if _not_configured(modeladmin, request):
        return
    _request(
        modeladmin,
        request,
        [(session.event, session) for session in queryset.select_related("event")],
    )


def _add_action(model, action) -> None:
    """The programme's admin knows nothing of Zoom (workshop imports no app of ours): the
    action joins its list from here."""
    model_admin = admin.site.get_model_admin(model)
    actions = list(model_admin.actions or [])
    if action not in actions:
        type(model_admin).actions = [*actions, action]


_add_action(Event, create_event_meeting)
_add_action(Session, create_session_meeting)


class ZoomRegistrantInline(admin.TabularInline):
    model = ZoomRegistrant
    extra = 0
    can_delete = False
    show_change_link = True
    fields = ("holder_type", "holder_id", "state", "wanted", "attempts", "last_error")
    readonly_fields = fields
    max_num = 0

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(ZoomMeeting)
class ZoomMeetingAdmin(admin.ModelAdmin):
    list_display = (
        "event",
        "session",
        "state",
        "display_id",
        "attempts",
        "last_error",
        "updated_at",
    )
    list_filter = ("state", "event")
    list_select_related = ("event", "session")
    actions = ["retry", "delete_in_zoom"]
    fields = (
        "event",
        "session",
        "state",
        "display_id",
        "join_url",
        "passcode",
        "synced_version",
        "attempts",
        "last_error",
        "next_attempt_at",
        "created_at",
        "updated_at",
    )
    readonly_fields = fields
    inlines = [ZoomRegistrantInline]

    @admin.display(description=gettext_lazy("Meeting ID"))
    def display_id(self, obj: ZoomMeeting) -> str:
        return obj.display_id

    def has_add_permission(self, request) -> bool:
        return False  # made with "Create Zoom meeting" on the event or session

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # deleted in Zoom with the action below, which keeps the record

    @admin.action(description=gettext_lazy("Try failed meetings again"), permissions=["change"])
    def retry(self, request, queryset):
        count = services.retry_meetings(queryset)
        self.message_user(
            request,
            ngettext(
                "%(count)s meeting is being tried again.",
                "%(count)s meetings are being tried again.",
                count,
            )
            % {"count": count},
        )

    @admin.action(
        description=gettext_lazy("Delete in Zoom (every personal link stops working)"),
        permissions=["change"],
    )
    def delete_in_zoom(self, request, queryset):
        count = 0
        for meeting in queryset.exclude(state=ZoomMeeting.State.DELETED):
            with transaction.atomic():
                services.request_deletion(meeting)
            count += 1
        self.message_user(
            request,
            ngettext(
                "%(count)s Zoom meeting is being deleted.",
                "%(count)s Zoom meetings are being deleted.",
                count,
            )
            % {"count": count},
        )


@admin.register(ZoomRegistrant)
class ZoomRegistrantAdmin(admin.ModelAdmin):
    list_display = (
        "__str__",
        "meeting",
        "holder_type",
        "state",
        "wanted",
        "attempts",
        "last_error",
    )
    list_filter = ("state", "wanted", "holder_type", "meeting__event")
    list_select_related = ("meeting__event", "meeting__session", "holder_type")
    actions = ["retry"]
    fields = (
        "meeting",
        "holder_type",
        "holder_id",
        "state",
        "wanted",
        "zoom_registrant_id",
        "attempts",
        "last_error",
        "next_attempt_at",
        "created_at",
        "updated_at",
    )
    readonly_fields = fields

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.action(description=gettext_lazy("Try failed ones again"), permissions=["change"])
    def retry(self, request, queryset):
        count = services.retry_registrants(queryset)
        self.message_user(
            request,
            ngettext(
                "%(count)s Zoom registration is being tried again.",
                "%(count)s Zoom registrations are being tried again.",
                count,
            )
            % {"count": count},
        )
