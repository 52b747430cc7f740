"""Participant pages: register, confirm (double opt-in), the personal status page, editing
one's details, cancel (asked first), and the calendar download. Views parse, call one service
or selector, and render."""

import logging

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from workshop import ics
from workshop.ratelimit import limit_posts
from workshop.selectors import get_event, get_programme

from . import selectors, services
from .forms import DetailsForm, RegistrationForm
from .models import Registration

logger = logging.getLogger(__name__)


@limit_posts(
    per_ip_setting="REGISTRATION_RATE_PER_IP", per_address_setting="REGISTRATION_RATE_PER_EMAIL"
)
def register(request, slug):
    event = get_event(slug)
    window = selectors.registration_window(event)
    if request.method == "POST":
        if not window.is_open:
            # The page explains why; there is no form to correct.
            return render(
                request,
                "registration/participant/register.html",
                {"event": event, "form": RegistrationForm(event=event), "window": window},
            )
        form = RegistrationForm(request.POST, event=event)
        if form.is_valid():
            if form.is_bot:
                logger.info("honeypot filled on event %s; nothing created", slug)
                return redirect("registration:check_inbox", slug=slug)
            data = form.cleaned_data
            try:
                services.register_participant(
                    event=event,
                    name=data["name"],
                    email=data["email"],
                    affiliation=data["affiliation"],
                    career_stage=data["career_stage"],
                    country=data["country"],
                    message=data["message"],
                    timezone_name=data["timezone"],
                    # Their emails are written in the language of the page they registered on.
                    language=translation.get_language(),
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                return redirect("registration:check_inbox", slug=slug)
    else:
        form = RegistrationForm(event=event)
    return render(
        request,
        "registration/participant/register.html",
        {"event": event, "form": form, "window": window},
    )


def check_inbox(request, slug):
    event = get_event(slug)
    return render(request, "registration/participant/check_inbox.html", {"event": event})


def _registration(secret: str) -> Registration:
    return get_object_or_404(Registration.objects.select_related("event"), secret=secret)


@never_cache
def status(request, secret):
    registration = _registration(secret)
    may_see_meeting = registration.may_see_meeting
    links = selectors.join_links(registration) if may_see_meeting else None
    slots = selectors.local_programme(registration, with_meeting=may_see_meeting, links=links)
    meeting = selectors.meeting_of(registration, slots, links) if may_see_meeting else None
    return render(
        request,
        "registration/participant/status.html",
        {
            "registration": registration,
            "event": registration.event,
            "slots": slots,
            "meeting": meeting,
            "may_see_meeting": may_see_meeting,
            # A Zoom meeting whose personal link for them is still being made.
            "link_pending": may_see_meeting and selectors.missing_links(registration, slots, links),
            "can_cancel": registration.state in services.CANCELLABLE,
            "may_edit": services.may_edit_details(registration),
        },
    )


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def confirm(request, secret):
    """GET shows a button; only the POST confirms, because mail scanners open links."""
    registration = _registration(secret)
    if request.method == "POST":
        try:
            confirmed = services.confirm_registration(registration=registration)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            registration.refresh_from_db()
            if confirmed:
                messages.success(request, _("Thank you: your email address is confirmed."))
            elif registration.confirmed_at:
                messages.info(request, _("Your email address was already confirmed."))
            else:
                messages.info(
                    request,
                    _("There is nothing to confirm: this registration is %(state)s.")
                    % {"state": registration.state_in_sentence},
                )
        return redirect(registration)
    return render(
        request,
        "registration/participant/confirm.html",
        {
            "registration": registration,
            "event": registration.event,
            "confirmation_hours": settings.REGISTRATION_CONFIRMATION_HOURS,
        },
    )


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def edit(request, secret):
    registration = _registration(secret)
    may_edit = services.may_edit_details(registration)
    form = DetailsForm(
        request.POST if request.method == "POST" else None, registration=registration
    )
    if may_edit and request.method == "POST" and form.is_valid():
        try:
            changed = services.update_registration_details(
                registration=registration,
                name=form.cleaned_data["name"],
                affiliation=form.cleaned_data["affiliation"],
                timezone_name=form.cleaned_data["timezone"],
                # The language of their emails; the pages keep the switcher's.
                language=form.cleaned_data["language"] or registration.language,
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            if changed:
                messages.success(
                    request,
                    _("Your details are saved (changed: %(fields)s).")
                    % {"fields": ", ".join(changed)},
                )
            else:
                messages.info(request, _("Nothing changed."))
            return redirect(registration)
    return render(
        request,
        "registration/participant/edit.html",
        {
            "registration": registration,
            "event": registration.event,
            "form": form,
            "may_edit": may_edit,
        },
    )


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def cancel(request, secret):
    """GET asks; only a POST with the page's explicit confirm field cancels, because mail
    scanners open links and one click must not give a seat away."""
    registration = _registration(secret)
    if request.method == "POST" and request.POST.get("confirm") == "yes":
        try:
            services.cancel_registration(registration=registration)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("Your registration is cancelled."))
        return redirect(registration)
    event = registration.event
    return render(
        request,
        "registration/participant/cancel.html",
        {
            "registration": registration,
            "event": event,
            "can_cancel": registration.state in services.CANCELLABLE,
            "holds_seat": registration.state in Registration.SEAT_STATES,
            "window": selectors.registration_window(event),
        },
    )


@never_cache
def invite_ics(request, secret):
    registration = _registration(secret)
    if not registration.may_see_meeting:
        raise Http404("No calendar for this registration.")
    programme = get_programme(registration.event)
    calendar = ics.build_calendar(
        registration.event,
        [slot for slot in programme.slots if not slot.session.is_break],
        private=True,
        links=selectors.join_links(registration),
    )
    response = HttpResponse(
        ics.calendar_bytes(calendar), content_type="text/calendar; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{registration.event.slug}.ics"'
    return response


def privacy(request):
    return render(
        request,
        "registration/participant/privacy.html",
        {
            "version": settings.PRIVACY_NOTICE_VERSION,
            # The periods the notice promises are the ones the daily jobs apply.
            "confirmation_hours": settings.REGISTRATION_CONFIRMATION_HOURS,
            "email_body_retention_days": settings.EMAIL_BODY_RETENTION_DAYS,
            "retention_days": settings.REGISTRATION_RETENTION_DAYS,
        },
    )
