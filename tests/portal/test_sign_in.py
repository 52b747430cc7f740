"""Passwordless sign-in to the speaker portal: the sign-in page, the emailed link (GET shows a
button, POST signs in, once), sign-out."""

import re
import time
from email import message_from_bytes
from email.utils import getaddresses
from html import escape

import pytest
from django.contrib.auth import SESSION_KEY
from django.contrib.auth.models import User
from django.core import mail
from django.core.cache import cache
from django.test import Client
from django.utils.translation import gettext, ngettext

from mailing.models import OutgoingEmail
from portal.emails import Kind
from portal.forms import SignInForm
from portal.links import sign_in_url
from portal.services import ensure_portal_user
from tests.factories import PersonFactory
from tests.support.threads import run_concurrently
from workshop.models import Person

SIGN_IN_URL = "/portal/sign-in/"
XSS = '"><img src=x onerror=alert(1)>'
XSS_ESCAPED = "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;"
LINK = re.compile(r"http://testserver(/portal/link/(?:invitation|signin)/\?sesame=[A-Za-z0-9_-]+)")
CSRF_INPUT = re.compile(rb'<input type="hidden" name="csrfmiddlewaretoken" value="[^"]*">')
LINK_PROBLEM = re.compile(r'data-link-problem="([^"]*)"')
EMAIL_ERRORS = SignInForm.base_fields["email"].error_messages


