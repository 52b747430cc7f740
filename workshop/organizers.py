"""The Organizers group: exactly the permissions organizers need, nothing on users, groups or
permissions. Each app says what organizers may do with its models (``organizer_permissions``
on its AppConfig, as codenames); the group is kept in step with them after every migrate."""

from django.apps import apps
from django.contrib.auth.models import Group, Permission
from django.db.models import Q

ORGANIZERS = "Organizers"


def organizer_permissions():
    allowed = Q(pk__in=[])
    for config in apps.get_app_configs():
        codenames = getattr(config, "organizer_permissions", ())
        if codenames:
            allowed |= Q(content_type__app_label=config.label, codename__in=codenames)
    return Permission.objects.filter(allowed)


def ensure_organizers_group() -> Group:
    group, _ = Group.objects.get_or_create(name=ORGANIZERS)
    group.permissions.set(organizer_permissions())
    return group


def create_organizers_group(sender, **kwargs) -> None:
    """post_migrate receiver. Django sends post_migrate once per app with models, in the
    order of INSTALLED_APPS, each after that app's permissions exist: the group is made once,
    after the last of them, when every permission it needs is there."""
    with_models = [config for config in apps.get_app_configs() if config.models_module]
    if sender is with_models[-1]:
        ensure_organizers_group()
