"""The waiting list is served strictly in the order of confirmation: a newcomer never takes a
seat while someone waits, a raised or removed capacity promotes the first waiting at once
(admin, importer, any save), and approving past the capacity needs an explicit choice."""

import datetime as dt
import re

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext, ngettext

from mailing.models import OutgoingEmail
from registration import services
from registration.emails import Kind
from registration.models import Registration
from tests.factories import EventFactory, RegistrationFactory
from tests.registration.conftest import registrant_data
from tests.support.admin import messages_of, post_action
from tests.workshop.admin_forms import event_change_url, get_event_form
from workshop.importer import import_programme
from workshop.models import Event

State = Registration.State

CHANGELIST = "/admin/registration/registration/"
START = dt.datetime(2031, 5, 1, 9, tzinfo=dt.UTC)


def promoted_subject(title: str) -> str:
    return gettext("A place is free for you: %(event)s") % {"event": title}


def approved_beyond_capacity(count: int) -> str:
    return ngettext(
        "%(count)s registration approved beyond capacity.",
        "%(count)s registrations approved beyond capacity.",
        count,
    ) % {"count": count}


def places_left(count: int) -> str:
    return ngettext("%(places)s place left", "%(places)s places left", count) % {"places": count}


def kinds(registration) -> list[str]:
    return list(registration.emails.order_by("pk").values_list("kind", flat=True))


def states(*registrations) -> list[str]:
    for registration in registrations:
        registration.refresh_from_db()
    return [registration.state for registration in registrations]


def confirm_in_turn(event, count: int, *, first: int = 0) -> list[Registration]:
    """`count` people register and confirm one after another, a minute apart."""
    confirmed = []
    for n in range(first, first + count):
        registration, _ = services.register_participant(
            event=event, **registrant_data(name=f"Person {n}", email=f"p{n}@example.org")
        )
        services.confirm_registration(
            registration=registration, now=START + dt.timedelta(minutes=n)
        )
        registration.refresh_from_db()
        confirmed.append(registration)
    return confirmed


@pytest.fixture
def full_event(open_event):
    """Capacity 2, four confirmed in order: two hold seats, the third and fourth wait."""
    open_event.capacity = 2
    open_event.save()
    return open_event, confirm_in_turn(open_event, 4)


def test_confirmations_past_capacity_wait_in_the_order_of_confirmation(full_event):
    event, people = full_event
    assert [p.state for p in people] == [State.PENDING, State.PENDING, State.WAITING, State.WAITING]
    assert [p.waiting_since for p in people[2:]] == [
        START + dt.timedelta(minutes=2),
        START + dt.timedelta(minutes=3),
    ]
    assert [kinds(p)[-1] for p in people] == [
        Kind.RECEIVED,
        Kind.RECEIVED,
        Kind.WAITING,
        Kind.WAITING,
    ]


def test_raising_the_capacity_in_admin_promotes_the_first_waiting_and_mails_them(
    full_event, organizer_client, django_capture_on_commit_callbacks
):
    event, people = full_event
    data, _ = get_event_form(organizer_client, event)
    data["capacity"] = "3"
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = organizer_client.post(event_change_url(event), data)
    assert response.status_code == 302
    assert states(*people) == [State.PENDING, State.PENDING, State.PENDING, State.WAITING]
    assert kinds(people[2]) == [Kind.CONFIRM, Kind.WAITING, Kind.PROMOTED]
    assert kinds(people[3]) == [Kind.CONFIRM, Kind.WAITING]
    assert [(m.to, m.subject) for m in mail.outbox] == [
        (["Person 2 <p2@example.org>"], promoted_subject("Open Workshop"))
    ]
    assert people[2].emails.get(kind=Kind.PROMOTED).state == OutgoingEmail.State.SENT


def test_raising_the_capacity_by_saving_the_event_promotes_the_first_waiting(
    full_event, django_capture_on_commit_callbacks
):
    event, people = full_event
    event.capacity = 3
    with django_capture_on_commit_callbacks(execute=True):
        event.save()
    assert states(*people) == [State.PENDING, State.PENDING, State.PENDING, State.WAITING]
    assert [m.subject for m in mail.outbox[-1:]] == [promoted_subject("Open Workshop")]
    assert mail.outbox[-1].to == ["Person 2 <p2@example.org>"]


