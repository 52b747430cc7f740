"""Zoom with real processes: a Celery worker subprocess (eager mode off) on a Redis broker,
the stand-in Zoom on loopback, and a recording SMTP server. Issue 13, "How it is checked":
bulk approvals give every participant one invitation with a personal link of their own;
cancelling takes links back in Zoom, 30 to a call; 429 storms, a Zoom that is down for a
minute and a worker killed mid-call delay invitations but never duplicate a registrant or an
invitation, and never send one without its link; a bulk approval stays within the rate limit.

In place of beat, the tests call the sweepers in this process (`zoom.tasks.sweep`,
`mailing.tasks.sweep_email_ledger`); they hand rows to the worker through the broker."""

import os
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable

import pytest
import redis
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone
from django.utils.translation import gettext

from mailing import tasks as mail_tasks
from mailing.models import OutgoingEmail
from registration import services as registration_services
from registration.emails import Kind
from registration.models import Registration
from tests.factories import DisplayZoneFactory, EventFactory, RegistrationFactory, SessionFactory
from tests.support.smtp import Received, RecordingSMTPServer
from tests.support.worker import wait_until
from tests.support.zoom_standin import ZoomStandIn
from workshop.models import Event
from zoom import services as zoom_services
from zoom import tasks as zoom_tasks
from zoom.models import ZoomMeeting, ZoomRegistrant

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

Sent = OutgoingEmail.State

# The shared token cache of the worker's processes: a Redis database of these tests' own.
CACHE_URL = os.environ.get("TEST_ZOOM_CACHE_URL", "redis://127.0.0.1:6379/12")
CALLS_PER_SECOND = 20
# Short Zoom timings, the same in the worker and in this process (the sweeper's lease).
ZOOM_TIMINGS = {
    "ZOOM_RETRY_BASE_SECONDS": 1,
    "ZOOM_RETRY_MAX_SECONDS": 4,
    "ZOOM_TIMEOUT_SECONDS": 2,
    "ZOOM_CLAIM_LEASE_SECONDS": 5,
    "ZOOM_CALLS_PER_SECOND": CALLS_PER_SECOND,
}
# What beat would do every minute, at the pace of the tests' short timings.
SWEEP_EVERY = 2.0
PATIENCE = 120.0
OLD_FIXED_LINK = "https://zoom.us/j/5550001111"  # EventFactory's, from before Zoom


@pytest.fixture(autouse=True)
def _fresh_content_types():
    """Content types are made again (new ids) when the test database is flushed."""
    ContentType.objects.clear_cache()


@pytest.fixture
def standin(settings):
    """The stand-in Zoom, this process set up to use it, and an empty token cache."""
    cache = redis.Redis.from_url(CACHE_URL)
    cache.flushdb()
    server = ZoomStandIn().start()
    for name, value in {**server.settings(), **ZOOM_TIMINGS}.items():
        setattr(settings, name, value)
    yield server
    server.stop()
    cache.flushdb()
    cache.close()


@pytest.fixture
def zoom_worker(standin, celery_worker):
    """Start a real worker that talks to the stand-in and shares its token cache."""
    env = {**standin.settings(), **{k: str(v) for k, v in ZOOM_TIMINGS.items()}}
    env["CACHE_URL"] = CACHE_URL

    def start(**options):
        return celery_worker(extra_env=env, **options)

    return start


# The event, its meeting, its participants ---------------------------------------------------


def zoomed_event() -> Event:
    start = (timezone.now() + timezone.timedelta(days=20)).replace(
        hour=9, minute=0, second=0, microsecond=0
    )
    event = EventFactory(title="Zoomed Workshop", capacity=None)
    DisplayZoneFactory(event=event, label="DE", zone="Europe/Berlin", position=0)
    SessionFactory(event=event, title="Talk", start=start, end=start + timezone.timedelta(hours=2))
    return event


def create_meeting(event: Event) -> ZoomMeeting:
    """What the admin action does; the worker creates the meeting in Zoom."""
    zoom_services.request_meeting(event)
    meeting = wait_until(
        lambda: ZoomMeeting.objects.filter(event=event, state=ZoomMeeting.State.READY).first(),
        timeout=PATIENCE,
        what="the Zoom meeting to be created",
    )
    assert meeting.zoom_id and meeting.join_url
    return meeting


def participants(event: Event, count: int) -> list[Registration]:
    return [
        RegistrationFactory(event=event, name=f"Person {n:03d}", email=f"p{n:03d}@example.org")
        for n in range(count)
    ]


def approve_all(registrations: list[Registration], by) -> None:
    """One organizer action for everyone, as the admin's bulk action does."""
    approved = registration_services.approve_registrations(
        registrations=Registration.objects.filter(pk__in=[r.pk for r in registrations]), by=by
    )
    assert approved == len(registrations)


