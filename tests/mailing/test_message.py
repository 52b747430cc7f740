"""What the outbox puts on the wire: recipients as SMTP can carry them. Rows hold canonical
addresses (workshop.addresses); a row from before that, with an internationalised domain or a
character mail cannot carry, is sent in IDNA form or failed with a reason — never a crash
that the worker retries for ever."""

import pytest

from mailing.models import OutgoingEmail
from registration.models import Registration
from tests.factories import RegistrationFactory
from tests.registration.conftest import approve

State = OutgoingEmail.State


@pytest.fixture
def real_smtp(settings, smtp_server):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", smtp_server.port
    return smtp_server


def invitation_to(address: str, *, event, by) -> OutgoingEmail:
    """Approve a registrant whose address was stored before addresses were canonical; the
    invitation is delivered when the approval commits (tasks run in-process here)."""
    registration = RegistrationFactory(event=event, state=Registration.State.PENDING)
    Registration.objects.filter(pk=registration.pk).update(email=address)
    approve(registration, by=by)
    return registration.emails.get()


@pytest.mark.django_db(transaction=True)
def test_legacy_row_with_an_internationalised_domain_is_sent_in_idna_form(
    open_event, admin_user, real_smtp
):
    row = invitation_to("idn@ex\u00e4mple.org", event=open_event, by=admin_user)
    assert row.state == State.SENT
    assert [r.rcpt_tos for r in real_smtp.received] == [("idn@xn--exmple-cua.org",)]
    assert "idn@xn--exmple-cua.org" in real_smtp.received[0].message["To"]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("\u9648@example.org", "characters before the @ that mail cannot carry"),
        ("chen@-\u00e4.org", "no valid domain"),
    ],
)
def test_legacy_row_that_cannot_be_sent_fails_with_a_reason_and_no_retry(
    open_event, admin_user, real_smtp, address, reason
):
    row = invitation_to(address, event=open_event, by=admin_user)
    assert (row.state, row.attempts, row.next_attempt_at) == (State.FAILED, 1, None)
    assert reason in row.last_error
    assert real_smtp.received == []
