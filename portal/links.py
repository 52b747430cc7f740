"""Magic sign-in links (django-sesame). Each purpose has its own scope and lifetime, so an
invitation link cannot be used as a sign-in link or the other way round. Links are single-use:
signing in changes the user's last login, which every older link was signed with."""

from django.conf import settings
from django.urls import reverse
from django.utils.translation import ngettext
from sesame.utils import get_token, get_user

PURPOSES = {"invitation", "signin"}


def _scope_and_age(purpose: str) -> tuple[str, int]:
    if purpose == "invitation":
        return "portal-invitation", settings.PORTAL_INVITATION_MAX_AGE
    if purpose == "signin":
        return "portal-signin", settings.PORTAL_SIGNIN_MAX_AGE
    raise ValueError(f"Unknown sign-in link purpose {purpose!r}")


def sign_in_url(user, *, purpose: str) -> str:
    scope, _ = _scope_and_age(purpose)
    path = reverse("portal:magic_link", kwargs={"purpose": purpose})
    return f"{settings.SITE_URL}{path}?{settings.SESAME_TOKEN_NAME}={get_token(user, scope=scope)}"


def user_from_token(token: str | None, *, purpose: str):
    """The user a link is valid for, or None (expired, used, tampered, other purpose).
    Checking does not use the link up; signing in with `django.contrib.auth.login` does."""
    if not token or purpose not in PURPOSES:
        return None
    scope, max_age = _scope_and_age(purpose)
    return get_user(token, scope=scope, max_age=max_age, update_last_login=False)


def link_validity(purpose: str) -> str:
    """How long a link of this purpose works, in words: "7 days", "15 minutes"."""
    _, seconds = _scope_and_age(purpose)
    return duration_words(seconds)


def duration_words(seconds: int) -> str:
    """In the active language: "7 days", "15 minutes", "1 hour"."""
    units = (
        (86400, lambda n: ngettext("%(count)s day", "%(count)s days", n)),
        (3600, lambda n: ngettext("%(count)s hour", "%(count)s hours", n)),
        (60, lambda n: ngettext("%(count)s minute", "%(count)s minutes", n)),
    )
    for size, words in units:
        if seconds >= size and seconds % size == 0:
            count = seconds // size
            return words(count) % {"count": count}
    return ngettext("%(count)s second", "%(count)s seconds", seconds) % {"count": seconds}