def own_link(registration: Registration) -> str:
    return (
        ZoomRegistrant.objects.filter(holder_id=registration.pk, holder_type__model="registration")
        .values_list("join_url", flat=True)
        .get()
    )


def invitation_rows(registrations: Iterable[Registration]):
    return OutgoingEmail.objects.filter(
        kind=Kind.INVITATION, recipient_id__in=[r.pk for r in registrations]
    )


# Waiting, with the sweepers in place of beat -------------------------------------------------


def sweep() -> None:
    zoom_tasks.sweep()
    mail_tasks.sweep_email_ledger()


def wait_sweeping(
    predicate: Callable[[], object], *, what: str, timeout: float = PATIENCE, sweeping=True
):
    last = [time.monotonic()]

    def check():
        if sweeping and time.monotonic() - last[0] >= SWEEP_EVERY:
            sweep()
            last[0] = time.monotonic()
        return predicate()

    return wait_until(check, timeout=timeout, interval=0.2, what=what)


def wait_until_invited(registrations: list[Registration], **options) -> None:
    rows = invitation_rows(registrations)
    wait_sweeping(
        lambda: rows.filter(state=Sent.SENT).count() == len(registrations),
        what=f"{len(registrations)} invitations to be sent",
        **options,
    )


def wait_until_broker_idle(broker, *, timeout: float = 60.0) -> None:
    """Nothing queued, nothing held (retry countdowns, acks_late): nothing more can come."""
    wait_until(
        lambda: broker.llen("celery") == 0 and broker.hlen("unacked") == 0,
        timeout=timeout,
        interval=0.2,
        what="the broker to have no queued or unacknowledged task",
    )


# What arrived ---------------------------------------------------------------------------------


def invitations_by_address(smtp: RecordingSMTPServer, event: Event) -> dict[str, list[Received]]:
    subject = gettext("Your access to %(event)s") % {"event": event.title}
    found: dict[str, list[Received]] = {}
    for received in smtp.received:
        if received.message["Subject"] == subject:
            for address in received.rcpt_tos:
                found.setdefault(address.lower(), []).append(received)
    return found


def text_of(received: Received) -> str:
    return received.message.get_body(("plain",)).get_content()


def assert_one_invitation_each_with_own_link(
    smtp: RecordingSMTPServer, event: Event, registrations: list[Registration], shared: str
) -> dict[str, str]:
    """Each got exactly one invitation, carrying their own link and no shared one; nobody
    else got one. Returns address → personal link."""
    invited = invitations_by_address(smtp, event)
    assert sorted(invited) == sorted(r.email for r in registrations)
    links = {}
    for registration in registrations:
        [received] = invited[registration.email]
        own = own_link(registration)
        assert own.startswith("https://zoom-standin.test/w/"), own
        assert own in text_of(received)
        whole = received.message.as_string()
        assert shared not in whole and OLD_FIXED_LINK not in whole
        links[registration.email] = own
    assert len(set(links.values())) == len(registrations)
    return links


def assert_standin_holds_once_each(
    standin: ZoomStandIn, meeting: ZoomMeeting, links: dict[str, str]
) -> None:
    """Zoom has each person once (never added twice), approved, with the link we sent."""
    held = standin.registrants(meeting.zoom_id)
    counts = Counter(r["email"].lower() for r in held)
    assert [email for email, n in counts.items() if n > 1] == []
    assert sorted(counts) == sorted(links)
    assert {r["email"]: r["join_url"] for r in held} == links
    assert {r["status"] for r in held} == {"approved"}


def add_calls(standin: ZoomStandIn) -> list:
    return [c for c in standin.calls if c.operation == "addMeetingRegistrant"]


# 1. Fifty approvals, five cancellations ----------------------------------------------------


