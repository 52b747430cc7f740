"""A speaker's journey in a real browser: ask for a sign-in link, open it from the email,
press the button, see "My slots", upload the paper; then the commentator of the same talk
signs in the same way and downloads exactly that paper."""

import datetime as dt
import re

import pytest
from django.conf import settings
from django.core import mail
from django.template.defaultfilters import filesizeformat
from django.utils.html import strip_tags
from django.utils.translation import gettext
from playwright.sync_api import expect

from portal.forms import SignInForm
from portal.models import Paper
from tests.e2e.conftest import save_screenshot
from workshop.models import Person, SessionRole

pytestmark = pytest.mark.e2e

ZANIER_TALK = (
    "High hopes and low expectations. Introducing technology in the PRC in the years of the "
    "Sino-Soviet Alliance"
)
CHAIRED_BY_ZANIER = (
    "Rethinking the Stalinist Model: The Origin and Institutional Logic of the Great Leap "
    "Forward in China"
)
PAPER_NAME = "zanier-high-hopes.pdf"
# A small valid PDF: one empty page.
PAPER = (
    b"%PDF-1.4\n"
    b"1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
    b"2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj\n"
    b"3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >> endobj\n"
    b"trailer << /Root 1 0 R >>\n"
    b"%%EOF\n"
)


def sign_in_by_email(page, *, email: str, name: str, live_server) -> None:
    """Ask for a link on the sign-in page, open it from the email, press the button."""
    page.goto("/portal/sign-in/")
    page.get_by_label(str(SignInForm.base_fields["email"].label)).fill(email)
    page.get_by_role("button", name=gettext("Send me a sign-in link")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(gettext("Check your inbox"))

    [message] = [message for message in mail.outbox if email in message.to[0]]
    mail.outbox.remove(message)
    link = re.search(r"http://\S+/portal/link/signin/\?sesame=\S+", message.body).group(0)
    assert link.startswith(live_server.url + "/portal/link/signin/?sesame=")

    page.goto(link)
    # Opening the link signs nobody in: only the button does.
    expect(page.get_by_role("heading", level=1)).to_have_text(
        gettext("Sign in to the speaker portal")
    )
    about_to = gettext("You are about to sign in as <strong><bdi>%(name)s</bdi></strong>.")
    expect(page.locator("main")).to_contain_text(strip_tags(about_to % {"name": name}))
    expect(page.get_by_role("link", name=gettext("Speaker sign-in"))).to_be_visible()
    expect(page.get_by_role("link", name=gettext("My slots"))).to_have_count(0)
    page.get_by_role("button", name=gettext("Sign in")).click()

    expect(
        page.get_by_role("heading", level=1),
        f"Pressing “Sign in” should sign {name} in and show “My slots” "
        "(a “Forbidden (403)” here is Django's CSRF check: see the log for the reason)",
    ).to_have_text(gettext("My slots"))
    expect(page.get_by_role("alert")).to_have_text(
        gettext("Welcome, %(name)s: you are signed in.") % {"name": name}
    )


def test_speaker_uploads_paper_and_commentator_downloads_it(sino_soviet, page_in_zone, live_server):
    Person.objects.filter(key="valeria-zanier").update(email="valeria.zanier@example.org")
    Person.objects.filter(key="koji-hirata").update(email="koji.hirata@example.org")
    page = page_in_zone("Europe/Brussels")

    sign_in_by_email(
        page, email="valeria.zanier@example.org", name="Valeria Zanier", live_server=live_server
    )
    # Both on 2 July 2021, so under "Past", the latest first.
    slots = page.locator(".portal-past .portal-slot")
    expect(page.locator(".portal-upcoming")).to_have_count(0)
    expect(slots.locator(".portal-title")).to_have_text([ZANIER_TALK, CHAIRED_BY_ZANIER])
    expect(slots.locator(".portal-role")).to_have_text(
        [str(SessionRole.Role.SPEAKER.label), str(SessionRole.Role.CHAIR.label)]
    )
    talk = slots.filter(has_text=ZANIER_TALK)
    expect(talk.locator(".portal-paper-status")).to_have_text(gettext("No paper uploaded yet."))
    # Only a speaker uploads: the session she chairs has no upload form.
    expect(slots.filter(has_text=CHAIRED_BY_ZANIER).locator("form.portal-upload")).to_have_count(0)

    limit = filesizeformat(settings.PAPER_MAX_BYTES)
    talk.get_by_label(
        gettext("Upload the paper (PDF, at most %(limit)s)") % {"limit": limit}
    ).set_input_files(files=[{"name": PAPER_NAME, "mimeType": "application/pdf", "buffer": PAPER}])
    talk.get_by_role("button", name=gettext("Upload"), exact=True).click()

    expect(page.get_by_role("alert")).to_have_text(
        gettext("Paper “%(name)s” uploaded for “%(session)s”.")
        % {"name": PAPER_NAME, "session": ZANIER_TALK}
    )
    talk = page.locator(".portal-slot").filter(has_text=ZANIER_TALK)
    expect(talk.locator(".portal-paper-download")).to_have_text(PAPER_NAME)
    # Her portal zone is not set: UTC.
    uploaded_at = Paper.objects.get().uploaded_at.astimezone(dt.UTC)
    uploaded_by = gettext("uploaded by %(name)s on %(when)s %(zone)s.") % {
        "name": "Valeria Zanier",
        "when": f"{uploaded_at:%-d %B %Y, %H:%M}",
        "zone": "UTC",
    }
    expect(talk.locator(".portal-paper-status")).to_have_text(
        f"{PAPER_NAME} ({filesizeformat(len(PAPER))}), {uploaded_by}"
    )
    save_screenshot(page, "speaker-my-slots")

    page.get_by_role("button", name=gettext("Sign out")).click()
    expect(page.get_by_role("alert")).to_have_text(gettext("You are signed out."))
    expect(page.get_by_role("link", name=gettext("Speaker sign-in"))).to_be_visible()

    sign_in_by_email(
        page, email="koji.hirata@example.org", name="Koji Hirata", live_server=live_server
    )
    slots = page.locator(".portal-slot")
    expect(slots.locator(".portal-title")).to_have_text([ZANIER_TALK])
    expect(slots.locator(".portal-role")).to_have_text([str(SessionRole.Role.COMMENTATOR.label)])
    expect(slots.locator(".portal-paper-download")).to_have_text(PAPER_NAME)
    expect(slots.locator("form.portal-upload")).to_have_count(0)
    save_screenshot(page, "commentator-my-slots")

    with page.expect_download() as download_info:
        slots.locator(".portal-paper-download").click()
    download = download_info.value
    assert download.suggested_filename == PAPER_NAME
    assert download.path().read_bytes() == PAPER
