"""Portal logins: the user account behind a person, invitations, and sign-in links.

A person signs in only with an emailed link (django-sesame), never with a password. Their
account is created here, for them alone: never staff, password unusable, linked one to one.
Emails are rows in the outbox (`mailing.services.queue_email`), built and sent after the
transaction commits; the link itself is made at send time (`portal.emails`).

Also here: telling the people of a session that its time changed (`notify_session_people`,
called by `portal.receivers` when the programme announces a move).
"""

import datetime as dt
import logging
from collections.abc import Iterable

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from mailing.models import OutgoingEmail, supported_language
from mailing.services import emails_about, follow_language, queue_email
from workshop.addresses import address_key
from workshop.models import Event, Person, Session
from workshop.services import TIME_FIELDS

from .emails import Kind

logger = logging.getLogger(__name__)

# Why a person cannot be sent a link; the admin reports the counts under these labels
# (translated when reported; the log keeps them in English).
NO_EMAIL = gettext_noop("no email")
LOGIN_DISABLED = gettext_noop("portal login disabled")
ORGANIZER_ACCOUNT = gettext_noop("linked to an organizer account")


def invitation_obstacle(person: Person) -> str | None:
    """Why no link may be sent to this person, or None. Magic links never sign in to an
    organizer's account (it has a password and admin rights), nor to one an admin disabled."""
    if not person.email:
        return NO_EMAIL
    user = person.user
    if user is not None:
        if user.is_staff or user.is_superuser:
            return ORGANIZER_ACCOUNT
        if not user.is_active:
            return LOGIN_DISABLED
    return None


def _free_username(key: str) -> str:
    User = get_user_model()
    base = f"portal-{key}"
    candidate, n = base, 1
    while User.objects.filter(username=candidate).exists():
        n += 1
        candidate = f"{base}-{n}"
    return candidate


@transaction.atomic
def ensure_portal_user(person: Person):
    """The person's portal account: created on first need, reused ever after.

    The person row is locked, so two organizers inviting the same person at once create
    one account, not two. The account's email follows the person's."""
    locked = Person.objects.select_for_update().get(pk=person.pk)
    if not locked.email:
        raise ValidationError(
            _("%(name)s has no email address: no portal login possible.") % {"name": locked.name}
        )
    User = get_user_model()
    if locked.user_id is not None:
        user = User.objects.get(pk=locked.user_id)
        if user.email != locked.email:
            user.email = locked.email
            user.save(update_fields=["email"])
    else:
        user = User(username=_free_username(locked.key), email=locked.email, is_staff=False)
        user.set_unusable_password()
        user.save()
        locked.user = user
        locked.save(update_fields=["user"])
        logger.info("portal login %s created for person %s", user.username, locked.key)
    person.user = user
    return user


@transaction.atomic
def invite_to_portal(*, people: Iterable[Person], by, event: Event | None = None) -> int:
    """Send each person who can be reached a portal invitation; returns how many.

    An explicit organizer action: inviting again sends again (a fresh link), but never
    creates a second account. People without email (and see `invitation_obstacle`) are
    skipped. Emails leave once the transaction commits."""
    pks = sorted({person.pk for person in people})
    context = {"event_id": event.pk} if event is not None else {}
    invited = 0
    # In primary-key order: concurrent invitations lock the same rows in the same order.
    for person in Person.objects.filter(pk__in=pks).select_related("user").order_by("pk"):
        if invitation_obstacle(person):
            continue
        ensure_portal_user(person)
        queue_email(
            kind=Kind.PORTAL_INVITATION, to=person.email, recipient=person, context=dict(context)
        )
        invited += 1
    logger.info(
        "%s invited %d of %d people to the portal%s",
        by,
        invited,
        len(pks),
        f" for event {event.slug}" if event is not None else "",
    )
    return invited


