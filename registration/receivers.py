"""The registration app's answers to what the programme announces (`workshop.signals`) and to
changes of an event's settings. Connected in `RegistrationConfig.ready()`.

Receivers run inside the transaction that made the change: the emails they queue commit or
roll back with it."""

from django.db.models.signals import post_save, pre_save

from workshop.models import Event
from workshop.signals import (
    meeting_changed,
    session_added,
    session_cancelled,
    session_rescheduled,
)
from zoom.signals import meeting_ready

from . import notices, services
from .models import Registration

_CAPACITY_BEFORE = "_capacity_before_save"


def remember_capacity(sender, instance, raw=False, **kwargs) -> None:
    if instance.pk is None or raw:
        return
    before = Event.objects.filter(pk=instance.pk).values_list("capacity", flat=True).first()
    setattr(instance, _CAPACITY_BEFORE, before)


def fill_seats_after_capacity_change(sender, instance, created, raw=False, **kwargs) -> None:
    """A raised (or removed) capacity gives its free seats to the waiting list at once, in
    every write path (admin, importer, shell). Other changes of the event leave the waiting
    list alone: whom an organizer put there by hand stays there."""
    if created or raw:
        return
    before = instance.__dict__.pop(_CAPACITY_BEFORE, instance.capacity)
    if before == instance.capacity:
        return
    if instance.capacity is None or (before is not None and instance.capacity > before):
        services.fill_free_seats(event=instance)


def note_session_moved(sender, *, session, changed_fields, previous=None, **kwargs) -> None:
    notices.note_session_moved(session=session, previous=previous)


def note_session_added(sender, *, session, **kwargs) -> None:
    notices.note_session_added(session=session)


def note_session_cancelled(sender, *, session, **kwargs) -> None:
    notices.note_session_cancelled(session=session)


def note_meeting_changed(sender, *, event, session=None, **kwargs) -> None:
    notices.note_meeting_changed(event=event, session=session)


def register_approved_with_zoom(sender, *, meeting, **kwargs) -> None:
    """A Zoom meeting for the event: everyone approved by now gets a personal link (their
    change notice about the new meeting waits for it)."""
    approved = Registration.objects.filter(
        event_id=meeting.event_id,
        state__in=Registration.MEETING_STATES,
        erased_at__isnull=True,
    )
    services.request_join_links(list(approved))


def connect() -> None:
    uid = "registration.change_notices"
    pre_save.connect(remember_capacity, sender=Event, dispatch_uid="registration.seats")
    post_save.connect(
        fill_seats_after_capacity_change, sender=Event, dispatch_uid="registration.seats"
    )
    session_rescheduled.connect(note_session_moved, dispatch_uid=uid)
    session_added.connect(note_session_added, dispatch_uid=uid)
    session_cancelled.connect(note_session_cancelled, dispatch_uid=uid)
    meeting_changed.connect(note_meeting_changed, dispatch_uid=uid)
    meeting_ready.connect(register_approved_with_zoom, dispatch_uid="registration.zoom")
