"""Public calendar and schedule exports. Public: never the meeting, never an email address
(anyone may read them, and people share the calendars they subscribe to); these views build
calendars with ``private=False`` only."""

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.http import require_safe

from .ics import build_calendar, calendar_bytes
from .schedule import build_schedule
from .selectors import get_event, get_programme, get_session_slot

CALENDAR_CONTENT_TYPE = "text/calendar; charset=utf-8"


def _calendar_response(content: bytes, *, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=CALENDAR_CONTENT_TYPE)
    # Slugs and ids are [a-z0-9-]: nothing in the filename needs quoting.
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    response["Access-Control-Allow-Origin"] = "*"
    return response


@require_safe
def programme_ics(request: HttpRequest, slug: str) -> HttpResponse:
    event = get_event(slug)
    programme = get_programme(event)
    calendar = build_calendar(event, programme.slots)
    return _calendar_response(calendar_bytes(calendar), filename=f"{event.slug}.ics")


@require_safe
def session_ics(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    event = get_event(slug)
    slot = get_session_slot(event, pk)  # 404 for a session of another event
    calendar = build_calendar(event, [slot])
    return _calendar_response(
        calendar_bytes(calendar), filename=f"{event.slug}-session-{slot.session.pk}.ics"
    )


@require_safe
def schedule_json(request: HttpRequest, slug: str) -> JsonResponse:
    event = get_event(slug)
    response = JsonResponse(
        build_schedule(get_programme(event)), json_dumps_params={"ensure_ascii": False}
    )
    response["Access-Control-Allow-Origin"] = "*"
    return response
