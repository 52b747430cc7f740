"""A participant's journey in a real browser: the programme in their own time zone, the
registration form, the confirmation link from the email, the status page before and after
approval, and the calendar file."""

import datetime as dt
import re
from zoneinfo import ZoneInfo

import icalendar
import pytest
from django.core import mail
from django.db import transaction
from django.utils.text import capfirst
from django.utils.translation import gettext, pgettext
from playwright.sync_api import expect

from registration.forms import CAREER_STAGE_LABELS, DetailsForm, RegistrationForm
from registration.models import Registration
from tests.e2e.conftest import save_screenshot
from tests.factories import RegistrationFactory
from tests.registration.conftest import approve
from workshop.services import announce_session_change, note_session_change

pytestmark = pytest.mark.e2e

EVENT_PATH = "/events/hirata-156-projects/"
# The seminar's meeting (workshop/fixtures/seminar-hirata.yaml): only approved people see it.
MEETING_URL = "https://zoom.us/j/98765432100"
MEETING_ID = "987 6543 2100"
PASSCODE = "Hx9-156pr"
# 11 March 2027, 17:00–18:30 in Melbourne (AEDT, UTC+11).
TITLE = (
    "The Soviet Union’s Today is Our Tomorrow: The USSR and China’s Developmental Vision, 1952–57"
)
TALK_START = dt.datetime(2027, 3, 11, 17, 0, tzinfo=ZoneInfo("Australia/Melbourne"))
TALK_END = dt.datetime(2027, 3, 11, 18, 30, tzinfo=ZoneInfo("Australia/Melbourne"))


def label(form, field: str) -> str:
    """The label a form field shows (the catalogue's English: the tests run in English)."""
    return str(form.base_fields[field].label)


def consent_label() -> str:
    """The consent checkbox's label as read, without its link (RegistrationForm.__init__)."""
    return gettext(
        "I agree that my data are stored to run this event, as the {link_start}privacy "
        "notice{link_end} explains."
    ).format(link_start="", link_end="")


def test_programme_your_time_in_shanghai_and_new_york(hirata_seminar, page_in_zone):
    page = page_in_zone("Asia/Shanghai")
    page.goto(EVENT_PATH)
    talk = page.locator(".programme-slot").first
    expect(talk.locator(".programme-times")).to_have_text(
        "17:00 Melbourne | 14:00 Shanghai | 7:00 Leipzig"
    )
    # 06:00 UTC is 14:00 in Shanghai, the same day as in Melbourne: no day shift.
    expect(talk.locator("time.viewer-time")).to_have_text("14:00 Asia/Shanghai")
    expect(talk.locator(".day-shift")).to_have_count(0)
    expect(page.locator("#viewer-zone .viewer-zone-name")).to_have_text("Asia/Shanghai")
    expect(page.locator("#viewer-tz option").first).to_have_text(
        gettext("Automatic (%(zone)s)") % {"zone": "Asia/Shanghai"}
    )
    save_screenshot(page, "participant-programme-shanghai")

    page = page_in_zone("America/New_York")
    page.goto(EVENT_PATH)
    talk = page.locator(".programme-slot").first
    # 1:00 EST on 11 March (New York moves to daylight time on 14 March 2027): same date.
    expect(talk.locator("time.viewer-time")).to_have_text("1:00 America/New_York")
    expect(talk.locator(".day-shift")).to_have_count(0)
    expect(page.locator("#viewer-zone .viewer-zone-name")).to_have_text("America/New_York")


