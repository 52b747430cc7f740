"""An organizer's journeys in a real browser: sign in to admin with a password, filter the
registrations awaiting approval, approve two with the admin action, and see their invitations
sent in the mail ledger; write to the approved participants and see those emails sent."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from playwright.sync_api import expect

from mailing.models import OutgoingEmail
from registration.models import Registration
from tests.e2e.conftest import save_screenshot
from tests.factories import RegistrationFactory
from workshop.organizers import ensure_organizers_group

pytestmark = pytest.mark.e2e

PASSWORD = "correct horse battery staple"


@pytest.fixture
def organizer(db):
    user = get_user_model().objects.create_user(
        "organizer", email="organizer@example.org", password=PASSWORD, is_staff=True
    )
    user.groups.add(ensure_organizers_group())
    return user


def test_organizer_approves_two_registrations_in_admin(hirata_seminar, organizer, page_in_zone):
    for name, email in [
        ("Chen Tao", "chen.tao@example.org"),
        ("Anna Petrova", "anna.petrova@example.org"),
        ("Lukas Weber", "lukas.weber@example.org"),
    ]:
        RegistrationFactory(event=hirata_seminar, name=name, email=email, state="pending")
    RegistrationFactory(
        event=hirata_seminar,
        name="Not Yet Confirmed",
        email="unconfirmed@example.org",
        state="unconfirmed",
        confirmed_at=None,
    )

    page = page_in_zone("Europe/Berlin")
    page.goto("/admin/")
    page.get_by_label("Username").fill("organizer")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Programme and registrations")

    page.get_by_role("link", name="Registrations", exact=True).first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Select registration to change")
    rows = page.locator("#result_list tbody tr")
    expect(rows).to_have_count(4)

    page.locator("#changelist-filter").get_by_role(
        "link", name="Awaiting approval", exact=True
    ).click()
    expect(rows).to_have_count(3)
    expect(rows.locator("th")).to_have_text(["Lukas Weber", "Anna Petrova", "Chen Tao"])

    for name in ("Chen Tao", "Lukas Weber"):
        rows.filter(has_text=name).get_by_role("checkbox").check()
    page.locator("select[name=action]").select_option(label="Approve (sends the meeting link)")
    page.get_by_role("button", name="Go").click()

    message = page.locator("ul.messagelist li")
    expect(message).to_have_class("success")
    # Checked at the end, so that the rest of the journey is checked too.
    approved_message = message.inner_text()
    # Still filtered to those awaiting approval: only Anna Petrova is left.
    expect(rows.locator("th")).to_have_text(["Anna Petrova"])
    # The window only: the country filter makes the whole page six screens long.
    save_screenshot(page, "organizer-registrations-changelist", full_page=False)
    assert dict(Registration.objects.values_list("email", "state")) == {
        "chen.tao@example.org": "approved",
        "anna.petrova@example.org": "pending",
        "lukas.weber@example.org": "approved",
        "unconfirmed@example.org": "unconfirmed",
    }
    assert sorted(message.to[0] for message in mail.outbox) == [
        "Chen Tao <chen.tao@example.org>",
        "Lukas Weber <lukas.weber@example.org>",
    ]

    page.goto("/admin/")
    page.get_by_role("link", name="Emails", exact=True).first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Select email to change")
    emails = page.locator("#result_list tbody tr")
    expect(emails).to_have_count(2)
    for address in ("chen.tao@example.org", "lukas.weber@example.org"):
        row = emails.filter(has_text=address)
        expect(row.locator("td.field-kind")).to_have_text("Invitation with meeting link")
        expect(row.locator("td.field-state")).to_have_text("Sent")
        expect(row.locator("td.field-attempts")).to_have_text("1")
    save_screenshot(page, "organizer-emails-changelist")
    assert OutgoingEmail.objects.filter(state="sent", kind="invitation").count() == 2

    assert approved_message == "2 registrations approved."


def test_organizer_emails_the_approved_participants_and_sees_them_sent(
    hirata_seminar, organizer, page_in_zone
):
    for name, email in [("Chen Tao", "chen.tao@example.org"), ("Anna Petrova", "anna@example.org")]:
        RegistrationFactory(event=hirata_seminar, name=name, email=email, state="approved")
    RegistrationFactory(
        event=hirata_seminar, name="Lukas Weber", email="lukas@example.org", state="pending"
    )

    page = page_in_zone("Europe/Berlin")
    page.goto("/admin/")
    page.get_by_label("Username").fill("organizer")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("link", name="Registrations", exact=True).first.click()
    page.locator("#changelist-filter").get_by_role("link", name="Approved", exact=True).click()
    rows = page.locator("#result_list tbody tr")
    expect(rows).to_have_count(2)
    page.locator("#action-toggle").check()
    page.locator("select[name=action]").select_option(label="Email these participants…")
    page.get_by_role("button", name="Go").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Email these participants")
    page.get_by_label("Subject").fill("Tomorrow: {event}")
    page.get_by_label("Text").fill("Hello {name},\nthe talk starts on time. Join: {join_link}")
    page.get_by_role("button", name="Preview").click()
    expect(page.get_by_role("heading", name=re.compile("^Preview: the email to"))).to_be_visible()
    expect(page.locator("body")).to_contain_text("https://zoom.us/j/98765432100")
    save_screenshot(page, "organizer-message-preview")
    page.get_by_role("button", name="Send to 2 recipients").click()

    expect(page.locator("ul.messagelist li")).to_contain_text("is on its way to 2 recipients")
    page.goto("/admin/")
    page.get_by_role("link", name="Emails", exact=True).first.click()
    emails = page.locator("#result_list tbody tr")
    expect(emails).to_have_count(2)
    for address in ("chen.tao@example.org", "anna@example.org"):
        row = emails.filter(has_text=address)
        expect(row.locator("td.field-kind")).to_have_text("Message from the organizers")
        expect(row.locator("td.field-state")).to_have_text("Sent")
    save_screenshot(page, "organizer-message-emails")
    sent = {m.to[0]: m for m in mail.outbox}
    assert sorted(sent) == ["Anna Petrova <anna@example.org>", "Chen Tao <chen.tao@example.org>"]
    chen = sent["Chen Tao <chen.tao@example.org>"]
    assert chen.subject.startswith("Tomorrow: ")
    assert "Hello Chen Tao,\nthe talk starts on time. Join: https://zoom.us/j/98765432100" in (
        chen.body
    )
