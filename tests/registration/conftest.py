"""Helpers of the registration tests (the `open_event` fixture is in tests/conftest.py)."""

import pytest


@pytest.fixture(autouse=True)
def _cold_content_type_cache():
    """Query counts must not depend on which test warmed the process-wide cache."""
    from django.contrib.contenttypes.models import ContentType

    ContentType.objects.clear_cache()


@pytest.fixture
def viewer_client(client, db):
    """Staff who may look at registrations and edit them, but not decide on them."""
    from django.contrib.auth.models import Permission, User

    user = User.objects.create(username="vera", email="vera@example.org", is_staff=True)
    user.user_permissions.set(
        Permission.objects.filter(
            content_type__app_label="registration",
            codename__in=["view_registration", "change_registration"],
        )
    )
    client.force_login(user)
    return client


def registrant_data(**overrides):
    data = {
        "name": "Chen Tao",
        "email": "chen@example.org",
        "affiliation": "Tongji University",
        "career_stage": "Scholar",
        "country": "CN",
        "timezone_name": "Asia/Shanghai",
        "message": "",
    }
    data.update(overrides)
    return data


def form_data(**overrides):
    """What the registration form posts; a value of None leaves that field out."""
    data = {
        "name": "Chen Tao",
        "email": "chen@example.org",
        "affiliation": "Tongji University",
        "career_stage": "Scholar",
        "country": "CN",
        "timezone": "Asia/Shanghai",
        "message": "",
        "consent": "on",
        "website": "",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def approve(registration, *, by):
    """An organizer approves this one registration (admin's action: the bulk service)."""
    from registration.models import Registration
    from registration.services import approve_registrations

    return approve_registrations(
        registrations=Registration.objects.filter(pk=registration.pk), by=by
    )


def decline(registration, *, by, reason=""):
    """An organizer declines this one registration (admin's action: the bulk service)."""
    from registration.models import Registration
    from registration.services import decline_registrations

    return decline_registrations(
        registrations=Registration.objects.filter(pk=registration.pk), by=by, reason=reason
    )


def join_online(url: str) -> str:
    """The line of an invitation or reminder that gives the meeting link (the emails'
    templates: ``{% translate "Join online" %}: {{ meeting.url }}``)."""
    from django.utils.translation import gettext

    return f"{gettext('Join online')}: {url}"
