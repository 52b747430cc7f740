"""The Organizers group: exactly the permissions organizers need; nothing on users, groups
or permissions. Kept in step after every migrate (see registration.apps)."""

from django.contrib.auth.models import Group, Permission
from django.db.models import Q

ORGANIZERS = "Organizers"

# Programme models: organizers manage them fully.
PROGRAMME_MODELS = [
    "event",
    "displayzone",
    "section",
    "session",
    "sessionrole",
    "person",
    "eventperson",
    "eventcontact",
    "targetgroup",
    "subjectarea",
    "eventtype",
]
# Registrations and the mail ledger: read, decide, retry; never add or delete by hand.
REGISTRATION_CODENAMES = [
    "view_registration",
    "change_registration",
    "approve_registration",
    "erase_registration",
    "view_outgoingemail",
    "change_outgoingemail",
]


def organizer_permissions():
    return Permission.objects.filter(
        Q(content_type__app_label="workshop", content_type__model__in=PROGRAMME_MODELS)
        | Q(content_type__app_label="registration", codename__in=REGISTRATION_CODENAMES)
    )


def ensure_organizers_group() -> Group:
    group, _ = Group.objects.get_or_create(name=ORGANIZERS)
    group.permissions.set(organizer_permissions())
    return group


def create_organizers_group(**kwargs) -> None:
    ensure_organizers_group()
