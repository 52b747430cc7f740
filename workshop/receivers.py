"""Keeping the cached programme fresh: every save or delete of a row the programme shows
raises its event's `programme_version` (`services.touch_programme`), in the same transaction.

Model signals are the right tool here (and only here in this app): invalidating a
cache is not business logic, and it must follow every write path — admin forms and inlines,
the importer, the portal, the shell, cascading deletes — without each of them knowing that a
cache exists. Writes that send no signal (`QuerySet.update()`,
`bulk_create()`) call `touch_programme` themselves (the importer, `note_event_meeting_change`).

Connected in `WorkshopConfig.ready()`.
"""

from django.db.models import F, Q
from django.db.models.signals import post_delete, post_save, pre_save

from .models import (
    DisplayZone,
    Event,
    EventContact,
    EventPerson,
    Person,
    Section,
    Session,
    SessionRole,
)
from .services import TIMES_BEFORE_SAVE, touch_programme
from .signals import session_added, session_cancelled

# Rows of one event, and the lookup from the row to its event's id.
EVENT_ROWS = {
    DisplayZone: "event_id",
    Section: "event_id",
    Session: "event_id",
    EventPerson: "event_id",
    EventContact: "event_id",
    SessionRole: "session__event_id",
}
_BEFORE = "_programme_events_before"


def _event_fk(sender) -> str:
    return "session" if sender is SessionRole else "event"


def remember_previous_event(sender, instance, update_fields=None, **kwargs):
    """A row moved to another event (admin lets a session change its event) must refresh
    the programme it left too: note where it was before the save."""
    if instance._state.adding or instance.pk is None:
        return
    fk = _event_fk(sender)
    if update_fields is not None and not {fk, f"{fk}_id"} & set(update_fields):
        return
    setattr(
        instance,
        _BEFORE,
        set(sender.objects.filter(pk=instance.pk).values_list(EVENT_ROWS[sender], flat=True)),
    )


def touch_event_of_row(sender, instance, **kwargs):
    before = instance.__dict__.pop(_BEFORE, set())
    if sender is SessionRole:
        # One UPDATE: the session's event is looked up inside it.
        current = Q(pk__in=Session.objects.filter(pk=instance.session_id).values("event_id"))
    elif not before - {instance.event_id}:
        touch_programme([instance.event_id])
        return
    else:
        current = Q(pk=instance.event_id)
    touch_programme(Event.objects.filter(current | Q(pk__in=before)).values("pk"))


def keep_stored_version(sender, instance, **kwargs):
    """Event.save() never writes `programme_version` back from memory: an instance read
    before a concurrent bump would otherwise lower the version to one whose cached page is
    stale. The UPDATE keeps the stored value; `touch_programme` raises it after the save."""
    if not instance._state.adding:
        instance.programme_version = F("programme_version")


def touch_saved_event(sender, instance, created, **kwargs):
    if isinstance(instance.__dict__.get("programme_version"), F):
        # The value lives in the database only; read it again if anyone asks.
        del instance.__dict__["programme_version"]
    if not created:
        touch_programme([instance.pk])


def touch_events_of_person(sender, instance, created, **kwargs):
    """A person's name (and key, in their links) is on the programme of every event they
    have a role, an affiliation or a contact in. A new person is on none yet."""
    if created:
        return
    touch_programme(
        Event.objects.filter(
            Q(pk__in=SessionRole.objects.filter(person=instance).values("session__event_id"))
            | Q(pk__in=EventPerson.objects.filter(person=instance).values("event_id"))
            | Q(pk__in=EventContact.objects.filter(person=instance).values("event_id"))
        ).values("pk")
    )


def remember_session_times(sender, instance, **kwargs):
    """What a session's time was before this save: a notice of the move says old → new."""
    if instance._state.adding or instance.pk is None:
        return
    setattr(
        instance,
        TIMES_BEFORE_SAVE,
        Session.objects.filter(pk=instance.pk).values_list("start", "end").first(),
    )


def announce_added_session(sender, instance, created, raw=False, **kwargs):
    if created and not raw:
        session_added.send(sender=Session, session=instance)


def announce_cancelled_session(sender, instance, **kwargs):
    session_cancelled.send(sender=Session, session=instance)


def connect() -> None:
    # Announcing added and removed sessions follows every write path too (admin inlines,
    # the importer, cascading deletes), as the cache does: the apps built on the programme
    # decide whom to tell (`workshop.signals`).
    pre_save.connect(remember_session_times, sender=Session, dispatch_uid="workshop.session_times")
    post_save.connect(announce_added_session, sender=Session, dispatch_uid="workshop.session_added")
    post_delete.connect(
        announce_cancelled_session, sender=Session, dispatch_uid="workshop.session_cancelled"
    )
    dispatch = "workshop.programme_version"
    for model in EVENT_ROWS:
        pre_save.connect(remember_previous_event, sender=model, dispatch_uid=dispatch)
        post_save.connect(touch_event_of_row, sender=model, dispatch_uid=dispatch)
        post_delete.connect(touch_event_of_row, sender=model, dispatch_uid=dispatch)
    pre_save.connect(keep_stored_version, sender=Event, dispatch_uid=dispatch)
    post_save.connect(touch_saved_event, sender=Event, dispatch_uid=dispatch)
    post_save.connect(touch_events_of_person, sender=Person, dispatch_uid=dispatch)
