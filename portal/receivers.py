"""The portal's answers to what the programme announces (`workshop.signals`) and to people
leaving it. Connected in `PortalConfig.ready()`."""

from django.db.models.signals import post_delete, post_save

from mailing.services import emails_about
from workshop.models import Person, SessionRole
from workshop.signals import session_rescheduled
from zoom import services as zoom_services
from zoom.signals import meeting_ready

from . import join_links
from .services import notify_session_people


def tell_session_people(sender, *, session, changed_fields, **kwargs) -> None:
    """A session moved: each of its people gets one email with the new time and invite."""
    notify_session_people(session=session, changed_fields=changed_fields)


def forget_emails_of_deleted_person(sender, instance, **kwargs) -> None:
    """A person deleted from the programme is not mailed any more, and the ledger keeps no
    copy of what they were sent."""
    emails_about([instance]).delete()


def register_programme_people_with_zoom(sender, *, meeting, **kwargs) -> None:
    join_links.request_for_event(meeting.event_id)


def register_new_role_holder(sender, instance, created, raw=False, **kwargs) -> None:
    """Someone given a role in an event with a Zoom meeting gets a personal link too."""
    if created and not raw and zoom_services.is_active():
        join_links.request_for(instance.person, [instance.session.event_id])


def connect() -> None:
    meeting_ready.connect(register_programme_people_with_zoom, dispatch_uid="portal.zoom")
    post_save.connect(register_new_role_holder, sender=SessionRole, dispatch_uid="portal.zoom")
    session_rescheduled.connect(tell_session_people, dispatch_uid="portal.session_people")
    post_delete.connect(
        forget_emails_of_deleted_person, sender=Person, dispatch_uid="portal.person_emails"
    )