def test_fifty_approvals_fifty_personal_links_emailed_once_then_five_cancelled(
    zoom_worker, standin, smtp_server, redis_broker, organizer, client
):
    zoom_worker(pool="prefork", concurrency=2)
    event = zoomed_event()
    meeting = create_meeting(event)
    people = participants(event, 50)

    approve_all(people, organizer)

    wait_until_invited(people)
    wait_until_broker_idle(redis_broker)
    links = assert_one_invitation_each_with_own_link(smtp_server, event, people, meeting.join_url)
    assert_standin_holds_once_each(standin, meeting, links)
    assert len(add_calls(standin)) == 50

    leaving, staying = people[:5], people[5:]
    for registration in leaving:
        assert registration_services.cancel_registration(registration=registration)

    def cancelled_at_zoom():
        status = {r["email"]: r["status"] for r in standin.registrants(meeting.zoom_id)}
        return all(status[r.email] == "cancelled" for r in leaving)

    wait_sweeping(cancelled_at_zoom, what="the five to be cancelled in Zoom")
    wait_sweeping(
        lambda: ZoomRegistrant.objects.filter(state=ZoomRegistrant.State.CANCELLED).count() == 5,
        what="the five rows to record it",
    )
    status = {r["email"]: r["status"] for r in standin.registrants(meeting.zoom_id)}
    assert sorted(e for e, s in status.items() if s == "cancelled") == [r.email for r in leaving]
    assert sorted(e for e, s in status.items() if s == "approved") == [r.email for r in staying]
    puts = [c for c in standin.calls if c.method == "PUT"]
    assert puts and all(len(c.body["registrants"]) <= 30 for c in puts)

    for registration in leaving:
        page = client.get(registration.get_absolute_url()).content.decode()
        assert 'id="join-heading"' not in page  # no "How to join" for a cancelled one
        assert links[registration.email] not in page and "zoom-standin" not in page
    for registration in staying[:3]:
        page = client.get(registration.get_absolute_url()).content.decode()
        assert links[registration.email] in page and meeting.join_url not in page

    # Both pool processes called Zoom with the one token the first of them fetched.
    assert standin.tokens_issued == 1
    assert standin.violations == []


# 2. A 429 storm -----------------------------------------------------------------------------


def test_a_429_storm_delays_but_everyone_gets_one_invitation_with_a_link(
    zoom_worker, standin, smtp_server, redis_broker, organizer
):
    zoom_worker(pool="prefork", concurrency=2)
    event = zoomed_event()
    meeting = create_meeting(event)
    people = participants(event, 20)
    standin.rate_limit_next(40, retry_after=1)

    approve_all(people, organizer)

    wait_until_invited(people)
    wait_until_broker_idle(redis_broker)
    assert sum(1 for c in standin.calls if c.status == 429) == 40
    links = assert_one_invitation_each_with_own_link(smtp_server, event, people, meeting.join_url)
    assert_standin_holds_once_each(standin, meeting, links)
    assert standin.violations == []


# 3. Zoom down for a minute ------------------------------------------------------------------


def test_zoom_down_for_a_minute_holds_invitations_back_then_each_goes_out_once(
    zoom_worker, standin, smtp_server, redis_broker, organizer
):
    zoom_worker(pool="prefork", concurrency=2)
    event = zoomed_event()
    meeting = create_meeting(event)
    people = participants(event, 10)
    standin.go_down()
    down_since = time.monotonic()

    approve_all(people, organizer)

    # Approved at once; each invitation waits for its link, and says so.
    assert set(Registration.objects.values_list("state", flat=True)) == {"approved"}
    rows = invitation_rows(people)
    wait_sweeping(
        lambda: rows.filter(state=Sent.QUEUED).exclude(waiting_for="").count() == 10,
        what="every invitation to wait for its link",
    )
    # The rest of the minute: the worker keeps trying, the sweepers keep handing over, and
    # nothing goes out.
    while time.monotonic() - down_since < 60:
        sweep()
        assert invitations_by_address(smtp_server, event) == {}
        assert rows.filter(state=Sent.QUEUED).count() == 10
        time.sleep(SWEEP_EVERY)
    assert set(Registration.objects.values_list("state", flat=True)) == {"approved"}
    assert rows.filter(state=Sent.QUEUED).exclude(waiting_for="").count() == 10
    pending = ZoomRegistrant.objects.filter(state=ZoomRegistrant.State.PENDING)
    assert pending.count() == 10
    assert all(row.attempts >= 2 and row.last_error for row in pending)

    standin.come_back()

    wait_until_invited(people)
    wait_until_broker_idle(redis_broker)
    links = assert_one_invitation_each_with_own_link(smtp_server, event, people, meeting.join_url)
    assert_standin_holds_once_each(standin, meeting, links)
    assert standin.violations == []


# 4. A worker killed in the middle of a call to Zoom ---------------------------------------------