def test_raising_the_capacity_without_approval_invites_the_first_waiting(
    open_event, django_capture_on_commit_callbacks
):
    open_event.capacity = 1
    open_event.requires_approval = False
    open_event.save()
    seated, first, second = confirm_in_turn(open_event, 3)
    assert states(seated, first, second) == [State.APPROVED, State.WAITING, State.WAITING]
    open_event.capacity = 2
    with django_capture_on_commit_callbacks(execute=True):
        open_event.save()
    assert states(seated, first, second) == [State.APPROVED, State.APPROVED, State.WAITING]
    assert kinds(first)[-1] == Kind.INVITATION
    assert mail.outbox[-1].subject == gettext("Your access to %(event)s") % {
        "event": "Open Workshop"
    }
    assert mail.outbox[-1].to == ["Person 1 <p1@example.org>"]


def test_importing_a_higher_capacity_promotes_the_first_waiting(
    db, django_capture_on_commit_callbacks
):
    def programme(capacity: int) -> str:
        return f"""
event:
  slug: imported-2031
  title: Imported Workshop
  timezone: Europe/Berlin
  registration: {{capacity: {capacity}, requires_approval: true}}
people:
  - {{key: ann-lee, name: Ann Lee}}
days:
  - date: 2031-07-01
    items:
      - {{start: "10:00", end: "11:00", title: Opening, speakers: [ann-lee]}}
"""

    event = import_programme(programme(1), source="test").event
    RegistrationFactory(event=event, state=State.PENDING)
    later = RegistrationFactory(event=event, state=State.WAITING, waiting_since=START)
    first = RegistrationFactory(
        event=event, state=State.WAITING, waiting_since=START - dt.timedelta(hours=1)
    )
    with django_capture_on_commit_callbacks(execute=True):
        import_programme(programme(2), source="test")
    assert states(first, later) == [State.PENDING, State.WAITING]
    assert kinds(first) == [Kind.PROMOTED]
    assert kinds(later) == []
    assert [m.subject for m in mail.outbox] == [promoted_subject("Imported Workshop")]


def test_a_newcomer_waits_behind_those_already_waiting(full_event):
    event, people = full_event
    event.capacity = 3
    event.save()
    [fifth] = confirm_in_turn(event, 1, first=4)
    assert fifth.state == State.WAITING
    assert kinds(fifth) == [Kind.CONFIRM, Kind.WAITING]
    # The next free seat goes to the fourth, who confirmed earlier.
    services.cancel_registration(registration=people[0])
    assert states(people[3], fifth) == [State.PENDING, State.WAITING]


def test_a_newcomer_never_takes_a_free_seat_while_others_wait(full_event, organizer):
    event, people = full_event
    event.capacity = 3
    event.save()
    # An organizer puts a seat holder back on the waiting list: a seat is free while the
    # fourth person and the one moved back wait.
    moved = services.move_to_waiting_list(
        registrations=Registration.objects.filter(pk=people[1].pk),
        by=organizer,
        now=START + dt.timedelta(minutes=30),
    )
    assert moved == 1
    assert services.seats_taken(event) == 2
    [fifth] = confirm_in_turn(event, 1, first=60)
    # The free seat went to the first waiting; the newcomer joins the end of the list.
    assert states(people[3], people[1], fifth) == [State.PENDING, State.WAITING, State.WAITING]
    assert kinds(people[3])[-1] == Kind.PROMOTED
    assert kinds(fifth) == [Kind.CONFIRM, Kind.WAITING]
    assert services.seats_taken(event) == 3


def test_removing_the_capacity_promotes_everyone_waiting(
    full_event, django_capture_on_commit_callbacks
):
    event, people = full_event
    event.capacity = None
    with django_capture_on_commit_callbacks(execute=True):
        event.save()
    assert states(*people) == [State.PENDING] * 4
    assert sorted(m.to[0] for m in mail.outbox if m.subject == promoted_subject(event.title)) == [
        "Person 2 <p2@example.org>",
        "Person 3 <p3@example.org>",
    ]


def test_saving_the_event_without_a_free_seat_promotes_nobody(full_event):
    event, people = full_event
    event.title = "Renamed Workshop"
    event.save()
    assert states(*people) == [State.PENDING, State.PENDING, State.WAITING, State.WAITING]
    assert OutgoingEmail.objects.filter(kind=Kind.PROMOTED).count() == 0


