"""Organizers write to participants from admin: "Email these participants" on selected
registrations, with placeholders filled per recipient, a preview, and one ledger row per
recipient delivered like every other email (registration/organizer_messages.py)."""

import re
import uuid

import pytest
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext, ngettext

from mailing.models import OutgoingEmail
from registration import organizer_messages
from registration.admin_forms import ParticipantMessageForm
from registration.models import ParticipantMessage, Registration
from registration.services import cancel_registration, erase_registrations
from tests.factories import EventFactory, RegistrationFactory
from tests.registration.conftest import approve, decline
from tests.support.admin import messages_of, post_action
from workshop.ics import absolute_url
from workshop.organizers import ensure_organizers_group

State = Registration.State
EmailState = OutgoingEmail.State

CHANGELIST = "/admin/registration/registration/"
ACTION = "email_participants"
MEETING_URL = "https://zoom.us/j/5550001111"  # EventFactory's


def dear(name: str) -> str:
    """The salutation every message begins with (templates/mailing/base.txt)."""
    return gettext("Dear %(name)s,") % {"name": name}


def unknown_placeholders(placeholders: str) -> str:
    """The body's error for placeholders it cannot fill (organizer_messages)."""
    known = gettext("%(first)s or %(last)s") % {
        "first": "{name}, {event}, {status_link}",
        "last": "{join_link}",
    }
    return gettext("Unknown placeholders: %(placeholders)s. Use %(known)s.") % {
        "placeholders": placeholders,
        "known": known,
    }


@pytest.fixture(autouse=True)
def _cold_content_type_cache():
    """Query counts must not depend on which test warmed the process-wide cache."""
    ContentType.objects.clear_cache()


def hidden_fields(response) -> list[tuple[str, str]]:
    """The hidden inputs of the action page's form, as the browser posts them back."""
    html = response.content.decode()
    content = html[html.index('id="content"') :]  # the header holds the logout form
    return re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', content)


def open_form(client, registrations, *, url=CHANGELIST, **extra):
    """The organizer ticks registrations and runs the action: the message page."""
    return post_action(client, url, ACTION, registrations, **extra)


def submit(client, page, *, button, subject, body, url=CHANGELIST):
    """The organizer fills in the page's form and presses Preview or Send."""
    data = {}
    for name, value in hidden_fields(page):
        data.setdefault(name, []).append(value)
    return client.post(url, {**data, "subject": subject, "body": body, button: button.title()})


def send(client, registrations, *, subject="Hello", body="Dear all", url=CHANGELIST, **extra):
    page = open_form(client, registrations, url=url, **extra)
    assert page.status_code == 200
    return submit(client, page, button="send", subject=subject, body=body, url=url)


def rows_of(message: ParticipantMessage):
    return OutgoingEmail.objects.filter(kind="message", context__message_id=message.pk)


def outbox_by_address() -> dict[str, mail.EmailMessage]:
    messages = {}
    for message in mail.outbox:
        [to] = message.to
        address = to.rsplit("<", 1)[-1].rstrip(">")
        assert address not in messages
        messages[address] = message
    return messages


def html_of(message) -> str:
    [(html, mimetype)] = message.alternatives
    assert mimetype == "text/html"
    return html


def status_url(registration) -> str:
    return absolute_url(registration.get_absolute_url())


# --- placeholders, filled per recipient -------------------------------------------------------


