"""The outbox with real processes: a Celery worker subprocess (eager mode off), a Redis broker,
and an SMTP server on loopback. Mail is delayed by faults, never duplicated or lost: end to end,
SMTP errors (4xx retried, 5xx failed), a broker down at approval, workers killed mid-batch,
redelivered tasks, concurrent claims, retry timing, task payloads, concurrent approvals."""

import base64
import json
import logging
import smtplib
import threading
from collections import Counter

import icalendar
import pytest
from django.core import mail as django_mail
from django.db import transaction
from django.utils.translation import gettext

from config.celery import app
from mailing import delivery, tasks
from mailing.models import OutgoingEmail
from registration import services
from registration.emails import Kind
from registration.models import Registration
from tests.factories import RegistrationFactory
from tests.registration.conftest import approve, registrant_data
from tests.support.threads import run_concurrently
from tests.support.worker import DEAD_BROKER_URL, TEST_BROKER_URL, use_broker, wait_until

Sent = OutgoingEmail.State


def email_row(pk: int) -> OutgoingEmail:
    return OutgoingEmail.objects.get(pk=pk)


def wait_until_sent(*pks: int, timeout: float = 30.0) -> list[OutgoingEmail]:
    def all_sent():
        rows = list(OutgoingEmail.objects.filter(pk__in=pks).order_by("pk"))
        return rows if all(row.state == Sent.SENT for row in rows) else None

    return wait_until(all_sent, timeout=timeout, what=f"emails {pks} to be sent")


def wait_until_broker_idle(redis_client, *, timeout: float = 30.0) -> None:
    """No task waiting in the queue and none delivered but unacknowledged (acks_late: a task
    is acknowledged when it has finished): nothing more can be sent after this."""
    wait_until(
        lambda: redis_client.llen("celery") == 0 and redis_client.hlen("unacked") == 0,
        timeout=timeout,
        what="the broker to have no queued or unacknowledged task",
    )


# 1. End to end ---------------------------------------------------------------------------


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_invitation_delivered_end_to_end_by_real_worker(
    open_event, admin_user, celery_worker, smtp_server, redis_broker
):
    celery_worker()
    registration, created = services.register_participant(event=open_event, **registrant_data())
    assert created is True
    assert services.confirm_registration(registration=registration) is True
    assert approve(registration, by=admin_user) == 1

    rows = list(registration.emails.order_by("pk"))
    assert [row.kind for row in rows] == [Kind.CONFIRM, Kind.RECEIVED, Kind.INVITATION]
    rows = wait_until_sent(*(row.pk for row in rows))
    smtp_server.wait_for(3)
    wait_until_broker_idle(redis_broker)

    assert [(row.state, row.attempts) for row in rows] == [(Sent.SENT, 1)] * 3
    assert smtp_server.message_ids() == Counter({row.message_id: 1 for row in rows})
    invitation = rows[2]
    [received] = [r for r in smtp_server.received if r.message_id == invitation.message_id]
    assert received.rcpt_tos == ("chen@example.org",)
    message = received.message
    assert message["Message-ID"] == invitation.message_id
    assert message["Subject"] == gettext("Your access to %(event)s") % {"event": open_event.title}
    assert "https://zoom.us/j/5550001111" in message.get_body(("plain",)).get_content()
    assert "https://zoom.us/j/5550001111" in message.get_body(("html",)).get_content()
    [part] = [p for p in message.walk() if p.get_content_type() == "text/calendar"]
    assert part.get_param("method") == "REQUEST"
    calendar = icalendar.Calendar.from_ical(part.get_payload(decode=True))
    assert calendar["METHOD"] == "REQUEST"
    [vevent] = calendar.walk("VEVENT")
    session = open_event.sessions.get(kind="talk")
    assert vevent.decoded("DTSTART") == session.start
    assert "https://zoom.us/j/5550001111" in str(vevent["LOCATION"])


