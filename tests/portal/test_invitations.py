"""Portal logins and invitations: the account behind a person, the organizers' "Send portal
invitation" actions on people and on events, and the invitation email."""

import re
from collections import Counter
from email import message_from_bytes
from email.utils import getaddresses
from html import escape

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.auth import SESSION_KEY
from django.contrib.auth.models import Permission, User
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import transaction
from django.test import Client
from django.utils.translation import gettext, ngettext

from mailing.models import OutgoingEmail
from portal.emails import Kind
from portal.services import (
    LOGIN_DISABLED,
    NO_EMAIL,
    ORGANIZER_ACCOUNT,
    ensure_portal_user,
    invite_to_portal,
)
from tests.factories import EventFactory, PersonFactory, SessionFactory, SessionRoleFactory
from tests.support.threads import run_concurrently
from workshop.models import Person, SessionRole
from workshop.organizers import ensure_organizers_group

PEOPLE = "/admin/workshop/person/"
EVENTS = "/admin/workshop/event/"
XSS = '"><img src=x onerror=alert(1)>'
XSS_ESCAPED = "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;"
LINK = re.compile(r"http://testserver(/portal/link/invitation/\?sesame=([A-Za-z0-9_-]+))")
SINO_SOVIET_TITLE = "Economic Dimensions of the Sino-Soviet Alliance and Split"


def run_action(client, url, action, objects):
    """What the changelist's action bar posts: the action and the ticked rows."""
    return client.post(
        url,
        {"action": action, "index": "0", ACTION_CHECKBOX_NAME: [str(o.pk) for o in objects]},
    )


def messages_of(response) -> list[tuple[str, str]]:
    return [(m.level_tag, str(m)) for m in response.wsgi_request._messages._queued_messages]


def report(invited: int, *skipped: tuple[int, str]) -> str:
    """The organizer's summary, from the catalogue: "2 invited, 1 skipped (no email)."."""
    reasons = [
        gettext("%(count)s skipped (%(reason)s)") % {"count": count, "reason": gettext(reason)}
        for count, reason in skipped
    ]
    return gettext("%(invited)s invited, %(skipped)s.") % {
        "invited": invited,
        "skipped": ", ".join(reasons),
    }


def portal_subject(event_title: str) -> str:
    return gettext("Your speaker portal: %(event)s") % {"event": event_title}


def dear(name: str) -> str:
    return gettext("Dear %(name)s,") % {"name": name}


def invitation_link(message) -> tuple[str, str]:
    found = LINK.findall(message.body)
    assert len(found) == 1, message.body
    return found[0]


def signs_in(path: str, token: str) -> str | None:
    """Open the link in a fresh browser, press the button; the signed-in user's id."""
    browser = Client()
    assert browser.get(path).status_code == 200
    assert browser.post("/portal/link/invitation/", {"sesame": token}).status_code == 302
    return browser.session.get(SESSION_KEY)


@pytest.fixture
def organizer_client(client, db):
    user = User.objects.create(username="olga", email="olga@example.org", is_staff=True)
    user.groups.add(ensure_organizers_group())
    client.force_login(user)
    return client


# --- the account behind a person -------------------------------------------------------------


def test_ensure_portal_user_creates_a_linked_account_without_password_or_staff(db):
    person = PersonFactory(key="tao-chen", email="chen@example.org")
    user = ensure_portal_user(person)
    person.refresh_from_db()
    assert person.user == user
    assert (
        user.username,
        user.email,
        user.is_staff,
        user.is_superuser,
        user.is_active,
        user.has_usable_password(),
    ) == ("portal-tao-chen", "chen@example.org", False, False, True, False)


def test_ensure_portal_user_reuses_the_account_and_follows_a_changed_email(db):
    person = PersonFactory(key="tao-chen", email="chen@example.org")
    first = ensure_portal_user(person)
    person.email = "tao.chen@example.net"
    person.save()
    second = ensure_portal_user(Person.objects.get(pk=person.pk))
    assert second.pk == first.pk
    assert User.objects.get(pk=first.pk).email == "tao.chen@example.net"
    assert User.objects.count() == 1


