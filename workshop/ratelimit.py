"""Limits on the forms that make us send an email to an address someone typed (registering,
asking for a sign-in link): so many POSTs per client address and per typed address within a
period (django-ratelimit, counted in the shared cache); beyond either, a 429 page and nothing
is sent. Used by the registration and portal apps. The client address is
workshop.client_address's (settings.RATELIMIT_IP_META_KEY names it); that the cache is shared
is checked by workshop.checks."""

import logging
from functools import wraps

from django.conf import settings
from django.shortcuts import render
from django_ratelimit.decorators import ratelimit

from .addresses import address_key

logger = logging.getLogger(__name__)


def rate_limited(request, exception=None):
    return render(request, "429.html", status=429)


def limit_posts(*, per_ip_setting: str, per_address_setting: str, address_field: str = "email"):
    """Decorate a view: POSTs beyond the rate in the setting ``per_ip_setting`` (e.g.
    ``"20/h"``) from one client, or beyond ``per_address_setting`` for one typed address (in
    any case), get the 429 page instead of the view. Rates are read per request, so settings
    overrides apply."""

    def typed_address(group, request) -> str:
        # Look-alike spellings of one mailbox share one count (workshop.addresses).
        typed = request.POST.get(address_field, "")
        return address_key(typed) or typed.strip().lower()

    def decorator(view):
        group = f"{view.__module__}.{view.__qualname__}"

        @ratelimit(
            group=group,
            key="ip",
            rate=lambda g, r: getattr(settings, per_ip_setting),
            method="POST",
            block=False,
        )
        @ratelimit(
            group=group,
            key=typed_address,
            rate=lambda g, r: getattr(settings, per_address_setting),
            method="POST",
            block=False,
        )
        @wraps(view)
        def limited_view(request, *args, **kwargs):
            if getattr(request, "limited", False):
                logger.warning("rate limit hit: %s", request.path)
                return rate_limited(request)
            return view(request, *args, **kwargs)

        return limited_view

    return decorator