def test_without_a_capacity_whom_organizers_put_on_the_waiting_list_stays_there(
    open_event, organizer
):
    """An event with no capacity has a waiting list only by an organizer's choice: saving the
    event or a newcomer's confirmation does not undo it."""
    [parked] = confirm_in_turn(open_event, 1)
    services.move_to_waiting_list(
        registrations=Registration.objects.filter(pk=parked.pk), by=organizer
    )
    open_event.title = "Renamed Workshop"
    open_event.save()
    [newcomer] = confirm_in_turn(open_event, 1, first=1)
    assert states(parked, newcomer) == [State.WAITING, State.PENDING]
    assert OutgoingEmail.objects.filter(kind=Kind.PROMOTED).count() == 0


# --- approving past the capacity -------------------------------------------------------------


@pytest.fixture
def seminar(db):
    """Capacity 3, all taken; two wait."""
    event = EventFactory(title="Full Seminar", capacity=3)
    RegistrationFactory.create_batch(3, event=event, state=State.APPROVED)
    since = timezone.now()
    waiting = [
        RegistrationFactory(
            event=event, state=State.WAITING, waiting_since=since + dt.timedelta(seconds=n)
        )
        for n in range(2)
    ]
    return event, waiting


def test_approve_service_refuses_to_pass_the_capacity_and_names_the_numbers(seminar, organizer):
    event, waiting = seminar
    with pytest.raises(ValidationError) as refused:
        services.approve_registrations(
            registrations=Registration.objects.filter(pk__in=[r.pk for r in waiting]),
            by=organizer,
        )
    assert refused.value.messages == [
        "“Full Seminar” has 3 places: 3 are taken and this approval would add 2, 5 in all "
        "(2 over capacity)."
    ]
    assert states(*waiting) == [State.WAITING, State.WAITING]
    assert OutgoingEmail.objects.count() == 0


def test_approve_service_beyond_capacity_when_asked(seminar, organizer):
    event, waiting = seminar
    done = services.approve_registrations(
        registrations=Registration.objects.filter(pk__in=[r.pk for r in waiting]),
        by=organizer,
        beyond_capacity=True,
    )
    assert done == 2
    assert states(*waiting) == [State.APPROVED, State.APPROVED]


def test_approving_pending_registrations_adds_no_seat_even_when_over_capacity(organizer):
    event = EventFactory(capacity=2)
    pending = RegistrationFactory.create_batch(3, event=event, state=State.PENDING)
    done = services.approve_registrations(
        registrations=Registration.objects.filter(event=event), by=organizer
    )
    assert done == 3
    assert states(*pending) == [State.APPROVED] * 3


def test_approve_service_within_capacity_approves_waiting_and_declined(organizer):
    event = EventFactory(capacity=3)
    RegistrationFactory(event=event, state=State.APPROVED)
    others = [
        RegistrationFactory(event=event, state=State.WAITING, waiting_since=timezone.now()),
        RegistrationFactory(event=event, state=State.DECLINED),
    ]
    done = services.approve_registrations(
        registrations=Registration.objects.filter(pk__in=[r.pk for r in others]), by=organizer
    )
    assert done == 2


def page_numbers(html: str) -> dict[str, str]:
    return dict(re.findall(r'data-seats-(capacity|taken|adding|total)="(\d+)"', html))


def test_approve_action_past_capacity_asks_first_with_the_numbers(organizer_client, seminar):
    event, waiting = seminar
    response = post_action(organizer_client, CHANGELIST, "approve", waiting)
    assert response.status_code == 200
    assert [t.name for t in response.templates][0] == (
        "admin/registration/registration/approve_beyond_capacity.html"
    )
    html = response.content.decode()
    assert page_numbers(html) == {"capacity": "3", "taken": "3", "adding": "2", "total": "5"}
    assert f'data-seats-event="{event.pk}"' in html
    selected = re.findall(r'name="_selected_action" value="(\d+)"', html)
    assert sorted(selected) == sorted(str(r.pk) for r in waiting)
    assert 'name="action" value="approve"' in html
    assert 'type="checkbox" name="beyond_capacity"' in html
    assert states(*waiting) == [State.WAITING, State.WAITING]
    assert OutgoingEmail.objects.count() == 0


