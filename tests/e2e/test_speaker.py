"""A speaker's journey in a real browser: ask for a sign-in link, open it from the email,
press the button, see "My slots", upload the paper; then the commentator of the same talk
signs in the same way and downloads exactly that paper."""

import datetime as dt
import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from portal.models import Paper
from tests.e2e.conftest import save_screenshot
from workshop.models import Person

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
    page.get_by_label("Your email address").fill(email)
    page.get_by_role("button", name="Send me a sign-in link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your inbox")

    [message] = [message for message in mail.outbox if email in message.to[0]]
    mail.outbox.remove(message)
    link = re.search(r"http://\S+/portal/link/signin/\?sesame=\S+", message.body).group(0)
    assert link.startswith(live_server.url + "/portal/link/signin/?sesame=")

    page.goto(link)
    # Opening the link signs nobody in: only the button does.
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in to the speaker portal")
    expect(page.locator("main")).to_contain_text(f"You are about to sign in as {name}.")
    expect(page.get_by_role("link", name="Speaker sign-in")).to_be_visible()
    expect(page.get_by_role("link", name="My slots")).to_have_count(0)
    page.get_by_role("button", name="Sign in").click()

    expect(
        page.get_by_role("heading", level=1),
        f"Pressing “Sign in” should sign {name} in and show “My slots” "
        "(a “Forbidden (403)” here is Django's CSRF check: see the log for the reason)",
    ).to_have_text("My slots")
    expect(page.get_by_role("alert")).to_have_text(f"Welcome, {name}: you are signed in.")


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
    expect(slots.locator(".portal-role")).to_have_text(["Speaker", "Chair"])
    talk = slots.filter(has_text=ZANIER_TALK)
    expect(talk.locator(".portal-paper-status")).to_have_text("No paper uploaded yet.")
    # Only a speaker uploads: the session she chairs has no upload form.
    expect(slots.filter(has_text=CHAIRED_BY_ZANIER).locator("form.portal-upload")).to_have_count(0)

    talk.get_by_label("Upload the paper (PDF, at most 20.0\u00a0MB)").set_input_files(
        files=[{"name": PAPER_NAME, "mimeType": "application/pdf", "buffer": PAPER}]
    )
    talk.get_by_role("button", name="Upload", exact=True).click()

    expect(page.get_by_role("alert")).to_have_text(
        f"Paper “{PAPER_NAME}” uploaded for “{ZANIER_TALK}”."
    )
    talk = page.locator(".portal-slot").filter(has_text=ZANIER_TALK)
    expect(talk.locator(".portal-paper-download")).to_have_text(PAPER_NAME)
    # Her portal zone is not set: UTC.
    uploaded_at = Paper.objects.get().uploaded_at.astimezone(dt.UTC)
    expect(talk.locator(".portal-paper-status")).to_have_text(
        f"{PAPER_NAME} ({len(PAPER)} bytes), uploaded by Valeria Zanier on "
        f"{uploaded_at:%-d %B %Y, %H:%M} UTC."
    )
    save_screenshot(page, "speaker-my-slots")

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("alert")).to_have_text("You are signed out.")
    expect(page.get_by_role("link", name="Speaker sign-in")).to_be_visible()

    sign_in_by_email(
        page, email="koji.hirata@example.org", name="Koji Hirata", live_server=live_server
    )
    slots = page.locator(".portal-slot")
    expect(slots.locator(".portal-title")).to_have_text([ZANIER_TALK])
    expect(slots.locator(".portal-role")).to_have_text(["Commentator"])
    expect(slots.locator(".portal-paper-download")).to_have_text(PAPER_NAME)
    expect(slots.locator("form.portal-upload")).to_have_count(0)
    save_screenshot(page, "commentator-my-slots")

    with page.expect_download() as download_info:
        slots.locator(".portal-paper-download").click()
    download = download_info.value
    assert download.suggested_filename == PAPER_NAME
    assert download.path().read_bytes() == PAPER