def test_ensure_portal_user_takes_a_free_username_when_the_key_is_taken(db):
    User.objects.create(username="portal-tao-chen")
    User.objects.create(username="portal-tao-chen-2")
    person = PersonFactory(key="tao-chen")
    assert ensure_portal_user(person).username == "portal-tao-chen-3"


def test_ensure_portal_user_person_without_email_is_refused(db):
    person = PersonFactory(name="Ines Rößler", email="")
    with pytest.raises(ValidationError) as error:
        ensure_portal_user(person)
    assert error.value.messages == [
        gettext("%(name)s has no email address: no portal login possible.")
        % {"name": "Ines Rößler"}
    ]
    assert User.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_ensure_portal_user_at_once_from_many_threads_creates_one_account():
    person = PersonFactory(key="tao-chen")
    outcomes = run_concurrently(
        [lambda: ensure_portal_user(Person.objects.get(pk=person.pk)).pk for _ in range(8)],
        threads=8,
    )
    assert [o.error for o in outcomes if o.error is not None] == []
    assert len({o.value for o in outcomes}) == 1
    assert User.objects.count() == 1
    assert Person.objects.get(pk=person.pk).user_id == outcomes[0].value


# --- invite_to_portal ------------------------------------------------------------------------


def test_invite_to_portal_rolled_back_leaves_no_account_row_or_email(
    db, django_capture_on_commit_callbacks
):
    person = PersonFactory()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(RuntimeError), transaction.atomic():
            assert invite_to_portal(people=[person], by=None) == 1
            raise RuntimeError("the organizer's request failed later on")
    assert callbacks == []
    assert (User.objects.count(), OutgoingEmail.objects.count(), mail.outbox) == (0, 0, [])
    assert Person.objects.get(pk=person.pk).user_id is None


# --- the action on people --------------------------------------------------------------------


def test_person_admin_invite_action_invites_the_selected_people_with_working_links(
    admin_client, django_capture_on_commit_callbacks
):
    ada = PersonFactory(key="ada", name="Ada Lovelace", email="ada@example.org")
    bo = PersonFactory(key="bo", name="Bo Yang", email="bo@example.org")
    nomail = PersonFactory(key="nomail", name="No Mail", email="")
    PersonFactory(key="not-ticked", email="not-ticked@example.org")
    with django_capture_on_commit_callbacks(execute=True):
        response = run_action(admin_client, PEOPLE, "send_portal_invitation", [ada, bo, nomail])
    assert response.status_code == 302
    assert messages_of(response) == [("success", report(2, (1, NO_EMAIL)))]

    people = {p.key: p for p in Person.objects.select_related("user")}
    assert {key: p.user.username if p.user else None for key, p in people.items()} == {
        "ada": "portal-ada",
        "bo": "portal-bo",
        "nomail": None,
        "not-ticked": None,
    }
    rows = OutgoingEmail.objects.order_by("to_address")
    assert [(r.kind, r.recipient.key, r.to_address, r.context, r.state) for r in rows] == [
        (Kind.PORTAL_INVITATION, "ada", "ada@example.org", {}, OutgoingEmail.State.SENT),
        (Kind.PORTAL_INVITATION, "bo", "bo@example.org", {}, OutgoingEmail.State.SENT),
    ]
    assert sorted(m.to[0] for m in mail.outbox) == [
        "Ada Lovelace <ada@example.org>",
        "Bo Yang <bo@example.org>",
    ]
    for message in mail.outbox:
        person = people[message.to[0].split("<")[1].split("@")[0]]
        assert signs_in(*invitation_link(message)) == str(person.user.pk)


