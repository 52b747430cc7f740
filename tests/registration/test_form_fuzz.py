"""Fuzzing the registration page as a browser would post it (hypothesis): whatever people type
— Unicode look-alikes, internationalised domains, invisible characters, control characters,
markup, every script — the answer is a registration or a form that names the problem and
keeps what was typed; never a 500, and never an address the outbox cannot deliver."""

import pytest
from django.core import mail
from django.core.cache import cache
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mailing.models import OutgoingEmail
from registration.models import Registration
from tests.registration.conftest import form_data

REGISTER_URL = "/events/open-workshop/register/"

# Characters that tripped the first version, among ordinary ones.
TRICKY = list(
    "aAzZ09.-_+@ äöüßéİıK\u212a\uff41\u0430\u03bf例え中国"
    "\u200b\u200c\u200d\u2060\ufeff\u00ad\u202e\u2028\r\n\t\x00\x7f\ufffd<>\"'&"
)
local_parts = st.text(alphabet=st.sampled_from(TRICKY), min_size=1, max_size=12) | st.sampled_from(
    ["victim", "Victim", "\u212aim", "kim", "chen.tao", "a+b"]
)
domains = st.text(alphabet=st.sampled_from(TRICKY), min_size=1, max_size=16) | st.sampled_from(
    [
        "gmail.com",
        "gma\u0130l.com",
        "GMAIL.COM",
        "\u212aelvin.org",
        "ex\u00e4mple.org",
        "\u4f8b\u3048.jp",
        "exa\u200bmple.org",
        "xn--exmple-cua.org",
        "-bad.org",
        "a..b",
    ]
)
addresses = st.builds(lambda local, domain: f"{local}@{domain}", local_parts, domains) | st.text(
    max_size=40
)
names = st.text(max_size=60) | st.sampled_from(["Chen Tao", "Eve\r\nBcc: x@example.org"])


@pytest.fixture
def unlimited(settings):
    """Fuzzing posts hundreds of forms from one client: lift the rate limits for it."""
    settings.REGISTRATION_RATE_PER_IP = "100000/h"
    settings.REGISTRATION_RATE_PER_EMAIL = "100000/h"
    cache.clear()


@settings(
    database=None,
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(email=addresses, name=names)
def test_register_post_never_fails_and_never_accepts_an_undeliverable_address(
    client, open_event, unlimited, django_capture_on_commit_callbacks, email, name
):
    data = form_data(name=name, email=email)
    before = set(OutgoingEmail.objects.values_list("pk", flat=True))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(REGISTER_URL, data)
    assert response.status_code in (200, 302), response.status_code
    if response.status_code == 200:
        # Refused: the form is shown again with a message and nothing queued.
        assert b"invalid-feedback" in response.content
        assert set(OutgoingEmail.objects.values_list("pk", flat=True)) == before
        return
    for row in OutgoingEmail.objects.exclude(pk__in=before):
        assert row.to_address.isascii()
        assert row.state == OutgoingEmail.State.SENT, row.last_error
    for registration in Registration.objects.all():
        assert registration.email.isascii()
    assert all(message.to[0].isascii() for message in mail.outbox)