# 2. SMTP refusing connections ------------------------------------------------------------


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_invitation_waits_while_smtp_refuses_connections_then_arrives_once(
    open_event, admin_user, celery_worker, smtp_server, redis_broker
):
    smtp_server.stop()
    celery_worker()
    registration = RegistrationFactory(event=open_event, email="wait@example.org")

    assert approve(registration, by=admin_user) == 1

    registration.refresh_from_db()
    assert registration.state == Registration.State.APPROVED
    pk = registration.emails.get(kind=Kind.INVITATION).pk
    waiting = wait_until(
        lambda: OutgoingEmail.objects.filter(pk=pk, state=Sent.QUEUED, attempts__gte=2).first(),
        what="two refused attempts",
    )
    assert waiting.last_error.startswith("ConnectionRefusedError: ")
    assert waiting.next_attempt_at > waiting.claimed_at
    assert smtp_server.count() == 0

    smtp_server.start()
    [row] = wait_until_sent(pk)
    wait_until_broker_idle(redis_broker)
    assert tasks.sweep_email_ledger() == 0

    assert smtp_server.message_ids() == Counter({row.message_id: 1})
    assert smtp_server.count() == 1
    assert smtp_server.received[0].rcpt_tos == ("wait@example.org",)
    assert row.attempts > waiting.attempts
    assert row.last_error == ""


# 3. Permanent SMTP error ------------------------------------------------------------------


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_invitation_refused_with_5xx_fails_without_retry(
    open_event, admin_user, celery_worker, smtp_server, redis_broker
):
    smtp_server.recipient_replies["gone@example.org"] = "550 5.1.1 No such user"
    celery_worker()
    registration = RegistrationFactory(event=open_event, name="Gone Away", email="gone@example.org")

    approve(registration, by=admin_user)

    pk = registration.emails.get().pk
    failed = wait_until(
        lambda: OutgoingEmail.objects.filter(pk=pk, state=Sent.FAILED).first(),
        what="the email to fail",
    )
    # The server's reply, without the name and address smtplib's text would hold.
    assert failed.last_error == "SMTPRecipientsRefused: <recipient>: 550 5.1.1 No such user"
    # Nothing hands a failed row over again: not the task, not the sweeper. A later email,
    # sent by the same single worker after everything queued before it, proves the worker
    # has finished with the failed one.
    assert tasks.sweep_email_ledger() == 0
    later = RegistrationFactory(event=open_event, email="later@example.org")
    approve(later, by=admin_user)
    wait_until_sent(later.emails.get().pk)
    wait_until_broker_idle(redis_broker)

    failed.refresh_from_db()
    assert (failed.state, failed.attempts, failed.sent_at) == (Sent.FAILED, 1, None)
    assert [r.rcpt_tos for r in smtp_server.received] == [("later@example.org",)]


# 4. Broker down at approval ---------------------------------------------------------------


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_approval_with_broker_down_succeeds_and_sweeper_sends_once(
    open_event, admin_user, celery_worker, smtp_server, redis_broker
):
    celery_worker()
    registration = RegistrationFactory(event=open_event, email="later@example.org")
    use_broker(app, DEAD_BROKER_URL)

    assert approve(registration, by=admin_user) == 1

    row = registration.emails.get()
    assert (row.state, row.attempts, row.last_error) == (Sent.QUEUED, 0, "")
    registration.refresh_from_db()
    assert registration.state == Registration.State.APPROVED
    assert redis_broker.llen("celery") == 0

    use_broker(app, TEST_BROKER_URL)
    wait_until(lambda: tasks.sweep_email_ledger() == 1, what="the sweeper to hand the row over")
    [row] = wait_until_sent(row.pk)
    wait_until_broker_idle(redis_broker)

    assert row.attempts == 1
    assert smtp_server.message_ids() == Counter({row.message_id: 1})
    assert tasks.sweep_email_ledger() == 0


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_approval_rolled_back_leaves_no_row_no_task_no_email(
    open_event, admin_user, celery_worker, smtp_server, redis_broker
):
    class Rollback(Exception):
        pass

    celery_worker()
    registration = RegistrationFactory(event=open_event, email="rolled@example.org")

    with pytest.raises(Rollback), transaction.atomic():
        approve(registration, by=admin_user)
        raise Rollback

    registration.refresh_from_db()
    assert registration.state == Registration.State.PENDING
    assert OutgoingEmail.objects.count() == 0
    assert redis_broker.llen("celery") == 0
    # A later approval goes through the same single worker: once it has arrived, nothing
    # else was waiting.
    later = RegistrationFactory(event=open_event, email="later@example.org")
    approve(later, by=admin_user)
    wait_until_sent(later.emails.get().pk)
    wait_until_broker_idle(redis_broker)
    assert [r.rcpt_tos for r in smtp_server.received] == [("later@example.org",)]


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_bulk_approval_sends_one_invitation_per_newly_approved_and_none_on_repeat(
    open_event, admin_user, celery_worker, smtp_server, redis_broker
):
    celery_worker()
    RegistrationFactory.create_batch(4, event=open_event)
    RegistrationFactory(event=open_event, state=Registration.State.UNCONFIRMED)

    assert (
        services.approve_registrations(registrations=Registration.objects.all(), by=admin_user) == 4
    )
    assert (
        services.approve_registrations(registrations=Registration.objects.all(), by=admin_user) == 0
    )
    RegistrationFactory(event=open_event, email="late@example.org")
    assert (
        services.approve_registrations(registrations=Registration.objects.all(), by=admin_user) == 1
    )

    rows = list(OutgoingEmail.objects.order_by("pk"))
    assert len(rows) == 5
    wait_until_sent(*(row.pk for row in rows))
    wait_until_broker_idle(redis_broker)
    assert smtp_server.message_ids() == Counter({row.message_id: 1 for row in rows})
    assert sorted(r.rcpt_tos[0] for r in smtp_server.received) == sorted(
        Registration.objects.filter(state=Registration.State.APPROVED).values_list(
            "email", flat=True
        )
    )


