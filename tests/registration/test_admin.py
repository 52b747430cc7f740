"""The organizers' admin of registrations: filters, counts, the decision actions; what
the Organizers group may and may not do. (The mail ledger's admin: tests/mailing.)"""

import re

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django.utils.translation import gettext, ngettext

from mailing.models import OutgoingEmail
from registration.emails import Kind
from registration.models import Registration
from tests.factories import EventFactory, RegistrationFactory, SessionFactory
from tests.registration.conftest import join_online
from tests.support.admin import messages_of, post_action
from workshop.organizers import ensure_organizers_group

State = Registration.State

CHANGELIST = "/admin/registration/registration/"


def run_action(client, action, objects, *, url=CHANGELIST, **extra):
    return post_action(client, url, action, objects, **extra)


def names_listed(response) -> list[str]:
    return sorted(r.name for r in response.context["cl"].result_list)


def counted(singular: str, plural: str, count: int) -> str:
    return ngettext(singular, plural, count) % {"count": count}


# What the actions report (registration.admin.REPORTS).
def approved(count: int) -> str:
    return counted("%(count)s registration approved.", "%(count)s registrations approved.", count)


def skipped_approval(count: int) -> str:
    text = "%(count)s skipped (already approved or not in a state that allows it)."
    return counted(text, text, count)


def state_count(counts, state) -> int:
    """The changelist's count of a state, found by the state's label."""
    return dict(counts)[state.label]


def states(*registrations) -> list[str]:
    for registration in registrations:
        registration.refresh_from_db()
    return [registration.state for registration in registrations]


# --- the changelist --------------------------------------------------------------------------


@pytest.fixture
def two_events(db):
    seminar = EventFactory(slug="seminar", title="Seminar")
    workshop = EventFactory(slug="workshop", title="Workshop")
    RegistrationFactory(
        event=seminar,
        name="Rößler Anna",
        email="anna@uni-koeln.de",
        affiliation="Köln",
        career_stage="Student",
        country="DE",
        state=State.PENDING,
    )
    RegistrationFactory(
        event=seminar,
        name="陈涛",
        email="chen@tongji.edu.cn",
        affiliation="Tongji University",
        career_stage="Scholar",
        country="CN",
        state=State.APPROVED,
    )
    RegistrationFactory(
        event=workshop,
        name="Maryam",
        email="maryam@example.org",
        affiliation="Tongji Alumni",
        career_stage="Scholar",
        country="EG",
        state=State.PENDING,
    )
    RegistrationFactory(
        event=workshop,
        name="Bob",
        email="bob@example.org",
        affiliation="",
        career_stage="Other",
        country="US",
        state=State.WAITING,
    )
    return seminar, workshop


def test_registration_changelist_organizer_can_open_it(organizer_client, two_events):
    response = organizer_client.get(CHANGELIST)
    assert response.status_code == 200
    assert names_listed(response) == ["Bob", "Maryam", "Rößler Anna", "陈涛"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("state__exact=pending", ["Maryam", "Rößler Anna"]),
        ("state__exact=waiting", ["Bob"]),
        ("career_stage=Scholar", ["Maryam", "陈涛"]),
        ("country__exact=CN", ["陈涛"]),
        ("country__exact=EG", ["Maryam"]),
        ("state__exact=pending&career_stage=Student", ["Rößler Anna"]),
    ],
)
def test_registration_changelist_filters(organizer_client, two_events, query, expected):
    response = organizer_client.get(f"{CHANGELIST}?{query}")
    assert response.status_code == 200
    assert names_listed(response) == expected


def test_registration_changelist_filters_by_event(organizer_client, two_events):
    seminar, workshop = two_events
    response = organizer_client.get(f"{CHANGELIST}?event__id__exact={workshop.pk}")
    assert names_listed(response) == ["Bob", "Maryam"]


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("rößler", ["Rößler Anna"]),
        ("陈", ["陈涛"]),
        ("tongji", ["Maryam", "陈涛"]),  # affiliation, and an address
        ("uni-koeln.de", ["Rößler Anna"]),
        ("BOB@EXAMPLE.ORG", ["Bob"]),
        ("nobody", []),
    ],
)
def test_registration_changelist_search_by_name_email_affiliation(
    organizer_client, two_events, q, expected
):
    response = organizer_client.get(CHANGELIST, {"q": q})
    assert names_listed(response) == expected