def test_person_admin_invite_action_repeated_sends_again_but_never_a_second_account(
    admin_client, django_capture_on_commit_callbacks
):
    ada = PersonFactory(key="ada", email="ada@example.org")
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            response = run_action(admin_client, PEOPLE, "send_portal_invitation", [ada])
        assert messages_of(response) == [("success", report(1, (0, NO_EMAIL)))]
    assert User.objects.filter(username__startswith="portal-").count() == 1
    assert OutgoingEmail.objects.filter(kind=Kind.PORTAL_INVITATION).count() == 2
    assert len(mail.outbox) == 2
    ada.refresh_from_db()
    # Both links work, until one of them is used: signing in ends every older link.
    first, second = (invitation_link(m) for m in mail.outbox)
    assert signs_in(*second) == str(ada.user_id)
    assert Client().post("/portal/link/invitation/", {"sesame": first[1]}).status_code == 400


def test_person_admin_invite_action_with_nobody_reachable_warns(
    admin_client, django_capture_on_commit_callbacks
):
    nomail = PersonFactory(email="")
    with django_capture_on_commit_callbacks(execute=True):
        response = run_action(admin_client, PEOPLE, "send_portal_invitation", [nomail])
    assert messages_of(response) == [("warning", report(0, (1, NO_EMAIL)))]
    assert (User.objects.count(), OutgoingEmail.objects.count(), mail.outbox) == (1, 0, [])


def test_person_admin_invite_action_skips_disabled_and_organizer_accounts(
    admin_client, django_capture_on_commit_callbacks
):
    disabled = PersonFactory(key="disabled")
    ensure_portal_user(disabled).is_active = False
    disabled.user.save()
    organizer = PersonFactory(key="organizer")
    organizer.user = User.objects.create(username="oscar", is_staff=True)
    organizer.save()
    fine = PersonFactory(key="fine")
    with django_capture_on_commit_callbacks(execute=True):
        response = run_action(
            admin_client, PEOPLE, "send_portal_invitation", [disabled, organizer, fine]
        )
    assert messages_of(response) == [
        ("success", report(1, (0, NO_EMAIL), (1, LOGIN_DISABLED), (1, ORGANIZER_ACCOUNT)))
    ]
    assert [m.to for m in mail.outbox] == [[f"{fine.name} <{fine.email}>"]]


def test_person_admin_invite_action_is_open_to_the_organizers_group(
    organizer_client, django_capture_on_commit_callbacks
):
    ada = PersonFactory(email="ada@example.org")
    with django_capture_on_commit_callbacks(execute=True):
        response = run_action(organizer_client, PEOPLE, "send_portal_invitation", [ada])
    assert messages_of(response) == [("success", report(1, (0, NO_EMAIL)))]
    assert len(mail.outbox) == 1


def test_person_admin_invite_action_needs_the_change_permission(
    client, db, django_capture_on_commit_callbacks
):
    viewer = User.objects.create(username="vera", is_staff=True)
    viewer.user_permissions.set(Permission.objects.filter(codename="view_person"))
    client.force_login(viewer)
    ada = PersonFactory(email="ada@example.org")
    page = client.get(PEOPLE)
    assert page.status_code == 200
    assert "send_portal_invitation" not in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        run_action(client, PEOPLE, "send_portal_invitation", [ada])
    assert (User.objects.count(), OutgoingEmail.objects.count(), mail.outbox) == (1, 0, [])


def test_person_admin_lists_the_invite_action(admin_client, db):
    PersonFactory()  # an empty list shows no actions
    html = admin_client.get(PEOPLE).content.decode()
    label = gettext("Send portal invitation")
    assert f'<option value="send_portal_invitation">{label}</option>' in html


# --- the action on events --------------------------------------------------------------------


