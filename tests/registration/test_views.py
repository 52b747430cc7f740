"""The participant pages: register, check inbox, confirm, status, cancel, the calendar file,
and the registration box of the event page."""

import datetime as dt
from html import escape
from html.parser import HTMLParser

import icalendar
import pytest
from django.conf import settings
from django.core import mail
from django.core.cache import cache
from django.template import RequestContext, Template
from django.test import Client
from django.utils import timezone
from django.utils.translation import gettext, ngettext, pgettext

from mailing.models import OutgoingEmail
from registration.emails import Kind
from registration.models import Registration
from tests.factories import RegistrationFactory

State = Registration.State

REGISTER_URL = "/events/open-workshop/register/"
CHECK_INBOX_URL = "/events/open-workshop/register/check-inbox/"
XSS = '"><img src=x onerror=alert(1)>'
XSS_ESCAPED = "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;"
# The open_event's meeting (tests/factories.py): none of it may reach a page that a registrant
# who is not approved (or anyone anonymous) can open.
MEETING_URL = "https://zoom.us/j/5550001111"
MEETING_DETAILS = (MEETING_URL, "zoom.us", "5550001111", "555 000 1111", "s3cret-pass")
NOT_APPROVED = [
    State.UNCONFIRMED,
    State.PENDING,
    State.WAITING,
    State.DECLINED,
    State.CANCELLED,
    State.EXPIRED,
]


@pytest.fixture(autouse=True)
def empty_rate_limit_cache():
    """Rate-limit counters live in the cache; every test starts with none."""
    cache.clear()
    yield
    cache.clear()


