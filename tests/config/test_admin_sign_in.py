"""Failed admin sign-ins are limited per account and per client address (django-axes,
config/admin_sign_in.py): past the limit, even the right password is refused with our page
(429) until the cool-off has passed; portal links (django-sesame) are not affected."""

import datetime as dt
import logging

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import SESSION_KEY
from django.contrib.auth.models import User
from django.test import Client
from django.utils.translation import gettext, ngettext

from portal.links import sign_in_url
from portal.services import ensure_portal_user
from tests.factories import PersonFactory

LOGIN_URL = "/admin/login/?next=/admin/"
PASSWORD = "correct horse battery staple"
ATTACKER = "198.51.100.7"
ELSEWHERE = "203.0.113.20"


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """Thousands of hash rounds per try add up over dozens of tries; the lockout does not care."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def organizer_account(db):
    return User.objects.create_user(
        "organizer", email="organizer@example.org", password=PASSWORD, is_staff=True
    )


@pytest.fixture
def colleague(db):
    return User.objects.create_user(
        "colleague", email="colleague@example.org", password=PASSWORD, is_staff=True
    )


@pytest.fixture
def limits(settings):
    settings.AXES_FAILURE_LIMIT = 5
    settings.AXES_COOLOFF_TIME = dt.timedelta(minutes=15)
    settings.TRUSTED_PROXY_COUNT = 0
    return settings


def sign_in(username, password, address=ATTACKER, **meta):
    """One sign-in on the admin's own form, from a fresh browser."""
    client = Client(REMOTE_ADDR=address, **meta)
    response = client.post(LOGIN_URL, {"username": username, "password": password})
    response.signed_in = SESSION_KEY in client.session
    return response


def is_lockout_page(response) -> bool:
    return response.status_code == 429 and b"data-lockout" in response.content


def try_again_in(minutes: int) -> str:
    return ngettext(
        "Try again in %(minutes)s minute.", "Try again in %(minutes)s minutes.", minutes
    ) % {"minutes": minutes}


def end_cool_off():
    """What the passing of the cool-off does: every counted failure is older than it."""
    AccessAttempt.objects.update(
        attempt_time=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=15, seconds=1)
    )


def test_admin_sign_in_thirty_wrong_passwords_lock_the_account_even_for_the_right_one(
    organizer_account, limits
):
    responses = [sign_in("organizer", f"guess-{n}") for n in range(30)]
    # The first four get the form again; the fifth failure locks.
    assert [r.status_code for r in responses[:4]] == [200] * 4
    assert all(is_lockout_page(r) for r in responses[4:])
    right = sign_in("organizer", PASSWORD)
    assert is_lockout_page(right)
    assert right.signed_in is False
    html = right.content.decode()
    assert gettext("Too many failed sign-ins.") in html
    assert 'data-retry-minutes="15"' in html
    assert try_again_in(15) in html
    assert 840 < int(right.headers["Retry-After"]) <= 900
    # Tries during the lockout were not counted: the window runs from the fifth failure.
    attempt = AccessAttempt.objects.get()
    assert (attempt.username, attempt.ip_address, attempt.failures_since_start) == (
        "organizer",
        ATTACKER,
        5,
    )
    assert "guess-" not in attempt.post_data  # passwords are masked, never stored


def test_admin_sign_in_works_again_after_the_cool_off(organizer_account, limits):
    for n in range(5):
        sign_in("organizer", f"guess-{n}")
    assert is_lockout_page(sign_in("organizer", PASSWORD))
    end_cool_off()
    response = sign_in("organizer", PASSWORD)
    assert (response.status_code, response.headers["Location"], response.signed_in) == (
        302,
        "/admin/",
        True,
    )
    # A success clears the failures: the next typo is the first again.
    assert AccessAttempt.objects.count() == 0
    assert sign_in("organizer", "typo").status_code == 200


def test_admin_sign_in_page_says_how_long_is_left(organizer_account, limits):
    for n in range(5):
        sign_in("organizer", f"guess-{n}")
    AccessAttempt.objects.update(attempt_time=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=11))
    response = sign_in("organizer", PASSWORD)
    assert is_lockout_page(response)
    assert try_again_in(4) in response.content.decode()