@pytest.fixture(autouse=True)
def empty_rate_limit_cache():
    """Rate-limit counters live in the cache; every test starts with none."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def chen(db):
    return PersonFactory(key="tao-chen", name="Chen Tao", email="Chen.Tao@Example.org")


def ask_for_link(client, capture, email, **extra):
    """Post the sign-in form; deliver what it queued once the request has committed."""
    with capture(execute=True):
        return client.post(SIGN_IN_URL, {"email": email}, **extra)


def link_path(message) -> str:
    paths = LINK.findall(message.body)
    assert len(paths) == 1, message.body
    return paths[0]


def token_of(path: str) -> str:
    return path.split("sesame=", 1)[1]


def signed_in_user_id(client) -> str | None:
    return client.session.get(SESSION_KEY)


def without_csrf(content: bytes) -> bytes:
    return CSRF_INPUT.sub(b"", content)


def link_problems(response) -> list[str]:
    """Which refusal the link page shows: "invalid" (expired, used, damaged), "unlinked",
    "organizer"; none for the page with the button."""
    return LINK_PROBLEM.findall(response.content.decode())


def fifteen_minutes() -> str:
    return ngettext("%(count)s minute", "%(count)s minutes", 15) % {"count": 15}


def dear(name: str) -> str:
    return gettext("Dear %(name)s,") % {"name": name}


# --- the sign-in page ------------------------------------------------------------------------


def test_sign_in_page_get_shows_the_email_form(client, db):
    response = client.get(SIGN_IN_URL)
    assert response.status_code == 200
    html = response.content.decode()
    assert f'<h1 class="h2">{gettext("Speaker sign-in")}</h1>' in html
    assert 'type="email" name="email"' in html
    assert (
        gettext(
            "Enter the address the organizers have for you. We send a sign-in link to it, "
            "valid for %(valid_for)s, once."
        )
        % {"valid_for": fifteen_minutes()}
        in html
    )


def test_sign_in_post_known_and_unknown_addresses_get_identical_answers(
    client, chen, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    disabled = PersonFactory(email="disabled@example.org")
    ensure_portal_user(disabled).is_active = False
    disabled.user.save()
    known = ask_for_link(client, capture, "chen.tao@example.org")
    unknown = ask_for_link(client, capture, "nobody@example.org")
    known_but_disabled = ask_for_link(client, capture, "disabled@example.org")
    assert (known.status_code, unknown.status_code, known_but_disabled.status_code) == (
        200,
        200,
        200,
    )
    assert without_csrf(unknown.content) == without_csrf(known.content)
    assert without_csrf(known_but_disabled.content) == without_csrf(known.content)
    assert (
        gettext(
            "If this address belongs to a speaker, chair or commentator of one of our events, "
            "we have sent a sign-in link to it."
        )
        in known.content.decode()
    )
    assert [m.to for m in mail.outbox] == [["Chen Tao <Chen.Tao@example.org>"]]
    assert OutgoingEmail.objects.filter(kind=Kind.PORTAL_SIGNIN).count() == 1


def test_sign_in_post_known_address_creates_the_login_and_sends_one_link(
    client, chen, django_capture_on_commit_callbacks
):
    assert chen.user is None
    response = ask_for_link(client, django_capture_on_commit_callbacks, "Chen.Tao@Example.org")
    assert response.status_code == 200
    chen.refresh_from_db()
    user = chen.user
    assert (user.username, user.email, user.is_staff, user.has_usable_password()) == (
        "portal-tao-chen",
        "Chen.Tao@example.org",  # as on file, in canonical form
        False,
        False,
    )
    row = OutgoingEmail.objects.get()
    assert (row.kind, row.recipient, row.to_address, row.context, row.state) == (
        Kind.PORTAL_SIGNIN,
        chen,
        "Chen.Tao@example.org",  # as on file, in canonical form
        {},
        OutgoingEmail.State.SENT,
    )
    assert len(mail.outbox) == 1
    assert link_path(mail.outbox[0]).startswith("/portal/link/signin/?sesame=")


@pytest.mark.parametrize("typed", ["chen.tao@example.org", " CHEN.TAO@EXAMPLE.ORG "])
def test_sign_in_post_matches_the_address_in_any_case(
    client, chen, typed, django_capture_on_commit_callbacks
):
    ask_for_link(client, django_capture_on_commit_callbacks, typed)
    # Sent to the address on file, not to the one typed.
    assert [m.to for m in mail.outbox] == [["Chen Tao <Chen.Tao@example.org>"]]


@pytest.mark.parametrize(
    ("on_file", "typed", "sent_to"),
    [
        # Full-width letters and the Kelvin sign spell the same domain (UTS #46).
        ("kim@kelvin.org", "kim@\u212aelvin.org", "kim@kelvin.org"),
        ("kim@kelvin.org", "KIM@\uff4belvin.org", "kim@kelvin.org"),
        # An internationalised domain: found as typed, mailed in its IDNA form.
        ("chen@ex\u00e4mple.org", "Chen@EX\u00c4MPLE.org", "chen@xn--exmple-cua.org"),
    ],
    ids=["kelvin-sign", "full-width", "idn"],
)
def test_sign_in_post_finds_the_person_by_one_normalisation_of_addresses(
    client, db, django_capture_on_commit_callbacks, on_file, typed, sent_to
):
    PersonFactory(key="kim", name="Kim", email=on_file)
    ask_for_link(client, django_capture_on_commit_callbacks, typed)
    assert [m.to for m in mail.outbox] == [[f"Kim <{sent_to}>"]]
    assert OutgoingEmail.objects.get().state == OutgoingEmail.State.SENT


@pytest.mark.parametrize(
    "typed", ["\u212aim@kelvin.org", "kim@kelvin.org\u200b", "kim@xn--kelvin-.org"]
)
def test_sign_in_post_look_alike_of_a_persons_address_sends_nothing_and_answers_the_same(
    client, db, django_capture_on_commit_callbacks, typed
):
    PersonFactory(key="kim", name="Kim", email="kim@kelvin.org")
    answer = ask_for_link(client, django_capture_on_commit_callbacks, typed)
    stranger = ask_for_link(client, django_capture_on_commit_callbacks, "nobody@example.org")
    assert answer.status_code == stranger.status_code
    assert mail.outbox == []


def test_sign_in_post_two_people_sharing_an_address_each_get_their_link(
    client, chen, django_capture_on_commit_callbacks
):
    twin = PersonFactory(key="chen-tao-2", name="Chen Tao (2)", email="chen.tao@example.org")
    ask_for_link(client, django_capture_on_commit_callbacks, "chen.tao@example.org")
    assert sorted(m.to[0] for m in mail.outbox) == [
        '"Chen Tao (2)" <chen.tao@example.org>',
        "Chen Tao <Chen.Tao@example.org>",
    ]
    chen.refresh_from_db()
    twin.refresh_from_db()
    assert chen.user != twin.user


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("chen.tao at example", EMAIL_ERRORS["invalid"]),
        ("陈涛@例子.中国", EMAIL_ERRORS["invalid"]),
        ("محمد@example.org", EMAIL_ERRORS["invalid"]),
        ("🙂@example.org", EMAIL_ERRORS["invalid"]),
        # Django's own message.
        ("a" * 250 + "@example.org", "Ensure this value has at most 254 characters (it has 262)."),
    ],
    ids=["no-at", "cjk", "rtl", "emoji", "overlong"],
)
def test_sign_in_post_invalid_address_shows_the_error_and_keeps_what_was_typed(
    client, chen, typed, message
):
    response = client.post(SIGN_IN_URL, {"email": typed})
    assert response.status_code == 200
    html = response.content.decode()
    assert f"<strong>{message}</strong>" in html
    assert f'value="{escape(typed)}"' in html
    assert OutgoingEmail.objects.count() == 0


def test_sign_in_post_empty_address_asks_for_one(client, db):
    response = client.post(SIGN_IN_URL, {"email": "   "})
    assert response.status_code == 200
    assert str(EMAIL_ERRORS["required"]) in response.content.decode()


def test_sign_in_post_markup_is_escaped_on_the_form(client, db):
    response = client.post(SIGN_IN_URL, {"email": XSS})
    html = response.content.decode()
    assert response.status_code == 200
    assert "<img src=x" not in html
    assert f'value="{XSS_ESCAPED}"' in html


def test_sign_in_post_non_utf8_bytes_give_a_form_error_not_500(client, db):
    response = client.generic(
        "POST", SIGN_IN_URL, b"email=%FF%40example.org", "application/x-www-form-urlencoded"
    )
    assert response.status_code == 200
    assert str(EMAIL_ERRORS["invalid"]) in response.content.decode()


def test_sign_in_post_without_csrf_token_is_refused(chen):
    response = Client(enforce_csrf_checks=True).post(SIGN_IN_URL, {"email": chen.email})
    assert response.status_code == 403
    assert OutgoingEmail.objects.count() == 0


def test_sign_in_post_rate_limited_per_ip_gets_429_and_no_email(
    client, chen, settings, django_capture_on_commit_callbacks
):
    settings.PORTAL_SIGNIN_RATE_PER_IP = "3/h"
    settings.PORTAL_SIGNIN_RATE_PER_EMAIL = "100/h"
    capture = django_capture_on_commit_callbacks
    for n in range(2):
        assert ask_for_link(client, capture, f"nobody{n}@example.org").status_code == 200
    assert ask_for_link(client, capture, chen.email).status_code == 200
    assert len(mail.outbox) == 1
    response = ask_for_link(client, capture, chen.email)
    assert response.status_code == 429
    assert gettext("Too many attempts") in response.content.decode()
    assert len(mail.outbox) == 1
    assert OutgoingEmail.objects.count() == 1
    # Another network is still served; reading the page is never limited.
    assert ask_for_link(client, capture, chen.email, REMOTE_ADDR="10.9.9.9").status_code == 200
    assert len(mail.outbox) == 2
    assert client.get(SIGN_IN_URL).status_code == 200


def test_sign_in_post_rate_limited_per_address_gets_429_and_no_email(
    client, chen, settings, django_capture_on_commit_callbacks
):
    settings.PORTAL_SIGNIN_RATE_PER_IP = "100/h"
    settings.PORTAL_SIGNIN_RATE_PER_EMAIL = "2/h"
    capture = django_capture_on_commit_callbacks
    for n, typed in enumerate(["chen.tao@example.org", "CHEN.TAO@example.org "]):
        response = ask_for_link(client, capture, typed, REMOTE_ADDR=f"10.0.0.{n + 1}")
        assert response.status_code == 200
    response = ask_for_link(client, capture, "Chen.Tao@Example.org", REMOTE_ADDR="10.0.0.99")
    assert response.status_code == 429
    assert (len(mail.outbox), OutgoingEmail.objects.count()) == (2, 2)


def test_sign_in_page_signed_in_person_is_pointed_to_the_portal(client, chen):
    client.force_login(ensure_portal_user(chen))
    html = client.get(SIGN_IN_URL).content.decode()
    assert (
        gettext(
            'You are signed in as <bdi>%(name)s</bdi>. <a href="%(slots_url)s">Go to your '
            "slots</a>."
        )
        % {"name": "Chen Tao", "slots_url": "/portal/"}
        in html
    )


def test_sign_in_page_signed_in_account_without_person_is_told_so(client, db):
    client.force_login(User.objects.create(username="someone"))
    response = client.get(SIGN_IN_URL)
    assert response.status_code == 200
    assert (
        gettext(
            "You are signed in with an account that belongs to no speaker, chair or commentator, "
            "so the speaker portal has nothing to show you. To use the portal, ask for a link "
            "below: signing in with it replaces the current sign-in."
        )
        in response.content.decode()
    )


# --- the link --------------------------------------------------------------------------------


def test_magic_link_get_shows_a_button_and_neither_signs_in_nor_uses_the_link_up(client, chen):
    path = sign_in_url(ensure_portal_user(chen), purpose="signin").removeprefix("http://testserver")
    first = client.get(path)
    second = client.get(path)
    assert (first.status_code, second.status_code) == (200, 200)
    html = second.content.decode()
    assert link_problems(second) == []
    assert (
        gettext("You are about to sign in as <strong><bdi>%(name)s</bdi></strong>.")
        % {"name": "Chen Tao"}
        in html
    )
    assert '<form method="post" action="/portal/link/signin/">' in html
    assert f'<input type="hidden" name="sesame" value="{token_of(path)}">' in html
    # The token never leaves in a Referer; the Origin header (CSRF) stays intact.
    assert '<meta name="referrer" content="strict-origin">' in html
    assert "no-store" in second["Cache-Control"]
    assert signed_in_user_id(client) is None
    chen.user.refresh_from_db()
    assert chen.user.last_login is None

    response = client.post("/portal/link/signin/", {"sesame": token_of(path)})
    assert response.status_code == 302
    assert response["Location"] == "/portal/"
    assert signed_in_user_id(client) == str(chen.user.pk)


def test_magic_link_head_does_not_sign_in(client, chen):
    path = sign_in_url(ensure_portal_user(chen), purpose="signin").removeprefix("http://testserver")
    assert client.head(path).status_code == 200
    assert signed_in_user_id(client) is None
    assert client.get(path).status_code == 200


def test_magic_link_post_signs_in_and_redirects_to_the_portal(
    client, chen, django_capture_on_commit_callbacks
):
    ask_for_link(client, django_capture_on_commit_callbacks, chen.email)
    path = link_path(mail.outbox[0])
    response = client.post("/portal/link/signin/", {"sesame": token_of(path)})
    assert response.status_code == 302
    assert response["Location"] == "/portal/"
    chen.refresh_from_db()
    assert signed_in_user_id(client) == str(chen.user.pk)
    assert chen.user.last_login is not None
    messages = [str(m) for m in response.wsgi_request._messages._queued_messages]
    assert messages == [gettext("Welcome, %(name)s: you are signed in.") % {"name": "Chen Tao"}]


def test_magic_link_post_twice_fails_the_second_time_with_a_clear_page(client, chen):
    token = token_of(sign_in_url(ensure_portal_user(chen), purpose="signin"))
    assert client.post("/portal/link/signin/", {"sesame": token}).status_code == 302
    other_browser = Client()
    for response in (
        other_browser.post("/portal/link/signin/", {"sesame": token}),
        other_browser.get(f"/portal/link/signin/?sesame={token}"),
    ):
        assert response.status_code == 400
        assert link_problems(response) == ["invalid"]
        html = response.content.decode()
        expired = gettext("This link has expired or was already used")
        assert f'<h1 class="h2" data-link-problem="invalid">{expired}</h1>' in html
        ask = gettext("Ask for a new link")
        assert f'<a class="btn btn-primary" href="/portal/sign-in/">{ask}</a>' in html
    assert signed_in_user_id(other_browser) is None


@pytest.mark.django_db(transaction=True)
def test_magic_link_pressed_at_once_in_many_browsers_signs_in_once():
    person = PersonFactory()
    token = token_of(sign_in_url(ensure_portal_user(person), purpose="signin"))
    browsers = [Client() for _ in range(6)]
    outcomes = run_concurrently(
        [
            lambda b=b: b.post("/portal/link/signin/", {"sesame": token}).status_code
            for b in browsers
        ],
        threads=6,
    )
    assert [o.error for o in outcomes if o.error is not None] == []
    assert sorted(o.value for o in outcomes) == [302, 400, 400, 400, 400, 400]
    assert sum(signed_in_user_id(b) is not None for b in browsers) == 1


def test_magic_link_signing_in_ends_every_older_link(client, chen):
    user = ensure_portal_user(chen)
    invitation = token_of(sign_in_url(user, purpose="invitation"))
    sign_in = token_of(sign_in_url(user, purpose="signin"))
    assert client.post("/portal/link/signin/", {"sesame": sign_in}).status_code == 302
    response = Client().post("/portal/link/invitation/", {"sesame": invitation})
    assert response.status_code == 400


def test_magic_link_reused_while_signed_in_offers_the_portal(client, chen):
    token = token_of(sign_in_url(ensure_portal_user(chen), purpose="signin"))
    client.post("/portal/link/signin/", {"sesame": token})
    response = client.get(f"/portal/link/signin/?sesame={token}")
    assert response.status_code == 400
    assert link_problems(response) == ["invalid"]
    assert (
        gettext(
            'You are already signed in as <bdi>%(name)s</bdi>: <a href="%(slots_url)s">go to '
            "your slots</a>."
        )
        % {"name": "Chen Tao", "slots_url": "/portal/"}
        in response.content.decode()
    )


def mint_at(monkeypatch, user, *, purpose: str, seconds_ago: int) -> str:
    """A token as if made `seconds_ago`: only django-sesame's clock is moved, while minting."""
    made_at = time.time() - seconds_ago
    with monkeypatch.context() as patch:
        patch.setattr("sesame.tokens_v2.time.time", lambda: made_at)
        return token_of(sign_in_url(user, purpose=purpose))