# 5. Worker killed mid-batch ---------------------------------------------------------------


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_worker_killed_mid_batch_every_invitation_still_arrives_once(
    open_event, admin_user, celery_worker, smtp_server, redis_broker
):
    RegistrationFactory.create_batch(30, event=open_event)
    smtp_server.delay = 0.2
    first = celery_worker()

    assert (
        services.approve_registrations(registrations=Registration.objects.all(), by=admin_user)
        == 30
    )

    smtp_server.wait_for(3)
    first.kill()
    # The solo worker had at most one email claimed, perhaps already accepted by the server.
    in_flight = OutgoingEmail.objects.filter(state=Sent.SENDING).count()
    assert in_flight <= 1
    assert OutgoingEmail.objects.filter(state=Sent.SENT).count() < 30

    celery_worker()

    def all_sent():
        if OutgoingEmail.objects.exclude(state=Sent.SENT).exists():
            tasks.sweep_email_ledger()  # what the beat schedule runs every minute
            return False
        return True

    wait_until(all_sent, timeout=60, interval=1, what="every invitation to be sent")
    wait_until_broker_idle(redis_broker)

    rows = list(OutgoingEmail.objects.order_by("pk"))
    assert len(rows) == 30
    assert {row.state for row in rows} == {Sent.SENT}
    counts = smtp_server.message_ids()
    assert set(counts) == {row.message_id for row in rows}
    assert smtp_server.count() <= len(rows) + in_flight
    assert sum(1 for n in counts.values() if n > 1) <= in_flight
    for row in rows:
        received = smtp_server.to(row.to_address)
        assert {r.message_id for r in received} == {row.message_id}
        assert all(r.rcpt_tos == (row.to_address,) for r in received)