def test_registration_changelist_shows_counts_per_state(organizer_client, two_events):
    response = organizer_client.get(CHANGELIST)
    assert response.context["state_counts"] == [
        (State.UNCONFIRMED.label, 0),
        (State.PENDING.label, 2),
        (State.APPROVED.label, 1),
        (State.WAITING.label, 1),
        (State.DECLINED.label, 0),
        (State.CANCELLED.label, 0),
        (State.EXPIRED.label, 0),
    ]
    html = response.content.decode()
    assert f"{State.PENDING.label}: <strong>2</strong>" in html
    assert f"{State.WAITING.label}: <strong>1</strong>" in html


def test_registration_changelist_counts_follow_the_filter(organizer_client, two_events):
    seminar, _ = two_events
    response = organizer_client.get(f"{CHANGELIST}?event__id__exact={seminar.pk}")
    counts = response.context["state_counts"]
    assert (
        state_count(counts, State.PENDING),
        state_count(counts, State.APPROVED),
        state_count(counts, State.WAITING),
    ) == (1, 1, 0)


@pytest.mark.parametrize("count", [1, 60])
def test_registration_changelist_queries_bounded(
    organizer_client, django_assert_max_num_queries, count
):
    event = EventFactory()
    RegistrationFactory.create_batch(count, event=event)
    with django_assert_max_num_queries(13):
        response = organizer_client.get(CHANGELIST)
    assert response.status_code == 200
    assert response.context["cl"].result_count == count


# Adding a participant by hand: tests/registration/test_admin_add.py.


def test_registration_admin_organizer_cannot_delete(organizer_client, two_events):
    registration = Registration.objects.get(name="Bob")
    response = organizer_client.get(CHANGELIST)
    assert "delete_selected" not in dict(response.context["action_form"].fields["action"].choices)
    delete_url = f"/admin/registration/registration/{registration.pk}/delete/"
    assert organizer_client.post(delete_url, {"post": "yes"}).status_code == 403
    assert Registration.objects.filter(pk=registration.pk).exists()


@pytest.mark.parametrize(
    "url",
    [
        "/admin/auth/user/",
        "/admin/auth/group/",
        "/admin/auth/user/add/",
        "/admin/auth/group/add/",
    ],
)
def test_organizer_cannot_reach_users_or_groups(organizer_client, organizer, url):
    response = organizer_client.get(url)
    assert response.status_code == 403


def test_organizer_cannot_reach_a_user_or_group_change_form(organizer_client, organizer):
    group = organizer.groups.get()
    assert organizer_client.get(f"/admin/auth/user/{organizer.pk}/change/").status_code == 403
    assert organizer_client.get(f"/admin/auth/group/{group.pk}/change/").status_code == 403
    index = organizer_client.get("/admin/").content.decode()
    assert "/admin/auth/" not in index
    assert "/admin/registration/registration/" in index


def test_organizers_group_holds_no_permission_on_users_groups_or_permissions(db):
    group = ensure_organizers_group()
    assert not group.permissions.filter(content_type__app_label="auth").exists()
    assert group.permissions.filter(codename="approve_registration").exists()


# --- approve ---------------------------------------------------------------------------------


def test_approve_action_approves_selected_and_queues_one_invitation_each(
    organizer_client, organizer
):
    event = EventFactory()
    first, second = RegistrationFactory.create_batch(2, event=event, state=State.PENDING)
    untouched = RegistrationFactory(event=event, state=State.PENDING)
    response = run_action(organizer_client, "approve", [first, second])
    assert response.status_code == 302
    assert response["Location"] == CHANGELIST
    assert states(first, second, untouched) == [State.APPROVED, State.APPROVED, State.PENDING]
    first.refresh_from_db()
    assert (first.decided_by, first.decided_at is not None) == (organizer, True)
    assert OutgoingEmail.objects.filter(kind=Kind.INVITATION).count() == 2
    assert sorted(OutgoingEmail.objects.values_list("recipient_id", flat=True)) == sorted(
        [first.pk, second.pk]
    )
    assert messages_of(response) == [approved(2)]

    again = run_action(organizer_client, "approve", [first, second])
    assert OutgoingEmail.objects.filter(kind=Kind.INVITATION).count() == 2
    assert messages_of(again) == [f"{approved(0)} {skipped_approval(2)}"]