@pytest.mark.parametrize(
    ("purpose", "max_age"), [("signin", 15 * 60), ("invitation", 7 * 24 * 3600)]
)
def test_magic_link_older_than_its_max_age_fails_and_younger_works(
    client, chen, monkeypatch, purpose, max_age
):
    user = ensure_portal_user(chen)
    expired = mint_at(monkeypatch, user, purpose=purpose, seconds_ago=max_age + 1)
    fresh = mint_at(monkeypatch, user, purpose=purpose, seconds_ago=max_age - 60)
    url = f"/portal/link/{purpose}/"
    for method in (client.get, client.post):
        response = method(url, {"sesame": expired})
        assert response.status_code == 400
        assert link_problems(response) == ["invalid"]
    assert signed_in_user_id(client) is None
    assert client.post(url, {"sesame": fresh}).status_code == 302
    assert signed_in_user_id(client) == str(user.pk)


def test_magic_link_max_age_follows_the_settings(client, chen, settings):
    token = token_of(sign_in_url(ensure_portal_user(chen), purpose="signin"))
    settings.PORTAL_SIGNIN_MAX_AGE = 0
    response = client.post("/portal/link/signin/", {"sesame": token})
    assert response.status_code == 400
    assert link_problems(response) == ["invalid"]


def tampered(token: str) -> str:
    """The same token with its last signature character changed."""
    return token[:-1] + ("A" if token[-1] != "A" else "B")


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(tampered, id="one-char-changed"),
        pytest.param(lambda t: t[:-3], id="cut-short"),
        pytest.param(lambda t: t + "x", id="one-char-more"),
        pytest.param(lambda t: "", id="empty"),
        pytest.param(lambda t: "ÄÖÜ-漢字-\u202e", id="non-ascii"),
        pytest.param(lambda t: "A" * 5000, id="overlong"),
        pytest.param(lambda t: "%%%", id="not-base64"),
    ],
)
def test_magic_link_damaged_token_fails_with_the_clear_page(client, chen, damage):
    token = damage(token_of(sign_in_url(ensure_portal_user(chen), purpose="signin")))
    for method in (client.get, client.post):
        response = method("/portal/link/signin/", {"sesame": token})
        assert response.status_code == 400
        assert link_problems(response) == ["invalid"]
    assert signed_in_user_id(client) is None


