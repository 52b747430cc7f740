"""The outbox sends what the feature apps registered builders for, and nothing else: an
unknown kind is refused when queued, reported at deploy time when already waiting, and failed
visibly (not retried) if a worker meets one anyway."""

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.utils.translation import gettext, pgettext

from mailing import registry
from mailing.message import Message
from mailing.models import OutgoingEmail
from mailing.services import queue_email
from portal.emails import Kind as PortalKind
from registration.emails import Kind as RegistrationKind
from tests.factories import RegistrationFactory


def test_every_kind_of_the_feature_apps_is_registered_with_its_label():
    kinds = {kind.name: kind.label for kind in registry.kinds()}
    expected = {kind.value: kind.label for kind in [*RegistrationKind, *PortalKind]}
    # Kinds with a builder of their own, registered by their modules.
    expected.update(
        {
            "programme_change": gettext("Programme change notice"),
            "reminder": gettext("Reminder before the event"),
            "message": gettext("Message from the organizers"),
            "programme_reminder": gettext("Reminder before the event (programme)"),
        }
    )
    assert kinds == expected


def test_ledger_row_names_its_kind_by_the_registered_label(db):
    label = str(RegistrationKind.INVITATION.label)
    queued = pgettext("state of an email, in its name", "queued")
    row = OutgoingEmail(kind=RegistrationKind.INVITATION, to_address="a@example.org")
    assert str(row) == f"{label} ({queued})"
    row.save()
    # Admin history keeps this text (LogEntry.object_repr): the number, never the address.
    assert str(row) == f"{label} #{row.pk} ({queued})"
    assert OutgoingEmail(kind="gone_kind", to_address="a@example.org").kind_label == "gone_kind"


def test_queueing_a_kind_without_builder_is_refused_at_once(open_event):
    registration = RegistrationFactory(event=open_event)
    with pytest.raises(ImproperlyConfigured, match="no_such_kind"):
        queue_email(kind="no_such_kind", to=registration.email, recipient=registration)
    assert not OutgoingEmail.objects.exists()


def test_a_second_builder_for_a_taken_kind_is_refused():
    def other_builder(row) -> Message:
        return Message(subject="", text="")

    with pytest.raises(ImproperlyConfigured, match="invitation"):
        registry.register(RegistrationKind.INVITATION, label="Other", build=other_builder)
    assert registry.get(RegistrationKind.INVITATION).label == RegistrationKind.INVITATION.label


@pytest.mark.parametrize("name", ["", "x" * 31])
def test_a_kind_name_must_fit_the_ledger_column(name):
    with pytest.raises(ImproperlyConfigured):
        registry.register(name, label="Too long", build=lambda row: None)


def test_deploy_check_reports_waiting_emails_no_code_can_build(db):
    OutgoingEmail.objects.create(kind="retired_kind", to_address="a@example.org")
    OutgoingEmail.objects.create(
        kind="sent_long_ago", to_address="a@example.org", state=OutgoingEmail.State.SENT
    )
    with pytest.raises(SystemCheckError) as error:
        call_command("check", databases=["default"])
    message = str(error.value)
    assert "mailing.E001" in message
    assert "'retired_kind'" in message
    assert "sent_long_ago" not in message  # what went out needs no builder any more


def test_deploy_check_passes_when_every_waiting_email_has_a_builder(db):
    OutgoingEmail.objects.create(kind=RegistrationKind.CONFIRM, to_address="a@example.org")
    call_command("check", databases=["default"])
