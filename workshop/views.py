"""Public pages of the programme: the event list, an event with its programme, one session and
one person. Thin: parse the request (the viewer's zone), call selectors, render.

None of these pages shows meeting details or email addresses.
"""

import logging
from dataclasses import dataclass

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _

from . import fragments, selectors
from .zones import grouped_zone_choices, is_valid_zone, listed_zones

logger = logging.getLogger(__name__)

TZ_PARAM = "tz"
TZ_COOKIE = "viewer_tz"
TZ_COOKIE_MAX_AGE = 365 * 24 * 60 * 60
DEFAULT_VIEWER_ZONE = "UTC"


@dataclass(frozen=True)
class ViewerZone:
    """The zone "your time" is shown in.

    ``explicit``: the viewer chose it (``?tz=`` or the cookie); otherwise it is the default and
    ``localtime.js`` replaces it with the browser's zone. ``cookie``: what to do with the
    cookie on the response (``None`` nothing, ``""`` delete, a zone name set).
    """

    zone: str
    explicit: bool
    cookie: str | None = None


def viewer_zone(request: HttpRequest) -> ViewerZone:
    """``?tz=Asia/Shanghai`` chooses a zone and remembers it; ``?tz=`` forgets the choice; an
    unknown name is ignored with a message. Otherwise the cookie, otherwise UTC."""
    if TZ_PARAM in request.GET:
        requested = request.GET[TZ_PARAM].strip()
        if not requested:
            return ViewerZone(DEFAULT_VIEWER_ZONE, explicit=False, cookie="")
        if is_valid_zone(requested):
            return ViewerZone(requested, explicit=True, cookie=requested)
        messages.warning(
            request,
            _(
                "“%(zone)s” is not a time zone name we know (try e.g. Asia/Shanghai); "
                "your time is shown as before."
            )
            % {"zone": requested[:64]},
        )
    remembered = request.COOKIES.get(TZ_COOKIE)
    if is_valid_zone(remembered):
        return ViewerZone(remembered, explicit=True)
    return ViewerZone(DEFAULT_VIEWER_ZONE, explicit=False)


def render_with_zone(
    request: HttpRequest, template_name: str, context: dict, zone: ViewerZone
) -> HttpResponse:
    context = {
        **context,
        "viewer": zone,
        "zone_choices": grouped_zone_choices(),
        "zone_listed": zone.zone in listed_zones(),
    }
    response = render(request, template_name, context)
    if zone.cookie == "":
        response.delete_cookie(TZ_COOKIE, samesite="Lax")
    elif zone.cookie:
        response.set_cookie(
            TZ_COOKIE,
            zone.cookie,
            max_age=TZ_COOKIE_MAX_AGE,
            samesite="Lax",
            secure=request.is_secure(),
            httponly=True,
        )
    patch_vary_headers(response, ["Cookie"])
    return response


def event_list(request: HttpRequest) -> HttpResponse:
    upcoming, past = selectors.list_events()
    return render(request, "workshop/event_list.html", {"upcoming": upcoming, "past": past})


def event_detail(request: HttpRequest, slug: str) -> HttpResponse:
    event = selectors.get_event(slug)
    zone = viewer_zone(request)
    # The programme comes from the cache while the event's programme_version is unchanged.
    context = {"event": event, "programme_html": fragments.programme_html(event, zone=zone.zone)}
    return render_with_zone(request, "workshop/events/detail.html", context, zone)


def session_detail(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    event = selectors.get_event(slug)
    slot = selectors.get_session_slot(event, pk)
    context = {"event": event, "slot": slot, "zones": selectors.display_zones(event)}
    return render_with_zone(
        request, "workshop/events/sessions/detail.html", context, viewer_zone(request)
    )


def person_detail(request: HttpRequest, key: str) -> HttpResponse:
    person = selectors.get_person(key)
    context = {
        "person": person,
        "roles": selectors.get_person_roles(person),
        "contacts": selectors.get_person_contacts(person),
    }
    return render_with_zone(request, "workshop/people/detail.html", context, viewer_zone(request))