def test_event_admin_invite_action_invites_everyone_with_a_role_once(
    admin_client, sino_soviet, django_capture_on_commit_callbacks
):
    for person in Person.objects.exclude(key="ylber-marku"):
        person.email = f"{person.key}@example.org"
        person.save()
    roles = Counter(
        SessionRole.objects.filter(session__event=sino_soviet).values_list("person__key", flat=True)
    )
    assert (len(roles), roles["tao-chen"], roles["ylber-marku"]) == (17, 3, 2)
    with django_capture_on_commit_callbacks(execute=True):
        response = run_action(admin_client, EVENTS, "send_portal_invitation", [sino_soviet])
    assert messages_of(response) == [("success", report(16, (1, NO_EMAIL)))]

    rows = OutgoingEmail.objects.filter(kind=Kind.PORTAL_INVITATION)
    assert sorted(r.recipient.key for r in rows) == sorted(set(roles) - {"ylber-marku"})
    assert {tuple(r.context.items()) for r in rows} == {(("event_id", sino_soviet.pk),)}
    # Contacts without a role in a session are not invited.
    assert not {r.recipient.key for r in rows} & {"ines-roessler", "virginie-michaels"}
    assert len(mail.outbox) == 16
    assert Counter(m.to[0] for m in mail.outbox)["Tao Chen <tao-chen@example.org>"] == 1
    assert {m.subject for m in mail.outbox} == {portal_subject(SINO_SOVIET_TITLE)}
    assert User.objects.filter(username__startswith="portal-").count() == 16


def test_event_admin_invite_action_on_two_events_invites_a_shared_person_once(
    admin_client, django_capture_on_commit_callbacks
):
    first = EventFactory(slug="a-first", title="First")
    second = EventFactory(slug="b-second", title="Second")
    shared = PersonFactory(key="shared", email="shared@example.org")
    only_second = PersonFactory(key="only-second", email="only@example.org")
    SessionRoleFactory(session=SessionFactory(event=first), person=shared)
    SessionRoleFactory(session=SessionFactory(event=second), person=shared, role="chair")
    SessionRoleFactory(session=SessionFactory(event=second), person=only_second)
    with django_capture_on_commit_callbacks(execute=True):
        response = run_action(admin_client, EVENTS, "send_portal_invitation", [second, first])
    assert messages_of(response) == [("success", report(2, (0, NO_EMAIL)))]
    rows = sorted(OutgoingEmail.objects.all(), key=lambda r: r.recipient.key)
    assert [(r.recipient.key, r.context) for r in rows] == [
        ("only-second", {"event_id": second.pk}),
        ("shared", {"event_id": first.pk}),
    ]


def test_event_admin_lists_the_invite_action(admin_client, db):
    EventFactory()  # an empty list shows no actions
    html = admin_client.get(EVENTS).content.decode()
    label = gettext("Send portal invitation (everyone with a role)")
    assert f'<option value="send_portal_invitation">{label}</option>' in html


# --- the email -------------------------------------------------------------------------------


def test_invitation_email_greets_explains_the_portal_and_gives_link_validity_and_sign_in_page(
    db, django_capture_on_commit_callbacks
):
    event = EventFactory(title="Economic Dimensions", organizer="GWZO")
    person = PersonFactory(name="Chen Tao", email="chen@example.org", timezone="Asia/Shanghai")
    with django_capture_on_commit_callbacks(execute=True):
        invite_to_portal(people=[person], by=None, event=event)
    message = mail.outbox[0]
    path, token = invitation_link(message)
    assert message.subject == portal_subject("Economic Dimensions")
    on_the_programme = gettext(
        'you are on the programme of "%(title)s" as a speaker, chair or commentator. '
        "Our speaker portal is open for you. There you can:"
    ) % {"title": "Economic Dimensions"}
    assert message.body.startswith(f"{dear('Chen Tao')}\n\n{on_the_programme}\n")
    your_sessions = gettext(
        "see your sessions and who shares them with you, with every time in your own time "
        "zone (now %(timezone)s; you can change it);"
    ) % {"timezone": "Asia/Shanghai"}
    assert f"\n- {your_sessions}\n" in message.body
    valid = gettext(
        "Sign in with this personal link (no password needed). It is valid for %(valid_for)s, once:"
    ) % {"valid_for": ngettext("%(count)s day", "%(count)s days", 7) % {"count": 7}}
    assert f"{valid}\nhttp://testserver{path}\n" in message.body
    ask_again = gettext(
        "Link expired or already used? Ask for a new one at any time, with this email address:"
    )
    assert f"{ask_again}\nhttp://testserver/portal/sign-in/\n" in message.body
    assert f"Economic Dimensions\nhttp://testserver/events/{event.slug}/" in message.body
    html = message.alternatives[0][0]
    assert html.count(f'href="http://testserver{escape(path)}"') == 1
    assert f"<p>{valid}</p>" in html
    ask_again_html = gettext(
        'Link expired or already used? <a href="%(new_link_url)s">Ask for a new one</a> at any '
        "time, with this email address."
    ) % {"new_link_url": "http://testserver/portal/sign-in/"}
    assert f"<p>{ask_again_html}</p>" in html
    on_the_programme_html = gettext(
        "you are on the programme of “%(title)s” as a speaker, chair or commentator. "
        "Our speaker portal is open for you. There you can:"
    ) % {"title": "Economic Dimensions"}
    assert f"<p>{on_the_programme_html}</p>" in html


