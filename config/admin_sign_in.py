"""Throttling of password sign-ins to the admin, with django-axes (settings AXES_*).

After ADMIN_LOGIN_FAILURE_LIMIT failed sign-ins for one username, or from one client address
(workshop.client_address, the address the rate limits count too), within the cool-off,
sign-in is refused, even with the right password, until the cool-off has passed since the
last counted failure. Attempts are rows in the database, so every web worker sees them; they
expire by themselves, and a superuser can delete them in admin ("Access attempts") or with
`manage.py axes_reset` to let someone in earlier.

Only sign-ins under /admin/ count. The speaker portal signs people in with emailed links
(django-sesame), which check their token through Django's authenticate() too, without a
request: an expired link is not a failed password, and must not lock anyone out.
"""

import math

from axes.backends import AxesStandaloneBackend
from axes.handlers.database import AxesDatabaseHandler
from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_cool_off, get_failure_limit
from django.conf import settings
from django.contrib import admin
from django.db.models import Max, Sum
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

LOCKED_OUT_TEMPLATE = "admin/sign_in_locked.html"


class AdminSignInBackend(AxesStandaloneBackend):
    """First in AUTHENTICATION_BACKENDS: refuses (PermissionDenied) a password sign-in while
    its username or address is locked out; signs no one in itself. Sign-ins without a password
    (portal links) or without a request (code, not a visitor) pass on to the other backends."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None or password is None:
            return None
        return super().authenticate(request, username, password, **kwargs)


class AdminSignInHandler(AxesDatabaseHandler):
    """axes' database handler, for sign-ins under the admin only (see the module's note)."""

    def user_login_failed(self, sender, credentials, request=None, **kwargs):
        if request is None or not self.is_admin_request(request):
            return None
        return super().user_login_failed(sender, credentials, request, **kwargs)

    def user_logged_in(self, sender, request, user, **kwargs):
        if request is None or not self.is_admin_request(request):
            return None
        return super().user_logged_in(sender, request, user, **kwargs)

    def user_logged_out(self, sender, request, user, **kwargs):
        if request is None or not self.is_admin_request(request):
            return None
        return super().user_logged_out(sender, request, user, **kwargs)

    def unlocks_at(self, request, credentials=None):
        """When the lockout of this request's username or address ends: the cool-off after the
        last failure of the locked one (the later, when both are); None if neither is."""
        limit = get_failure_limit(request, credentials)
        last_failure = None
        for attempts in self.get_user_attempts(request, credentials):
            totals = attempts.aggregate(
                failures=Sum("failures_since_start"), last=Max("attempt_time")
            )
            if (totals["failures"] or 0) >= limit and totals["last"] is not None:
                last_failure = max(filter(None, (last_failure, totals["last"])))
        if last_failure is None:
            return None
        return last_failure + get_cool_off(request)


def locked_out(request, original_response=None, credentials=None):
    """The page for a refused sign-in (AXES_LOCKOUT_CALLABLE): what happened and when to try
    again, status AXES_HTTP_RESPONSE_CODE (429) with Retry-After."""
    handler = AxesProxyHandler.get_implementation()
    until = (
        handler.unlocks_at(request, credentials)
        if isinstance(handler, AdminSignInHandler)
        else None
    )
    if until is None:
        wait = get_cool_off(request).total_seconds()
    else:
        wait = max(0.0, (until - timezone.now()).total_seconds())
    minutes = max(1, math.ceil(wait / 60))
    context = {
        **admin.site.each_context(request),
        "title": _("Too many failed sign-ins"),
        "minutes": minutes,
        "failure_limit": get_failure_limit(request, credentials),
    }
    response = render(
        request, LOCKED_OUT_TEMPLATE, context, status=settings.AXES_HTTP_RESPONSE_CODE
    )
    response["Retry-After"] = str(max(1, math.ceil(wait)))
    return response