def test_approve_action_past_capacity_without_the_tick_is_refused(organizer_client, seminar):
    event, waiting = seminar
    response = post_action(organizer_client, CHANGELIST, "approve", waiting, apply="Approve")
    assert response.status_code == 302
    over = ngettext(
        "“%(title)s” has %(capacity)s place: %(taken)s are taken and this approval would add "
        "%(adding)s, %(total)s in all (%(over)s over capacity).",
        "“%(title)s” has %(capacity)s places: %(taken)s are taken and this approval would add "
        "%(adding)s, %(total)s in all (%(over)s over capacity).",
        3,
    ) % {"title": "Full Seminar", "capacity": 3, "taken": 3, "adding": 2, "total": 5, "over": 2}
    assert messages_of(response) == [
        gettext("Nothing approved: %(reasons)s Tick “Approve beyond capacity” to approve anyway.")
        % {"reasons": over}
    ]
    levels = [m.level_tag for m in response.wsgi_request._messages._queued_messages]
    assert levels == ["error"]
    assert states(*waiting) == [State.WAITING, State.WAITING]
    assert OutgoingEmail.objects.count() == 0


def test_approve_action_beyond_capacity_when_ticked(organizer_client, seminar):
    event, waiting = seminar
    response = post_action(
        organizer_client, CHANGELIST, "approve", waiting, apply="Approve", beyond_capacity="on"
    )
    assert response.status_code == 302
    assert messages_of(response) == [approved_beyond_capacity(2)]
    assert states(*waiting) == [State.APPROVED, State.APPROVED]
    assert OutgoingEmail.objects.filter(kind=Kind.INVITATION).count() == 2


def test_approve_action_page_posts_back_select_across(organizer_client, seminar):
    event, waiting = seminar
    url = f"{CHANGELIST}?event__id__exact={event.pk}&state__exact=waiting"
    response = post_action(organizer_client, url, "approve", waiting[:1], select_across="1")
    assert response.status_code == 200
    assert 'name="select_across" value="1"' in response.content.decode()
    posted = post_action(
        organizer_client,
        url,
        "approve",
        waiting[:1],
        select_across="1",
        apply="Approve",
        beyond_capacity="on",
    )
    assert messages_of(posted) == [approved_beyond_capacity(2)]


# --- the event page --------------------------------------------------------------------------


def event_page(client, event) -> str:
    response = client.get(reverse("workshop:event_detail", kwargs={"slug": event.slug}))
    assert response.status_code == 200
    return response.content.decode()


def places(html: str) -> list[str]:
    return re.findall(r"<p [^>]*data-places=\"([\w-]+)\"[^>]*>(.*?)</p>", html, re.S)


def test_event_page_shows_the_places_left(client, open_event):
    open_event.capacity = 3
    open_event.save()
    RegistrationFactory(event=open_event, state=State.PENDING)
    RegistrationFactory(event=open_event, state=State.CANCELLED)
    assert places(event_page(client, open_event)) == [("left", places_left(2))]
    RegistrationFactory(event=open_event, state=State.APPROVED)
    assert places(event_page(client, open_event)) == [("left", places_left(1))]


def test_event_page_shows_the_waiting_list_when_full(client, full_event):
    event, people = full_event
    assert places(event_page(client, event)) == [("waiting-list", gettext("Waiting list"))]


def test_event_page_shows_the_waiting_list_while_people_wait_for_a_free_seat(client, full_event):
    event, people = full_event
    # A write that bypasses the model's save (no promotion yet): people still wait.
    Event.objects.filter(pk=event.pk).update(capacity=5)
    assert places(event_page(client, event)) == [("waiting-list", gettext("Waiting list"))]


def test_event_page_says_nothing_of_places_without_a_capacity(client, open_event):
    RegistrationFactory(event=open_event, state=State.PENDING)
    assert places(event_page(client, open_event)) == []


def test_event_page_places_are_current_after_a_change(client, open_event):
    # The programme fragment is cached per programme version; the places are not part of it.
    open_event.capacity = 2
    open_event.save()
    assert places(event_page(client, open_event)) == [("left", places_left(2))]
    RegistrationFactory(event=open_event, state=State.PENDING)
    assert places(event_page(client, open_event)) == [("left", places_left(1))]