def test_approve_action_skips_unconfirmed_and_cancelled(organizer_client):
    event = EventFactory()
    pending = RegistrationFactory(event=event, state=State.PENDING)
    unconfirmed = RegistrationFactory(event=event, state=State.UNCONFIRMED, confirmed_at=None)
    cancelled = RegistrationFactory(event=event, state=State.CANCELLED)
    response = run_action(organizer_client, "approve", [pending, unconfirmed, cancelled])
    assert states(pending, unconfirmed, cancelled) == [
        State.APPROVED,
        State.UNCONFIRMED,
        State.CANCELLED,
    ]
    assert list(OutgoingEmail.objects.values_list("recipient_id", flat=True)) == [pending.pk]
    assert messages_of(response) == [f"{approved(1)} {skipped_approval(2)}"]


def test_approve_action_past_capacity_asks_first_and_approves_only_when_ticked(organizer_client):
    # The page's numbers and the refusal without the tick: tests/registration/test_waiting_list.py
    event = EventFactory(title="Full Seminar", capacity=3)
    RegistrationFactory.create_batch(3, event=event, state=State.APPROVED)
    waiting = RegistrationFactory.create_batch(2, event=event, state=State.WAITING)
    asked = run_action(organizer_client, "approve", waiting)
    assert asked.status_code == 200
    assert messages_of(asked) == []
    assert states(*waiting) == [State.WAITING, State.WAITING]
    response = run_action(
        organizer_client, "approve", waiting, apply="Approve", beyond_capacity="on"
    )
    assert states(*waiting) == [State.APPROVED, State.APPROVED]
    assert messages_of(response) == [
        counted(
            "%(count)s registration approved beyond capacity.",
            "%(count)s registrations approved beyond capacity.",
            2,
        )
    ]
    levels = [m.level_tag for m in response.wsgi_request._messages._queued_messages]
    assert levels == ["success"]


def test_approve_action_within_capacity_gives_no_capacity_warning(organizer_client):
    event = EventFactory(capacity=3)
    RegistrationFactory(event=event, state=State.APPROVED)
    waiting = RegistrationFactory.create_batch(2, event=event, state=State.WAITING)
    response = run_action(organizer_client, "approve", waiting)
    assert messages_of(response) == [approved(2)]


def test_approve_action_with_tasks_in_process_sends_the_meeting_link(
    organizer_client, django_capture_on_commit_callbacks
):
    event = EventFactory(title="Seminar")
    SessionFactory(event=event, title="The talk")
    registration = RegistrationFactory(event=event, state=State.PENDING)
    with django_capture_on_commit_callbacks(execute=True):
        run_action(organizer_client, "approve", [registration])
    [message] = mail.outbox
    assert message.subject == gettext("Your access to %(event)s") % {"event": "Seminar"}
    assert join_online("https://zoom.us/j/5550001111") in message.body
    assert registration.emails.get().state == OutgoingEmail.State.SENT


def test_approve_action_sends_the_meeting_link_before_the_programme_has_sessions(
    organizer_client, django_capture_on_commit_callbacks
):
    registration = RegistrationFactory(event=EventFactory(), state=State.PENDING)
    with django_capture_on_commit_callbacks(execute=True):
        run_action(organizer_client, "approve", [registration])
    [message] = mail.outbox
    assert join_online("https://zoom.us/j/5550001111") in message.body


