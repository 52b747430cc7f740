"""Seats under concurrent load: many threads, each with its own database connection, against
committed data (PostgreSQL serializes on the event row lock; SQLite on its IMMEDIATE write
transactions): capacity N and N+50 concurrent registrations, at most N take seats."""

import datetime as dt
from collections import Counter

import pytest
from django.utils import timezone

from mailing.models import OutgoingEmail
from registration import services
from registration.emails import Kind
from registration.models import Registration
from tests.factories import RegistrationFactory
from tests.registration.conftest import registrant_data
from tests.support.threads import run_concurrently

State = Registration.State

# Below PostgreSQL's default max_connections (100), whatever else is connected.
THREADS = 20


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_registrations_beyond_capacity_wait_without_overbooking(open_event):
    open_event.capacity = 50
    open_event.save()

    def register(n):
        registration, created = services.register_participant(
            event=open_event, **registrant_data(name=f"Person {n}", email=f"p{n}@example.org")
        )
        assert created is True
        return registration.pk

    def confirm(pk):
        registration = Registration.objects.get(pk=pk)
        assert services.confirm_registration(registration=registration) is True
        return pk

    registered = run_concurrently([lambda n=n: register(n) for n in range(200)], threads=THREADS)
    assert [o.error for o in registered if o.error is not None] == []
    # All confirmations at once: only the event row lock stands between them and overbooking.
    outcomes = run_concurrently(
        [lambda pk=o.value: confirm(pk) for o in registered], threads=THREADS
    )

    assert [o.error for o in outcomes if o.error is not None] == []
    assert len({o.value for o in outcomes}) == 200
    assert Counter(Registration.objects.values_list("state", flat=True)) == {
        State.PENDING: 50,
        State.WAITING: 150,
    }
    assert services.seats_taken(open_event) == 50
    assert not Registration.objects.filter(confirmed_at=None).exists()
    assert not Registration.objects.filter(state=State.WAITING, waiting_since=None).exists()
    assert Counter(OutgoingEmail.objects.values_list("kind", flat=True)) == {
        Kind.CONFIRM: 200,
        Kind.RECEIVED: 50,
        Kind.WAITING: 150,
    }
    # Served in the order of confirmation: the seats went to the 50 who confirmed first, and
    # the waiting list is in the order its people confirmed.
    seated = Registration.objects.filter(state=State.PENDING)
    waiting = Registration.objects.filter(state=State.WAITING)
    last_seated = max(seated.values_list("confirmed_at", flat=True))
    assert not waiting.filter(confirmed_at__lt=last_seated).exists()
    by_waiting_since = list(waiting.order_by("waiting_since", "pk").values_list("pk", flat=True))
    assert by_waiting_since == list(
        waiting.order_by("confirmed_at", "pk").values_list("pk", flat=True)
    )
    # Ten more seats: the ten who have waited longest move up, and nobody else.
    open_event.capacity = 60
    open_event.save()
    promoted = set(
        Registration.objects.filter(pk__in=by_waiting_since, state=State.PENDING).values_list(
            "pk", flat=True
        )
    )
    assert promoted == set(by_waiting_since[:10])
    assert services.seats_taken(open_event) == 60
    assert OutgoingEmail.objects.filter(kind=Kind.PROMOTED).count() == 10


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_concurrent_cancellations_promote_from_waiting_list_without_overfilling(open_event):
    open_event.capacity = 50
    open_event.save()
    holders = RegistrationFactory.create_batch(50, event=open_event, state=State.PENDING)
    since = timezone.now() - dt.timedelta(days=1)
    # Oldest first: the order in which the waiting list is served.
    waiting = [
        RegistrationFactory(
            event=open_event, state=State.WAITING, waiting_since=since + dt.timedelta(seconds=n)
        )
        for n in range(60)
    ]
    leaving = [*holders, waiting[-1]]  # 50 seat holders and the newest on the waiting list

    def cancel(pk):
        return services.cancel_registration(registration=Registration.objects.get(pk=pk))

    outcomes = run_concurrently([lambda pk=r.pk: cancel(pk) for r in leaving], threads=THREADS)

    assert [o.error for o in outcomes if o.error is not None] == []
    assert [o.value for o in outcomes] == [True] * 51
    assert services.seats_taken(open_event) == 50
    states = dict(Registration.objects.values_list("pk", "state"))
    assert [states[r.pk] for r in leaving] == [State.CANCELLED] * 51
    assert [states[r.pk] for r in waiting[:50]] == [State.PENDING] * 50
    assert [states[r.pk] for r in waiting[50:59]] == [State.WAITING] * 9
    assert Counter(OutgoingEmail.objects.values_list("kind", flat=True)) == {
        Kind.CANCELLED: 51,
        Kind.PROMOTED: 50,
    }


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_concurrent_confirmations_for_the_last_seat_take_it_once(open_event):
    open_event.capacity = 50
    open_event.save()
    RegistrationFactory.create_batch(49, event=open_event, state=State.PENDING)
    unconfirmed = RegistrationFactory.create_batch(
        THREADS, event=open_event, state=State.UNCONFIRMED, confirmed_at=None
    )

    def confirm(pk):
        return services.confirm_registration(registration=Registration.objects.get(pk=pk))

    outcomes = run_concurrently([lambda pk=r.pk: confirm(pk) for r in unconfirmed], threads=THREADS)

    assert [o.error for o in outcomes if o.error is not None] == []
    assert [o.value for o in outcomes] == [True] * THREADS
    assert services.seats_taken(open_event) == 50
    states = Counter(
        Registration.objects.filter(pk__in=[r.pk for r in unconfirmed]).values_list(
            "state", flat=True
        )
    )
    assert states == {State.PENDING: 1, State.WAITING: THREADS - 1}