def test_worker_killed_mid_call_adds_nobody_twice_and_every_invitation_has_its_link(
    zoom_worker, standin, smtp_server, redis_broker, organizer
):
    # One pool process: at the kill it is in the middle of a call to Zoom, not of an email.
    first = zoom_worker(pool="prefork", concurrency=1)
    event = zoomed_event()
    meeting = create_meeting(event)
    people = participants(event, 30)
    # Zoom takes each add at once and answers a second later: calls are in flight.
    standin.slow_next(30, seconds=1.0)

    approve_all(people, organizer)

    def some_added_one_unanswered():
        held = {r["email"] for r in standin.registrants(meeting.zoom_id)}
        stored = set(
            ZoomRegistrant.objects.filter(state=ZoomRegistrant.State.ADDED).values_list(
                "email", flat=True
            )
        )
        return 3 <= len(held) < 30 and held - stored

    wait_until(some_added_one_unanswered, timeout=PATIENCE, what="an add in flight")
    first.kill()
    held = {r["email"] for r in standin.registrants(meeting.zoom_id)}
    stored = set(
        ZoomRegistrant.objects.filter(state=ZoomRegistrant.State.ADDED).values_list(
            "email", flat=True
        )
    )
    # Zoom added someone whose answer the killed worker never stored.
    lost = held - stored
    assert lost and len(held) < 30
    standin.slow_next(0, seconds=0)

    zoom_worker(pool="prefork", concurrency=2)
    wait_until_invited(people)
    wait_until_broker_idle(redis_broker)

    links = assert_one_invitation_each_with_own_link(smtp_server, event, people, meeting.join_url)
    assert_standin_holds_once_each(standin, meeting, links)
    assert len(standin.registrants(meeting.zoom_id)) == 30
    # The retry looked the lost one up instead of adding them again.
    assert len(add_calls(standin)) == 30
    assert any(c.operation == "listMeetingRegistrants" for c in standin.calls)
    assert standin.violations == []


# 5. Three hundred at once ---------------------------------------------------------------------


class CallRate:
    """Samples how many adds the stand-in has received, ten times a second, in a thread of
    its own (the stand-in records no times)."""

    def __init__(self, standin: ZoomStandIn):
        self.standin = standin
        self.samples: list[tuple[float, int]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> "CallRate":
        self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.samples.append((time.monotonic(), len(add_calls(self.standin))))
            self._stop.wait(0.1)

    def peak(self) -> float:
        """The most adds in any one second (windows of at least a second between samples)."""
        best = 0.0
        start = 0
        for at, count in self.samples:
            while start + 1 < len(self.samples) and at - self.samples[start + 1][0] >= 1.0:
                start += 1
            since, before = self.samples[start]
            if at - since >= 1.0:
                best = max(best, (count - before) / (at - since))
        return best


def test_three_hundred_approvals_stay_within_the_rate_limit_and_all_get_their_link(
    zoom_worker, standin, smtp_server, redis_broker, organizer, settings
):
    # As in production (sweeps a minute apart, a grace of two), the sweepers leave alone the
    # rows whose tasks are merely waiting their turn: with the tests' one-second grace, every
    # sweep would queue the whole backlog again.
    settings.EMAIL_SWEEP_GRACE_SECONDS = 30
    zoom_worker(pool="prefork", concurrency=2)
    event = zoomed_event()
    meeting = create_meeting(event)
    people = participants(event, 300)

    began = time.monotonic()
    with CallRate(standin) as rate:
        approve_all(people, organizer)
        wait_until_invited(people)
    took = time.monotonic() - began
    wait_until_broker_idle(redis_broker)
    print(
        f"300 approvals: all invited in {took:.1f}s; peak {rate.peak():.1f} adds/s "
        f"(limit {CALLS_PER_SECOND}/s); tokens issued: {standin.tokens_issued}"
    )
    assert rate.peak() <= CALLS_PER_SECOND * 1.25
    assert not [c for c in standin.calls if c.status == 429]
    links = assert_one_invitation_each_with_own_link(smtp_server, event, people, meeting.join_url)
    assert_standin_holds_once_each(standin, meeting, links)

    # An organizer declines 65 of them at once: Zoom is told in status updates of at most 30.
    leaving = people[:65]
    registration_services.decline_registrations(
        registrations=Registration.objects.filter(pk__in=[r.pk for r in leaving]), by=organizer
    )

    def cancelled_at_zoom():
        held = standin.registrants(meeting.zoom_id)
        return sum(1 for r in held if r["status"] == "cancelled") == 65

    wait_sweeping(cancelled_at_zoom, what="65 registrants cancelled in Zoom")
    wait_until_broker_idle(redis_broker)
    puts = [c for c in standin.calls if c.operation == "updateMeetingRegistrantStatus"]
    sizes = [len(c.body["registrants"]) for c in puts]
    print(f"cancel of 65: PUT batch sizes {sizes}")
    assert all(c.body["action"] == "cancel" for c in puts)
    assert max(sizes) <= 30 and len(puts) >= 3
    cancelled = Counter(r["email"] for c in puts for r in c.body["registrants"])
    assert sorted(cancelled) == sorted(r.email for r in leaving)
    status = {r["email"]: r["status"] for r in standin.registrants(meeting.zoom_id)}
    assert Counter(status.values()) == {"approved": 235, "cancelled": 65}
    assert standin.violations == []
