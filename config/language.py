"""The language switcher's target: ``/language/?language=de&next=/events/…`` remembers the
choice in the language cookie and goes back to the page.

A plain link, as pretix and pretalx have it, not Django's ``set_language`` (POST only): a form
would put a CSRF token, and with it a cookie, on every page, so that no two answers of a page
were alike and none could be cached; a link also works without JavaScript and reads as one
to screen readers. Choosing a language changes nothing but the reader's own cookie, so a GET
is safe; ``next`` must be a page of this site.
"""

from django.conf import settings
from django.http import HttpRequest, HttpResponseRedirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import check_for_language


def set_language(request: HttpRequest) -> HttpResponseRedirect:
    target = request.GET.get("next", "")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = "/"
    response = HttpResponseRedirect(target)
    response["Cache-Control"] = "no-store"
    language = request.GET.get("language", "")
    if language in dict(settings.LANGUAGES) and check_for_language(language):
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            language,
            max_age=settings.LANGUAGE_COOKIE_AGE,
            path=settings.LANGUAGE_COOKIE_PATH,
            domain=settings.LANGUAGE_COOKIE_DOMAIN,
            secure=settings.LANGUAGE_COOKIE_SECURE,
            httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
            samesite=settings.LANGUAGE_COOKIE_SAMESITE,
        )
    return response