def test_approve_action_not_offered_to_staff_without_the_approve_permission(viewer_client):
    registration = RegistrationFactory(state=State.PENDING)
    response = viewer_client.get(CHANGELIST)
    assert response.status_code == 200
    offered = [name for name, _ in response.context["action_form"].fields["action"].choices]
    assert offered == ["", "export_csv", "email_participants"]
    posted = run_action(viewer_client, "approve", [registration])
    assert posted.status_code == 302
    assert messages_of(posted) == ["No action selected."]
    assert states(registration) == [State.PENDING]
    assert OutgoingEmail.objects.count() == 0
    for action in ("decline", "move_to_waiting_list", "resend_invitation"):
        run_action(viewer_client, action, [registration], apply="Decline")
    assert states(registration) == [State.PENDING]
    assert OutgoingEmail.objects.count() == 0


def test_approve_action_on_1000_registrations_runs_bounded_queries(
    organizer_client, django_assert_max_num_queries
):
    event = EventFactory()
    now = timezone.now()
    Registration.objects.bulk_create(
        [
            Registration(
                event=event,
                name=f"Registrant {n}",
                email=f"r{n}@example.org",
                career_stage="Scholar",
                country="DE",
                timezone="UTC",
                consented_at=now,
                confirmed_at=now,
                privacy_notice_version="test",
                state=State.PENDING,
            )
            for n in range(1000)
        ]
    )
    one_page = list(Registration.objects.order_by("pk")[:100])
    # PostgreSQL updates and inserts the 1000 rows in one statement each. SQLite caps a
    # statement at 999 parameters, so Django splits them into 8 updates and 19 inserts (a
    # ledger row has 19 columns). One more counts the seats the approval would add, against
    # the capacity.
    limit = 32 if connection.vendor == "postgresql" else 44
    # "Select all 1000" in the changelist: the page's boxes plus select_across.
    with django_assert_max_num_queries(limit):
        response = run_action(
            organizer_client,
            "approve",
            one_page,
            select_across="1",
            url=f"{CHANGELIST}?event__id__exact={event.pk}",
        )
    assert response.status_code == 302
    assert Registration.objects.filter(state=State.APPROVED).count() == 1000
    assert OutgoingEmail.objects.filter(kind=Kind.INVITATION).count() == 1000
    assert OutgoingEmail.objects.values("registration").distinct().count() == 1000
    assert messages_of(response) == [approved(1000)]


@pytest.mark.skipif(
    not connection.features.has_select_for_update, reason="the database does not lock rows"
)
@pytest.mark.parametrize(
    ("action", "extra"),
    [
        ("approve", {}),
        ("decline", {"apply": "Decline", "reason": ""}),
        ("move_to_waiting_list", {}),
    ],
)
def test_decision_actions_lock_registrations_only_never_the_joined_event(
    organizer_client, action, extra
):
    # The changelist joins the event (list_select_related); locking that join as well would
    # take the event row after registration rows, the reverse of a confirmation's order.
    registration = RegistrationFactory(state=State.PENDING)
    with CaptureQueriesContext(connection) as queries:
        run_action(organizer_client, action, [registration], **extra)
    locking = [q["sql"] for q in queries if "FOR UPDATE" in q["sql"]]
    registration_locks = [sql for sql in locking if 'FROM "registration_registration"' in sql]
    assert registration_locks
    assert all("workshop_event" not in sql for sql in registration_locks)


# --- decline, waiting list, resend -----------------------------------------------------------