def test_send_fills_placeholders_for_each_recipient(
    organizer_client, django_capture_on_commit_callbacks
):
    seminar = EventFactory(title="Seminar")
    workshop = EventFactory(title="Workshop")
    anna = RegistrationFactory(
        event=seminar, name="Anna Rößler", email="anna@example.org", state=State.PENDING
    )
    chen = RegistrationFactory(
        event=workshop, name="Chen Tao", email="chen@example.org", state=State.WAITING
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = send(
            organizer_client,
            [anna, chen],
            subject="News about {event}",
            body="Hello {name},\nyour page for {event}: {status_link}\nBraces: {{x}}",
        )
    assert response.status_code == 302
    [message] = ParticipantMessage.objects.all()
    assert message.recipient_count == 2
    assert message.created_by.username == "olga"
    assert messages_of(response) == [
        ngettext(
            "The message “%(subject)s” is on its way to %(count)s recipient (one email each).",
            "The message “%(subject)s” is on its way to %(count)s recipients (one email each).",
            2,
        )
        % {"subject": "News about {event}", "count": 2}
    ]
    sent = outbox_by_address()
    assert sorted(sent) == ["anna@example.org", "chen@example.org"]
    for registration, email in ((anna, sent["anna@example.org"]), (chen, sent["chen@example.org"])):
        link = status_url(registration)
        assert email.subject == f"News about {registration.event.title}"
        assert email.body.startswith(f"{dear(registration.name)}\n\n")
        assert (
            f"Hello {registration.name},\nyour page for {registration.event.title}: {link}\n"
            "Braces: {x}"
        ) in email.body
        html = html_of(email)
        assert f'<a href="{link}"' in html
    assert set(rows_of(message).values_list("state", flat=True)) == {EmailState.SENT}
    assert sorted(rows_of(message).values_list("recipient_id", flat=True)) == sorted(
        [anna.pk, chen.pk]
    )


def test_join_link_only_for_approved_recipients(
    organizer_client, django_capture_on_commit_callbacks
):
    event = EventFactory(title="Seminar")
    approved = RegistrationFactory(event=event, email="yes@example.org", state=State.APPROVED)
    pending = RegistrationFactory(event=event, email="wait@example.org", state=State.PENDING)
    declined = RegistrationFactory(event=event, email="no@example.org", state=State.DECLINED)
    with django_capture_on_commit_callbacks(execute=True):
        send(
            organizer_client,
            [approved, pending, declined],
            body="Join here: {join_link}",
        )
    sent = outbox_by_address()
    assert f"Join here: {MEETING_URL}" in sent["yes@example.org"].body
    assert f'href="{MEETING_URL}"' in html_of(sent["yes@example.org"])
    not_yet = gettext("(you will receive the meeting link once your registration is approved)")
    assert f"Join here: {not_yet}" in sent["wait@example.org"].body
    only_approved = gettext("(the meeting link is only for approved participants)")
    assert f"Join here: {only_approved}" in sent["no@example.org"].body
    for address in ("wait@example.org", "no@example.org"):
        assert "5550001111" not in sent[address].body
        assert "5550001111" not in html_of(sent[address])


def test_join_link_follows_the_state_at_send_time(organizer, django_capture_on_commit_callbacks):
    event = EventFactory()
    was_approved = RegistrationFactory(event=event, email="a@example.org", state=State.APPROVED)
    was_pending = RegistrationFactory(event=event, email="p@example.org", state=State.PENDING)
    with django_capture_on_commit_callbacks() as handed_over:
        organizer_messages.send_participant_message(
            registrations=Registration.objects.filter(pk__in=[was_approved.pk, was_pending.pk]),
            subject="Tomorrow",
            body="Link: {join_link}",
            token=uuid.uuid4(),
            by=organizer,
        )
    decline(was_approved, by=organizer)
    approve(was_pending, by=organizer)
    mail.outbox.clear()
    for callback in handed_over:
        callback()
    sent = outbox_by_address()
    assert f"Link: {MEETING_URL}" in sent["p@example.org"].body
    assert MEETING_URL not in sent["a@example.org"].body


def test_placeholders_in_what_registrants_typed_are_not_filled(
    organizer_client, django_capture_on_commit_callbacks
):
    registration = RegistrationFactory(
        name="{join_link}", email="sly@example.org", state=State.PENDING
    )
    with django_capture_on_commit_callbacks(execute=True):
        send(organizer_client, [registration], subject="For {name}", body="Hi {name}\r\nBye")
    [email] = mail.outbox
    assert email.subject == "For {join_link}"
    assert "Hi {join_link}\nBye" in email.body
    assert "5550001111" not in email.body + html_of(email)
    assert ParticipantMessage.objects.get().body == "Hi {name}\nBye"


def test_the_form_says_how_the_email_begins_and_ends(organizer_client):
    page = open_form(organizer_client, [RegistrationFactory(state=State.APPROVED)])
    # Admin renders help text as HTML: a "<name>" in it would vanish as an unknown tag.
    help_text = str(ParticipantMessageForm.base_fields["body"].help_text)
    assert "<" not in help_text
    assert help_text in page.content.decode()


def test_unknown_placeholders_are_a_form_error_that_keeps_what_was_typed(organizer_client):
    registration = RegistrationFactory(state=State.APPROVED)
    page = open_form(organizer_client, [registration])
    body = "Hi {name}, {foo} and {name.__class__} and {foo} again"
    response = submit(
        organizer_client, page, button="send", subject="About {status_link}", body=body
    )
    assert response.status_code == 200
    form = response.context["form"]
    in_subject = gettext("%(first)s and %(last)s") % {"first": "{name}", "last": "{event}"}
    assert form.errors == {
        "subject": [
            gettext("Only %(known)s can be used in the subject, not: %(placeholders)s.")
            % {"known": in_subject, "placeholders": "{status_link}"},
        ],
        "body": [unknown_placeholders("{foo}, {name.__class__}")],
    }
    html = response.content.decode()
    assert "Hi {name}, {foo} and {name.__class__} and {foo} again</textarea>" in html
    assert 'value="About {status_link}"' in html
    assert not ParticipantMessage.objects.exists()
    assert not OutgoingEmail.objects.exists()


def test_service_refuses_unknown_placeholders(organizer):
    registration = RegistrationFactory(state=State.APPROVED)
    with pytest.raises(ValidationError) as error:
        organizer_messages.send_participant_message(
            registrations=Registration.objects.filter(pk=registration.pk),
            subject="Hi",
            body="{0.__init__.__globals__}",
            token=uuid.uuid4(),
            by=organizer,
        )
    assert error.value.message_dict == {"body": [unknown_placeholders("{0.__init__.__globals__}")]}
    assert not ParticipantMessage.objects.exists()


# --- the page: recipients, skipped registrations, preview -------------------------------------


def test_page_counts_recipients_by_state_and_lists_the_skipped(organizer_client, organizer):
    event = EventFactory(title="Seminar")
    chosen = [
        RegistrationFactory(event=event, state=State.APPROVED),
        RegistrationFactory(event=event, state=State.APPROVED),
        RegistrationFactory(event=event, state=State.PENDING),
        RegistrationFactory(event=event, state=State.WAITING),
        RegistrationFactory(event=event, state=State.DECLINED),
    ]
    unconfirmed = RegistrationFactory(
        event=event, name="Una Confirmed", state=State.UNCONFIRMED, confirmed_at=None
    )
    expired = RegistrationFactory(event=event, name="Ex Pired", state=State.EXPIRED)
    cancelled = RegistrationFactory(event=event, name="Can Celled", state=State.CANCELLED)
    erased = RegistrationFactory(event=event, state=State.APPROVED)
    erase_registrations(registrations=Registration.objects.filter(pk=erased.pk), by=organizer)
    skipped = [unconfirmed, expired, cancelled, erased]
    page = open_form(organizer_client, chosen + skipped)
    assert page.status_code == 200
    html = page.content.decode()
    counts = re.findall(r'data-state="(\w+)" data-count="(\d+)"', html)
    assert counts == [("pending", "1"), ("approved", "2"), ("waiting", "1"), ("declined", "1")]
    assert 'data-recipients="5"' in html
    listed = re.findall(r'data-skipped="(\d+)"', html)
    assert sorted(int(pk) for pk in listed) == sorted(r.pk for r in skipped)
    assert "Una Confirmed" in html
    assert 'data-approved="2"' in html


def test_preview_renders_the_first_recipients_message_escaped(organizer_client):
    event = EventFactory(title="Seminar <i>2031</i>")
    first = RegistrationFactory(event=event, name="<b>Bold</b> Anna", state=State.APPROVED)
    second = RegistrationFactory(event=event, name="Chen Tao", state=State.PENDING)
    page = open_form(organizer_client, [second, first])
    response = submit(
        organizer_client,
        page,
        button="preview",
        subject="About {event}",
        body="Hello {name} <script>alert(1)</script>\nLink: {join_link}",
    )
    assert response.status_code == 200
    html = response.content.decode()
    preview = html[html.index('id="message-preview"') :]
    assert f'data-registration="{first.pk}"' in preview
    assert "About Seminar &lt;i&gt;2031&lt;/i&gt;" in preview
    assert dear("&lt;b&gt;Bold&lt;/b&gt; Anna") in preview
    assert "Hello &lt;b&gt;Bold&lt;/b&gt; Anna &lt;script&gt;alert(1)&lt;/script&gt;" in preview
    assert f"Link: {MEETING_URL}" in preview
    assert "<script>alert" not in html
    assert "<b>Bold" not in html
    # Previewing sends nothing; the form is still there to send, with what was typed.
    assert not ParticipantMessage.objects.exists()
    assert not OutgoingEmail.objects.exists()
    assert "About {event}</" not in html
    assert 'value="About {event}"' in html


def test_html_body_escapes_what_the_organizer_typed(
    organizer_client, django_capture_on_commit_callbacks
):
    registration = RegistrationFactory(name="<b>Anna</b>", state=State.APPROVED)
    with django_capture_on_commit_callbacks(execute=True):
        send(organizer_client, [registration], body="<img src=x onerror=alert(1)>\n\nBye")
    [email] = mail.outbox
    html = html_of(email)
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "<img" not in html
    assert "&lt;b&gt;Anna&lt;/b&gt;" in html
    assert "<p>Bye</p>" in html
    assert "<img src=x onerror=alert(1)>\n\nBye" in email.body


# --- exactly once -----------------------------------------------------------------------------


def test_a_second_post_with_the_same_token_creates_nothing(
    organizer_client, django_capture_on_commit_callbacks
):
    event = EventFactory()
    chosen = RegistrationFactory.create_batch(3, event=event, state=State.APPROVED)
    page = open_form(organizer_client, chosen)
    with django_capture_on_commit_callbacks(execute=True):
        first = submit(organizer_client, page, button="send", subject="Hi", body="Text")
        again = submit(organizer_client, page, button="send", subject="Hi", body="Text")
    assert first.status_code == again.status_code == 302
    [message] = ParticipantMessage.objects.all()
    assert rows_of(message).count() == 3
    assert OutgoingEmail.objects.count() == 3
    assert len(mail.outbox) == 3
    assert messages_of(again) == [
        ngettext(
            "This message was already sent (to %(count)s recipient); nothing was sent again.",
            "This message was already sent (to %(count)s recipients); nothing was sent again.",
            3,
        )
        % {"count": 3}
    ]


def test_each_opening_of_the_form_gets_its_own_token(organizer_client):
    registration = RegistrationFactory(state=State.APPROVED)
    tokens = [
        dict(hidden_fields(open_form(organizer_client, [registration])))["token"] for _ in range(2)
    ]
    assert len(set(tokens)) == 2
    assert all(uuid.UUID(token) for token in tokens)


def test_same_address_in_two_events_gets_one_email_per_registration(
    organizer_client, django_capture_on_commit_callbacks
):
    seminar = EventFactory(title="Seminar")
    workshop = EventFactory(title="Workshop")
    one = RegistrationFactory(event=seminar, email="ada@example.org", state=State.APPROVED)
    two = RegistrationFactory(event=workshop, email="ada@example.org", state=State.PENDING)
    with django_capture_on_commit_callbacks(execute=True):
        # The ids twice, as a hand-made POST could: still one row per registration.
        send(organizer_client, [one, two, one, two], subject="About {event}")
    [message] = ParticipantMessage.objects.all()
    assert message.recipient_count == 2
    assert sorted(rows_of(message).values_list("recipient_id", flat=True)) == [one.pk, two.pk]
    assert sorted(m.subject for m in mail.outbox) == ["About Seminar", "About Workshop"]
    assert [m.to[0].rsplit(" ", 1)[-1] for m in mail.outbox] == ["<ada@example.org>"] * 2


def test_cancelled_after_queueing_is_not_sent_and_the_ledger_says_why(
    organizer, django_capture_on_commit_callbacks
):
    event = EventFactory()
    staying = RegistrationFactory(event=event, email="stay@example.org", state=State.APPROVED)
    leaving = RegistrationFactory(event=event, email="leave@example.org", state=State.APPROVED)
    with django_capture_on_commit_callbacks() as handed_over:
        message, created = organizer_messages.send_participant_message(
            registrations=Registration.objects.filter(event=event),
            subject="Hi",
            body="See you",
            token=uuid.uuid4(),
            by=organizer,
        )
    assert created
    cancel_registration(registration=leaving)
    for callback in handed_over:
        callback()
    rows = {row.recipient_id: row for row in rows_of(message)}
    assert rows[staying.pk].state == EmailState.SENT
    assert rows[leaving.pk].state == EmailState.SKIPPED
    assert rows[leaving.pk].last_error == "Not sent: the registration was cancelled meanwhile."
    assert [m.to[0].rsplit("<")[-1] for m in mail.outbox] == ["stay@example.org>"]


def test_selection_without_recipients_sends_nothing_and_says_so(organizer_client):
    registration = RegistrationFactory(state=State.CANCELLED)
    response = send(organizer_client, [registration])
    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [
        gettext("None of the selected registrations can receive messages.")
    ]
    assert not ParticipantMessage.objects.exists()
    assert not OutgoingEmail.objects.exists()


# --- select all, across pages; bounded queries ------------------------------------------------


def _bulk_registrations(event, count, state=State.APPROVED):
    now = timezone.now()
    Registration.objects.bulk_create(
        [
            Registration(
                event=event,
                name=f"R{n}",
                email=f"r{n}@example.org",
                career_stage="Scholar",
                country="DE",
                consented_at=now,
                confirmed_at=now,
                privacy_notice_version="t",
                state=state,
            )
            for n in range(count)
        ]
    )


@pytest.mark.parametrize("count", [1, 100])
def test_select_all_across_pages_sends_to_every_filtered_registration_in_bounded_queries(
    organizer_client, django_assert_max_num_queries, count
):
    event = EventFactory()
    _bulk_registrations(event, count)
    other_event = RegistrationFactory(state=State.APPROVED)
    other_state = RegistrationFactory(event=event, state=State.PENDING)
    url = f"{CHANGELIST}?event__id__exact={event.pk}&state__exact=approved"
    first_page = list(Registration.objects.filter(event=event, state=State.APPROVED)[:2])
    with django_assert_max_num_queries(16):
        page = open_form(organizer_client, first_page, url=url, select_across="1")
    assert ("select_across", "1") in hidden_fields(page)
    assert f'data-recipients="{count}"' in page.content.decode()
    with django_assert_max_num_queries(18):
        preview = submit(
            organizer_client, page, button="preview", subject="Hi", body="{name}", url=url
        )
    assert 'id="message-preview"' in preview.content.decode()
    # PostgreSQL inserts the ledger rows in one statement; SQLite caps a statement at 999
    # parameters, so Django splits 100 rows into two inserts.
    with django_assert_max_num_queries(17 if connection.vendor == "postgresql" else 18):
        response = submit(
            organizer_client, preview, button="send", subject="Hi", body="{name}", url=url
        )
    assert response.status_code == 302
    [message] = ParticipantMessage.objects.all()
    assert message.recipient_count == count
    assert rows_of(message).count() == count
    assert not rows_of(message).filter(recipient_id__in=[other_event.pk, other_state.pk])


# --- header injection -------------------------------------------------------------------------


def test_a_subject_with_line_breaks_adds_no_header_or_recipient(
    organizer_client, django_capture_on_commit_callbacks
):
    registration = RegistrationFactory(email="ada@example.org", state=State.APPROVED)
    with django_capture_on_commit_callbacks(execute=True):
        send(
            organizer_client,
            [registration],
            subject="Hi\r\nBcc: x@evil.example",
            body="Text",
        )
    [email] = mail.outbox
    assert email.recipients() == [f"{registration.name} <ada@example.org>"]
    assert email.bcc == []
    headers = email.message()
    assert headers["Bcc"] is None
    assert headers["Subject"] == "Hi Bcc: x@evil.example"
    assert "evil" not in "".join(email.recipients())
    [row] = OutgoingEmail.objects.all()
    assert row.state == EmailState.SENT
    assert row.subject == "Hi Bcc: x@evil.example"


# --- who may do it; the record in admin -------------------------------------------------------


def test_organizers_may_view_messages_but_not_add_change_or_delete_them(db):
    codenames = set(
        ensure_organizers_group()
        .permissions.filter(content_type__model="participantmessage")
        .values_list("codename", flat=True)
    )
    assert codenames == {"view_participantmessage"}


def test_the_action_needs_the_change_permission(client, django_user_model):
    user = django_user_model.objects.create(username="vic", is_staff=True)
    user.user_permissions.set(
        Permission.objects.filter(
            content_type__app_label="registration", codename="view_registration"
        )
    )
    client.force_login(user)
    registration = RegistrationFactory(state=State.APPROVED)
    response = open_form(client, [registration])
    assert response.status_code == 302
    assert messages_of(response) == ["No action selected."]
    response = client.get(CHANGELIST)
    assert ACTION not in response.content.decode()


def test_message_admin_is_a_read_only_record_that_links_to_its_emails(
    organizer_client, django_capture_on_commit_callbacks
):
    registrations = RegistrationFactory.create_batch(2, state=State.APPROVED)
    with django_capture_on_commit_callbacks(execute=True):
        send(organizer_client, registrations, subject="Programme news", body="Body text here")
    [message] = ParticipantMessage.objects.all()
    listing = organizer_client.get("/admin/registration/participantmessage/")
    assert listing.status_code == 200
    html = listing.content.decode()
    assert "Programme news" in html
    assert '<td class="field-recipient_count">2</td>' in html
    assert "olga" in html
    detail = organizer_client.get(f"/admin/registration/participantmessage/{message.pk}/change/")
    assert detail.status_code == 200
    html = detail.content.decode()
    assert "Body text here" in html
    assert 'name="subject"' not in html  # read-only
    link = f"/admin/mailing/outgoingemail/?participant_message={message.pk}"
    assert f'href="{link}"' in html
    assert "2 sent" in html
    ledger = organizer_client.get(link)
    assert ledger.status_code == 200
    assert ledger.context["cl"].result_count == 2
    assert organizer_client.get("/admin/registration/participantmessage/add/").status_code == 403
