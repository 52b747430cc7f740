"""German and English in a real browser: the language a browser asks for on a first visit, the
switcher in the header and the cookie that remembers it, and a German registrant's emails and
calendar invitation in German whatever language the organizer who approves them uses."""

import re

import icalendar
import pytest
from django.core import mail
from django.utils import translation
from playwright.sync_api import expect

from registration.models import Registration
from tests.e2e.conftest import TIMEOUT_MS, save_screenshot
from tests.registration.conftest import approve
from tests.support.german import english_leaks, german

pytestmark = pytest.mark.e2e

EVENT_PATH = "/events/hirata-156-projects/"
TITLE = (
    "The Soviet Union’s Today is Our Tomorrow: The USSR and China’s Developmental Vision, 1952–57"
)
# Content as entered (the seed seminar is English): shown as written in both languages.
CONTENT = (
    TITLE,
    "Koji Hirata",
    "Monash University",
    "156 Projects",
    "Lena Vogel",
    "Universität Leipzig",
)


@pytest.fixture
def browser_page(browser, live_server):
    """`browser_page("de-DE")`: a page in a fresh context whose browser asks for that locale
    (Accept-Language and navigator.language), in Berlin's time zone."""
    contexts = []

    def open_page(locale: str):
        context = browser.new_context(
            locale=locale, timezone_id="Europe/Berlin", base_url=live_server.url
        )
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


def event_content(registration) -> tuple[str, ...]:
    event = registration.event
    names = [event.title, event.subtitle, *event.sessions.values_list("title", flat=True)]
    names += event.event_people.values_list("person__name", flat=True)
    names += event.event_people.values_list("affiliation", flat=True)
    return tuple(name for name in (*CONTENT, *names) if name)


def test_a_german_browser_registers_and_gets_german_mail_and_calendar(
    hirata_seminar, browser_page, live_server
):
    page = browser_page("de-DE")
    page.goto(EVENT_PATH)
    expect(page.locator("html")).to_have_attribute("lang", "de")
    form = page.locator("#register form")
    form.locator("#id_name").fill("Lena Vogel")
    form.locator("#id_email").fill("lena.vogel@example.org")
    form.locator("#id_affiliation").fill("Universität Leipzig")
    form.locator("#id_career_stage").select_option(index=1)
    form.locator("#id_country").select_option("DE")
    form.locator("#id_consent").check()
    form.locator("[type=submit]").click()

    expect(page.get_by_role("heading", level=1)).to_have_text(german("Check your inbox"))
    registration = Registration.objects.get(email="lena.vogel@example.org")
    assert registration.language == "de"
    [confirmation] = mail.outbox
    assert english_leaks(confirmation.subject, allow=CONTENT) == []
    assert english_leaks(confirmation.body, allow=event_content(registration)) == []
    confirm_url = re.search(r"http://\S+/confirm/", confirmation.body).group(0)

    page.goto(confirm_url)
    expect(page.locator("html")).to_have_attribute("lang", "de")
    page.locator("main form [type=submit]").click()
    expect(page.locator("#registration-state")).to_have_text(german("Awaiting approval"))
    save_screenshot(page, "participant-status-german")

    # The organizer works in English; the registrant still gets German.
    mail.outbox.clear()
    with translation.override("en"):
        approve(Registration.objects.get(pk=registration.pk), by=None)
    [invitation] = mail.outbox
    content = event_content(registration)
    assert english_leaks(invitation.subject, allow=content) == []
    assert english_leaks(invitation.body, allow=content) == []
    [html] = [body for body, kind in invitation.alternatives if kind == "text/html"]
    assert english_leaks(html, allow=content) == []
    # 11 March 2027, 17:00 in Melbourne is 7:00 in Berlin: a German date, German month name.
    assert "Do, 11. Mär 2027, 7:00–8:30 Europe/Berlin" in invitation.body
    [attachment] = [a for a in invitation.attachments if a.get_filename() == "invite.ics"]
    calendar = icalendar.Calendar.from_ical(attachment.get_payload(decode=True))
    [talk] = calendar.walk("VEVENT")
    description = str(talk.get("description"))
    assert english_leaks(description, allow=content) == []
    assert german("Passcode: %(passcode)s") % {"passcode": "Hx9-156pr"} in description
    assert german("Speaker: %(people)s") % {"people": "Koji Hirata (Monash University)"} in (
        description
    )

    page.reload()
    expect(page.locator("#registration-state")).to_have_text(german("Approved"))


def test_the_switcher_turns_the_site_english_and_the_choice_sticks(hirata_seminar, browser_page):
    page = browser_page("de-DE")
    page.goto(EVENT_PATH)
    expect(page.locator("html")).to_have_attribute("lang", "de")
    expect(page.locator("#register-heading")).to_have_text(german("Registration"))
    switcher = page.locator(".language-switcher")
    expect(switcher.locator("[data-language=de]")).to_have_attribute("aria-current", "true")
    switcher.locator("a[data-language=en]").click()

    expect(page).to_have_url(re.compile(re.escape(EVENT_PATH) + "$"))
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("#register-heading")).to_have_text("Registration")
    # Another page, with the browser still asking for German: the choice is remembered.
    page.goto("/")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator(".language-switcher a[data-language=de]")).to_have_text("Deutsch")
    page.locator(".language-switcher a[data-language=de]").click()
    expect(page.locator("html")).to_have_attribute("lang", "de")


def test_an_english_browser_sees_english(hirata_seminar, browser_page):
    page = browser_page("en-US")
    page.goto(EVENT_PATH)
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("link", name="Speaker sign-in")).to_be_visible()
    expect(page.locator(".language-switcher [aria-current=true]")).to_have_text("English")