def test_participant_registers_confirms_and_gets_the_link_once_approved(
    hirata_seminar, page_in_zone, live_server
):
    page = page_in_zone("Asia/Shanghai")
    page.goto(EVENT_PATH)
    form = page.locator("#register form")
    expect(form.locator("#id_timezone")).to_have_value("Asia/Shanghai")  # registration.js
    form.get_by_label(label(RegistrationForm, "name")).fill("Chen Tao")
    form.get_by_label(label(RegistrationForm, "email")).fill("chen.tao@example.org")
    form.get_by_label(label(RegistrationForm, "affiliation")).fill("Tongji University")
    form.get_by_label(label(RegistrationForm, "career_stage")).select_option(
        label=str(CAREER_STAGE_LABELS["Scholar"])
    )
    form.get_by_label(label(RegistrationForm, "country")).select_option("CN")
    form.get_by_label(consent_label()).check()
    save_screenshot(page, "participant-registration-form", element=page.locator("#register"))
    form.get_by_role("button", name=gettext("Register"), exact=True).click()

    expect(page.get_by_role("heading", level=1)).to_have_text(gettext("Check your inbox"))
    assert [message.to for message in mail.outbox] == [["Chen Tao <chen.tao@example.org>"]]
    confirm_url = re.search(r"http://\S+/confirm/", mail.outbox[0].body).group(0)
    assert confirm_url.startswith(live_server.url + "/registrations/")

    page.goto(confirm_url)
    expect(page.get_by_role("heading", level=1)).to_have_text(gettext("Confirm your registration"))
    page.get_by_role("button", name=gettext("Confirm my registration")).click()

    expect(page.get_by_role("alert")).to_have_text(
        gettext("Thank you: your email address is confirmed.")
    )
    expect(page.locator("#registration-state")).to_have_text(str(Registration.State.PENDING.label))
    status_url = page.url
    registration = Registration.objects.get(email="chen.tao@example.org")
    assert status_url == live_server.url + registration.get_absolute_url()
    assert registration.timezone == "Asia/Shanghai"
    content = page.content()
    for secret in (MEETING_URL, "98765432100", MEETING_ID, PASSCODE):
        assert secret not in content
    expect(page.get_by_role("link", name=gettext("Download calendar (.ics)"))).to_have_count(0)
    expect(page.locator("main li")).to_have_text(
        [f"Thu 11 Mar 2027, 14:00–15:30 Asia/Shanghai: {TITLE}"]
    )
    save_screenshot(page, "participant-status-awaiting-approval")

    approve(registration, by=None)

    page.reload()
    expect(page.locator("#registration-state")).to_have_text(str(Registration.State.APPROVED.label))
    join = page.locator("section[aria-labelledby=join-heading]")
    expect(join.get_by_role("link", name=MEETING_URL)).to_have_attribute("href", MEETING_URL)
    expect(join).to_contain_text(gettext("Meeting ID") + MEETING_ID)
    expect(join).to_contain_text(gettext("Passcode") + PASSCODE)
    save_screenshot(page, "participant-status-approved")

    with page.expect_download() as download_info:
        join.get_by_role("link", name=gettext("Download calendar (.ics)")).click()
    download = download_info.value
    assert download.suggested_filename == "hirata-156-projects.ics"
    calendar = icalendar.Calendar.from_ical(download.path().read_bytes())
    [talk] = calendar.walk("VEVENT")
    assert talk.decoded("dtstart") == TALK_START
    assert talk.decoded("dtend") == TALK_END
    assert talk.decoded("dtstart").astimezone(dt.UTC) == dt.datetime(2027, 3, 11, 6, tzinfo=dt.UTC)
    assert MEETING_URL in talk.to_ical().decode()


def test_participant_changes_their_time_zone_and_the_next_email_uses_it(
    hirata_seminar, page_in_zone
):
    """Approved in Shanghai; the participant moves to New York and says so on their status
    page; the next email (the talk moved) shows New York times."""
    registration = RegistrationFactory(
        event=hirata_seminar,
        name="Chen Tao",
        email="chen.tao@example.org",
        timezone="Asia/Shanghai",
        state="approved",
    )
    page = page_in_zone("America/New_York")
    page.goto(registration.get_absolute_url())
    page.get_by_role("link", name=gettext("Edit your details")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(gettext("Edit your details"))
    page.get_by_label(label(DetailsForm, "timezone")).select_option("America/New_York")
    page.get_by_label(label(DetailsForm, "affiliation")).fill("Columbia University")
    page.get_by_role("button", name=gettext("Save my details")).click()
    # The fields changed, as admin's change form names them (services.update_registration_details).
    changed = ", ".join(
        str(capfirst(Registration._meta.get_field(field).verbose_name))
        for field in ("affiliation", "timezone")
    )
    expect(page.locator(".alert-success")).to_have_text(
        gettext("Your details are saved (changed: %(fields)s).") % {"fields": changed}
    )
    save_screenshot(page, "participant-details-saved")
    registration.refresh_from_db()
    assert (registration.timezone, registration.affiliation) == (
        "America/New_York",
        "Columbia University",
    )

    # The talk moves half an hour later (as the admin's session form does it).
    talk = hirata_seminar.sessions.get(title=TITLE)
    with transaction.atomic():
        talk.start += dt.timedelta(minutes=30)
        talk.end += dt.timedelta(minutes=30)
        note_session_change(talk, {"start", "end"})
        talk.save()
        announce_session_change(session=talk, changed_fields={"start", "end"})

    programme_change = gettext("Programme change: %(event)s") % {"event": hirata_seminar.title}
    [notice] = [m for m in mail.outbox if m.subject == programme_change]
    assert notice.to == ["Chen Tao <chen.tao@example.org>"]
    # 17:30 in Melbourne (AEDT, +11) on 11 March 2027 is 6:30 UTC: 1:30 in New York, still on
    # standard time (EST, −5) until 14 March.
    now = pgettext("programme change", "now:")
    assert f"{now} Thu 11 Mar 2027, 1:30–3:00 America/New_York" in notice.body
    assert "Asia/Shanghai" not in notice.body
