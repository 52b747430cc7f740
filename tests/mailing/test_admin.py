"""The mail ledger in admin: what organizers see of every email, retrying failed ones, and
that rows are never added or deleted by hand."""

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core import mail

from mailing.models import OutgoingEmail
from portal.emails import Kind as PortalKind
from registration.emails import Kind
from registration.models import Registration
from tests.factories import EventFactory, RegistrationFactory
from tests.support.admin import messages_of, post_action

State = Registration.State
LEDGER = "/admin/mailing/outgoingemail/"


@pytest.fixture(autouse=True)
def _cold_content_type_cache():
    """Query counts must not depend on which test warmed the process-wide cache."""
    ContentType.objects.clear_cache()


def run_action(client, action, objects, *, url=LEDGER):
    return post_action(client, url, action, objects)


def test_mail_ledger_list_shows_recipient_kind_state_attempts_and_error(organizer_client):
    registration = RegistrationFactory(state=State.PENDING, email="ada@example.org")
    OutgoingEmail.objects.create(
        kind=Kind.RECEIVED,
        to_address="ada@example.org",
        recipient=registration,
        state=OutgoingEmail.State.FAILED,
        attempts=3,
        last_error="SMTPRecipientsRefused: 550 5.1.1 <ada@example.org>: user unknown",
    )
    response = organizer_client.get(LEDGER)
    assert response.status_code == 200
    html = response.content.decode()
    header = [str(h["text"]) for h in response.context["result_headers"]]
    columns = ["to_address", "kind", "state", "attempts", "created_at", "sent_at", "last_error"]
    assert header[1:] == [str(OutgoingEmail._meta.get_field(name).verbose_name) for name in columns]
    assert "ada@example.org" in html
    assert str(Kind.RECEIVED.label) in html
    assert str(OutgoingEmail.State.FAILED.label) in html
    assert '<td class="field-attempts">3</td>' in html
    assert "SMTPRecipientsRefused: 550 5.1.1 &lt;ada@example.org&gt;: user unknown" in html


@pytest.mark.parametrize("count", [1, 60])
def test_mail_ledger_list_queries_bounded(organizer_client, django_assert_max_num_queries, count):
    registration = RegistrationFactory(state=State.PENDING)
    OutgoingEmail.objects.bulk_create(
        [
            OutgoingEmail(
                kind=Kind.RECEIVED, to_address=f"r{n}@example.org", recipient=registration
            )
            for n in range(count)
        ]
    )
    with django_assert_max_num_queries(10):
        response = organizer_client.get(LEDGER)
    assert response.context["cl"].result_count == count


def test_mail_ledger_retry_action_requeues_failed_and_sends_them(
    organizer_client, django_capture_on_commit_callbacks
):
    registration = RegistrationFactory(state=State.PENDING, email="ada@example.org")
    failed = OutgoingEmail.objects.create(
        kind=Kind.RECEIVED,
        to_address="ada@example.org",
        recipient=registration,
        state=OutgoingEmail.State.FAILED,
        attempts=1,
        last_error="SMTPDataError: 554 busy",
    )
    sent = OutgoingEmail.objects.create(
        kind=Kind.CONFIRM,
        to_address="ada@example.org",
        recipient=registration,
        state=OutgoingEmail.State.SENT,
        attempts=1,
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = run_action(organizer_client, "retry", [failed, sent], url=LEDGER)
    assert response.status_code == 302
    assert messages_of(response) == ["1 failed email queued again."]
    failed.refresh_from_db()
    sent.refresh_from_db()
    assert (failed.state, failed.attempts, failed.last_error) == (
        OutgoingEmail.State.SENT,
        2,
        "",
    )
    assert (sent.state, sent.attempts) == (OutgoingEmail.State.SENT, 1)
    [message] = mail.outbox
    assert message.to == [f"{registration.name} <ada@example.org>"]


def test_mail_ledger_retry_without_tasks_leaves_rows_queued(organizer_client):
    registration = RegistrationFactory(state=State.PENDING)
    failed = OutgoingEmail.objects.create(
        kind=Kind.RECEIVED,
        to_address=registration.email,
        recipient=registration,
        state=OutgoingEmail.State.FAILED,
        attempts=1,
        last_error="boom",
    )
    run_action(organizer_client, "retry", [failed], url=LEDGER)
    failed.refresh_from_db()
    assert (failed.state, failed.last_error) == (OutgoingEmail.State.QUEUED, "")


def test_mail_ledger_cannot_be_added_to_or_deleted_from(organizer_client):
    row = OutgoingEmail.objects.create(kind=Kind.CONFIRM, to_address="a@example.org")
    assert organizer_client.get(f"{LEDGER}add/").status_code == 403
    assert organizer_client.post(f"{LEDGER}{row.pk}/delete/", {"post": "yes"}).status_code == 403
    assert OutgoingEmail.objects.filter(pk=row.pk).exists()


def test_mail_ledger_filters_by_kind_and_by_the_event_of_the_registration(organizer_client):
    first, second = EventFactory(title="First"), EventFactory(title="Second")
    ada = RegistrationFactory(event=first, email="ada@example.org")
    bo = RegistrationFactory(event=second, email="bo@example.org")
    for registration, kind in ((ada, Kind.RECEIVED), (ada, Kind.CONFIRM), (bo, Kind.RECEIVED)):
        OutgoingEmail.objects.create(
            kind=kind, to_address=registration.email, recipient=registration
        )

    def listed(**params):
        response = organizer_client.get(LEDGER, params)
        return sorted((row.to_address, row.kind) for row in response.context["cl"].result_list)

    assert listed(registration_event=first.pk) == [
        ("ada@example.org", "confirm"),
        ("ada@example.org", "received"),
    ]
    assert listed(kind="received") == [
        ("ada@example.org", "received"),
        ("bo@example.org", "received"),
    ]
    html = organizer_client.get(LEDGER).content.decode()
    assert "?kind=portal_invitation" in html and str(PortalKind.PORTAL_INVITATION.label) in html
    assert f"?registration_event={second.pk}" in html