def test_magic_link_without_token_fails_with_the_clear_page(client, db):
    response = client.get("/portal/link/signin/")
    assert response.status_code == 400
    assert link_problems(response) == ["invalid"]


@pytest.mark.parametrize(
    ("made_for", "used_at"), [("invitation", "signin"), ("signin", "invitation")]
)
def test_magic_link_of_one_purpose_fails_at_the_other(client, chen, made_for, used_at):
    token = token_of(sign_in_url(ensure_portal_user(chen), purpose=made_for))
    for method in (client.get, client.post):
        response = method(f"/portal/link/{used_at}/", {"sesame": token})
        assert response.status_code == 400
        assert link_problems(response) == ["invalid"]
    assert signed_in_user_id(client) is None
    # The link still works where it belongs.
    assert client.post(f"/portal/link/{made_for}/", {"sesame": token}).status_code == 302


def test_magic_link_unknown_purpose_is_404(client, chen):
    token = token_of(sign_in_url(ensure_portal_user(chen), purpose="signin"))
    assert client.get(f"/portal/link/admin/?sesame={token}").status_code == 404
    assert client.post("/portal/link/admin/", {"sesame": token}).status_code == 404


def test_magic_link_post_without_csrf_token_is_refused(chen):
    token = token_of(sign_in_url(ensure_portal_user(chen), purpose="signin"))
    browser = Client(enforce_csrf_checks=True)
    assert browser.post("/portal/link/signin/", {"sesame": token}).status_code == 403
    assert signed_in_user_id(browser) is None