# 6. The same task twice at once ------------------------------------------------------------


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_send_email_task_delivered_twice_at_once_sends_once(
    open_event, admin_user, celery_worker, smtp_server, redis_broker
):
    smtp_server.delay = 0.5
    registration = RegistrationFactory(event=open_event)
    approve(registration, by=admin_user)
    pk = registration.emails.get().pk
    tasks.send_email.delay(pk)  # as a redelivery would
    assert redis_broker.llen("celery") == 2

    celery_worker(pool="threads", concurrency=2)  # takes both tasks at once
    [row] = wait_until_sent(pk)
    wait_until_broker_idle(redis_broker)

    assert row.attempts == 1
    assert smtp_server.message_ids() == Counter({row.message_id: 1})


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_deliver_from_two_threads_at_once_sends_once(
    open_event, admin_user, smtp_server, redis_broker, settings
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = smtp_server.port
    smtp_server.delay = 0.3
    registration = RegistrationFactory(event=open_event)
    approve(registration, by=admin_user)  # no worker
    pk = registration.emails.get().pk

    outcomes = run_concurrently(
        [lambda: delivery.deliver(pk), lambda: delivery.deliver(pk)], threads=2
    )

    assert [outcome.error for outcome in outcomes] == [None, None]
    assert sorted(outcome.value for outcome in outcomes) == ["sent", "skipped"]
    row = email_row(pk)
    assert (row.state, row.attempts) == (Sent.SENT, 1)
    assert smtp_server.message_ids() == Counter({row.message_id: 1})


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_worker_whose_lease_ran_out_does_not_undo_another_workers_delivery(
    open_event, admin_user, celery_worker, smtp_server, redis_broker
):
    # The first SMTP conversation hangs past the claim lease (5 s) until released, then fails
    # with a 4xx.
    release = threading.Event()
    smtp_server.next_data = [(release, "451 4.3.0 Try again later")]
    worker = celery_worker(pool="threads", concurrency=2, extra_env={"EMAIL_TIMEOUT": "60"})
    registration = RegistrationFactory(event=open_event)
    approve(registration, by=admin_user)
    pk = registration.emails.get().pk
    wait_until(lambda: email_row(pk).state == Sent.SENDING, what="the first claim")

    # Meanwhile the sweeper sees a silent claim past its lease and hands the row over again;
    # the second claim sends it.
    def reclaimed():
        tasks.sweep_email_ledger()
        return email_row(pk).attempts >= 2

    wait_until(reclaimed, interval=0.5, what="a second claim after the lease")
    wait_until_sent(pk)
    smtp_server.wait_for(1)
    # Now the first attempt's 451 arrives, after the delivery: it must not put the row back.
    release.set()
    wait_until(
        lambda: "attempt 1 ended queued after another claim took over" in worker.log(),
        what="the first attempt to end",
    )
    wait_until_broker_idle(redis_broker)

    row = email_row(pk)
    assert (row.state, row.attempts, row.last_error) == (Sent.SENT, 2, "")
    assert smtp_server.message_ids() == Counter({row.message_id: 1})


# 7. Retry countdowns and the visibility timeout -------------------------------------------


@pytest.mark.parametrize(
    ("visibility_timeout", "retry_max", "retry_base"),
    [(10, 5, 1), (10, 60, 1), (3600, 1800, 30), (3600, 7200, 30), (120, 1800, 30)],
)
def test_retry_delay_never_exceeds_broker_visibility_timeout(
    settings, visibility_timeout, retry_max, retry_base
):
    settings.CELERY_BROKER_VISIBILITY_TIMEOUT = visibility_timeout
    settings.EMAIL_RETRY_MAX_SECONDS = retry_max
    settings.EMAIL_RETRY_BASE_SECONDS = retry_base

    delays = [delivery.retry_delay(attempt) for attempt in range(1, 31) for _ in range(50)]

    assert max(delays) < visibility_timeout
    assert min(delays) >= 1


def test_broker_visibility_timeout_setting_is_the_transport_option():
    from django.conf import settings

    assert app.conf.broker_transport_options["visibility_timeout"] == (
        settings.CELERY_BROKER_VISIBILITY_TIMEOUT
    )


# 8. Tasks take ids only, as JSON -----------------------------------------------------------


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_send_email_task_message_is_json_with_the_row_id_only(open_event, admin_user, redis_broker):
    assert (app.conf.task_serializer, app.conf.accept_content) == ("json", ["json"])
    registration = RegistrationFactory(event=open_event)

    approve(registration, by=admin_user)  # no worker

    row = registration.emails.get()
    [raw] = redis_broker.lrange("celery", 0, -1)
    envelope = json.loads(raw)
    assert envelope["content-type"] == "application/json"
    assert envelope["headers"]["task"] == "mailing.send_email"
    args, kwargs, _ = json.loads(base64.b64decode(envelope["body"]))
    assert (args, kwargs) == ([row.pk], {})
    assert type(args[0]) is int


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_task_queued_under_its_old_name_before_a_deploy_is_still_delivered_once(
    open_event, admin_user, celery_worker, smtp_server, redis_broker
):
    """The outbox's tasks were called registration.* before it moved to the mailing app; a
    send already on the broker during the deploy must still go out, once."""
    registration = RegistrationFactory(event=open_event, state=Registration.State.APPROVED)
    row = OutgoingEmail.objects.create(
        kind=Kind.INVITATION, to_address=registration.email, recipient=registration
    )
    app.send_task("registration.send_email", args=[row.pk])
    celery_worker()

    [row] = wait_until_sent(row.pk)
    smtp_server.wait_for(1)
    wait_until_broker_idle(redis_broker)
    assert row.attempts == 1
    assert smtp_server.message_ids() == Counter({row.message_id: 1})


# 9. Two organizers approving at once -------------------------------------------------------


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_two_organizers_approving_at_once_change_state_once_and_send_one_email(
    open_event, django_user_model
):
    alice = django_user_model.objects.create_user("alice", is_staff=True)
    bob = django_user_model.objects.create_user("bob", is_staff=True)
    registrations = RegistrationFactory.create_batch(5, event=open_event)

    def approve_one(pk, organizer):
        return services.approve_registrations(
            registrations=Registration.objects.filter(pk=pk), by=organizer
        )

    calls = [
        (lambda pk=r.pk, who=who: approve_one(pk, who))
        for r in registrations
        for who in (alice, bob)
    ]
    outcomes = run_concurrently(calls, threads=len(calls))

    assert [outcome.error for outcome in outcomes] == [None] * 10
    for first, second in zip(outcomes[::2], outcomes[1::2], strict=True):
        assert sorted([first.value, second.value]) == [0, 1]
    for registration in registrations:
        registration.refresh_from_db()
        assert registration.state == Registration.State.APPROVED
        assert registration.decided_by in (alice, bob)
        assert list(registration.emails.values_list("kind", flat=True)) == [Kind.INVITATION]
    assert sorted(m.to[0].split("<")[1].rstrip(">") for m in django_mail.outbox) == sorted(
        r.email for r in registrations
    )


# 10. Erasure while a send is on its way; what logs and stored errors say ----------------


@pytest.fixture
def smtp_delivery(settings, smtp_server):
    """This process sends over SMTP to the recording server (no worker, no broker)."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = smtp_server.port
    settings.EMAIL_TIMEOUT = 30
    return smtp_server


def deliver_in_thread(pk: int) -> tuple[threading.Thread, list]:
    """`delivery.deliver(pk)` on a thread of its own (with its own database connection, closed
    after); the outcome (return value or exception) lands in the list."""
    from django.db import connection

    outcome = []

    def run():
        try:
            outcome.append(delivery.deliver(pk))
        except Exception as error:  # noqa: BLE001 — handed to the test, which asserts
            outcome.append(error)
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread, outcome


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("reply", "outcome", "state"),
    [
        (None, "sent", Sent.SENT),  # it went out: the ledger says so, without what it said
        ("451 4.3.0 Try again later", delivery.TransientEmailError, Sent.FAILED),
        ("554 5.7.1 Rejected", "failed", Sent.FAILED),
    ],
)
def test_send_in_flight_during_erasure_writes_nothing_personal_back(
    open_event, admin_user, smtp_delivery, reply, outcome, state
):
    registration = RegistrationFactory(
        event=open_event,
        name="Ines Rößler",
        email="ines.roessler@example.org",
        state=Registration.State.APPROVED,
    )
    old_secret = registration.secret
    row = OutgoingEmail.objects.create(
        kind=Kind.INVITATION, to_address=registration.email, recipient=registration
    )
    release = threading.Event()
    smtp_delivery.next_data = [(release, reply)]

    # Claimed, built (name, personal links) and handed to the SMTP server, which holds it ...
    thread, result = deliver_in_thread(row.pk)
    wait_until(lambda: smtp_delivery.waiting == 1, what="the message to reach the server")
    assert email_row(row.pk).state == Sent.SENDING
    # ... while the registrant is erased ...
    services.erase_registrations(
        registrations=Registration.objects.filter(pk=registration.pk), by=admin_user
    )
    # ... and only then does the server answer.
    release.set()
    thread.join(timeout=30)

    [value] = result
    assert value == outcome or isinstance(value, outcome)
    row.refresh_from_db()
    assert (row.state, row.to_address, row.subject, row.body_text, row.last_error) == (
        state,
        f"erased-{registration.pk}@invalid.example",
        "",
        "",
        "",
    )
    assert row.erased_at is not None
    assert (row.sent_at is not None) == (state == Sent.SENT)
    stored = " ".join(str(value) for value in OutgoingEmail.objects.values().get().values())
    for personal in ("Rößler", "ines.roessler@example.org", old_secret):
        assert personal not in stored
    # Nothing hands the erased row over again.
    assert tasks.sweep_email_ledger() == 0
    assert smtp_delivery.count() == (1 if reply is None else 0)


def test_delivery_logs_ids_and_stores_errors_without_addresses_or_names(
    open_event, smtp_delivery, caplog
):
    people = {
        "sent": ("Ines Rößler", "ines.roessler@example.org"),
        "refused": ("Gone Away", "gone.away@example.org"),
        "greylisted": ("Grey Listed", "grey.listed@example.org"),
        "busy": ("Busy Bee", "busy.bee@example.org"),
    }
    rows = {
        case: OutgoingEmail.objects.create(
            kind=Kind.RECEIVED,
            to_address=address,
            recipient=RegistrationFactory(event=open_event, name=name, email=address),
        )
        for case, (name, address) in people.items()
    }
    # Servers echo the address in their replies (Postfix does).
    smtp_delivery.recipient_replies["gone.away@example.org"] = (
        "550 5.1.1 <gone.away@example.org>: Recipient address rejected: User unknown"
    )
    smtp_delivery.recipient_replies["grey.listed@example.org"] = (
        "450 4.2.0 <Grey.Listed@example.org>: Recipient address rejected: Greylisted"
    )
    caplog.set_level(logging.DEBUG)

    for case in ("sent", "refused", "greylisted"):
        tasks.send_email.delay(rows[case].pk)  # in-process: the task, then the delivery
    smtp_delivery.next_data = [(0, "451 4.3.0 Mailbox of <busy.bee@example.org> busy")]
    with pytest.raises(delivery.TransientEmailError) as raised:
        delivery.deliver(rows["busy"].pk)

    states = {case: email_row(row.pk).state for case, row in rows.items()}
    assert states == {
        "sent": Sent.SENT,
        "refused": Sent.FAILED,
        "greylisted": Sent.QUEUED,
        "busy": Sent.QUEUED,
    }
    assert {case: email_row(row.pk).last_error for case, row in rows.items()} == {
        "sent": "",
        "refused": "SMTPRecipientsRefused: <recipient>: 550 5.1.1 <recipient>: Recipient "
        "address rejected: User unknown",
        "greylisted": "SMTPRecipientsRefused: <recipient>: 450 4.2.0 <recipient>: Recipient "
        "address rejected: Greylisted",
        "busy": "SMTPDataError: 451 4.3.0 Mailbox of <recipient> busy",
    }
    assert str(raised.value) == "SMTPDataError: 451 4.3.0 Mailbox of <recipient> busy"
    assert raised.value.__cause__ is None
    # Every record of this process (ours, Celery's, Django's), with its extra fields; not
    # those of the stand-in SMTP server (aiosmtpd's "mail.log" logs each conversation).
    records = [record for record in caplog.records if record.name != "mail.log"]
    logged = "\n".join(f"{record.getMessage()} {record.__dict__}" for record in records).lower()
    assert [record.email_id for record in records if hasattr(record, "email_id")] == [
        rows["sent"].pk
    ]
    for case, row in rows.items():
        assert f"email {row.pk}" in logged, case
    for name, address in people.values():
        assert address not in logged
        assert name.lower() not in logged
        assert address.split("@")[0] not in logged


@pytest.mark.parametrize(
    ("error", "described"),
    [
        (
            smtplib.SMTPRecipientsRefused(
                {"Ines Rößler <ines@example.org>": (550, b"5.1.1 <ines@example.org> unknown")}
            ),
            "SMTPRecipientsRefused: <recipient>: 550 5.1.1 <recipient> unknown",
        ),
        (
            smtplib.SMTPSenderRefused(553, b"5.7.1 <events@example.org> refused", "x@y.org"),
            "SMTPSenderRefused: 553 5.7.1 <address> refused",
        ),
        (
            smtplib.SMTPDataError(554, "5.7.1 INES@EXAMPLE.ORG: message refused"),
            "SMTPDataError: 554 5.7.1 <recipient>: message refused",
        ),
        (
            smtplib.SMTPServerDisconnected("Connection unexpectedly closed"),
            "SMTPServerDisconnected: Connection unexpectedly closed",
        ),
        (
            ConnectionRefusedError(111, "Connection refused"),
            "ConnectionRefusedError: [Errno 111] Connection refused",
        ),
    ],
)
def test_describe_error_replaces_addresses(error, described):
    assert delivery.describe(error, address="ines@example.org") == described
