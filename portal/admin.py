"""The portal's part of the programme admin: one action, "Send portal invitation", on people
and on events (everyone with a role in them). The programme's admin (`workshop.admin`) knows
nothing of the portal; the action is added to its pages here."""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from workshop.models import Event, Person

from . import services


def _invite_people(request, queryset):
    people = list(queryset.select_related("user"))
    return services.invite_to_portal(people=people, by=request.user), people


def _invite_people_of_events(request, queryset):
    return services.invite_event_people_to_portal(events=list(queryset), by=request.user)


def portal_invitation_action(invite, *, description):
    """An admin action that invites the people ``invite(request, queryset)`` chooses and
    reports how many were invited and why the others were skipped."""

    @admin.action(description=description, permissions=["change"])
    def send_portal_invitation(modeladmin, request, queryset):
        invited, people = invite(request, queryset)
        modeladmin.message_user(
            request,
            services.invitation_report(invited=invited, people=people),
            messages.SUCCESS if invited else messages.WARNING,
        )

    return send_portal_invitation


def add_action(model, action) -> None:
    model_admin = admin.site.get_model_admin(model)
    model_admin.actions = [*(model_admin.actions or ()), action]


add_action(
    Person, portal_invitation_action(_invite_people, description=_("Send portal invitation"))
)
add_action(
    Event,
    portal_invitation_action(
        _invite_people_of_events,
        description=_("Send portal invitation (everyone with a role)"),
    ),
)