def form_data(**overrides):
    data = {
        "name": "Chen Tao",
        "email": "chen@example.org",
        "affiliation": "Tongji University",
        "career_stage": "Scholar",
        "country": "CN",
        "timezone": "Asia/Shanghai",
        "message": "Looking forward to it.",
        "consent": "on",
        "website": "",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


class _FormReader(HTMLParser):
    """What a browser would submit back: the value of every named field of the page's forms,
    and the text of every element with an id (error messages)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.values: dict[str, str | None] = {}
        self.texts: dict[str, str] = {}
        self._open_ids: list[tuple[str, str, int]] = []
        self._depth = 0
        self._select: str | None = None
        self._option: dict | None = None
        self._textarea: str | None = None

    VOID = {"input", "br", "img", "meta", "link", "hr", "source", "wbr", "col", "area"}

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag not in self.VOID:
            self._depth += 1
            if "id" in attrs:
                self._open_ids.append((attrs["id"], tag, self._depth))
                self.texts[attrs["id"]] = ""
        if tag == "input" and "name" in attrs:
            if attrs.get("type") == "checkbox":
                self.values[attrs["name"]] = "on" if "checked" in attrs else None
            else:
                self.values[attrs["name"]] = attrs.get("value", "")
        elif tag == "select":
            self._select = attrs["name"]
            self.values[self._select] = None
        elif tag == "option" and self._select and "selected" in attrs:
            self.values[self._select] = attrs["value"]
        elif tag == "textarea":
            self._textarea = attrs["name"]
            self.values[self._textarea] = ""

    def handle_endtag(self, tag):
        if tag in self.VOID:
            return
        while self._open_ids and self._open_ids[-1][2] >= self._depth:
            self._open_ids.pop()
        self._depth -= 1
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data):
        for element_id, _, _ in self._open_ids:
            self.texts[element_id] += data
        if self._textarea:
            self.values[self._textarea] += data


def read_form(response) -> _FormReader:
    reader = _FormReader()
    reader.feed(response.content.decode())
    reader.close()
    # Django writes a line break after <textarea> (browsers drop it); so does the reader.
    for name, value in reader.values.items():
        if name == "message" and value and value.startswith("\n"):
            reader.values[name] = value[1:]
    return reader


def error_text(reader: _FormReader, field: str) -> str:
    return " ".join(reader.texts.get(f"id_{field}_error", "").split())


def status_url(registration) -> str:
    return f"/registrations/{registration.secret}/"


def assert_no_meeting(content: bytes) -> None:
    text = content.decode()
    for detail in MEETING_DETAILS:
        assert detail not in text


# --- the register page ---------------------------------------------------------------------


def test_register_page_get_shows_form_privacy_link_and_event_zone_preselected(client, open_event):
    response = client.get(REGISTER_URL)
    assert response.status_code == 200
    html = response.content.decode()
    form = read_form(response)
    assert {
        "name",
        "email",
        "affiliation",
        "career_stage",
        "country",
        "timezone",
        "message",
        "consent",
        "website",
        "csrfmiddlewaretoken",
        "register",
    } == set(form.values) - {"q"}  # q: the site-wide search box in the header
    assert form.values["timezone"] == "Europe/Berlin"
    assert form.values["career_stage"] == ""
    assert form.values["country"] == ""
    assert (
        gettext(
            "I agree that my data are stored to run this event, as the {link_start}privacy "
            "notice{link_end} explains."
        ).format(link_start='<a href="/privacy/" target="_blank">', link_end="</a>")
        in html
    )
    # A fresh form (no data-bound) lets the script preselect the browser's zone.
    assert 'class="js-browser-timezone longselect form-select"' in html
    assert "data-bound" not in html
    assert '<script src="/static/js/registration.js" defer></script>' in html
    assert 'action="/events/open-workshop/register/"' in html
    assert_no_meeting(response.content)


def test_register_page_unknown_event_is_404(client, db):
    assert client.get("/events/no-such-event/register/").status_code == 404
    assert client.post("/events/no-such-event/register/", form_data()).status_code == 404


def test_register_post_valid_redirects_to_check_inbox_with_one_unconfirmed_registration(
    client, open_event, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(REGISTER_URL, form_data())
    assert response.status_code == 302
    assert response["Location"] == CHECK_INBOX_URL
    registration = Registration.objects.get()
    assert (
        registration.event,
        registration.name,
        registration.email,
        registration.affiliation,
        registration.career_stage,
        registration.country.code,
        registration.timezone,
        registration.message,
        registration.state,
        registration.privacy_notice_version,
    ) == (
        open_event,
        "Chen Tao",
        "chen@example.org",
        "Tongji University",
        "Scholar",
        "CN",
        "Asia/Shanghai",
        "Looking forward to it.",
        State.UNCONFIRMED,
        settings.PRIVACY_NOTICE_VERSION,
    )
    assert [m.to for m in mail.outbox] == [["Chen Tao <chen@example.org>"]]
    assert f"/registrations/{registration.secret}/confirm/" in mail.outbox[0].body


def test_check_inbox_page_names_the_event(client, open_event):
    response = client.get(CHECK_INBOX_URL)
    assert response.status_code == 200
    assert (
        gettext("Thank you. We have sent an email to the address you gave, for “%(title)s”.")
        % {"title": "Open Workshop"}
        in response.content.decode()
    )


def test_register_post_same_address_in_any_case_gives_the_same_answer(
    client, open_event, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        first = client.post(REGISTER_URL, form_data(email="Alice@Example.com "), follow=True)
        second = client.post(
            REGISTER_URL, form_data(email="alice@example.com", name="Mallory"), follow=True
        )
        stranger = client.post(REGISTER_URL, form_data(email="bob@example.org"), follow=True)
    assert first.redirect_chain == [(CHECK_INBOX_URL, 302)]
    assert second.redirect_chain == first.redirect_chain
    assert stranger.redirect_chain == first.redirect_chain
    assert second.content == first.content
    assert stranger.content == first.content
    alice = Registration.objects.get(email__iexact="alice@example.com")
    # The domain in its canonical (lower-case) form; the part before the @ as typed.
    assert (alice.name, alice.email) == ("Chen Tao", "Alice@example.com")
    assert Registration.objects.count() == 2
    assert sorted(alice.emails.values_list("kind", flat=True)) == [Kind.CONFIRM, Kind.LINK_REMINDER]


@pytest.mark.parametrize(
    "look_alike",
    [
        "Alice@EXAMPLE.com",
        "alice@\uff45xample.com",  # full-width e: the same domain
        "alice@ex\u0430mple.com",  # Cyrillic a: another domain
        "alice@\u0130xample.com",  # dotted capital I: LOWER and UPPER disagree on it
    ],
    ids=["case", "full-width", "cyrillic", "dotted-capital-I"],
)
def test_register_post_look_alike_of_a_registered_address_answers_like_any_address(
    client, open_event, django_capture_on_commit_callbacks, look_alike
):
    with django_capture_on_commit_callbacks(execute=True):
        first = client.post(REGISTER_URL, form_data(email="alice@example.com"), follow=True)
        again = client.post(REGISTER_URL, form_data(email=look_alike), follow=True)
        stranger = client.post(REGISTER_URL, form_data(email="bob@example.org"), follow=True)
    assert first.status_code == again.status_code == stranger.status_code == 200
    assert again.redirect_chain == stranger.redirect_chain == [(CHECK_INBOX_URL, 302)]
    assert again.content == stranger.content
    # Whatever was typed, mail only ever goes to ASCII addresses a server can take.
    assert all(m.to[0].isascii() for m in mail.outbox)


def test_register_post_internationalised_domain_is_accepted_and_the_link_is_mailed(
    client, open_event, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(REGISTER_URL, form_data(email="idn@ex\u00e4mple.org"))
    assert response.status_code == 302
    registration = Registration.objects.get()
    assert registration.email == "idn@xn--exmple-cua.org"
    assert [m.to for m in mail.outbox] == [["Chen Tao <idn@xn--exmple-cua.org>"]]
    assert registration.emails.get().state == OutgoingEmail.State.SENT
    # The registrant reads the domain as they typed it.
    status = client.get(registration.get_absolute_url())
    assert "idn@ex\u00e4mple.org" in status.content.decode()


# The messages of workshop.validators (Django's own texts, such as the length limits, as they are).
SINGLE_LINE = gettext("%(label)s must be a single line of text.")
UNREADABLE = gettext("%(label)s contains characters that could not be read. Please type it again.")

INVALID_POSTS = [
    pytest.param("name", "", gettext("Please enter your name."), id="empty-name"),
    pytest.param("name", "   ", gettext("Please enter your name."), id="blank-name"),
    pytest.param(
        "email",
        "not-an-email",
        gettext("Enter a valid email address, e.g. name@example.org."),
        id="invalid-email",
    ),
    pytest.param(
        "name",
        "N" * 201,
        "Ensure this value has at most 200 characters (it has 201).",
        id="overlong-name",
    ),
    pytest.param(
        "affiliation",
        "A" * 301,
        "Ensure this value has at most 300 characters (it has 301).",
        id="overlong-affiliation",
    ),
    pytest.param(
        "message",
        "M" * 2001,
        "Ensure this value has at most 2000 characters (it has 2001).",
        id="overlong-message",
    ),
    pytest.param(
        "consent",
        None,
        gettext("Please agree to the storage of your data to register."),
        id="missing-consent",
    ),
    pytest.param(
        "timezone",
        "Mars/Olympus_Mons",
        gettext("Choose a time zone from the list."),
        id="bad-timezone",
    ),
    pytest.param(
        "timezone", "localtime", gettext("Choose a time zone from the list."), id="server-timezone"
    ),
    pytest.param(
        "career_stage",
        "Emperor",
        gettext("Please choose your career stage from the list."),
        id="bad-career-stage",
    ),
    pytest.param("country", "", gettext("Please choose your country."), id="missing-country"),
    pytest.param(
        "name",
        "Eve\r\nBcc: x@example.org",
        SINGLE_LINE % {"label": gettext("Your name")},
        id="crlf-name",
    ),
    pytest.param(
        "affiliation",
        "Uni\nBcc: x@example.org",
        SINGLE_LINE % {"label": gettext("Affiliation")},
        id="lf-affiliation",
    ),
    pytest.param("message", "Hello\x00", "Null characters are not allowed.", id="nul-message"),
    pytest.param(
        "email",
        "idn@exa\u200bmple.org",
        gettext(
            "The address contains an invisible character (%(char)s). Please type the "
            "address again instead of pasting it."
        )
        % {"char": "U+200B ZERO WIDTH SPACE"},
        id="invisible-character-in-email",
    ),
    pytest.param(
        "email",
        "\u9648\u6d9b@example.org",
        gettext(
            "The part before the @ can only use Latin letters without accents, digits and "
            "signs such as . _ - +: mail to other characters there cannot be delivered "
            "reliably. Please use another address."
        ),
        id="non-ascii-local-part",
    ),
]


@pytest.mark.parametrize(("field", "value", "message"), INVALID_POSTS)
def test_register_post_invalid_shows_error_at_field_and_keeps_every_value(
    client, open_event, field, value, message
):
    typed = {
        "name": "Rößler “Ada” <b>",
        "affiliation": "Université & Co",
        "message": "Line one\r\nLine <two> & “three”",
    }
    data = form_data(**{**typed, field: value})
    response = client.post(REGISTER_URL, data)
    assert response.status_code == 200
    form = read_form(response)
    assert error_text(form, field) == message
    html = response.content.decode()
    # The field is marked invalid and points at its message (screen readers read it).
    assert f'aria-describedby="id_{field}_error"' in html or (
        f'aria-describedby="id_{field}_helptext id_{field}_error"' in html
    )
    assert 'data-bound="1"' in html
    sent = {key: val for key, val in data.items() if key not in ("website",)}
    for name, value_sent in sent.items():
        if name == field and field in ("timezone", "career_stage"):
            continue  # not among the options: it cannot be selected again
        assert form.values[name] == value_sent, name
    # Typed text comes back escaped, never as markup.
    if field != "name":
        assert f'value="{escape(typed["name"])}"' in html
    assert "<b>" not in html.split('id="content"')[1]
    assert Registration.objects.count() == 0
    assert OutgoingEmail.objects.count() == 0


def test_register_post_invalid_email_with_markup_is_escaped_on_the_form(client, open_event):
    response = client.post(
        REGISTER_URL, form_data(name=XSS, email=XSS, affiliation=XSS, message=XSS)
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "<img src=x" not in html
    assert html.count(XSS_ESCAPED) == 4
    form = read_form(response)
    assert [form.values[f] for f in ("name", "email", "affiliation", "message")] == [XSS] * 4
    assert Registration.objects.count() == 0


@pytest.mark.parametrize(
    "name",
    ["Rößler", "陈涛", "مريم", "Ada 🎓 Lovelace", "👩🏽‍🔬 Zoë", "Şükrü Çağlar-Öztürk", "김민준"],
)
def test_register_post_unicode_name_is_stored_exactly_and_shown_on_status(client, open_event, name):
    response = client.post(
        REGISTER_URL, form_data(name=name, affiliation=f"{name} 大学", message=f"سلام {name}")
    )
    assert response.status_code == 302
    registration = Registration.objects.get()
    assert (registration.name, registration.affiliation, registration.message) == (
        name,
        f"{name} 大学",
        f"سلام {name}",
    )
    status = client.get(status_url(registration))
    assert f'<dd class="col-sm-9"><bdi>{name}</bdi></dd>' in status.content.decode()


def test_register_form_fields_read_right_to_left_text_in_its_direction(client, open_event):
    html = client.get(REGISTER_URL).content.decode()
    assert html.count('dir="auto"') == 3  # name, affiliation, message


FORM_REST = b"&career_stage=Scholar&country=CN&timezone=UTC&consent=on"


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        (
            b"name=%FF%FE&email=a%40example.org",
            "name",
            UNREADABLE % {"label": gettext("Your name")},
        ),
        (
            b"name=R%F6%DFler&email=a%40example.org",
            "name",
            UNREADABLE % {"label": gettext("Your name")},
        ),
        (
            b"name=Ada&affiliation=%E9cole&email=a%40example.org",
            "affiliation",
            UNREADABLE % {"label": gettext("Affiliation")},
        ),
        (
            b"name=Ada&email=a%40example.org&message=%C3%28%A0%A1",
            "message",
            UNREADABLE % {"label": gettext("Your message")},
        ),
        (
            b"name=Ada&email=%FF%40example.org",
            "email",
            gettext("Enter a valid email address, e.g. name@example.org."),
        ),
    ],
    ids=["name", "latin-1-name", "affiliation", "message", "email"],
)
def test_register_post_non_utf8_bytes_give_a_form_error_not_500(
    client, open_event, body, field, message
):
    response = client.generic(
        "POST", REGISTER_URL, body + FORM_REST, content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 200
    assert error_text(read_form(response), field) == message
    assert Registration.objects.count() == 0


def test_register_post_raw_non_utf8_bytes_are_not_500(client, open_event):
    # Bytes outside URL encoding: Django reads them as Latin-1, which is never an error.
    response = client.generic(
        "POST",
        REGISTER_URL,
        b"name=\xff\xfe\xfd&email=a%40example.org&%FF%FE=%FF" + FORM_REST,
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 302
    assert Registration.objects.get().name == "\xff\xfe\xfd"


@pytest.mark.parametrize(
    ("charset", "status"),
    [
        ("iso-8859-1", 400),  # Django accepts form bodies in UTF-8 only
        ("x-no-such-codec", 200),  # ignored: read as UTF-8, so the name is unreadable
    ],
)
def test_register_post_declaring_another_charset_is_not_500(client, open_event, charset, status):
    response = client.generic(
        "POST",
        REGISTER_URL,
        b"name=R%F6%DFler&email=a%40example.org" + FORM_REST,
        content_type=f"application/x-www-form-urlencoded; charset={charset}",
    )
    assert response.status_code == status
    assert Registration.objects.count() == 0


def test_markup_in_every_field_is_escaped_on_form_status_and_admin(
    client, admin_client, open_event
):
    # Markup typed by a registrant is escaped everywhere: the re-rendered form, the status
    # page, the admin list and change form.
    invalid = client.post(
        REGISTER_URL, form_data(name=XSS, affiliation=XSS, message=XSS, consent=None)
    )
    assert invalid.status_code == 200
    assert "<img src=x" not in invalid.content.decode()
    assert invalid.content.decode().count(XSS_ESCAPED) == 3

    assert (
        client.post(REGISTER_URL, form_data(name=XSS, affiliation=XSS, message=XSS)).status_code
        == 302
    )
    registration = Registration.objects.get()
    assert (registration.name, registration.affiliation, registration.message) == (XSS,) * 3

    for url in (status_url(registration), f"/registrations/{registration.secret}/confirm/"):
        html = client.get(url).content.decode()
        assert "<img src=x" not in html
        assert XSS_ESCAPED in html

    changelist = admin_client.get("/admin/registration/registration/").content.decode()
    assert "<img src=x" not in changelist
    # The name and affiliation columns, and the label of the row's checkbox.
    assert changelist.count(XSS_ESCAPED) == 3
    change = admin_client.get(
        f"/admin/registration/registration/{registration.pk}/change/"
    ).content.decode()
    assert "<img src=x" not in change
    assert change.count(XSS_ESCAPED) >= 3  # name, affiliation and message fields


def test_register_post_honeypot_filled_looks_done_but_creates_nothing(
    client, open_event, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post(REGISTER_URL, form_data(website="http://spam.example"))
    assert response.status_code == 302
    assert response["Location"] == CHECK_INBOX_URL
    assert Registration.objects.count() == 0
    assert OutgoingEmail.objects.count() == 0
    assert callbacks == []
    assert mail.outbox == []


def post_and_send(client, capture, data, **extra):
    """One request, with the emails it queues delivered once it has committed."""
    with capture(execute=True):
        return client.post(REGISTER_URL, data, **extra)


def test_register_post_rate_limited_per_ip_gets_429_and_no_email(
    client, open_event, settings, django_capture_on_commit_callbacks
):
    settings.REGISTRATION_RATE_PER_IP = "3/h"
    settings.REGISTRATION_RATE_PER_EMAIL = "100/h"
    capture = django_capture_on_commit_callbacks
    for n in range(3):
        response = post_and_send(client, capture, form_data(email=f"p{n}@example.org"))
        assert response.status_code == 302
    assert len(mail.outbox) == 3
    response = post_and_send(client, capture, form_data(email="p3@example.org"))
    assert response.status_code == 429
    assert gettext("Too many attempts") in response.content.decode()
    assert len(mail.outbox) == 3
    assert OutgoingEmail.objects.count() == 3
    assert Registration.objects.filter(email="p3@example.org").exists() is False
    # Another network is still served; reading the page is never limited.
    other = post_and_send(client, capture, form_data(email="q@example.org"), REMOTE_ADDR="10.9.9.9")
    assert other.status_code == 302
    assert client.get(REGISTER_URL).status_code == 200


def test_register_post_rate_limited_per_address_gets_429_and_no_email(
    client, open_event, settings, django_capture_on_commit_callbacks
):
    settings.REGISTRATION_RATE_PER_IP = "100/h"
    settings.REGISTRATION_RATE_PER_EMAIL = "3/h"
    capture = django_capture_on_commit_callbacks
    addresses = ["Victim@Example.org", "victim@example.org ", "VICTIM@example.org"]
    for n, address in enumerate(addresses):
        response = post_and_send(
            client, capture, form_data(email=address), REMOTE_ADDR=f"10.0.0.{n + 1}"
        )
        assert response.status_code == 302
    # The confirmation, then one reminder of the link (at most one per interval).
    assert len(mail.outbox) == 2
    assert OutgoingEmail.objects.count() == 2
    # A look-alike spelling of the same mailbox (full-width e) is counted with it.
    response = post_and_send(
        client, capture, form_data(email="victim@\uff45xample.org"), REMOTE_ADDR="10.0.0.99"
    )
    assert response.status_code == 429
    assert (len(mail.outbox), OutgoingEmail.objects.count()) == (2, 2)
    assert Registration.objects.count() == 1


def test_register_post_without_csrf_token_is_refused(open_event):
    csrf_client = Client(enforce_csrf_checks=True)
    response = csrf_client.post(REGISTER_URL, form_data())
    assert response.status_code == 403
    assert Registration.objects.count() == 0


def test_register_post_with_csrf_token_passes_csrf_check(open_event):
    csrf_client = Client(enforce_csrf_checks=True)
    token = read_form(csrf_client.get(REGISTER_URL)).values["csrfmiddlewaretoken"]
    response = csrf_client.post(REGISTER_URL, form_data(csrfmiddlewaretoken=token))
    assert response.status_code == 302
    assert Registration.objects.count() == 1


# --- the registration window ---------------------------------------------------------------


def test_register_page_closed_explains_and_post_creates_nothing(
    client, open_event, django_capture_on_commit_callbacks
):
    open_event.registration_closes = dt.datetime(2026, 1, 10, 17, tzinfo=dt.UTC)
    open_event.save()
    response = client.get(REGISTER_URL)
    assert response.status_code == 200
    html = response.content.decode()
    assert (
        gettext("Registration is closed (it closed on %(closes)s).")
        % {
            "closes": '<time datetime="2026-01-10T18:00:00+01:00">'
            "Saturday, 10 January 2026, 18:00 Europe/Berlin</time>"
        }
        in html
    )
    assert 'name="email"' not in html
    with django_capture_on_commit_callbacks(execute=True):
        posted = client.post(REGISTER_URL, form_data())
    assert posted.status_code == 200
    assert 'data-window="closed"' in posted.content.decode()
    assert 'name="email"' not in posted.content.decode()
    assert Registration.objects.count() == 0
    assert mail.outbox == []


def test_register_page_closed_once_the_first_session_started(client, open_event):
    open_event.sessions.update(start=timezone.now() - dt.timedelta(minutes=5))
    response = client.get(REGISTER_URL)
    assert 'data-window="closed"' in response.content.decode()
    assert client.post(REGISTER_URL, form_data()).status_code == 200
    assert Registration.objects.count() == 0


def test_register_page_not_yet_open_explains_and_post_creates_nothing(client, open_event):
    open_event.registration_opens = dt.datetime(2099, 3, 1, 8, tzinfo=dt.UTC)
    open_event.registration_closes = dt.datetime(2099, 4, 1, 8, tzinfo=dt.UTC)
    open_event.save()
    response = client.get(REGISTER_URL)
    html = response.content.decode()
    assert (
        gettext("Registration is not open yet. It opens on %(opens)s.")
        % {
            "opens": '<time datetime="2099-03-01T09:00:00+01:00">Sunday, 1 March 2099, 9:00 '
            "Europe/Berlin</time>"
        }
        in html
    )
    assert 'name="email"' not in html
    posted = client.post(REGISTER_URL, form_data())
    assert posted.status_code == 200
    assert 'data-window="not-yet-open"' in posted.content.decode()
    assert Registration.objects.count() == 0


def test_register_page_full_explains_the_waiting_list_and_still_registers(client, open_event):
    open_event.capacity = 1
    open_event.save()
    RegistrationFactory(event=open_event, state=State.APPROVED)
    response = client.get(REGISTER_URL)
    html = response.content.decode()
    assert (
        ngettext("The only place is taken.", "All %(capacity)s places are taken.", 1)
        % {"capacity": 1}
        + " "
        + gettext(
            "You can still register: you will be put on the waiting list and offered the next "
            "free place, in the order of registration."
        )
        in html
    )
    assert 'name="email"' in html
    assert client.post(REGISTER_URL, form_data()).status_code == 302
    registration = Registration.objects.get(email="chen@example.org")
    client.post(f"/registrations/{registration.secret}/confirm/")
    registration.refresh_from_db()
    assert registration.state == State.WAITING


def test_register_page_full_with_several_places_counts_them(client, open_event):
    open_event.capacity = 2
    open_event.save()
    RegistrationFactory.create_batch(2, event=open_event, state=State.PENDING)
    html = client.get(REGISTER_URL).content.decode()
    assert 'data-window="full"' in html
    assert (
        ngettext("The only place is taken.", "All %(capacity)s places are taken.", 2)
        % {"capacity": 2}
        in html
    )


def test_register_page_open_says_when_it_closes_and_that_organizers_approve(client, open_event):
    open_event.registration_closes = dt.datetime(2099, 4, 1, 8, tzinfo=dt.UTC)
    open_event.save()
    html = client.get(REGISTER_URL).content.decode()
    closes = (
        '<time datetime="2099-04-01T10:00:00+02:00">Wednesday, 1 April 2099, 10:00 '
        "Europe/Berlin</time>"
    )
    assert (
        gettext("Registration closes on %(closes)s.") % {"closes": closes}
        + " "
        + gettext(
            "The organizers approve each registration; you will get the access link by email "
            "once approved."
        )
        in html
    )


# --- confirm ---------------------------------------------------------------------------------


def test_confirm_get_does_not_confirm_and_shows_a_button(client, open_event):
    registration = RegistrationFactory(event=open_event, state=State.UNCONFIRMED, confirmed_at=None)
    response = client.get(f"/registrations/{registration.secret}/confirm/")
    assert response.status_code == 200
    html = response.content.decode()
    assert (
        '<button type="submit" class="btn btn-primary btn-lg">'
        f"{gettext('Confirm my registration')}</button>" in html
    )
    assert '<form method="post">' in html
    registration.refresh_from_db()
    assert (registration.state, registration.confirmed_at) == (State.UNCONFIRMED, None)
    assert OutgoingEmail.objects.count() == 0
    assert "no-store" in response["Cache-Control"]


def test_confirm_head_does_not_confirm(client, open_event):
    registration = RegistrationFactory(event=open_event, state=State.UNCONFIRMED, confirmed_at=None)
    assert client.head(f"/registrations/{registration.secret}/confirm/").status_code == 200
    registration.refresh_from_db()
    assert registration.state == State.UNCONFIRMED


def test_confirm_post_confirms_and_redirects_to_status(client, open_event):
    registration = RegistrationFactory(event=open_event, state=State.UNCONFIRMED, confirmed_at=None)
    response = client.post(f"/registrations/{registration.secret}/confirm/")
    assert response.status_code == 302
    assert response["Location"] == status_url(registration)
    registration.refresh_from_db()
    assert registration.state == State.PENDING
    assert registration.confirmed_at is not None
    page = client.get(status_url(registration)).content.decode()
    assert gettext("Thank you: your email address is confirmed.") in page
    assert f'id="registration-state">{State.PENDING.label}</span>' in page


def test_confirm_post_twice_is_harmless(client, open_event):
    registration = RegistrationFactory(event=open_event, state=State.UNCONFIRMED, confirmed_at=None)
    client.post(f"/registrations/{registration.secret}/confirm/")
    registration.refresh_from_db()
    confirmed_at = registration.confirmed_at
    again = client.post(f"/registrations/{registration.secret}/confirm/", follow=True)
    assert again.redirect_chain == [(status_url(registration), 302)]
    assert gettext("Your email address was already confirmed.") in again.content.decode()
    registration.refresh_from_db()
    assert (registration.state, registration.confirmed_at) == (State.PENDING, confirmed_at)
    assert list(registration.emails.values_list("kind", flat=True)) == [Kind.RECEIVED]


def test_confirm_post_on_cancelled_unconfirmed_registration_says_nothing_to_confirm(
    client, open_event
):
    registration = RegistrationFactory(event=open_event, state=State.CANCELLED, confirmed_at=None)
    response = client.post(f"/registrations/{registration.secret}/confirm/", follow=True)
    assert gettext("There is nothing to confirm: this registration is %(state)s.") % {
        "state": pgettext("this registration is …", "cancelled")
    } in (response.content.decode())
    assert OutgoingEmail.objects.count() == 0


def test_confirm_expired_registration_says_so_clearly(client, open_event):
    registration = RegistrationFactory(event=open_event, state=State.EXPIRED, confirmed_at=None)
    page = client.get(f"/registrations/{registration.secret}/confirm/")
    assert page.status_code == 200
    register_url = "/events/open-workshop/register/"
    assert (
        ngettext(
            "This confirmation link has expired: a registration that is not confirmed "
            "within %(hours)s hour lapses.",
            "This confirmation link has expired: a registration that is not confirmed "
            "within %(hours)s hours lapses.",
            48,
        )
        % {"hours": 48}
        + " "
        + gettext('<a href="%(register_url)s">Register again</a> with the same address.')
        % {"register_url": register_url}
        in page.content.decode()
    )
    assert "<button" not in page.content.decode()
    response = client.post(f"/registrations/{registration.secret}/confirm/", follow=True)
    assert response.redirect_chain == [(status_url(registration), 302)]
    html = response.content.decode()
    assert gettext("This confirmation link has expired. Please register again.") in html
    assert state_text(registration) in html
    registration.refresh_from_db()
    assert registration.state == State.EXPIRED
    assert OutgoingEmail.objects.count() == 0


def test_confirm_put_is_not_allowed(client, open_event):
    registration = RegistrationFactory(event=open_event, state=State.UNCONFIRMED, confirmed_at=None)
    assert client.put(f"/registrations/{registration.secret}/confirm/").status_code == 405
    registration.refresh_from_db()
    assert registration.state == State.UNCONFIRMED


# --- status, calendar ------------------------------------------------------------------------


def state_text(registration) -> str:
    """What the status page says about a registration in its state (templates'
    registration/participant/status.html); an approved one gets the "How to join" card."""
    urls = {
        "confirm_url": f"/registrations/{registration.secret}/confirm/",
        "register_url": f"/events/{registration.event.slug}/register/",
    }
    texts = {
        State.UNCONFIRMED: gettext(
            'Please confirm your email address first: <a href="%(confirm_url)s">confirm now</a>.'
        ),
        State.PENDING: gettext(
            "The organizers will review your registration. You will get the access link by "
            "email once approved."
        ),
        State.WAITING: gettext(
            "All places are taken; you are on the waiting list. We email you if a place "
            "becomes free."
        ),
        State.DECLINED: gettext("The organizers could not offer you a place."),
        State.CANCELLED: gettext(
            'You cancelled this registration. If you change your mind, <a href="%(register_url)s">'
            "register again</a> with the same address while registration is open."
        ),
        State.EXPIRED: gettext(
            'This registration was never confirmed and has lapsed. <a href="%(register_url)s">'
            "Register again</a> with the same address while registration is open."
        ),
        State.APPROVED: f'<h2 class="h4" id="join-heading">{gettext("How to join")}</h2>',
    }
    return texts[registration.state] % urls


def assert_private_cache_control(response):
    directives = {d.strip() for d in response["Cache-Control"].split(",")}
    assert {"no-cache", "no-store", "private"} <= directives


@pytest.mark.parametrize("state", list(State))
def test_status_page_shows_the_state_and_is_never_cached(client, open_event, state):
    registration = RegistrationFactory(event=open_event, state=state, name="Ada Rößler")
    response = client.get(status_url(registration))
    assert response.status_code == 200
    html = response.content.decode()
    assert f'id="registration-state">{State(state).label}</span>' in html
    assert state_text(registration) in html
    assert '<dd class="col-sm-9"><bdi>Ada Rößler</bdi></dd>' in html
    assert '<meta name="robots" content="noindex">' in html
    assert_private_cache_control(response)
    assert (f'href="/registrations/{registration.secret}/cancel/"' in html) is (
        state in (State.UNCONFIRMED, State.PENDING, State.APPROVED, State.WAITING)
    )


@pytest.mark.parametrize("state", NOT_APPROVED)
def test_meeting_details_reach_no_page_of_a_registration_not_approved(client, open_event, state):
    # Nobody but an approved registrant ever sees the meeting.
    registration = RegistrationFactory(event=open_event, state=state, decline_reason="Full.")
    status = client.get(status_url(registration))
    confirm = client.get(f"/registrations/{registration.secret}/confirm/")
    invite = client.get(f"/registrations/{registration.secret}/invite.ics")
    assert (status.status_code, confirm.status_code, invite.status_code) == (200, 200, 404)
    for response in (status, confirm, invite):
        assert_no_meeting(response.content)
    assert "invite.ics" not in status.content.decode()
    assert 'id="join-heading"' not in status.content.decode()
    assert_private_cache_control(status)
    assert_private_cache_control(confirm)


def test_status_page_approved_shows_meeting_and_calendar_link(client, open_event):
    registration = RegistrationFactory(event=open_event, state=State.APPROVED)
    response = client.get(status_url(registration))
    html = response.content.decode()
    assert f'<a href="{MEETING_URL}" rel="noreferrer">{MEETING_URL}</a>' in html
    assert (
        f'<dt class="col-sm-3">{gettext("Meeting ID")}</dt><dd class="col-sm-9">555 000 1111</dd>'
        in html
    )
    assert (
        f'<dt class="col-sm-3">{gettext("Passcode")}</dt><dd class="col-sm-9">s3cret-pass</dd>'
        in html
    )
    assert f'href="/registrations/{registration.secret}/invite.ics"' in html
    assert gettext("Programme in your time zone (%(zone)s)") % {"zone": "Asia/Shanghai"} in html
    assert_private_cache_control(response)


def test_status_page_approved_without_a_meeting_yet_says_so(client, open_event):
    open_event.meeting_url = open_event.meeting_id = open_event.meeting_passcode = ""
    open_event.save()
    registration = RegistrationFactory(event=open_event, state=State.APPROVED)
    html = client.get(status_url(registration)).content.decode()
    assert (
        gettext(
            "Your place is confirmed. The organizers have not set up the online meeting yet; "
            "its link will appear on this page once they have."
        )
        in html
    )
    assert 'id="join-heading"' in html
    assert gettext("Join online") not in html


def test_status_page_approved_uses_the_meeting_of_a_talk_not_of_a_break(client, open_event):
    coffee = open_event.sessions.get(kind="break")
    coffee.start = open_event.sessions.get(kind="talk").start - dt.timedelta(hours=1)
    coffee.end = coffee.start + dt.timedelta(minutes=30)
    coffee.meeting_url = "https://example.org/coffee-room"
    coffee.save()
    registration = RegistrationFactory(event=open_event, state=State.APPROVED)
    html = client.get(status_url(registration)).content.decode()
    assert f'<a href="{MEETING_URL}" rel="noreferrer">' in html
    assert "coffee-room" not in html


def test_invite_ics_approved_holds_the_meeting(client, open_event):
    registration = RegistrationFactory(event=open_event, state=State.APPROVED)
    response = client.get(f"/registrations/{registration.secret}/invite.ics")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="open-workshop.ics"'
    assert_private_cache_control(response)
    calendar = icalendar.Calendar.from_ical(response.content)
    [vevent] = calendar.walk("VEVENT")  # the coffee break is not in it
    assert str(vevent["SUMMARY"]) == "Opening talk"
    assert str(vevent["LOCATION"]) == MEETING_URL
    assert "s3cret-pass" in str(vevent["DESCRIPTION"])


@pytest.mark.parametrize(
    "path", ["/registrations/{}/", "/registrations/{}/confirm/", "/registrations/{}/invite.ics"]
)
def test_participant_pages_unknown_secret_is_404(client, open_event, path):
    RegistrationFactory(event=open_event, state=State.APPROVED)
    response = client.get(path.format("not-a-real-secret-0123456789abcdef"))
    assert response.status_code == 404
    assert_no_meeting(response.content)


def test_cancel_and_confirm_unknown_secret_post_is_404(client, open_event):
    assert client.post("/registrations/nope/cancel/").status_code == 404
    assert client.post("/registrations/nope/confirm/").status_code == 404


# Cancel (asked first on its own page): tests/registration/test_self_service.py.


# --- privacy notice, the registration box ----------------------------------------------------


def test_privacy_page_shows_the_version_consented_to(client, db):
    response = client.get("/privacy/")
    assert response.status_code == 200
    assert (
        gettext("Version %(version)s") % {"version": settings.PRIVACY_NOTICE_VERSION}
        in response.content.decode()
    )


def render_box(rf, event) -> str:
    request = rf.get("/events/open-workshop/")
    template = Template("{% load registration_tags %}{% registration_box event %}")
    return template.render(RequestContext(request, {"event": event}))


def test_registration_box_renders_the_form_when_open(rf, open_event):
    html = render_box(rf, open_event)
    assert '<section class="card my-4" id="register" aria-labelledby="register-heading">' in html
    assert '<form  action="/events/open-workshop/register/"' in html
    assert 'name="csrfmiddlewaretoken"' in html
    assert 'name="email"' in html
    assert '<option value="Europe/Berlin" selected>' in html
    assert "data-window=" not in html


def test_registration_box_explains_when_closed(rf, open_event):
    open_event.registration_closes = dt.datetime(2026, 1, 10, 17, tzinfo=dt.UTC)
    open_event.save()
    html = render_box(rf, open_event)
    assert 'data-window="closed"' in html
    assert "<form" not in html


def test_registration_box_explains_when_not_yet_open(rf, open_event):
    open_event.registration_opens = dt.datetime(2099, 3, 1, 8, tzinfo=dt.UTC)
    open_event.save()
    html = render_box(rf, open_event)
    assert 'data-window="not-yet-open"' in html
    assert "<form" not in html