def test_invitation_email_without_an_event_speaks_of_our_events(
    db, django_capture_on_commit_callbacks
):
    person = PersonFactory(name="Chen Tao")
    with django_capture_on_commit_callbacks(execute=True):
        invite_to_portal(people=[person], by=None)
    body = mail.outbox[0].body
    assert (
        gettext(
            "you are on the programme of one of our events as a speaker, chair or commentator. "
            "Our speaker portal is open for you. There you can:"
        )
        in body
    )
    assert body.rstrip().endswith("http://testserver/portal/sign-in/")


def test_invitation_email_escapes_markup_in_the_html_part(db, django_capture_on_commit_callbacks):
    event = EventFactory(title=XSS, organizer=XSS)
    person = PersonFactory(name=XSS)
    with django_capture_on_commit_callbacks(execute=True):
        invite_to_portal(people=[person], by=None, event=event)
    message = mail.outbox[0]
    html = message.alternatives[0][0]
    assert "<img src=x" not in html
    assert f"<p>{dear(XSS_ESCAPED)}</p>" in html
    assert html.count(XSS_ESCAPED) == 4  # name, event in the text, event link, organizer
    assert message.body.startswith(dear(XSS))  # plain text is not HTML


def test_invitation_email_line_breaks_in_name_or_event_add_no_header(
    db, django_capture_on_commit_callbacks
):
    event = EventFactory(title="Workshop\r\nBcc: x@example.org")
    person = PersonFactory(name="Eve\r\nBcc: y@example.org", email="eve@example.org")
    with django_capture_on_commit_callbacks(execute=True):
        invite_to_portal(people=[person], by=None, event=event)
    message = mail.outbox[0]
    parsed = message_from_bytes(message.message().as_bytes())
    assert parsed.get_all("Bcc") is None
    assert parsed["Subject"] == portal_subject("Workshop Bcc: x@example.org")
    assert getaddresses(parsed.get_all("To")) == [("Eve Bcc: y@example.org", "eve@example.org")]
    assert message.recipients() == ['"Eve Bcc: y@example.org" <eve@example.org>']


def test_invitation_email_of_a_person_deleted_meanwhile_is_not_sent(
    db, django_capture_on_commit_callbacks
):
    person = PersonFactory()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        invite_to_portal(people=[person], by=None)
    row = OutgoingEmail.objects.get()
    person.delete()
    for callback in callbacks:
        callback()
    assert mail.outbox == []
    assert not OutgoingEmail.objects.filter(pk=row.pk).exists()  # went with the person


def test_deleting_a_person_removes_their_emails_from_the_ledger_and_sends_nothing(db):
    gone = PersonFactory(key="gone", email="gone@example.org")
    kept = PersonFactory(key="kept", email="kept@example.org")
    invite_to_portal(people=[gone, kept], by=None)  # queued; delivery waits for the commit
    assert OutgoingEmail.objects.count() == 2

    gone.delete()

    assert [row.to_address for row in OutgoingEmail.objects.all()] == ["kept@example.org"]
