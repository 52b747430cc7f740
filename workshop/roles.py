"""The Organizers group: exactly the permissions organizers need, nothing on users or groups."""

from django.contrib.auth.models import Group, Permission

ORGANIZERS = "Organizers"

# (app_label, model) pairs organizers manage in admin.
ORGANIZER_MODELS = {
    "workshop": [
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
    ],
}


def organizer_permissions():
    perms = Permission.objects.none()
    for app_label, models in ORGANIZER_MODELS.items():
        perms |= Permission.objects.filter(
            content_type__app_label=app_label, content_type__model__in=models
        )
    return perms


def ensure_organizers_group() -> Group:
    group, _ = Group.objects.get_or_create(name=ORGANIZERS)
    group.permissions.set(organizer_permissions())
    return group