def test_admin_sign_in_lockout_is_per_account_from_any_address(
    organizer_account, colleague, limits
):
    for n in range(5):
        sign_in("organizer", f"guess-{n}", address=ATTACKER)
    # The account is locked wherever the right password comes from…
    assert is_lockout_page(sign_in("organizer", PASSWORD, address=ELSEWHERE))
    # …while a colleague elsewhere signs in as usual.
    assert sign_in("colleague", PASSWORD, address=ELSEWHERE).signed_in is True


def test_admin_sign_in_lockout_is_per_address_for_every_account(
    organizer_account, colleague, limits
):
    # Five different usernames from one address: no account reaches the limit, the address does.
    for n in range(5):
        sign_in(f"admin{n}", "guess", address=ATTACKER)
    response = sign_in("colleague", PASSWORD, address=ATTACKER)
    assert is_lockout_page(response)
    assert response.signed_in is False
    assert sign_in("colleague", PASSWORD, address=ELSEWHERE).signed_in is True


def test_admin_sign_in_counts_the_client_behind_the_proxy_not_spoofed_values(
    organizer_account, colleague, limits
):
    limits.TRUSTED_PROXY_COUNT = 1
    proxy = "10.0.0.1"
    for n in range(5):
        sign_in(
            f"admin{n}", "guess", address=proxy, HTTP_X_FORWARDED_FOR=f"192.0.2.{n}, {ATTACKER}"
        )
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {ATTACKER}
    locked = sign_in("colleague", PASSWORD, address=proxy, HTTP_X_FORWARDED_FOR=ATTACKER)
    assert is_lockout_page(locked)
    # Another client behind the same proxy is not locked out with the attacker.
    other = sign_in("colleague", PASSWORD, address=proxy, HTTP_X_FORWARDED_FOR=ELSEWHERE)
    assert other.signed_in is True


def test_admin_sign_in_garbage_forwarded_header_is_no_500(organizer_account, limits):
    limits.TRUSTED_PROXY_COUNT = 1
    response = sign_in("organizer", "guess", address="10.0.0.1", HTTP_X_FORWARDED_FOR="garbage")
    assert response.status_code == 200
    assert AccessAttempt.objects.get().ip_address == "10.0.0.1"


def test_admin_sign_in_limit_and_cool_off_come_from_the_settings(organizer_account, limits):
    limits.AXES_FAILURE_LIMIT = 2
    limits.AXES_COOLOFF_TIME = dt.timedelta(minutes=3)
    assert sign_in("organizer", "a").status_code == 200
    response = sign_in("organizer", "b")
    assert is_lockout_page(response)
    assert try_again_in(3) in response.content.decode()


# --- the speaker portal is not an admin sign-in ----------------------------------------------


@pytest.fixture
def speaker(db):
    person = PersonFactory(key="ana-speaker", name="Ana Speaker", email="ana@example.org")
    ensure_portal_user(person)
    return person


def test_portal_link_signs_in_from_an_address_locked_out_of_admin(speaker, limits):
    for n in range(5):
        sign_in(f"admin{n}", "guess", address=ATTACKER)
    url = sign_in_url(speaker.user, purpose="signin")
    client = Client(REMOTE_ADDR=ATTACKER)
    token = url.split("sesame=", 1)[1]
    response = client.post("/portal/link/signin/", {"sesame": token})
    assert response.status_code == 302
    assert client.session[SESSION_KEY] == str(speaker.user.pk)


def test_portal_expired_links_count_for_nothing_and_log_no_error(speaker, limits, caplog):
    client = Client(REMOTE_ADDR=ATTACKER)
    with caplog.at_level(logging.INFO):
        for _ in range(10):
            response = client.post("/portal/link/signin/", {"sesame": "A" * 40})
            assert response.status_code == 400
    assert AccessAttempt.objects.count() == 0
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []
    # Nor do they count toward the admin's limit of that address.
    assert sign_in("organizer", "guess", address=ATTACKER).status_code == 200
