"""Writes a signed-in person makes in the portal: profile, affiliations, abstracts, the
calendar feed's secret.

Each change writes a Django admin LogEntry with the signed-in user, so organizers see who
changed what in the admin History of the Person and the Session (and an EventPerson's own
history). Change messages use Django admin's JSON format (``[{"changed": {"fields":
["bio"]}}]``, and ``{"changed": {"name": …, "object": …, "fields": …}}`` for a related row, as
admin writes for an inline), so the History page words them like the admin's own.
"""

import datetime as dt
import logging

from django.contrib.admin.models import CHANGE, LogEntry
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from mailing.services import follow_language
from workshop.models import EventPerson, Person, Session, SessionRole, new_token

logger = logging.getLogger(__name__)

# Stored in English in the admin History, which translates it when it shows the entry.
CALENDAR_FEED_ADDRESS = gettext_noop("calendar feed address")


def _label(model, field_name: str) -> str:
    """The field's name in the active language (for the person's own message)."""
    return str(model._meta.get_field(field_name).verbose_name)


def _log_label(model, field_name: str) -> str:
    """The field's name as the admin History stores it: in English, which the History page
    translates when it shows the entry (as Django admin's own change messages)."""
    with translation.override(None):
        return _label(model, field_name)


def _validate(obj, field_names: list[str]) -> None:
    """The model's own rules for the fields being changed (and only those: an old row's
    other fields are not the person's to fix)."""
    obj.clean_fields(exclude=[f.name for f in obj._meta.fields if f.name not in field_names])


def _log_change(*, by, obj, message: list[dict]) -> LogEntry:
    return LogEntry.objects.log_actions(
        user_id=by.pk,
        queryset=[obj],
        action_flag=CHANGE,
        change_message=message,
        single_object=True,
    )


@transaction.atomic
def update_profile(
    *,
    person: Person,
    by,
    bio: str,
    timezone_name: str,
    affiliations: dict[int, str],
    language: str | None = None,
    now: dt.datetime | None = None,
) -> list[str]:
    """Saves the person's bio, time zone, language (None: unchanged) and their affiliation
    at upcoming events (``affiliations``: EventPerson id → text). Affiliations at events that
    are over, and rows of other people, are refused: an old programme keeps what it printed.
    A new language also applies to the emails still waiting for the person.

    Returns the labels of what changed; nothing changed, nothing is written."""
    now = now or timezone.now()
    person = Person.objects.select_for_update().get(pk=person.pk)
    changed_fields = []
    if person.bio != bio:
        person.bio = bio
        changed_fields.append("bio")
    if person.timezone != timezone_name:
        person.timezone = timezone_name
        changed_fields.append("timezone")
    if language is not None and person.language != language:
        person.language = language
        changed_fields.append("language")
    if changed_fields:
        _validate(person, changed_fields)
        person.save(update_fields=changed_fields)
    if "language" in changed_fields:
        follow_language(person)

    links = {
        link.pk: link
        for link in EventPerson.objects.select_for_update()
        .filter(person=person, pk__in=list(affiliations))
        .select_related("event")
    }
    last_ends = dict(
        EventPerson.objects.filter(pk__in=list(links))
        .annotate(last_end=Max("event__sessions__end"))
        .values_list("pk", "last_end")
    )
    changed_links = []
    for pk, affiliation in affiliations.items():
        link = links.get(pk)
        if link is None:
            raise PermissionDenied("Not your affiliation.")
        if link.affiliation == affiliation:
            continue
        last_end = last_ends.get(pk)
        if last_end is not None and last_end < now:
            raise ValidationError(
                _("%(event)s is over: its programme keeps the affiliation it printed."),
                params={"event": link.event.title},
            )
        link.affiliation = affiliation
        _validate(link, ["affiliation"])
        link.save(update_fields=["affiliation"])
        changed_links.append(link)

    message = []
    if changed_fields:
        message.append({"changed": {"fields": [_log_label(Person, f) for f in changed_fields]}})
    affiliation_label = _log_label(EventPerson, "affiliation")
    with translation.override(None):
        link_name = str(EventPerson._meta.verbose_name)
    for link in changed_links:
        message.append(
            {
                "changed": {
                    "name": link_name,
                    "object": str(link),
                    "fields": [affiliation_label],
                }
            }
        )
        _log_change(by=by, obj=link, message=[{"changed": {"fields": [affiliation_label]}}])
    if message:
        _log_change(by=by, obj=person, message=message)
        logger.info("Person %s updated their profile: %s", person.pk, message)
    return [_label(Person, f) for f in changed_fields] + [
        _("%(field)s at %(event)s")
        % {"field": _label(EventPerson, "affiliation"), "event": link.event.title}
        for link in changed_links
    ]


@transaction.atomic
def update_abstract(*, session: Session, person: Person, by, abstract: str) -> bool:
    """A speaker of the session rewrites its abstract. Returns whether it changed."""
    session = Session.objects.select_for_update().get(pk=session.pk)
    if not SessionRole.objects.filter(
        session=session, person=person, role=SessionRole.Role.SPEAKER
    ).exists():
        raise PermissionDenied("Only the speakers of a session can edit its abstract.")
    if session.abstract == abstract:
        return False
    session.abstract = abstract
    session.save(update_fields=["abstract"])
    _log_change(
        by=by, obj=session, message=[{"changed": {"fields": [_log_label(Session, "abstract")]}}]
    )
    logger.info("Person %s edited the abstract of session %s", person.pk, session.pk)
    return True


@transaction.atomic
def reset_calendar_token(*, person: Person, by) -> str:
    """A new secret for the person's calendar feed: the old feed URL stops working at once."""
    person = Person.objects.select_for_update().get(pk=person.pk)
    person.calendar_token = new_token()
    person.save(update_fields=["calendar_token"])
    _log_change(by=by, obj=person, message=[{"changed": {"fields": [CALENDAR_FEED_ADDRESS]}}])
    logger.info("Person %s reset their calendar feed token", person.pk)
    return person.calendar_token