def test_decline_action_shows_the_reason_page_then_declines_with_the_reason(
    organizer_client, organizer, django_capture_on_commit_callbacks
):
    event = EventFactory(title="Seminar")
    first = RegistrationFactory(event=event, state=State.PENDING, name="Ada <b>Bold</b>")
    second = RegistrationFactory(event=event, state=State.APPROVED)
    page = run_action(organizer_client, "decline", [first, second])
    assert page.status_code == 200
    html = page.content.decode()
    assert '<textarea name="reason"' in html
    assert "Ada &lt;b&gt;Bold&lt;/b&gt;" in html
    assert states(first, second) == [State.PENDING, State.APPROVED]
    assert OutgoingEmail.objects.count() == 0

    with django_capture_on_commit_callbacks(execute=True):
        done = run_action(
            organizer_client,
            "decline",
            [first, second],
            apply="Decline",
            reason="  Places are for doctoral students.  ",
        )
    assert done.status_code == 302
    assert states(first, second) == [State.DECLINED, State.DECLINED]
    first.refresh_from_db()
    assert (first.decline_reason, first.decided_by) == (
        "Places are for doctoral students.",
        organizer,
    )
    assert sorted(OutgoingEmail.objects.values_list("kind", "recipient_id")) == sorted(
        [(Kind.DECLINED, first.pk), (Kind.DECLINED, second.pk)]
    )
    assert {m.subject for m in mail.outbox} == {
        gettext("Your registration for %(event)s") % {"event": "Seminar"}
    }
    assert all("Places are for doctoral students." in m.body for m in mail.outbox)
    assert messages_of(done) == [
        counted("%(count)s registration declined.", "%(count)s registrations declined.", 2)
    ]


def test_decline_action_overlong_reason_shows_the_error_and_declines_nothing(
    organizer_client,
):
    registration = RegistrationFactory(state=State.PENDING)
    response = run_action(
        organizer_client, "decline", [registration], apply="Decline", reason="x" * 2001
    )
    assert response.status_code == 200
    assert "Ensure this value has at most 2000 characters (it has 2001)." in (
        response.content.decode()
    )
    assert states(registration) == [State.PENDING]


def hidden_fields(response) -> list[tuple[str, str]]:
    """The hidden inputs of an intermediate page's form, as the browser posts them back."""
    html = response.content.decode()
    content = html[html.index('id="content"') :]  # the header holds the logout form
    return re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', content)


def test_decline_action_page_posts_back_the_selection(organizer_client):
    event = EventFactory()
    chosen = RegistrationFactory.create_batch(2, event=event, state=State.PENDING)
    other = RegistrationFactory(event=event, state=State.PENDING)
    page = run_action(organizer_client, "decline", chosen)
    fields = hidden_fields(page)
    assert sorted(fields) == sorted(
        [("action", "decline")]
        + [(ACTION_CHECKBOX_NAME, str(r.pk)) for r in chosen]
        + [("csrfmiddlewaretoken", dict(fields)["csrfmiddlewaretoken"])]
    )
    data = {}
    for name, value in fields:
        data.setdefault(name, []).append(value)
    organizer_client.post(CHANGELIST, {**data, "reason": "", "apply": "Decline"})
    assert states(*chosen, other) == [State.DECLINED, State.DECLINED, State.PENDING]


def test_decline_action_across_all_filtered_registrations(organizer_client):
    event = EventFactory()
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
                state=State.PENDING,
            )
            for n in range(103)
        ]
    )
    other = RegistrationFactory(state=State.PENDING)
    url = f"{CHANGELIST}?event__id__exact={event.pk}"
    first_page = list(Registration.objects.filter(event=event).order_by("pk")[:2])
    page = run_action(organizer_client, "decline", first_page, select_across="1", url=url)
    html = page.content.decode()
    assert (
        counted(
            "Decline %(count)s registration? Each registrant gets one email; those already "
            "declined, cancelled or unconfirmed are skipped.",
            "Decline %(count)s registrations? Each registrant gets one email; those already "
            "declined, cancelled or unconfirmed are skipped.",
            103,
        )
        in html
    )
    assert html.count("<li>R") == 100
    assert f"<li>{gettext('… and %(more)s more.') % {'more': 3}}</li>" in html
    fields = hidden_fields(page)
    assert ("select_across", "1") in fields
    assert len(fields) == 5  # token, select_across, the two ticked boxes, action
    data = {}
    for name, value in fields:
        data.setdefault(name, []).append(value)
    organizer_client.post(url, {**data, "reason": "", "apply": "Decline"})
    assert Registration.objects.filter(event=event, state=State.DECLINED).count() == 103
    assert states(other) == [State.PENDING]


