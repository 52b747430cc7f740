"""The signed-in speaker portal: my slots, my profile, abstracts and papers, my calendar feed.

Every page but the calendar feed needs a signed-in user linked to a Person; a user without
one gets a 403 page that says so. A person reaches only their own sessions: anyone else's
session or paper is a 404, never a 403, so the portal does not tell which sessions exist.
These pages hold the meeting and the co-panelists' addresses: they are never cached.

The calendar feed cannot ask a calendar app to sign in: the secret in its URL
(``Person.calendar_token``) is its key, and the profile page can replace it.
"""

import datetime as dt
import logging
from collections.abc import Iterable
from functools import wraps

import icalendar
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from workshop.ics import absolute_url, build_calendar, calendar_bytes, new_calendar
from workshop.models import Person
from workshop.zones import grouped_zone_choices

from . import edits, papers, selectors
from .edit_forms import AbstractForm, PaperForm, ProfileForm

logger = logging.getLogger(__name__)

CALENDAR_CONTENT_TYPE = "text/calendar; charset=utf-8"
RESET_CALENDAR = "reset-calendar"


def _person_of(user) -> Person | None:
    try:
        return user.person
    except Person.DoesNotExist:
        return None


def person_required(view):
    """Signed in (else to the sign-in page), linked to a Person (else 403); never cached
    (unless the view set its own Cache-Control). The view gets the person as its second
    argument."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        person = _person_of(request.user)
        if person is None:
            logger.info("Portal refused to user %s: no person linked", request.user.pk)
            response = render(request, "portal/no_person.html", status=403)
        else:
            response = view(request, person, *args, **kwargs)
        if not response.has_header("Cache-Control"):
            add_never_cache_headers(response)
        return response

    return login_required(wrapper)


def _slots_url(session_pk: int | None = None) -> str:
    url = reverse("portal:slots")
    return f"{url}#session-{session_pk}" if session_pk else url


def feed_urls(person: Person) -> dict[str, str]:
    url = absolute_url(reverse("portal:calendar_feed", kwargs={"token": person.calendar_token}))
    return {"https": url, "webcal": "webcal://" + url.split("://", 1)[-1]}


def _render_slots(
    request: HttpRequest,
    person: Person,
    *,
    failed_upload: tuple[int, PaperForm] | None = None,
    status: int = 200,
) -> HttpResponse:
    mine = selectors.my_slots(person)
    for portal_slot in mine.all:
        if not portal_slot.is_speaker:
            continue
        pk = portal_slot.session.pk
        if failed_upload and failed_upload[0] == pk:
            portal_slot.upload_form = failed_upload[1]
        else:
            portal_slot.upload_form = PaperForm(auto_id=f"id_paper_{pk}_%s")
    context = {
        "person": person,
        "zone": selectors.person_zone(person),
        "slots": mine,
        "feed": feed_urls(person),
        "paper_max_bytes": settings.PAPER_MAX_BYTES,
    }
    return render(request, "portal/slots.html", context, status=status)


@require_safe
@person_required
def slots(request: HttpRequest, person: Person) -> HttpResponse:
    return _render_slots(request, person)


@require_http_methods(["GET", "HEAD", "POST"])
@person_required
def profile(request: HttpRequest, person: Person) -> HttpResponse:
    if request.method == "POST" and request.POST.get("action") == RESET_CALENDAR:
        edits.reset_calendar_token(person=person, by=request.user)
        messages.success(
            request,
            _(
                "Your calendar feed has a new address. The old one no longer works: subscribe "
                "again with the new address shown on “My slots”."
            ),
        )
        return redirect("portal:profile")

    affiliations = selectors.my_affiliations(person)
    editable = [a.link for a in affiliations if a.editable]
    if request.method == "POST":
        form = ProfileForm(request.POST, links=editable)
        if form.is_valid():
            try:
                changed = edits.update_profile(
                    person=person,
                    by=request.user,
                    bio=form.cleaned_data["bio"],
                    timezone_name=form.cleaned_data["timezone"],
                    affiliations=form.affiliations(),
                    language=form.chosen_language(),
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                if changed:
                    messages.success(
                        request, _("Saved: %(fields)s.") % {"fields": ", ".join(changed)}
                    )
                else:
                    messages.info(request, _("Nothing changed."))
                return redirect("portal:profile")
    else:
        initial = {
            "bio": person.bio,
            "timezone": person.timezone,
            # Not chosen yet: the page's own language, which their emails would get at sign-in.
            "language": person.language or translation.get_language(),
        }
        form = ProfileForm(initial=initial, links=editable)
    context = {
        "person": person,
        "form": form,
        "past_affiliations": [a for a in affiliations if not a.editable],
        "zone_names": [name for _, names in grouped_zone_choices() for name in names],
        "reset_action": RESET_CALENDAR,
    }
    status = 400 if form.is_bound else 200
    return render(request, "portal/profile.html", context, status=status)


@require_http_methods(["GET", "HEAD", "POST"])
@person_required
def edit_abstract(request: HttpRequest, person: Person, pk: int) -> HttpResponse:
    session = selectors.my_session(person, pk, roles=selectors.SPEAKER_ONLY)
    if request.method == "POST":
        form = AbstractForm(request.POST)
        if form.is_valid():
            changed = edits.update_abstract(
                session=session,
                person=person,
                by=request.user,
                abstract=form.cleaned_data["abstract"],
            )
            messages.success(
                request,
                _("Abstract saved.") if changed else _("The abstract was already like this."),
            )
            return redirect(_slots_url(session.pk))
    else:
        form = AbstractForm(initial={"abstract": session.abstract})
    status = 400 if form.is_bound else 200
    return render(
        request,
        "portal/abstract.html",
        {"person": person, "session": session, "form": form},
        status=status,
    )


@require_POST
@person_required
def upload_paper(request: HttpRequest, person: Person, pk: int) -> HttpResponse:
    session = selectors.my_session(person, pk)  # 404 unless the session is one of mine
    if not selectors.has_role(person, session, selectors.SPEAKER_ONLY):
        return render(
            request,
            "portal/forbidden.html",
            {
                "message": _(
                    "Only the speakers of a session can upload its paper. "
                    "You can download it once they have."
                )
            },
            status=403,
        )
    form = PaperForm(request.POST, request.FILES, auto_id=f"id_paper_{pk}_%s")
    if form.is_valid():
        try:
            paper = papers.store_paper(
                session=session, person=person, by=request.user, upload=form.cleaned_data["file"]
            )
        except ValidationError as error:
            form.add_error("file", error)
        except PermissionDenied:
            raise Http404("No such session among yours.") from None
        else:
            messages.success(
                request,
                _("Paper “%(name)s” uploaded for “%(session)s”.")
                % {"name": paper.original_name, "session": session.display_title},
            )
            return redirect(_slots_url(session.pk))
    messages.error(
        request,
        _("The paper for “%(session)s” was not uploaded.") % {"session": session.display_title},
    )
    return _render_slots(request, person, failed_upload=(session.pk, form), status=400)


@require_safe
@person_required
def download_paper(request: HttpRequest, person: Person, pk: int) -> FileResponse:
    paper = selectors.my_paper(person, pk)
    try:
        handle = paper.file.open("rb")
    except FileNotFoundError:
        logger.error("Paper %s of session %s is missing from storage", paper.pk, pk)
        raise Http404("The paper file is missing.") from None
    response = FileResponse(handle, content_type="application/pdf")
    response["Content-Disposition"] = papers.content_disposition(paper.original_name)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


def personal_calendar(
    person: Person, portal_slots: Iterable[selectors.PortalSlot], *, dtstamp: dt.datetime
) -> icalendar.Calendar:
    """One calendar with the person's sessions of every event. Private (it carries the
    meeting): each event's sessions are built by `build_calendar(private=True)`."""
    by_event: dict[int, tuple] = {}
    for portal_slot in portal_slots:
        by_event.setdefault(portal_slot.event.pk, (portal_slot.event, []))[1].append(
            portal_slot.slot
        )
    # Subscribed calendars: ask clients to look for changes (new times, links) hourly.
    calendar = new_calendar(
        _("My sessions: %(name)s") % {"name": person.name},
        method="PUBLISH",
        refresh=dt.timedelta(hours=1),
    )
    events = []
    links = selectors.person_links(person, by_event) if by_event else None
    for event, slots_of_event in by_event.values():
        built = build_calendar(event, slots_of_event, private=True, dtstamp=dtstamp, links=links)
        events.extend(built.walk("VEVENT"))
    for vevent in sorted(events, key=lambda e: (e.decoded("dtstart"), str(e["uid"]))):
        calendar.add_component(vevent)
    return calendar


@require_safe
def calendar_feed(request: HttpRequest, token: str) -> HttpResponse:
    person = get_object_or_404(Person, calendar_token=token)
    mine = selectors.my_slots(person)
    # A calendar app asks in no particular language: the feed is in the person's own.
    with translation.override(person.language or translation.get_language()):
        calendar = personal_calendar(person, mine.all, dtstamp=timezone.now())
    response = HttpResponse(calendar_bytes(calendar), content_type=CALENDAR_CONTENT_TYPE)
    response["Content-Disposition"] = 'inline; filename="my-sessions.ics"'
    # Personal: the meeting and the secret URL stay out of shared caches and search engines.
    response["Cache-Control"] = "private, no-store"
    response["X-Robots-Tag"] = "noindex"
    return response