@transaction.atomic
def invite_event_people_to_portal(*, events: Iterable[Event], by) -> tuple[int, list[Person]]:
    """Invite everyone with a role (speaker, chair, commentator) in these events, once each,
    naming the first of the events they take part in. Returns how many were invited and
    everyone considered (for the organizer's report of who was skipped)."""
    seen: set[int] = set()
    considered: list[Person] = []
    invited = 0
    for event in sorted(events, key=lambda e: (e.slug, e.pk)):
        people = [
            person
            for person in Person.objects.filter(roles__session__event=event)
            .select_related("user")
            .distinct()
            .order_by("pk")
            if person.pk not in seen
        ]
        seen.update(person.pk for person in people)
        considered.extend(people)
        invited += invite_to_portal(people=people, by=by, event=event)
    return invited, considered


@transaction.atomic
def request_sign_in_link(*, email: str) -> None:
    """Someone asked for a sign-in link for this address. If it is a person's (in any case),
    queue one link per such person; otherwise do nothing. The caller answers the same either
    way, so the answer never tells who is on a programme."""
    key = address_key(email)
    if key is None:
        return
    people = (
        Person.objects.alias(address=Lower("email"))
        .filter(address=key)
        .select_related("user")
        .order_by("pk")
    )
    sent = 0
    for person in people:
        obstacle = invitation_obstacle(person)
        if obstacle:
            logger.info("no sign-in link for person %s: %s", person.key, obstacle)
            continue
        ensure_portal_user(person)
        queue_email(kind=Kind.PORTAL_SIGNIN, to=person.email, recipient=person)
        sent += 1
    if not sent:
        logger.info("sign-in link asked for an address that is no person's")


def invitation_report(*, invited: int, people: Iterable[Person]) -> str:
    """The organizer's summary: "3 invited, 1 skipped (no email)." and other reasons."""
    skipped: dict[str, int] = {NO_EMAIL: 0}
    for person in people:
        obstacle = invitation_obstacle(person)
        if obstacle:
            skipped[obstacle] = skipped.get(obstacle, 0) + 1
    reasons = [
        _("%(count)s skipped (%(reason)s)") % {"count": count, "reason": _(reason)}
        for reason, count in skipped.items()
        if count or reason == NO_EMAIL
    ]
    return _("%(invited)s invited, %(skipped)s.") % {
        "invited": invited,
        "skipped": ", ".join(reasons),
    }


def remember_language(person: Person, code: str | None) -> bool:
    """The person signed in on a page in ``code``: if they have not chosen a language yet,
    their emails are in that one from now on (also those already waiting). A language once
    chosen is kept. Returns whether it was stored."""
    language = supported_language(code)
    if person.language or not language:
        return False
    updated = Person.objects.filter(pk=person.pk, language="").update(language=language)
    if not updated:
        return False
    person.language = language
    follow_language(person)
    logger.info(
        "person %s reads %s (the language of the page they signed in on)", person.key, language
    )
    return True


@transaction.atomic
def notify_session_people(
    *, session: Session, changed_fields, now: dt.datetime | None = None
) -> int:
    """Mail the people of a saved session whose time changed: one email per person with an
    address, however many roles they hold in it, with the new time and an updated invite (same
    UID, the session's current SEQUENCE). Call it after the session and its roles are saved;
    the email is built at send time from the saved rows and handed over after commit.

    An email still queued for the same person and session (a second change before the first
    went out) is not doubled: it will carry the latest time. A session that is over is not
    announced. Returns the number of people who will be mailed.
    """
    if not session.pk or not TIME_FIELDS.intersection(changed_fields):
        return 0
    if session.end <= (now or timezone.now()):
        return 0
    people = list(
        Person.objects.filter(roles__session=session)
        .exclude(email="")
        .distinct()
        .order_by("name", "key")
    )
    # Locked: a worker claiming one of these rows waits for this commit, so it builds the
    # message with the new time.
    pending = set(
        emails_about(people)
        .select_for_update()
        .filter(
            kind=Kind.SESSION_CHANGED,
            state=OutgoingEmail.State.QUEUED,
            context__session_id=session.pk,
        )
        .values_list("recipient_id", flat=True)
    )
    for person in people:
        if person.pk not in pending:
            queue_email(
                kind=Kind.SESSION_CHANGED,
                to=person.email,
                recipient=person,
                context={"session_id": session.pk, "event_id": session.event_id},
            )
    return len(people)