def test_decline_frees_a_seat_for_the_waiting_list(organizer_client):
    event = EventFactory(capacity=1)
    seated = RegistrationFactory(event=event, state=State.APPROVED)
    waiting = RegistrationFactory(event=event, state=State.WAITING, waiting_since=timezone.now())
    run_action(organizer_client, "decline", [seated], apply="Decline", reason="")
    assert states(seated, waiting) == [State.DECLINED, State.PENDING]
    assert list(waiting.emails.values_list("kind", flat=True)) == [Kind.PROMOTED]


def test_move_to_waiting_list_action_moves_pending_only(organizer_client):
    event = EventFactory()
    pending = RegistrationFactory(event=event, state=State.PENDING)
    approved = RegistrationFactory(event=event, state=State.APPROVED)
    response = run_action(organizer_client, "move_to_waiting_list", [pending, approved])
    assert states(pending, approved) == [State.WAITING, State.APPROVED]
    pending.refresh_from_db()
    assert pending.waiting_since is not None
    assert list(OutgoingEmail.objects.values_list("kind", "recipient_id")) == [
        (Kind.WAITING, pending.pk)
    ]
    skipped = (
        "%(count)s skipped (already moved to the waiting list or not in a state that allows it)."
    )
    assert messages_of(response) == [
        counted(
            "%(count)s registration moved to the waiting list.",
            "%(count)s registrations moved to the waiting list.",
            1,
        )
        + " "
        + counted(skipped, skipped, 1)
    ]


def test_resend_invitation_action_only_for_approved(organizer_client):
    event = EventFactory()
    approved = RegistrationFactory(event=event, state=State.APPROVED)
    pending = RegistrationFactory(event=event, state=State.PENDING)
    declined = RegistrationFactory(event=event, state=State.DECLINED)
    run_action(organizer_client, "resend_invitation", [approved, pending, declined])
    assert list(OutgoingEmail.objects.values_list("kind", "recipient_id")) == [
        (Kind.INVITATION, approved.pk)
    ]
    run_action(organizer_client, "resend_invitation", [approved])
    assert approved.emails.filter(kind=Kind.INVITATION).count() == 2
    assert states(approved, pending, declined) == [State.APPROVED, State.PENDING, State.DECLINED]


# CSV export: tests/registration/test_export.py.


# --- the change form -------------------------------------------------------------------------


def test_registration_change_form_keeps_the_confirmed_address_and_the_state_read_only(
    organizer_client,
):
    registration = RegistrationFactory(state=State.PENDING, name="Ada", email="ada@example.org")
    url = f"/admin/registration/registration/{registration.pk}/change/"
    html = organizer_client.get(url).content.decode()
    assert 'name="email"' not in html
    assert 'name="state"' not in html
    assert 'name="name"' in html
    response = organizer_client.post(
        url,
        {
            "name": "Ada Lovelace",
            "email": "mallory@example.org",
            "state": State.APPROVED,
            "affiliation": "",
            "career_stage": "Scholar",
            "country": "GB",
            "timezone": "Europe/London",
            "message": "",
            "emails-TOTAL_FORMS": "0",
            "emails-INITIAL_FORMS": "0",
            "emails-MIN_NUM_FORMS": "0",
            "emails-MAX_NUM_FORMS": "0",
        },
    )
    assert response.status_code == 302
    registration.refresh_from_db()
    assert (registration.name, registration.email, registration.state) == (
        "Ada Lovelace",
        "ada@example.org",
        State.PENDING,
    )
    assert OutgoingEmail.objects.count() == 0


def test_state_counts_cover_every_state_even_when_the_list_is_filtered(organizer_client):
    event = EventFactory()
    RegistrationFactory.create_batch(2, event=event, state=State.PENDING)
    RegistrationFactory(event=event, state=State.APPROVED)
    response = organizer_client.get(CHANGELIST, {"state__exact": "pending"})
    counts = response.context["state_counts"]
    assert (state_count(counts, State.PENDING), state_count(counts, State.APPROVED)) == (2, 1)


def test_country_filter_lists_only_countries_registrants_come_from(organizer_client):
    RegistrationFactory(country="CN")
    RegistrationFactory(country="DE")
    html = organizer_client.get(CHANGELIST).content.decode()
    assert "?country=CN" in html and "?country=DE" in html
    assert "?country=FR" not in html