def test_magic_link_put_is_not_allowed(client, chen):
    token = token_of(sign_in_url(ensure_portal_user(chen), purpose="signin"))
    assert client.put(f"/portal/link/signin/?sesame={token}").status_code == 405


def test_magic_link_of_an_account_whose_person_is_gone_explains_and_does_not_sign_in(client, chen):
    token = token_of(sign_in_url(ensure_portal_user(chen), purpose="signin"))
    chen.delete()
    for method in (client.get, client.post):
        response = method("/portal/link/signin/", {"sesame": token})
        assert response.status_code == 403
        assert link_problems(response) == ["unlinked"]
        html = response.content.decode()
        heading = gettext("This link cannot sign you in")
        assert f'<h1 class="h2" data-link-problem="unlinked">{heading}</h1>' in html
        assert (
            gettext(
                "The link is valid, but its account no longer belongs to a speaker, chair or "
                "commentator of any event, so the speaker portal has nothing to show."
            )
            in html
        )
    assert signed_in_user_id(client) is None


def test_magic_link_never_signs_in_an_organizer_account(client, chen):
    user = ensure_portal_user(chen)
    user.is_staff = True
    user.save()
    token = token_of(sign_in_url(user, purpose="signin"))
    response = client.post("/portal/link/signin/", {"sesame": token})
    assert response.status_code == 403
    assert link_problems(response) == ["organizer"]
    assert (
        gettext("Organizer accounts sign in with their password, never with an emailed link.")
        in response.content.decode()
    )
    assert signed_in_user_id(client) is None


