"""An organizer's journeys in a real browser: sign in to admin with a password, filter the
registrations awaiting approval, approve two with the admin action, and see their invitations
sent in the mail ledger; write to the approved participants and see those emails sent."""

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.utils.text import capfirst
from django.utils.translation import gettext, ngettext
from playwright.sync_api import expect

from mailing.models import OutgoingEmail
from registration.admin_forms import ParticipantMessageForm
from registration.emails import Kind
from registration.models import Registration
from registration.organizer_messages import KIND_LABEL
from tests.e2e.conftest import save_screenshot
from tests.factories import RegistrationFactory
from workshop.organizers import ensure_organizers_group

pytestmark = pytest.mark.e2e

PASSWORD = "correct horse battery staple"


def admin_link_name(model) -> str:
    """The model's entry on admin's index page."""
    return str(capfirst(model._meta.verbose_name_plural))


def changelist_heading(model) -> str:
    """Admin's heading of the model's list of rows."""
    return gettext("Select %s to change") % model._meta.verbose_name


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
    expect(page.get_by_role("heading", level=1)).to_have_text(
        gettext("Programme and registrations")
    )

    page.get_by_role("link", name=admin_link_name(Registration), exact=True).first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(changelist_heading(Registration))
    rows = page.locator("#result_list tbody tr")
    expect(rows).to_have_count(4)

    page.locator("#changelist-filter").get_by_role(
        "link", name=str(Registration.State.PENDING.label), exact=True
    ).click()
    expect(rows).to_have_count(3)
    expect(rows.locator("th")).to_have_text(["Lukas Weber", "Anna Petrova", "Chen Tao"])

    for name in ("Chen Tao", "Lukas Weber"):
        rows.filter(has_text=name).get_by_role("checkbox").check()
    page.locator("select[name=action]").select_option(
        label=gettext("Approve (sends the meeting link)")
    )
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
    page.get_by_role("link", name=admin_link_name(OutgoingEmail), exact=True).first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(changelist_heading(OutgoingEmail))
    emails = page.locator("#result_list tbody tr")
    expect(emails).to_have_count(2)
    for address in ("chen.tao@example.org", "lukas.weber@example.org"):
        row = emails.filter(has_text=address)
        expect(row.locator("td.field-kind")).to_have_text(str(Kind.INVITATION.label))
        expect(row.locator("td.field-state")).to_have_text(str(OutgoingEmail.State.SENT.label))
        expect(row.locator("td.field-attempts")).to_have_text("1")
    save_screenshot(page, "organizer-emails-changelist")
    assert OutgoingEmail.objects.filter(state="sent", kind="invitation").count() == 2

    assert approved_message == ngettext(
        "%(count)s registration approved.", "%(count)s registrations approved.", 2
    ) % {"count": 2}


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
    page.get_by_role("link", name=admin_link_name(Registration), exact=True).first.click()
    page.locator("#changelist-filter").get_by_role(
        "link", name=str(Registration.State.APPROVED.label), exact=True
    ).click()
    rows = page.locator("#result_list tbody tr")
    expect(rows).to_have_count(2)
    page.locator("#action-toggle").check()
    page.locator("select[name=action]").select_option(label=gettext("Email these participants…"))
    page.get_by_role("button", name="Go").click()

    expect(page.get_by_role("heading", level=1)).to_have_text(gettext("Email these participants"))
    fields = ParticipantMessageForm.base_fields
    page.get_by_label(str(fields["subject"].label)).fill("Tomorrow: {event}")
    page.get_by_label(str(fields["body"].label)).fill(
        "Hello {name},\nthe talk starts on time. Join: {join_link}"
    )
    page.get_by_role("button", name=gettext("Preview")).click()
    # The preview shows the email to the first of the selection (named by its data-registration).
    preview = page.locator("#message-preview")
    first = Registration.objects.get(pk=preview.get_attribute("data-registration"))
    expect(
        page.get_by_role(
            "heading",
            name=gettext("Preview: the email to %(name)s (%(event)s, %(state)s)")
            % {"name": first.name, "event": first.event, "state": first.state_in_sentence},
        )
    ).to_be_visible()
    expect(page.locator("body")).to_contain_text("https://zoom.us/j/98765432100")
    save_screenshot(page, "organizer-message-preview")
    page.get_by_role(
        "button",
        name=ngettext("Send to %(count)s recipient", "Send to %(count)s recipients", 2)
        % {"count": 2},
    ).click()

    on_its_way = ngettext(
        "The message “%(subject)s” is on its way to %(count)s recipient (one email each).",
        "The message “%(subject)s” is on its way to %(count)s recipients (one email each).",
        2,
    )
    expect(page.locator("ul.messagelist li")).to_have_text(
        on_its_way % {"subject": "Tomorrow: {event}", "count": 2}
    )
    page.goto("/admin/")
    page.get_by_role("link", name=admin_link_name(OutgoingEmail), exact=True).first.click()
    emails = page.locator("#result_list tbody tr")
    expect(emails).to_have_count(2)
    for address in ("chen.tao@example.org", "anna@example.org"):
        row = emails.filter(has_text=address)
        expect(row.locator("td.field-kind")).to_have_text(str(KIND_LABEL))
        expect(row.locator("td.field-state")).to_have_text(str(OutgoingEmail.State.SENT.label))
    save_screenshot(page, "organizer-message-emails")
    sent = {m.to[0]: m for m in mail.outbox}
    assert sorted(sent) == ["Anna Petrova <anna@example.org>", "Chen Tao <chen.tao@example.org>"]
    chen = sent["Chen Tao <chen.tao@example.org>"]
    assert chen.subject.startswith("Tomorrow: ")
    assert "Hello Chen Tao,\nthe talk starts on time. Join: https://zoom.us/j/98765432100" in (
        chen.body
    )
