"""An email that must wait for something (a personal Zoom link) stays queued without using
an attempt, is woken by whoever makes the thing, and never misses a thing made in the moment
between its build and the record of its wait."""

import datetime as dt

import pytest
from django.core import mail
from django.utils import timezone

from mailing import registry
from mailing.message import Message, WaitForData
from mailing.models import OutgoingEmail
from mailing.services import queue_email, wake_waiting
from tests.factories import RegistrationFactory

KIND = "test_waiting"


@pytest.fixture
def thing():
    """A kind whose builder needs ``thing["made"]``; ``thing["made_while_recording"]`` makes
    it appear just after the build looked (as a worker storing it in another process)."""
    state = {"made": False, "made_while_recording": False, "builds": 0}

    def build(row):
        state["builds"] += 1
        if not state["made"]:
            if state["made_while_recording"]:
                state["made"] = True
            raise WaitForData("the thing", retry_in=300, ready=lambda: state["made"])
        return Message(subject="Your thing", text="Here it is.")

    registry.register(KIND, label="Test: waits for a thing", build=build)
    yield state
    registry._KINDS.pop(KIND, None)


def test_a_waiting_email_stays_queued_says_why_and_uses_no_attempt(db, thing):
    registration = RegistrationFactory()
    row = queue_email(kind=KIND, to=registration.email, recipient=registration)
    from mailing.delivery import deliver

    before = timezone.now()
    assert deliver(row.pk) == "waiting"
    row.refresh_from_db()
    assert row.state == OutgoingEmail.State.QUEUED
    assert row.waiting_for == "the thing"
    assert row.attempts == 0
    assert row.next_attempt_at >= before + dt.timedelta(seconds=299)
    assert mail.outbox == []


def test_waking_sends_it_at_once(db, thing, django_capture_on_commit_callbacks):
    registration = RegistrationFactory()
    row = queue_email(kind=KIND, to=registration.email, recipient=registration)
    from mailing.delivery import deliver

    deliver(row.pk)
    thing["made"] = True
    with django_capture_on_commit_callbacks(execute=True):
        assert wake_waiting(registration) == 1
    row.refresh_from_db()
    assert row.state == OutgoingEmail.State.SENT and row.waiting_for == ""
    assert [m.subject for m in mail.outbox] == ["Your thing"]


def test_a_thing_made_while_the_wait_is_recorded_is_not_left_to_the_sweeper(
    db, thing, django_capture_on_commit_callbacks
):
    registration = RegistrationFactory()
    thing["made_while_recording"] = True
    with django_capture_on_commit_callbacks(execute=True):
        row = queue_email(kind=KIND, to=registration.email, recipient=registration)
    row.refresh_from_db()
    assert row.state == OutgoingEmail.State.SENT
    assert thing["builds"] == 2
    assert len(mail.outbox) == 1