def test_magic_link_of_a_disabled_account_fails(client, chen):
    user = ensure_portal_user(chen)
    token = token_of(sign_in_url(user, purpose="signin"))
    user.is_active = False
    user.save()
    response = client.post("/portal/link/signin/", {"sesame": token})
    assert response.status_code == 400
    assert signed_in_user_id(client) is None


def test_magic_link_replaces_another_account_signed_in_in_the_same_browser(client, chen):
    client.force_login(User.objects.create(username="someone"))
    token = token_of(sign_in_url(ensure_portal_user(chen), purpose="signin"))
    assert client.post("/portal/link/signin/", {"sesame": token}).status_code == 302
    assert signed_in_user_id(client) == str(chen.user.pk)


def test_magic_link_returns_to_the_portal_page_that_asked_for_sign_in(
    client, chen, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"{SIGN_IN_URL}?next=/portal/profile/", {"email": chen.email})
    path = link_path(mail.outbox[0])
    response = client.post("/portal/link/signin/", {"sesame": token_of(path)})
    assert response["Location"] == "/portal/profile/"
    assert "portal_next" not in client.session


def test_magic_link_never_returns_to_another_site(client, chen, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"{SIGN_IN_URL}?next=https://evil.example/", {"email": chen.email})
    path = link_path(mail.outbox[0])
    response = client.post("/portal/link/signin/", {"sesame": token_of(path)})
    assert response["Location"] == "/portal/"


