"""Signing in to the speaker portal without a password.

- The sign-in page asks for an address and always answers the same, whether or not the
  address belongs to anyone (a link goes out only if it belongs to a person of a programme).
- A link from an email opens a page with a button: opening it (GET, as mail scanners do)
  uses nothing up; pressing the button (POST) signs in, which makes that link and every
  older one invalid (django-sesame one-time tokens are bound to the last login).
"""

import logging

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model, login, logout
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from workshop.models import Person
from workshop.ratelimit import limit_posts

from . import links, services
from .forms import SignInForm

logger = logging.getLogger(__name__)

# Where to go after signing in, when a portal page sent the visitor to the sign-in page.
NEXT_SESSION_KEY = "portal_next"
# Sesame tokens are a few dozen characters; anything far longer is not worth parsing.
MAX_TOKEN_LENGTH = 200


def _person_of(user) -> Person | None:
    if user is None or not user.is_authenticated:
        return None
    return Person.objects.filter(user=user).first()


def _safe_next(request, value: str | None) -> str | None:
    if value and url_has_allowed_host_and_scheme(
        value, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return value
    return None


@never_cache
@limit_posts(
    per_ip_setting="PORTAL_SIGNIN_RATE_PER_IP", per_address_setting="PORTAL_SIGNIN_RATE_PER_EMAIL"
)
@require_http_methods(["GET", "HEAD", "POST"])
def sign_in(request):
    if request.method == "POST":
        form = SignInForm(request.POST)
        if form.is_valid():
            following = _safe_next(request, request.GET.get("next"))
            if following:
                request.session[NEXT_SESSION_KEY] = following
            services.request_sign_in_link(email=form.cleaned_data["email"])
            # The same page for every address: it must not tell who is on a programme.
            return render(
                request,
                "portal/check_inbox.html",
                {"valid_for": links.link_validity("signin")},
            )
    else:
        form = SignInForm()
    return render(
        request,
        "portal/sign_in.html",
        {
            "form": form,
            "person": _person_of(request.user),
            "valid_for": links.link_validity("signin"),
        },
    )


def _problem_page(request, problem: str, purpose: str, *, status: int):
    return render(
        request,
        "portal/magic_link.html",
        {
            "problem": problem,
            "purpose": purpose,
            "signed_in_person": _person_of(request.user),
            "invitation_valid_for": links.link_validity("invitation"),
            "signin_valid_for": links.link_validity("signin"),
        },
        status=status,
    )


def _check(user) -> tuple[str | None, Person | None]:
    """What stands between a valid link's user and signing in, and their person."""
    if user.is_staff or user.is_superuser:
        return "organizer", None
    person = Person.objects.filter(user=user).first()
    if person is None:
        return "unlinked", None
    return None, person


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def magic_link(request, purpose):
    if purpose not in links.PURPOSES:
        raise Http404("No such kind of link.")
    source = request.POST if request.method == "POST" else request.GET
    token = source.get(settings.SESAME_TOKEN_NAME, "")
    if len(token) > MAX_TOKEN_LENGTH:
        token = ""
    user = links.user_from_token(token, purpose=purpose)
    if user is None:
        return _problem_page(request, "invalid", purpose, status=400)
    problem, person = _check(user)
    if problem:
        logger.warning("portal link for user %s refused: %s", user.pk, problem)
        return _problem_page(request, problem, purpose, status=403)
    if request.method != "POST":
        return render(
            request,
            "portal/magic_link.html",
            {
                "person": person,
                "purpose": purpose,
                "token": token,
                "token_name": settings.SESAME_TOKEN_NAME,
            },
        )
    with transaction.atomic():
        # Two presses at once: the second waits here, then finds the link used up.
        get_user_model().objects.select_for_update().filter(pk=user.pk).first()
        user = links.user_from_token(token, purpose=purpose)
        if user is None:
            return _problem_page(request, "invalid", purpose, status=400)
        following = _safe_next(request, request.session.get(NEXT_SESSION_KEY))
        # Updates the last login, which every link of this user was signed with.
        login(request, user)
    request.session.pop(NEXT_SESSION_KEY, None)
    logger.info("person %s signed in to the portal with a %s link", person.key, purpose)
    services.remember_language(person, translation.get_language())
    messages.success(request, _("Welcome, %(name)s: you are signed in.") % {"name": person.name})
    return redirect(following or "portal:slots")


@require_POST
def sign_out(request):
    logout(request)
    messages.info(request, _("You are signed out."))
    return redirect("workshop:event_list")
