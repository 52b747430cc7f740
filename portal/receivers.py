"""The portal's answers to what the programme announces (`workshop.signals`) and to people
leaving it. Connected in `PortalConfig.ready()`."""

from django.db.models.signals import post_delete

from mailing.services import emails_about
from workshop.models import Person
from workshop.signals import session_rescheduled

from .services import notify_session_people


def tell_session_people(sender, *, session, changed_fields, **kwargs) -> None:
    """A session moved: each of its people gets one email with the new time and invite."""
    notify_session_people(session=session, changed_fields=changed_fields)


def forget_emails_of_deleted_person(sender, instance, **kwargs) -> None:
    """A person deleted from the programme is not mailed any more, and the ledger keeps no
    copy of what they were sent."""
    emails_about([instance]).delete()


def connect() -> None:
    session_rescheduled.connect(tell_session_people, dispatch_uid="portal.session_people")
    post_delete.connect(
        forget_emails_of_deleted_person, sender=Person, dispatch_uid="portal.person_emails"
    )