def test_magic_link_page_escapes_the_persons_name(client, db):
    person = PersonFactory(name=XSS)
    token = token_of(sign_in_url(ensure_portal_user(person), purpose="signin"))
    html = client.get(f"/portal/link/signin/?sesame={token}").content.decode()
    assert "<img src=x" not in html
    assert f"<bdi>{XSS_ESCAPED}</bdi>" in html


# --- the email -------------------------------------------------------------------------------


def test_sign_in_email_greets_names_validity_and_where_to_ask_again(
    client, chen, django_capture_on_commit_callbacks
):
    ask_for_link(client, django_capture_on_commit_callbacks, chen.email)
    message = mail.outbox[0]
    path = link_path(message)
    assert message.subject == gettext("Your sign-in link")
    here_is_the_link = gettext(
        "here is the link you asked for, to sign in to the speaker portal. "
        "It is valid for %(valid_for)s, once:"
    ) % {"valid_for": fifteen_minutes()}
    assert message.body.startswith(
        f"{dear('Chen Tao')}\n\n{here_is_the_link}\nhttp://testserver{path}\n"
    )
    ask_again = gettext("Link expired or already used? Ask for a new one:")
    assert f"{ask_again}\nhttp://testserver/portal/sign-in/\n" in message.body
    html = message.alternatives[0][0]
    assert f'<a href="http://testserver{escape(path)}"' in html
    assert f"<p>{here_is_the_link}</p>" in html
    ask_again_html = gettext(
        'Link expired or already used? <a href="%(new_link_url)s">Ask for a new one</a>.'
    ) % {"new_link_url": "http://testserver/portal/sign-in/"}
    assert f"<p>{ask_again_html}</p>" in html


def test_sign_in_email_escapes_markup_in_the_html_part(
    client, db, django_capture_on_commit_callbacks
):
    PersonFactory(name=XSS, email="x@example.org")
    ask_for_link(client, django_capture_on_commit_callbacks, "x@example.org")
    message = mail.outbox[0]
    html = message.alternatives[0][0]
    assert "<img src=x" not in html
    assert f"<p>{dear(XSS_ESCAPED)}</p>" in html
    assert message.body.startswith(dear(XSS))  # plain text is not HTML


def test_sign_in_email_line_breaks_in_the_name_add_no_header(
    client, db, django_capture_on_commit_callbacks
):
    PersonFactory(name="Eve\r\nBcc: x@example.org", email="eve@example.org")
    ask_for_link(client, django_capture_on_commit_callbacks, "eve@example.org")
    message = mail.outbox[0]
    # One recipient, its name on one line (quoted: it holds ":" and "@").
    assert message.recipients() == ['"Eve Bcc: x@example.org" <eve@example.org>']
    parsed = message_from_bytes(message.message().as_bytes())
    assert parsed.get_all("Bcc") is None
    assert getaddresses(parsed.get_all("To")) == [("Eve Bcc: x@example.org", "eve@example.org")]


def test_sign_in_from_the_email_end_to_end(client, chen, django_capture_on_commit_callbacks):
    ask_for_link(client, django_capture_on_commit_callbacks, "CHEN.TAO@example.org")
    path = link_path(mail.outbox[0])
    browser = Client(enforce_csrf_checks=True)
    page = browser.get(path)
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode())[1]
    response = browser.post(
        "/portal/link/signin/", {"csrfmiddlewaretoken": csrf, "sesame": token_of(path)}
    )
    assert response.status_code == 302
    assert browser.session[SESSION_KEY] == str(Person.objects.get(pk=chen.pk).user_id)


# --- signing out -----------------------------------------------------------------------------


def test_sign_out_post_signs_out_and_goes_to_the_event_list(client, chen):
    client.force_login(ensure_portal_user(chen))
    response = client.post("/portal/sign-out/")
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert signed_in_user_id(client) is None


def test_sign_out_get_is_not_allowed(client, chen):
    client.force_login(ensure_portal_user(chen))
    assert client.get("/portal/sign-out/").status_code == 405
    assert signed_in_user_id(client) == str(chen.user.pk)
